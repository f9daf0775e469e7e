// `{app}/pushNotificationRegistration` (Parley's extension in UCWA's style, UCWA.md §5.10): a
// device registers its APNs/FCM token or its browser's Web Push subscription for the application
// it runs; registering again (every app start) replaces, never duplicates.
#include "push/push_service_impl.hpp"

#include "api/application_state.hpp"
#include "common/crypto.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "proto/ucwa/body.hpp"

#include <boost/json/serialize.hpp>

namespace parley::push {

namespace asio = boost::asio;
namespace json = boost::json;
using api::Application;

namespace {

std::string date(std::int64_t ms) { return "/Date(" + std::to_string(ms) + ")/"; }

// Enough of a token for an administrator to tell devices apart, not enough to use it.
std::string masked_token(const std::string& token) {
  return token.size() <= 8 ? std::string("…") : "…" + token.substr(token.size() - 8);
}

std::string masked(const storage::PushRegistration& r) {
  if (r.provider == "webpush") {
    const auto end = r.token.find('/', 8);
    return r.token.substr(0, end) + "/…";
  }
  return masked_token(r.token);
}

std::string nested_string(const json::object& o, std::initializer_list<std::string_view> path,
                          std::size_t max, std::string_view name) {
  const json::value* v = nullptr;
  const json::object* at = &o;
  for (auto key : path) {
    if (v) {  // a step on the way down must be an object
      if (!v->is_object())
        throw ParameterValidationFailure(std::string(name) + " must sit in an object: " +
                                         std::string(name.substr(0, name.rfind('.'))) + " is not one");
      at = &v->as_object();
    }
    v = nullptr;
    for (const auto& [k, value] : *at)
      if (iequals(k, key)) v = &value;
    if (!v) return {};
  }
  if (!v->is_string()) throw ParameterValidationFailure(std::string(name) + " must be a string");
  if (v->as_string().size() > max)
    throw ParameterValidationFailure(std::string(name) + " holds at most " + std::to_string(max) + " characters");
  return std::string(v->as_string());
}

}  // namespace

json::object PushService::registration_json(const storage::PushRegistration& r,
                                            std::string_view self_href) const {
  json::object o{{"id", r.id},
                 {"provider", r.provider},
                 {"endpointId", r.endpoint_id},
                 {"token", masked(r)},
                 {"appId", r.app_id},
                 {"environment", r.environment},
                 {"voip", r.voip},
                 {"locale", r.locale},
                 {"deviceName", r.device_name},
                 {"created", date(r.created_at_ms)},
                 {"updated", date(r.updated_at_ms)}};
  if (!r.voip_token.empty()) o["voipToken"] = masked_token(r.voip_token);
  if (r.last_attempt_ms > 0) o["lastAttempt"] = date(r.last_attempt_ms);
  if (r.last_success_ms > 0) o["lastSuccess"] = date(r.last_success_ms);
  if (r.last_status > 0) o["lastStatus"] = r.last_status;
  if (!r.last_error.empty()) o["lastError"] = r.last_error;
  if (!self_href.empty()) o["_links"] = json::object{{"self", json::object{{"href", std::string(self_href)}}}};
  return o;
}

void PushService::register_routes(http::SiteRouters& routers) {
  auto self = shared_from_this();
  const std::string path = "/pushNotificationRegistration";

  // What this user may register with, and the key a browser subscribes with.
  auto providers_for = [self](const policy::PushConfig& c) {
    json::array list;
    for (const char* name : {"apns", "fcm", "webpush"})
      if (self->enabled(c, name)) list.emplace_back(name);
    return list;
  };

  engine_.add_route(routers, "GET", path, [self, providers_for](http::Request&, Application& app)
                                              -> asio::awaitable<http::Response> {
    storage::Store* store = self->ctx_.store;
    const std::string owner = app.owner(), endpoint = app.endpoint_id();
    auto find = [store, owner, endpoint] { return store->find_push_registration_of(owner, endpoint); };
    const auto reg = co_await self->ctx_.pool->store(find);
    const std::string nobody;  // a named argument: g++ 12 mishandles temporaries in co_await
    const auto who = co_await self->context_of(owner, nobody);
    json::object o = reg ? self->registration_json(*reg, "") : json::object{};
    o["rel"] = "pushNotificationRegistration";
    o["registered"] = reg.has_value();
    o["providers"] = who.policy.enable_push_notifications ? providers_for(who.push) : json::array{};
    o["vapidPublicKey"] = self->vapid_public_;
    o["_links"] = json::object{{"self", json::object{{"href", app.href("/pushNotificationRegistration")}}}};
    co_return http::Response::json(200, json::serialize(o));
  });

  auto put = [self](http::Request& req, Application& app) -> asio::awaitable<http::Response> {
    const auto body = proto::ucwa::Body::parse_json_request(req.headers.get("Content-Type"), req.body);
    storage::PushRegistration r;
    r.owner = app.owner();
    r.endpoint_id = app.endpoint_id();
    r.provider = lower(body.string("provider", 16).value_or(""));
    if (r.provider.empty()) throw ParameterValidationFailure("provider is required: apns, fcm or webpush");
    if (r.provider == "webpush") {
      r.token = nested_string(body.object(), {"subscription", "endpoint"}, 2048, "subscription.endpoint");
      r.p256dh = nested_string(body.object(), {"subscription", "keys", "p256dh"}, 256, "subscription.keys.p256dh");
      r.auth = nested_string(body.object(), {"subscription", "keys", "auth"}, 256, "subscription.keys.auth");
    } else {
      r.token = body.string("token", 4096).value_or("");
    }
    r.voip_token = body.string("voipToken", 4096).value_or("");
    r.app_id = body.string("appId", 255).value_or(body.string("topic", 255).value_or(""));
    r.environment = lower(body.string("environment", 16).value_or("production"));
    if (r.environment != "production" && r.environment != "development")
      throw ParameterValidationFailure("environment must be production or development");
    r.voip = body.boolean("voip").value_or(false);
    r.locale = body.string("locale", 35).value_or("");
    r.device_name = body.string("deviceName", 100).value_or("");
    if (r.voip && r.provider != "apns") throw ParameterValidationFailure("voip is for APNs PushKit tokens only");
    if (!r.voip_token.empty() && r.provider != "apns")
      throw ParameterValidationFailure("voipToken is an APNs PushKit token: " + r.provider +
                                       " registrations have no VoIP token");
    if (!r.voip_token.empty() && r.voip)
      throw ParameterValidationFailure(
          "voipToken and voip: true contradict each other: voip: true says token is the PushKit "
          "token; to register both, send the alert token as token and the PushKit one as voipToken");
    if (const auto problem = check_registration(r, self->config_.push.webpush.allow_private_endpoints);
        !problem.empty())
      throw ParameterValidationFailure(problem);
    if (!r.voip_token.empty()) {
      storage::PushRegistration pushkit = r;
      pushkit.token = r.voip_token;
      if (const auto problem = check_registration(pushkit, false); !problem.empty())
        throw ParameterValidationFailure("voipToken: " + problem);
    }

    const std::string owner = app.owner(), nobody;
    const auto who = co_await self->context_of(owner, nobody);
    if (!who.policy.enable_push_notifications)
      throw Forbidden("push notifications are switched off for you (EnablePushNotifications)",
                      "PushNotificationsDisabled");
    if (const auto why = self->why_not(who.push, r.provider); !why.empty())
      throw Forbidden(why, "PushProviderDisabled");

    storage::Store* store = self->ctx_.store;
    auto save = [store, r] {
      const bool existed = store->find_push_registration_of(r.owner, r.endpoint_id).has_value();
      storage::PushRegistration copy = r;
      if (copy.id.empty()) copy.id = random_id();
      auto stored = store->put_push_registration(copy);
      // The same device under an earlier application (a reload, a reinstall) is this one now: one
      // device, one registration, whatever endpointId it had before.
      for (const auto& old : store->list_push_registrations(r.owner))
        if (old.id != stored.id && old.provider == r.provider && old.token == r.token)
          store->delete_push_registration(old.id);
      return std::make_pair(existed, std::move(stored));
    };
    const auto [existed, stored] = co_await self->ctx_.pool->store(save);
    {
      std::lock_guard lock(app.state().mutex);
      app.state().push_registered = true;
    }
    const std::string href = app.href("/pushNotificationRegistration");
    json::object o = self->registration_json(stored, href);
    o["rel"] = "pushNotificationRegistration";
    o["registered"] = true;
    o["vapidPublicKey"] = self->vapid_public_;
    auto res = http::Response::json(existed ? 200 : 201, json::serialize(o));
    if (!existed) res.headers.set("Location", href);
    co_return res;
  };
  engine_.add_route(routers, "POST", path, put);
  engine_.add_route(routers, "PUT", path, put);

  engine_.add_route(routers, "DELETE", path, [self](http::Request&, Application& app)
                                                 -> asio::awaitable<http::Response> {
    storage::Store* store = self->ctx_.store;
    const std::string owner = app.owner(), endpoint = app.endpoint_id();
    auto remove = [store, owner, endpoint] {
      const auto reg = store->find_push_registration_of(owner, endpoint);
      return reg && store->delete_push_registration(reg->id);
    };
    const bool removed = co_await self->ctx_.pool->store(remove);
    {
      std::lock_guard lock(app.state().mutex);
      app.state().push_registered = false;
    }
    if (!removed) throw NotFound("this application has no push registration");
    co_return http::Response::empty(204);
  });
}

}  // namespace parley::push
