// The routes of calls (docs/calls.md), renegotiation in a call (hold, resume, video on and off),
// and the call conversations as messaging's conversation routes show them.
#include "im/call_service.hpp"

#include "common/crypto.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "http/target.hpp"

#include <boost/json/serialize.hpp>

namespace parley::im {

namespace asio = boost::asio;
namespace json = boost::json;
namespace sdp = proto::sdp;
using api::Application;
using events::EventType;

namespace {

constexpr std::array kIntents{"hold", "resume", "addVideo", "stopVideo", "update"};

http::Response json_response(const json::object& o) { return http::Response::json(200, json::serialize(o)); }

}  // namespace

// ---- renegotiation ----------------------------------------------------------------------------

asio::awaitable<http::Response> CallService::renegotiate(http::Request& req, Application& app) {
  std::string intent = http::query_param(req.query, "intent");
  if (intent.empty()) intent = "update";
  if (std::find(kIntents.begin(), kIntents.end(), intent) == kIntents.end())
    throw ParameterValidationFailure("intent must be hold, resume, addVideo, stopVideo or update");
  const std::string text = sdp_of_request(req.headers.get("Content-Type"), req.body, "mediaOffer");
  auto d = checked_sdp(text, "mediaOffer");
  auto c = member_call(app, req.params["c"]);
  std::string other_user, other_app;
  {
    std::lock_guard lock(c->mutex);
    if (c->state != CallState::connected) throw Conflict("the call is not connected yet", "InvalidState");
    if (c->renegotiation)
      throw Conflict("another renegotiation of this call is waiting for its answer", "RenegotiationInProgress");
    const bool caller = app.id() == c->caller_app;
    other_user = caller ? c->callee : c->caller;
    other_app = caller ? c->callee_app : c->caller_app;
  }
  const auto mine = co_await policy_of(app.owner());
  const MediaRights rights = rights_of(mine, app);
  if (!rights.audio()) refuse_media(mine);
  if (intent == "addVideo" && !rights.video())
    throw Forbidden("Your policy allows video only on Wi-Fi; video stays off.",
                    std::string(kVideoRequiresWiFi));
  std::string restriction;
  const std::string offer = apply_rights(std::move(d), rights, restriction);
  // The answering side sees the offer its own policy leaves.
  auto other = app_of(other_app);
  if (!other) throw Conflict("the other side has left the call", "InvalidState");
  const auto theirs = co_await policy_of(other_user);
  std::string their_restriction;
  auto copy = sdp::parse(offer);
  const std::string offer_for_them =
      apply_rights(std::move(*copy.description), rights_of(theirs, *other), their_restriction);

  std::lock_guard lock(c->mutex);
  if (c->state != CallState::connected) throw Conflict("the call has ended", "InvalidState");
  if (c->renegotiation)
    throw Conflict("another renegotiation of this call is waiting for its answer", "RenegotiationInProgress");
  if (!restriction.empty()) (app.id() == c->caller_app ? c->caller_restriction : c->callee_restriction) = restriction;
  Renegotiation r{random_token(9), app.id(), intent, offer_for_them,
                  Clock::now() + engine_.scaled(limits_.renegotiation_timeout)};
  const std::string path = "/audioVideo/renegotiations/" + r.id;
  push_conv(*other, *c, "audioVideoRenegotiation", call_conv_href(*other, *c) + path, EventType::started,
            renegotiation_json(*other, *c, r, true));
  push_conv(app, *c, "audioVideoRenegotiation", call_conv_href(app, *c) + path, EventType::started,
            renegotiation_json(app, *c, r, false));
  c->renegotiation = std::move(r);
  auto res = http::Response::empty(201);
  res.headers.set("Location", call_conv_href(app, *c) + path);
  co_return res;
}

asio::awaitable<http::Response> CallService::answer_renegotiation(http::Request& req, Application& app) {
  const std::string text = sdp_of_request(req.headers.get("Content-Type"), req.body, "mediaAnswer");
  auto d = checked_sdp(text, "mediaAnswer");
  auto c = member_call(app, req.params["c"]);
  const auto mine = co_await policy_of(app.owner());
  std::lock_guard lock(c->mutex);
  if (!c->renegotiation || c->renegotiation->id != req.params["r"] || c->renegotiation->from_app == app.id())
    throw Gone("that renegotiation is no longer waiting for an answer", "RenegotiationEnded");
  // What the offer rejected (the offerer's policy) the answer rejects too (RFC 3264 §6).
  if (const auto offered = sdp::parse(c->renegotiation->offer);
      offered.description && !sdp::uses(*offered.description, "video"))
    sdp::reject(d, "video");
  std::string restriction;
  const std::string answer = apply_rights(std::move(d), rights_of(mine, app), restriction);
  end_renegotiation_locked(*c, true, answer, {});
  co_return http::Response::empty(204);
}

asio::awaitable<http::Response> CallService::decline_renegotiation(http::Request& req, Application& app) {
  auto c = member_call(app, req.params["c"]);
  std::lock_guard lock(c->mutex);
  if (!c->renegotiation || c->renegotiation->id != req.params["r"] || c->renegotiation->from_app == app.id())
    throw Gone("that renegotiation is no longer waiting for an answer", "RenegotiationEnded");
  end_renegotiation_locked(*c, false, {}, "the other side declined the change");
  co_return http::Response::empty(204);
}

void CallService::end_renegotiation_locked(Call& c, bool success, std::string_view answer,
                                           std::string_view why) {
  if (!c.renegotiation) return;
  const Renegotiation r = std::move(*c.renegotiation);
  c.renegotiation.reset();
  const std::string offerer_user = r.from_app == c.caller_app ? c.caller : c.callee;
  const bool timed_out = !success && why.starts_with("nobody");
  if (success) {
    const auto offer = sdp::parse(r.offer);
    const auto answered = sdp::parse(answer);
    if (offer.description && answered.description) {
      if (sdp::on_hold(*offer.description)) c.held_by = offerer_user;
      else if (c.held_by == offerer_user) c.held_by.clear();
      c.video = sdp::uses(*offer.description, "video") && sdp::uses(*answered.description, "video");
      c.video_used = c.video_used || c.video;
    }
  }
  const std::string path = "/audioVideo/renegotiations/" + r.id;
  if (auto offerer = app_of(r.from_app)) {
    json::object why_json;
    if (!success)
      why_json = json::object{{"code", timed_out ? "Timeout" : "Forbidden"},
                              {"subcode", timed_out ? "NoAnswer" : "Declined"},
                              {"message", why}};
    push(*offerer, "conversation", call_conv_href(*offerer, c), "audioVideoRenegotiation",
         call_conv_href(*offerer, c) + path, EventType::completed,
         renegotiation_json(*offerer, c, r, false, answer), success ? "Success" : "Failed",
         std::move(why_json));
  }
  if (!success) return;
  for (const std::string* app_id : {&c.caller_app, &c.callee_app})
    if (auto member = app_of(*app_id))
      push_conv(*member, c, "audioVideo", call_conv_href(*member, c) + "/audioVideo", EventType::updated,
                audio_video_json(*member, c));
}

// ---- conversation host ------------------------------------------------------------------------

std::optional<json::object> CallService::conversation(const Application& app, std::string_view id) {
  auto c = find(id);
  if (!c) return std::nullopt;
  std::lock_guard lock(c->mutex);
  if (!c->member(app) && !c->ringing.count(app.id())) return std::nullopt;
  return call_conversation_json(app, *c);
}

std::vector<json::object> CallService::conversations(const Application& app) {
  std::vector<json::object> out;
  for (auto& c : all()) {
    std::lock_guard lock(c->mutex);
    if (c->member(app) || c->ringing.count(app.id())) out.push_back(call_conversation_json(app, *c));
  }
  return out;
}

std::optional<json::object> CallService::participants(const Application& app, std::string_view id) {
  auto c = find(id);
  if (!c) return std::nullopt;
  std::lock_guard lock(c->mutex);
  if (!c->member(app) && !c->ringing.count(app.id())) return std::nullopt;
  return call_participants_json(app, *c);
}

std::optional<json::object> CallService::participant(const Application& app, std::string_view id,
                                                     std::string_view user) {
  auto c = find(id);
  if (!c) return std::nullopt;
  std::lock_guard lock(c->mutex);
  if (!c->member(app) && !c->ringing.count(app.id())) return std::nullopt;
  std::string who = lower(std::string(user));
  if (who.starts_with("sip:")) who.erase(0, 4);
  if (who != c->caller && who != c->callee) throw NotFound("no such participant");
  return participant_json_at(app, call_conv_href(app, *c), who);
}

bool CallService::ended_for(const Application& app, std::string_view id) const {
  return tombstones_.ended_for(id, app.id());
}

// ---- routes -----------------------------------------------------------------------------------

void CallService::register_routes(http::SiteRouters& routers) {
  auto self = shared_from_this();
  auto bind = [self](Awaitable (CallService::*m)(http::Request&, Application&)) -> api::AppHandler {
    return [self, m](http::Request& req, Application& app) { return ((*self).*m)(req, app); };
  };
  const std::string inv = "/communication/audioVideoInvitations";
  const std::string av = "/communication/conversations/{c}/audioVideo";
  engine_.add_route(routers, "POST", inv, bind(&CallService::start));
  engine_.add_route(routers, "POST", inv + "/{inv}/acceptWithAnswer", bind(&CallService::accept));
  engine_.add_route(routers, "POST", inv + "/{inv}/decline", bind(&CallService::decline));
  engine_.add_route(routers, "POST", inv + "/{inv}/cancel", bind(&CallService::cancel));
  engine_.add_route(routers, "POST", av + "/terminate", bind(&CallService::hang_up));
  engine_.add_route(routers, "POST", av + "/renegotiations", bind(&CallService::renegotiate));
  engine_.add_route(routers, "POST", av + "/renegotiations/{r}/acceptWithAnswer",
                    bind(&CallService::answer_renegotiation));
  engine_.add_route(routers, "POST", av + "/renegotiations/{r}/decline",
                    bind(&CallService::decline_renegotiation));

  engine_.add_route(routers, "GET", inv + "/{inv}", [self](http::Request& req, Application& app) -> Awaitable {
    const std::string id = req.params["inv"];
    auto c = self->find_by_invitation(id);
    if (!c) self->missing_invitation(app, id);
    std::lock_guard lock(c->mutex);
    const bool incoming = c->ringing.count(app.id()) > 0 || app.id() == c->callee_app;
    if (!incoming && app.id() != c->caller_app) self->missing_invitation(app, id);
    const char* state = c->state == CallState::ringing ? "Connecting" : "Connected";
    co_return json_response(call_invitation_json(app, *c, incoming, state));
  });
  engine_.add_route(routers, "GET", av, [self](http::Request& req, Application& app) -> Awaitable {
    auto c = self->find(req.params["c"]);
    if (c) {
      std::lock_guard lock(c->mutex);
      if (c->member(app) || c->ringing.count(app.id())) co_return json_response(audio_video_json(app, *c));
    }
    self->member_call(app, req.params["c"]);  // 410 or 404
    throw NotFound("no such conversation");
  });
  engine_.add_route(routers, "GET", av + "/renegotiations/{r}",
                    [self](http::Request& req, Application& app) -> Awaitable {
    auto c = self->member_call(app, req.params["c"]);
    std::lock_guard lock(c->mutex);
    if (!c->renegotiation || c->renegotiation->id != req.params["r"])
      throw NotFound("no such renegotiation waiting for an answer");
    co_return json_response(
        renegotiation_json(app, *c, *c->renegotiation, c->renegotiation->from_app != app.id()));
  });

  engine_.on_tick([weak = std::weak_ptr<CallService>(self)] {
    if (auto s = weak.lock()) s->tick();
  });
  engine_.on_reset([weak = std::weak_ptr<CallService>(self)](Application& app) {
    if (auto s = weak.lock()) s->reset(app);
  });
}

void register_call_routes(api::Engine& engine, http::SiteRouters& routers, CallLimits limits,
                          MessagingService& messaging) {
  auto service = std::make_shared<CallService>(engine, limits);
  service->register_routes(routers);
  add_conversation_host(messaging, service);
}

}  // namespace parley::im
