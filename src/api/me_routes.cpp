// `me` and the presence it publishes (UCWA.md §5.1): makeMeAvailable, reportMyActivity,
// presence, note, location, phones, and photos.

#include "api/engine_impl.hpp"
#include "api/resources.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "proto/ucwa/body.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>

namespace parley::api {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxNoteChars = 1024;
constexpr std::size_t kMaxLocationChars = 60;  // UCWA.md §7

// UCWA's names, and "AudioVideo", which some clients send for both (docs/calls.md).
constexpr std::array kModalities{"Audio", "Video", "AudioVideo", "PhoneAudio", "ApplicationSharing",
                                 "Messaging", "DataCollaboration", "PanoramicVideo"};

http::Response json_response(const json::object& o) {
  return http::Response::json(200, json::serialize(o));
}

void require_available(const Application& app) {
  if (!app.available())
    throw Conflict("call makeMeAvailable first", "MakeMeAvailableRequired");
}

presence::DeviceType device_type(DeviceClass d) {
  switch (d) {
    case DeviceClass::phone:
    case DeviceClass::tablet: return presence::DeviceType::Mobile;
    case DeviceClass::browser: return presence::DeviceType::Web;
    case DeviceClass::desktop: return presence::DeviceType::Computer;
  }
  return presence::DeviceType::Computer;
}

events::Event me_event(const Application& app, const char* rel, std::string_view suffix,
                       events::EventType type, boost::json::object embedded) {
  events::Event e;
  e.sender = {"me", app.href("/me"), ""};
  e.link = {rel, app.href(suffix), ""};
  e.type = type;
  e.priority = events::Priority::medium;
  e.embedded = std::move(embedded);
  return e;
}

// Canonical spelling of a value from a fixed list, matched case-insensitively.
template <std::size_t N>
std::optional<std::string> canonical(std::string_view v, const std::array<const char*, N>& allowed) {
  for (const char* a : allowed)
    if (iequals(v, a)) return std::string(a);
  return std::nullopt;
}

}  // namespace

