#pragma once
// The admin API's sign-in surfaces (docs/admin-api.md, "Sign-ins and tokens"): the sign-in audit
// log, and revoking every bearer token of a user. Internal site only, like the rest of the
// admin API.

#include "admin/admin_api.hpp"
#include "auth/token_service.hpp"
#include "http/router.hpp"

namespace parley::admin {

// GET /admin/v1/signin-log?user=&limit=&before= and DELETE /admin/v1/users/{sip}/tokens.
// `ctx` supplies the store, the pool and the admin credential; `tokens` revokes.
void register_signin_admin_routes(http::Router& internal, const AdminContext& ctx,
                                  auth::TokenService* tokens);

}  // namespace parley::admin
