// The application resource (UCWA.md §3): create, read, delete; its event channel (§4), policies
// (§5.9), reportMyNetwork (§5.1) and the communication resource (§5.3).

#include "api/engine_impl.hpp"
#include "api/policy.hpp"
#include "api/resources.hpp"
#include "common/crypto.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "http/target.hpp"
#include "proto/ucwa/body.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <functional>

namespace parley::api {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxIdentityChars = 100;  // culture, endpointId, userAgent, instanceId

http::Response json_response(int status, const json::object& o) {
  return http::Response::json(status, json::serialize(o));
}

std::string bearer_token(const http::Request& req) {
  std::string_view h = trim(req.headers.get("Authorization"));
  if (h.size() > 7 && iequals(h.substr(0, 7), "bearer ")) return std::string(trim(h.substr(7)));
  return {};
}

std::string etag_of(std::string_view body) {
  return "\"" + std::to_string(std::hash<std::string_view>{}(body)) + "\"";
}

// 200 (or 304 when the client's If-None-Match matches) with an ETag.
http::Response cacheable(const http::Request& req, std::string body) {
  const std::string tag = etag_of(body);
  if (req.headers.get("If-None-Match") == tag) {
    auto res = http::Response::empty(304);
    res.headers.set("ETag", tag);
    return res;
  }
  auto res = http::Response::json(200, std::move(body));
  res.headers.set("ETag", tag);
  return res;
}

std::string prefix_of(const http::Request& req) {
  // "/ucwa/oauth/v1/applications" or "/ucwa/v1/applications", as the client used it.
  return req.segments.size() >= 4 && iequals(req.segments[1], "oauth") ? "/ucwa/oauth/v1/applications"
                                                                      : "/ucwa/v1/applications";
}

}  // namespace

asio::awaitable<storage::User> Engine::Impl::owner(Application& app) {
  auto& p = app.state();
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(p.mutex);
    if (p.user.id != 0 && now - p.user_loaded < std::chrono::minutes(1)) co_return p.user;
  }
  const std::string sip = app.owner();
  storage::Store* store = ctx.store;
  auto job = [store, sip] { return store->find_user(sip); };
  auto user = co_await ctx.pool->store(job);
  if (!user || !user->enabled)
    throw NotFound("the application's user no longer exists", "ApplicationNotFound");
  std::lock_guard lock(p.mutex);
  p.user = *user;
  p.user_loaded = now;
  co_return *user;
}