void register_me_routes(Engine& engine, Engine::Impl& impl, http::SiteRouters& routers) {
  Engine::Impl* self = &impl;

  engine.add_route(routers, "GET", "/me", [self](http::Request&, Application& app)
                                              -> asio::awaitable<http::Response> {
    const auto user = co_await self->owner(app);
    co_return json_response(me_json(app, user));
  });

  engine.add_route(routers, "POST", "/me/makeMeAvailable", [self](http::Request& req, Application& app)
                                                               -> asio::awaitable<http::Response> {
    const auto body = proto::ucwa::Body::parse_json_request(req.headers.get("Content-Type"), req.body);
    Availability a;
    if (auto list = body.strings("supportedModalities", kModalities.size(), 32)) {
      for (const auto& m : *list) {
        auto c = canonical(m, kModalities);
        if (!c) throw ParameterValidationFailure("supportedModalities: unknown modality \"" +
                                                 printable_ascii(m, 32) + "\"");
        if (std::find(a.modalities.begin(), a.modalities.end(), *c) == a.modalities.end())
          a.modalities.push_back(*c);
      }
    }
    if (auto list = body.strings("supportedMessageFormats", 2, 16)) {
      for (const auto& f : *list) {
        auto c = canonical(f, std::array{"Plain", "Html"});
        if (!c) throw ParameterValidationFailure("supportedMessageFormats may hold Plain and Html");
        if (std::find(a.message_formats.begin(), a.message_formats.end(), *c) == a.message_formats.end())
          a.message_formats.push_back(*c);
      }
    }
    std::optional<presence::Availability> sign_in_as;
    if (auto v = body.string("signInAs", 32)) {
      sign_in_as = presence::parse_availability(*v);
      if (!sign_in_as || !presence::settable(*sign_in_as))
        throw ParameterValidationFailure(
            "signInAs must be Online, Busy, DoNotDisturb, BeRightBack, Away or Offwork");
    }
    a.phone_number = body.string("phoneNumber", 80).value_or("");
    if (auto v = body.string("audioPreference", 16)) {
      auto c = canonical(*v, std::array{"PhoneAudio", "VoipAudio"});
      if (!c) throw ParameterValidationFailure("audioPreference must be PhoneAudio or VoipAudio");
      a.audio_preference = *c;
    }
    std::optional<presence::Clock::duration> inactive;
    if (auto minutes = body.integer("inactiveTimeout", 1, 1440))
      inactive = self->engine->scaled(std::chrono::minutes(*minutes));
    (void)body.integer("voipFallbackToPhoneAudioTimeOut", 0, 3600);

    const auto user = co_await self->owner(app);
    auto& p = app.state();
    {
      std::lock_guard lock(p.mutex);
      if (p.gone) throw NotFound("the application is gone", "ApplicationNotFound");
      p.available = true;
      p.availability = std::move(a);
      ++p.communication_etag;
    }
    // The application hears about its user's presence, note and location from now on.
    std::weak_ptr<Application> weak = self->engine->find(app.id());
    self->ctx.presence->watch(app.owner(), "self/" + app.id(),
        [weak](const std::string&, const presence::Snapshot& s, unsigned changed) {
          auto a = weak.lock();
          if (!a) return;
          if (changed & static_cast<unsigned>(presence::Change::presence))
            a->push(me_event(*a, "presence", "/me/presence", events::EventType::updated,
                             presence_json(*a, s)));
          if (changed & static_cast<unsigned>(presence::Change::note))
            a->push(me_event(*a, "note", "/me/note", events::EventType::updated,
                             note_json(*a, s)));
          if (changed & static_cast<unsigned>(presence::Change::location))
            a->push(me_event(*a, "location", "/me/location", events::EventType::updated,
                             location_json(*a, s)));
        });
    auto* hub = self->ctx.presence;
    hub->add_endpoint(app.owner(), app.id(), device_type(app.device()), inactive);
    if (sign_in_as) hub->set_manual(app.owner(), *sign_in_as == presence::Availability::Online
                                                     ? std::nullopt
                                                     : sign_in_as);
    const auto snap = hub->get(app.owner());
    app.push(me_event(app, "me", "/me", events::EventType::updated, me_json(app, user)));
    app.push(me_event(app, "presence", "/me/presence", events::EventType::added,
                      presence_json(app, snap)));
    app.push(me_event(app, "note", "/me/note", events::EventType::added,
                      note_json(app, snap)));
    app.push(me_event(app, "location", "/me/location", events::EventType::added,
                      location_json(app, snap)));
    events::Event comm;
    comm.sender = {"communication", app.href("/communication"), ""};
    comm.link = {"communication", app.href("/communication"), ""};
    comm.type = events::EventType::updated;
    comm.priority = events::Priority::medium;
    comm.embedded = communication_json(app);
    app.push(comm);
    co_return http::Response::empty(204);
  });

  engine.add_route(routers, "POST", "/me/reportMyActivity", [self](http::Request&, Application& app)
                                                                -> asio::awaitable<http::Response> {
    require_available(app);
    self->ctx.presence->activity(app.owner(), app.id());
    co_return http::Response::empty(204);
  });

  engine.add_route(routers, "GET", "/me/presence", [self](http::Request&, Application& app)
                                                       -> asio::awaitable<http::Response> {
    require_available(app);
    co_return json_response(presence_json(app, self->ctx.presence->get(app.owner())));
  });

  engine.add_route(routers, "POST", "/me/presence", [self](http::Request& req, Application& app)
                                                        -> asio::awaitable<http::Response> {
    require_available(app);
    const auto body = proto::ucwa::Body::parse_json_request(req.headers.get("Content-Type"), req.body);
    std::optional<presence::Availability> manual;
    if (auto v = body.string("availability", 32)) {
      manual = presence::parse_availability(*v);
      if (!manual || !presence::settable(*manual))
        throw ParameterValidationFailure(
            "availability must be Online, Busy, DoNotDisturb, BeRightBack, Away or Offwork");
      if (*manual == presence::Availability::Online) manual.reset();
    }
    // Setting one's presence is activity too.
    self->ctx.presence->activity(app.owner(), app.id());
    self->ctx.presence->set_manual(app.owner(), manual);
    co_return http::Response::empty(204);
  });

  engine.add_route(routers, "GET", "/me/note", [self](http::Request&, Application& app)
                                                   -> asio::awaitable<http::Response> {
    require_available(app);
    co_return json_response(note_json(app, self->ctx.presence->get(app.owner())));
  });

  engine.add_route(routers, "POST", "/me/note", [self](http::Request& req, Application& app)
                                                    -> asio::awaitable<http::Response> {
    require_available(app);
    const auto body = proto::ucwa::Body::parse_json_request(req.headers.get("Content-Type"), req.body);
    std::string message = body.string("message", kMaxNoteChars).value_or("");
    if (trim(message).empty()) message.clear();  // blank resets the note
    self->ctx.presence->set_note(app.owner(), std::move(message));
    co_return http::Response::empty(204);
  });

  engine.add_route(routers, "GET", "/me/location", [self](http::Request&, Application& app)
                                                       -> asio::awaitable<http::Response> {
    require_available(app);
    co_return json_response(location_json(app, self->ctx.presence->get(app.owner())));
  });

  engine.add_route(routers, "POST", "/me/location", [self](http::Request& req, Application& app)
                                                        -> asio::awaitable<http::Response> {
    require_available(app);
    const auto body = proto::ucwa::Body::parse_json_request(req.headers.get("Content-Type"), req.body);
    std::string location = body.string("location", kMaxLocationChars).value_or("");
    if (trim(location).empty()) location.clear();
    self->ctx.presence->set_location(app.owner(), std::move(location));
    co_return http::Response::empty(204);
  });

  engine.add_route(routers, "GET", "/me/phones", [self](http::Request&, Application& app)
                                                     -> asio::awaitable<http::Response> {
    const auto user = co_await self->owner(app);
    co_return json_response(phones_json(app, user));
  });

  engine.add_route(routers, "GET", "/photos/{sip}", [self](http::Request& req, Application&)
                                                        -> asio::awaitable<http::Response> {
    std::string sip = lower(req.params["sip"]);
    if (sip.starts_with("sip:")) sip.erase(0, 4);
    if (sip.size() > 256 || sip.find('@') == std::string::npos)
      throw NotFound("no photo for that user");
    storage::Store* store = self->ctx.store;
    auto job = [store, sip] { return store->find_photo(sip); };
    auto photo = co_await self->ctx.pool->store(job);
    if (!photo) throw NotFound("no photo for that user");
    auto res = http::Response::text(200, std::move(photo->bytes), photo->content_type);
    res.headers.set("Cache-Control", "private, max-age=3600");
    co_return res;
  });
}

}  // namespace parley::api
