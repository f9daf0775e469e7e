#include "auth/webticket.hpp"
#include "common/text.hpp"

#include "auth/form.hpp"
#include "auth/password.hpp"
#include "auth/token_service.hpp"
#include "auth/username.hpp"
#include "common/crypto.hpp"
#include "common/error.hpp"
#include "common/log.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <memory>

namespace parley::auth {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;

constexpr std::string_view kPasswordGrant = "password";
// Grant types of UCWA.md §2.1 that Parley does not offer yet; they are refused with the
// diagnostic a Skype for Business server gives when the type is switched off.
constexpr std::array<std::string_view, 3> kKnownOtherGrants = {
    "urn:microsoft.rtc:windows", "urn:microsoft.rtc:anonmeeting", "urn:microsoft.rtc:passive"};
constexpr std::size_t kMaxUserAgentBytes = 512;
constexpr std::size_t kMaxAuditFieldBytes = 256;



// Cuts valid UTF-8 to at most `max_bytes` without splitting a character.
std::string utf8_prefix(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0u) == 0x80u) --n;
  return std::string(s.substr(0, n));
}

// The key a client address is throttled under. An IPv6 client usually owns a whole /64, so it
// is counted as one; IPv4 (also when mapped into IPv6) per address.
std::string address_key(const std::string& address) {
  in6_addr v6{};
  if (address.find(':') == std::string::npos || inet_pton(AF_INET6, address.c_str(), &v6) != 1)
    return address;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(v6.s6_addr, kMapped, sizeof kMapped) == 0) {
    char text[INET_ADDRSTRLEN] = {};
    if (inet_ntop(AF_INET, v6.s6_addr + 12, text, sizeof text)) return text;
    return address;
  }
  std::memset(v6.s6_addr + 8, 0, 8);
  char text[INET6_ADDRSTRLEN] = {};
  if (!inet_ntop(AF_INET6, &v6, text, sizeof text)) return address;
  return std::string(text) + "/64";
}

// RFC 6749 §5.1/§5.2: token answers must not be cached anywhere.
void no_store(Response& res) {
  res.headers.set("Cache-Control", "no-store");
  res.headers.set("Pragma", "no-cache");
}

Response oauth_error(int status, std::string_view error, std::string_view description = {}) {
  boost::json::object body{{"error", error}};
  if (!description.empty()) body["error_description"] = description;
  auto res = Response::json(status, boost::json::serialize(body));
  no_store(res);
  return res;
}

// What is known about the account a sign-in names, read in one store call.
struct Account {
  bool exists = false;
  bool enabled = false;
  std::string password_hash;  // empty: no password set
};

class WebTicketService {
public:
  explicit WebTicketService(WebTicketContext ctx)
      : ctx_(std::move(ctx)), throttle_(ctx_.config.webticket.throttle, ctx_.clock),
        // Unknown users and users without a password are checked against this hash, so that
        // their answer takes as long as a wrong password's. The password itself is thrown away.
        dummy_hash_(hash_password(random_token(24), ctx_.config.passwords)) {}

  awaitable<Response> token(Request& req) {
    Attempt attempt;
    attempt.record.client_address = printable_ascii(req.remote_address, 64);
    attempt.record.site = std::string(http::to_string(req.site));
    attempt.record.user_agent = printable_ascii(req.headers.get("User-Agent"), kMaxUserAgentBytes);
    Response res;
    try {
      res = co_await sign_in(req, attempt);
    } catch (const StoreError& e) {
      // OAuth clients understand server_error; the UCWA error body would confuse them here.
      logger("auth")->error("sign-in: store failure: {}", e.what());
      attempt.record.outcome = "server_error";
      res = oauth_error(500, "server_error");
    }
    co_await audit(attempt);
    co_return res;
  }

private:
  struct Attempt {
    storage::SigninRecord record;
    std::string candidate_sip;   // what the user name normalised to, if anything
    bool existence_known = false;  // record.sip_uri already says whether the account exists
  };

