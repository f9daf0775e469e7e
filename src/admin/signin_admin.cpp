#include "admin/signin_admin.hpp"

#include "admin/json_body.hpp"
#include "admin/user_json.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "http/target.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <charconv>
#include <cstdint>
#include <limits>
#include <memory>

namespace parley::admin {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;

constexpr std::size_t kDefaultLimit = 100;
// The store returns at most 1000 rows per call; one more than a page must fit in that.
constexpr std::size_t kMaxLimit = 500;

template <class T>
T parse_number(const std::string& text, T min, T max, const char* message) {
  T v{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < min || v > max)
    throw ParameterValidationFailure(message);
  return v;
}

boost::json::object entry_json(const storage::SigninRecord& r) {
  boost::json::object o;
  o["id"] = r.id;
  o["at"] = iso8601_utc(r.at_ms);
  o["username"] = r.username;
  if (r.sip_uri.empty()) o["sipUri"] = nullptr;
  else o["sipUri"] = r.sip_uri;
  o["outcome"] = r.outcome;
  o["clientAddress"] = r.client_address;
  o["site"] = r.site;
  o["userAgent"] = r.user_agent;
  o["grantType"] = r.grant_type;
  return o;
}

class SigninAdmin {
public:
  SigninAdmin(AdminContext ctx, auth::TokenService* tokens) : ctx_(std::move(ctx)), tokens_(tokens) {}

  awaitable<Response> signin_log(Request& req) {
    require_admin(ctx_, req);
    storage::SigninQuery q;
    bool present = false;
    const std::string user = http::query_param(req.query, "user", &present);
    if (present) q.sip_uri = normalize_sip_uri(user);
    const std::string limit = http::query_param(req.query, "limit", &present);
    const std::size_t want =
        present ? parse_number<std::size_t>(limit, 1, kMaxLimit, "\"limit\" must be a whole number from 1 to 500")
                : kDefaultLimit;
    const std::string before = http::query_param(req.query, "before", &present);
    if (present)
      q.before_id = parse_number<std::int64_t>(before, 1, std::numeric_limits<std::int64_t>::max(), "\"before\" must be a positive entry id");
    q.limit = want + 1;  // one more tells whether there is a next page
    auto job = [this, q] { return ctx_.store->list_signins(q); };
    auto entries = co_await ctx_.pool->store(job);
    boost::json::object out;
    out["next"] = nullptr;
    if (entries.size() > want) {
      entries.resize(want);
      out["next"] = entries.back().id;
    }
    boost::json::array arr;
    for (const auto& e : entries) arr.push_back(entry_json(e));
    out["entries"] = std::move(arr);
    co_return json_response(200, out);
  }

  awaitable<Response> revoke_tokens(Request& req) {
    require_admin(ctx_, req);
    const std::string sip = normalize_sip_uri(req.params.at("sip"));
    auto job = [this, sip]() -> std::optional<std::size_t> {
      if (!ctx_.store->find_user(sip)) return std::nullopt;
      return tokens_->revoke_user_blocking(sip);
    };
    const auto revoked = co_await ctx_.pool->store(job);
    if (!revoked) throw NotFound("no user " + sip);
    logger("admin")->info("{} token(s) of {} revoked", *revoked, sip);
    co_return json_response(200, boost::json::object{{"revoked", *revoked}});
  }

private:
  AdminContext ctx_;
  auth::TokenService* tokens_;
};

}  // namespace

void register_signin_admin_routes(http::Router& internal, const AdminContext& ctx, auth::TokenService* tokens) {
  auto api = std::make_shared<SigninAdmin>(ctx, tokens);
  internal.add("GET", "/admin/v1/signin-log", [api](Request& req) { return api->signin_log(req); });
  internal.add("DELETE", "/admin/v1/users/{sip}/tokens", [api](Request& req) { return api->revoke_tokens(req); });
}

}  // namespace parley::admin
