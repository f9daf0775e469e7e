#include "admin/push_admin.hpp"

#include "admin/json_body.hpp"
#include "admin/user_json.hpp"
#include "common/error.hpp"

namespace parley::admin {

namespace asio = boost::asio;
namespace json = boost::json;
using http::Request;
using http::Response;

void register_push_admin_routes(http::Router& internal, const AdminContext& ctx, PushAdmin push) {
  auto shared = std::make_shared<PushAdmin>(std::move(push));
  // The user must exist: a typo answers 404 rather than an empty list.
  auto user_of = [ctx](const Request& req) -> asio::awaitable<std::string> {
    const std::string sip = normalize_sip_uri(req.params.at("sip"));
    storage::Store* store = ctx.store;
    auto find = [store, sip] { return store->find_user(sip).has_value(); };
    if (!co_await ctx.pool->store(find)) throw NotFound("no user " + sip, "UserNotFound");
    co_return sip;
  };
  internal.add("GET", "/admin/v1/users/{sip}/push",
               [ctx, shared, user_of](Request& req) -> asio::awaitable<Response> {
    require_admin(ctx, req);
    const std::string sip = co_await user_of(req);
    auto devices = co_await shared->status(sip);
    co_return json_response(200, json::object{{"user", sip}, {"devices", std::move(devices)}});
  });
  internal.add("POST", "/admin/v1/users/{sip}/push/test",
               [ctx, shared, user_of](Request& req) -> asio::awaitable<Response> {
    require_admin(ctx, req);
    std::string device;
    if (!req.body.empty()) {
      const auto body = parse_json_object(req);
      reject_unknown_properties(body, {"device"});
      device = string_property(body, "device", 64).value_or("");
    }
    const std::string sip = co_await user_of(req);
    auto results = co_await shared->test(sip, device);
    co_return json_response(200, json::object{{"user", sip}, {"results", std::move(results)}});
  });
}

}  // namespace parley::admin