void register_application_routes(Engine& engine, Engine::Impl& impl, http::SiteRouters& routers) {
  Engine::Impl* self = &impl;

  // POST {applications}: create, or join an existing application as another instance.
  http::Handler create = [self](http::Request& req) -> asio::awaitable<http::Response> {
    auto who = co_await self->ctx.tokens->authenticate(req);
    if (!who) {
      const std::string url = self->webticket_url(req.site);
      co_return auth::challenge_response(url, "a valid bearer token is required");
    }
    check_min_version(req);
    const auto body = proto::ucwa::Body::parse_json_request(req.headers.get("Content-Type"), req.body);
    const std::string culture = body.required_string("culture", kMaxIdentityChars);
    const std::string endpoint_id = body.required_string("endpointId", kMaxIdentityChars);
    const std::string user_agent = body.required_string("userAgent", kMaxIdentityChars);
    const std::string instance_id = body.string("instanceId", kMaxIdentityChars).value_or("");
    const std::string type = body.string("type", kMaxIdentityChars).value_or("");
    const DeviceClass device = classify_device(type, user_agent);
    if (mobile(device)) {
      // Set-CsMobilityPolicy -EnableMobility $false (UCWA.md §3.1 "POST errors").
      storage::Store* store = self->ctx.store;
      const std::string sip = who->sip_uri;
      auto job = [store, sip] { return store->find_user(sip); };
      const auto user = co_await self->ctx.pool->store(job);
      const std::string site = user ? user->profile.site : "";
      if (!self->ctx.policies->mobility(sip, site).enable_mobility)
        throw Forbidden("this user is not allowed to create a mobile application");
    }

    // Same endpoint again: the same (culture, endpointId, type, userAgent) shares the existing
    // application (a new instanceId gets its own event channel, a known one gets 200); a changed
    // tuple means the endpoint restarted as something else, so the old application is replaced.
    std::shared_ptr<Application> app;
    bool created = false;
    if (auto existing = self->find_by_endpoint(who->sip_uri, endpoint_id)) {
      if (existing->culture() == culture && existing->user_agent() == user_agent &&
          existing->type() == type) {
        app = existing;
      } else {
        logger("ucwa")->info("application {} of {} replaced by a new one from the same endpoint",
                             existing->id(), existing->owner());
        self->remove(existing);
      }
    }
    if (app) {
      std::lock_guard lock(app->state().mutex);
      auto& channels = app->state().channels;
      if (!channels.contains(instance_id)) {
        channels.emplace(instance_id, std::make_shared<events::EventChannel>(
                                          app->href("/events"), instance_id, self->channel_limits()));
        created = true;
      }
    } else {
      std::string id = random_id();
      app = std::make_shared<Application>(id, who->sip_uri, culture, endpoint_id, user_agent, type,
                                          device, prefix_of(req) + "/" + id);
      app->state().channels.emplace(instance_id, std::make_shared<events::EventChannel>(
                                                     app->href("/events"), instance_id,
                                                     self->channel_limits()));
      self->insert(app);
      created = true;
      logger("ucwa")->info("application {} created for {} ({}, {})", app->id(), app->owner(),
                           to_string(device), printable_ascii(user_agent, 100));
    }
    const auto user = co_await self->owner(*app);
    auto res = json_response(created ? 201 : 200, application_json(*app, user, instance_id));
    res.headers.set("ETag", etag_of(res.body));
    if (created) res.headers.set("Location", app->href(""));
    // Lets <img> load photos without an Authorization header (UCWA.md §0 "Photos").
    const std::string token = bearer_token(req);
    if (!token.empty())
      res.headers.add("Set-Cookie", "cwt_ucwa=" + token + "; Path=" + app->href("/photos") +
                                        "; Secure; HttpOnly; SameSite=Strict");
    co_return res;
  };
  for (const char* path : {"/ucwa/oauth/v1/applications", "/ucwa/v1/applications"}) {
    routers.internal.add("POST", path, create);
    routers.external.add("POST", path, create);
  }

  engine.add_route(routers, "GET", "", [self](http::Request& req, Application& app)
                                           -> asio::awaitable<http::Response> {
    const std::string instance = http::query_param(req.query, "instanceId");
    const auto user = co_await self->owner(app);
    co_return cacheable(req, json::serialize(application_json(app, user, instance)));
  });

  engine.add_route(routers, "DELETE", "", [self](http::Request& req, Application& app)
                                              -> asio::awaitable<http::Response> {
    bool present = false;
    const std::string instance = http::query_param(req.query, "instanceId", &present);
    auto shared = self->engine->find(app.id());
    if (present) {
      // Only that instance's event channel goes, unless it is the last one.
      std::shared_ptr<events::EventChannel> channel;
      bool last = false;
      {
        std::lock_guard lock(app.state().mutex);
        auto& channels = app.state().channels;
        auto it = channels.find(instance);
        if (it == channels.end()) throw NotFound("no such instance of this application");
        if (channels.size() > 1) {
          channel = it->second;
          channels.erase(it);
        } else {
          last = true;
        }
      }
      if (channel) channel->close();
      if (!last) co_return http::Response::empty(204);
    }
    if (shared) self->remove(shared);
    logger("ucwa")->info("application {} of {} deleted", app.id(), app.owner());
    co_return http::Response::empty(204);
  });

  engine.add_route(routers, "GET", "/events", [self](http::Request& req, Application& app)
                                                  -> asio::awaitable<http::Response> {
    const auto params = events::parse_pget_query(req.query);
    const std::string instance = http::query_param(req.query, "instanceId");
    std::shared_ptr<events::EventChannel> channel;
    bool resume = false;
    {
      auto& p = app.state();
      std::lock_guard lock(p.mutex);
      auto it = p.channels.find(instance);
      if (it == p.channels.end())
        throw NotFound("this application has no event channel for that instanceId");
      channel = it->second;
      p.used_event_channel = true;
      const auto gap = std::chrono::steady_clock::now() - channel->last_pget_end();
      resume = channel->used() && !channel->parked() &&
               gap > self->engine->scaled(std::chrono::seconds(self->ctx.config->ucwa.resume_after_seconds));
    }
    if (resume) {
      logger("ucwa")->info("application {} returns after a long gap: transient state reset",
                           app.id());
      self->run_reset_hooks(app);
    }
    auto res = co_await channel->pending_get(params, resume);
    co_return res;
  });

  engine.add_route(routers, "GET", "/policies", [self](http::Request& req, Application& app)
                                                    -> asio::awaitable<http::Response> {
    const auto user = co_await self->owner(app);
    json::object o = policies_properties(self->ctx.policies->mobility(app.owner(), user.profile.site));
    o["rel"] = "policies";
    json::object links;
    links["self"] = link(app.href("/policies"));
    o["_links"] = std::move(links);
    co_return cacheable(req, json::serialize(o));
  });

  engine.add_route(routers, "POST", "/reportMyNetwork", [](http::Request& req, Application& app)
                                                           -> asio::awaitable<http::Response> {
    const auto body = proto::ucwa::Body::parse_json_request(req.headers.get("Content-Type"), req.body);
    ReportedNetwork n;
    n.client_network_type = body.required_string("clientNetworkType", 16);
    if (n.client_network_type != "Internal" && n.client_network_type != "External") {
      if (iequals(n.client_network_type, "internal")) n.client_network_type = "Internal";
      else if (iequals(n.client_network_type, "external")) n.client_network_type = "External";
      else throw ParameterValidationFailure("clientNetworkType must be Internal or External");
    }
    if (auto t = body.string("networkType", 16)) {
      const auto parsed = policy::parse_network_type(*t);
      if (!parsed)
        throw ParameterValidationFailure("networkType must be Wifi, Cellular, Wired or Unknown");
      n.network_type = std::string(policy::to_string(*parsed));
    }
    n.ip = body.string("ip", 45).value_or("");
    n.subnet_id = body.string("subnetID", 45).value_or("");
    n.mac = body.string("mac", 64).value_or("");
    n.wap_bssid = body.string("wapBSSID", 64).value_or("");
    n.chassis_id = body.string("chassisID", 64).value_or("");
    n.port_id = body.string("portID", 64).value_or("");
    n.rssi = body.integer("rssi", -200, 200).value_or(0);
    std::lock_guard lock(app.state().mutex);
    app.state().network = std::move(n);
    co_return http::Response::empty(204);
  });

  engine.add_route(routers, "GET", "/communication", [](http::Request& req, Application& app)
                                                         -> asio::awaitable<http::Response> {
    const json::object o = communication_json(app);
    auto res = http::Response::json(200, json::serialize(o));
    res.headers.set("ETag", "\"" + std::string(o.at("etag").as_string()) + "\"");
    (void)req;
    co_return res;
  });

  // PUT rules of UCWA.md §0: the whole representation with the GUID property, If-Match.
  engine.add_route(routers, "PUT", "/communication", [](http::Request& req, Application& app)
                                                         -> asio::awaitable<http::Response> {
    const auto body = proto::ucwa::Body::parse_json_request(req.headers.get("Content-Type"), req.body);
    auto formats = body.strings("supportedMessageFormats", 4, 16);
    if (formats)
      for (const auto& f : *formats)
        if (f != "Plain" && f != "Html")
          throw ParameterValidationFailure("supportedMessageFormats may hold Plain and Html");
    auto phone = body.string("phoneNumber", 80);
    auto audio = body.string("audioPreference", 16);
    if (audio && *audio != "PhoneAudio" && *audio != "VoipAudio")
      throw ParameterValidationFailure("audioPreference must be PhoneAudio or VoipAudio");
    auto& p = app.state();
    std::uint64_t etag = 0;
    {
      std::lock_guard lock(p.mutex);
      proto::ucwa::check_put(req.headers.get("If-Match"), std::to_string(p.communication_etag), body);
      if (formats) p.availability.message_formats = *formats;
      if (phone) p.availability.phone_number = *phone;
      if (audio) p.availability.audio_preference = *audio;
      etag = ++p.communication_etag;
    }
    events::Event e;
    e.sender = {"communication", app.href("/communication"), ""};
    e.link = {"communication", app.href("/communication"), ""};
    e.type = events::EventType::updated;
    e.priority = events::Priority::medium;
    e.embedded = communication_json(app);
    app.push(e);
    auto res = http::Response::empty(204);
    res.headers.set("ETag", "\"" + std::to_string(etag) + "\"");
    co_return res;
  });

  engine.add_route(routers, "GET", "/onlineMeetings",
                   [](http::Request&, Application& app) -> asio::awaitable<http::Response> {
    co_return json_response(200, online_meetings_json(app));
  });

}

}  // namespace parley::api