  awaitable<Response> sign_in(Request& req, Attempt& attempt) {
    const ParsedForm form = parse_form(req.headers.get("Content-Type"), req.body);
    if (!form.ok()) {
      logger("auth")->debug("sign-in from {} refused: {}", attempt.record.client_address, describe(form.error));
      attempt.record.outcome = "invalid_request";
      co_return oauth_error(400, "invalid_request");
    }
    const auto grant = form.get("grant_type");
    const auto username = form.get("username");
    attempt.record.grant_type = grant ? utf8_prefix(*grant, kMaxAuditFieldBytes) : std::string();
    attempt.record.username = username ? utf8_prefix(*username, kMaxAuditFieldBytes) : std::string();
    if (username) {
      if (auto sip = normalize_username(*username, ctx_.config.sip_domains)) attempt.candidate_sip = *sip;
    }

    // RFC 6749 §3.1: a parameter sent without a value counts as absent.
    if (!grant || grant->empty()) {
      attempt.record.outcome = "invalid_request";
      co_return oauth_error(400, "invalid_request");
    }
    if (*grant != kPasswordGrant) {
      attempt.record.outcome = "unsupported_grant_type";
      auto res = oauth_error(400, "unsupported_grant_type");
      const auto& site = req.site == http::Site::internal ? ctx_.config.internal_site : ctx_.config.external_site;
      res.headers.set("X-Ms-diagnostics",
                      "28029;source=\"" + site.fqdn + "\";reason=\"Authentication type not allowed.\"");
      co_return res;
    }
    const auto password = form.get("password");
    if (!username || username->empty() || !password || password->empty()) {
      attempt.record.outcome = "invalid_request";
      co_return oauth_error(400, "invalid_request");
    }

    // Names that resolve to no account are throttled under the name as typed, so that an
    // unknown account is refused exactly like a known one.
    const std::string account_key =
        attempt.candidate_sip.empty() ? lower(utf8_prefix(*username, kMaxUsernameBytes)) : attempt.candidate_sip;
    const std::string client_key = address_key(req.remote_address);
    if (const auto wait = throttle_.retry_after_seconds(account_key, client_key); wait > 0) {
      attempt.record.outcome = "throttled";
      auto res = oauth_error(400, "invalid_grant");
      res.headers.set("Retry-After", std::to_string(wait));
      co_return res;
    }

    auto lookup = [this, sip = attempt.candidate_sip] {
      Account a;
      if (sip.empty()) return a;
      const auto user = ctx_.store->find_user(sip);
      if (!user) return a;
      a.exists = true;
      a.enabled = user->enabled;
      a.password_hash = ctx_.store->password_hash(sip).value_or("");
      return a;
    };
    const Account account = co_await ctx_.pool->store(lookup);
    attempt.existence_known = true;
    if (account.exists) attempt.record.sip_uri = attempt.candidate_sip;

    // Exactly one verification whatever the account's state: the answer's timing must not tell
    // an unknown or disabled account from a wrong password.
    const bool has_hash = !account.password_hash.empty();
    auto verify = [hash = has_hash ? account.password_hash : dummy_hash_, pw = std::string(*password)] {
      return verify_password(hash, pw);
    };
    const bool matches = co_await ctx_.pool->run(verify);
    if (!(matches && has_hash && account.exists && account.enabled)) {
      throttle_.record_failure(account_key, client_key);
      attempt.record.outcome = "invalid_grant";
      // Whoever knows the password may learn why it was refused (and can stop retrying); to
      // anyone else a disabled account looks like every other failure.
      if (matches && has_hash && account.exists) {
        attempt.record.outcome = "account_disabled";
        co_return oauth_error(400, "invalid_grant", "The account is disabled.");
      }
      co_return oauth_error(400, "invalid_grant");
    }

    throttle_.record_success(account_key);
    if (password_needs_rehash(account.password_hash, ctx_.config.passwords)) {
      // The cost was raised since this password was set: upgrade the stored hash now that the
      // password is at hand. Failure only means trying again at the next sign-in.
      auto rehash = [this, sip = attempt.candidate_sip, pw = std::string(*password)] {
        ctx_.store->set_password_hash(sip, hash_password(pw, ctx_.config.passwords));
      };
      co_await ctx_.pool->run(rehash);
    }

    const std::string sip = attempt.candidate_sip;
    const std::string grant_name(kPasswordGrant);
    const IssuedToken issued = co_await ctx_.tokens->issue(sip, req, grant_name);
    attempt.record.outcome = "success";
    logger("auth")->info("{} signed in from {} ({} site)", sip, attempt.record.client_address,
                         attempt.record.site);
    boost::json::object body;
    body["access_token"] = issued.access_token;
    body["expires_in"] = issued.expires_in_seconds;
    body["ms_rtc_identityscope"] = "local";
    body["token_type"] = "Bearer";
    auto res = Response::json(200, boost::json::serialize(body));
    no_store(res);
    co_return res;
  }

  // Appends the attempt to the audit trail. A store failure here is logged, not passed on: the
  // client's answer is already decided.
  awaitable<void> audit(const Attempt& attempt) {
    auto job = [this, attempt] {
      storage::SigninRecord r = attempt.record;
      if (!attempt.existence_known && !attempt.candidate_sip.empty() && ctx_.store->find_user(attempt.candidate_sip))
        r.sip_uri = attempt.candidate_sip;
      ctx_.store->append_signin(r);
    };
    try {
      co_await ctx_.pool->store(job);
    } catch (const StoreError& e) {
      logger("auth")->error("sign-in audit not written: {}", e.what());
    }
  }

  WebTicketContext ctx_;
  Throttle throttle_;
  std::string dummy_hash_;
};

}  // namespace

void register_webticket_routes(http::SiteRouters& routers, WebTicketContext ctx) {
  auto service = std::make_shared<WebTicketService>(std::move(ctx));
  http::Handler handler = [service](Request& req) { return service->token(req); };
  routers.internal.add("POST", kWebTicketPath, handler);
  routers.external.add("POST", kWebTicketPath, handler);
}

}  // namespace parley::auth
