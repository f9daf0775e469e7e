#pragma once
// Bearer tokens of the web-ticket service (UCWA.md §2.1): issued as "cwt=" + 256 random bits,
// stored only as their SHA-256 with owner, issue time, expiry, client address and user agent,
// and validated on every protected request against an in-memory cache backed by the store.
// Revocation (user disabled, password changed, explicit revoke) removes a user's tokens from
// both at once, so the next request with them fails.

#include "common/config.hpp"
#include "http/message.hpp"
#include "runtime/blocking_pool.hpp"
#include "storage/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace parley::auth {

// Who a valid token belongs to.
struct Identity {
  std::string sip_uri;
  std::int64_t expires_at_ms = 0;
};

struct IssuedToken {
  std::string access_token;       // "cwt=..."; shown to the client once, never stored
  std::int64_t expires_in_seconds = 0;
};

class TokenService {
public:
  using Clock = std::function<std::int64_t()>;  // ms since the epoch; tests move time forward

  TokenService(storage::Store& store, runtime::BlockingPool& pool, WebTicketConfig config,
               Clock clock = {});
  ~TokenService();

  // Issues a token for an (already authenticated, enabled) user.
  boost::asio::awaitable<IssuedToken> issue(std::string sip_uri, const http::Request& req,
                                            std::string grant_type);

  // The identity behind a token ("cwt=..."), or nullopt when it is unknown, expired, revoked or
  // its user is disabled or gone.
  boost::asio::awaitable<std::optional<Identity>> validate(std::string token);

  // Reads "Authorization: Bearer <token>" from the request and validates it.
  boost::asio::awaitable<std::optional<Identity>> authenticate(const http::Request& req);

  // Tokens issued from now on live this long (TokenLifetimeSeconds of the web-service
  // configuration); tokens already issued keep their expiry.
  void set_token_lifetime(unsigned seconds);

  // Revokes every token of the user (store and cache); returns how many there were.
  boost::asio::awaitable<std::size_t> revoke_user(std::string sip_uri);
  // Same, for callers already on a worker thread (the admin API's store jobs).
  std::size_t revoke_user_blocking(const std::string& sip_uri);

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

// The 401 a protected UCWA resource answers without a valid token (UCWA.md §1.3): the Bearer
// and MsRtcOAuth challenges, the latter naming the web-ticket URL and the grant types.
http::Response challenge_response(std::string_view webticket_url, std::string_view message);

}  // namespace parley::auth
