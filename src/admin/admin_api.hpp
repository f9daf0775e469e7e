#pragma once
// The admin API (docs/admin-api.md): user management for the `parley` CLI. Registered on the
// internal site's router only, so it does not exist on the external site.

#include "common/config.hpp"
#include "http/router.hpp"
#include "runtime/blocking_pool.hpp"
#include "storage/store.hpp"

#include <functional>
#include <string>

namespace parley::admin {

struct AdminContext {
  storage::Store* store = nullptr;
  runtime::BlockingPool* pool = nullptr;
  PasswordConfig passwords;
  std::string credential_sha256;  // hex SHA-256 of the admin credential
  // Called on a worker thread when a user's existing sign-ins must end: she was disabled or
  // removed, or her password changed. Revokes her tokens.
  std::function<void(const std::string& sip_uri)> end_sessions;
};

// Throws Unauthorized unless the request carries the admin credential as a Bearer token.
void require_admin(const AdminContext& ctx, const http::Request& req);

void register_admin_routes(http::Router& internal, const AdminContext& ctx);

}  // namespace parley::admin
