#pragma once
// The web-ticket service's OAuth token endpoint, POST /WebTicket/oauthtoken (UCWA.md §2.1): the
// password grant turns a user name and password into a bearer token. Answers use OAuth's own
// shapes ({"access_token",...} / 400 {"error":"invalid_grant"}), not the UCWA error body.
// Unknown user, wrong password and disabled user are answered identically and in the same time
// (one argon2id verification each), brute force is throttled (auth/throttle.hpp), and every
// attempt lands in the sign-in audit (Store::append_signin).

#include "auth/throttle.hpp"
#include "common/config.hpp"
#include "http/router.hpp"
#include "runtime/blocking_pool.hpp"
#include "storage/store.hpp"

#include <string_view>

namespace parley::auth {

class TokenService;

inline constexpr std::string_view kWebTicketPath = "/WebTicket/oauthtoken";

struct WebTicketContext {
  storage::Store* store = nullptr;
  runtime::BlockingPool* pool = nullptr;
  TokenService* tokens = nullptr;
  // passwords (the cost of the dummy hash), sip_domains (DOMAIN\user names), webticket
  // (throttle), and the sites' FQDNs (the source of X-Ms-diagnostics).
  Config config;
  Throttle::Clock clock;  // for the throttle; empty: the wall clock
};

// Adds the token endpoint to both sites' HTTPS routers. Hashes the dummy password once, with
// the configured cost, before returning.
void register_webticket_routes(http::SiteRouters& routers, WebTicketContext ctx);

}  // namespace parley::auth
