// How one application sees a call (UCWA.md §5.3, §5.5; docs/calls.md).
#include "im/call_service.hpp"

#include "common/crypto.hpp"

#include <boost/json/array.hpp>

namespace parley::im {

namespace json = boost::json;
using api::Application;

namespace {

json::object link(std::string href) { return json::object{{"href", std::move(href)}}; }

std::string av_href(const Application& app, const Call& c) {
  return call_conv_href(app, c) + "/audioVideo";
}

std::string participant_href(const Application& app, const Call& c, std::string_view user) {
  return call_conv_href(app, c) + "/participants/" + std::string(user);
}

void add_restriction(json::object& o, std::string_view restriction) {
  if (restriction.empty()) return;
  o["restriction"] = restriction;
  o["restrictionMessage"] = kVideoRequiresWiFiMessage;
}

}  // namespace

bool Call::member(const Application& app) const {
  return app.id() == caller_app || (!callee_app.empty() && app.id() == callee_app);
}

const std::string& Call::restriction_for(const Application& app) const {
  if (app.id() == caller_app) return caller_restriction;
  if (app.id() == callee_app) return callee_restriction;
  static const std::string none;
  auto it = ringing.find(app.id());
  return it == ringing.end() ? none : it->second.restriction;
}

std::string call_conv_href(const Application& app, const Call& c) {
  return app.href("/communication/conversations/" + c.id);
}

std::string call_inv_href(const Application& app, const Call& c) {
  return app.href("/communication/audioVideoInvitations/" + c.invitation_id);
}

std::string sdp_data_uri(std::string_view sdp) {
  return "data:application/sdp;base64," + base64_encode(sdp);
}

json::object call_conversation_json(const Application& app, const Call& c,
                                    std::string_view state_override) {
  std::string state(state_override);
  if (state.empty()) {
    state = c.state == CallState::ended                            ? "Disconnected"
            : c.state == CallState::connected && c.member(app)     ? "Connected"
            : app.id() == c.caller_app                             ? "Connecting"
                                                                   : "Incoming";
  }
  const std::string self = call_conv_href(app, c);
  json::object o{{"rel", "conversation"},
                 {"state", state},
                 {"threadId", c.thread_id},
                 {"subject", c.subject},
                 {"importance", c.importance},
                 {"recording", false},
                 {"participantCount", c.state == CallState::connected ? 2 : 1},
                 {"activeModalities", state == "Disconnected" ? json::array{} : json::array{"AudioVideo"}}};
  o["_links"] = json::object{{"self", link(self)},
                             {"audioVideo", link(self + "/audioVideo")},
                             {"localParticipant", link(participant_href(app, c, app.owner()))},
                             {"participants", link(self + "/participants")}};
  return o;
}

json::object audio_video_json(const Application& app, const Call& c, std::string_view state_override) {
  const bool connected = c.state == CallState::connected && c.member(app);
  std::string state(state_override);
  if (state.empty())
    state = c.state == CallState::ended ? "Disconnected" : connected ? "Connected" : "Connecting";
  const std::string self = av_href(app, c);
  json::object o{{"rel", "audioVideo"},
                 {"state", state},
                 {"onHold", !c.held_by.empty()},
                 {"video", c.video}};
  if (!c.held_by.empty()) o["heldBy"] = "sip:" + c.held_by;
  add_restriction(o, c.restriction_for(app));
  json::object l{{"self", link(self)}, {"conversation", link(call_conv_href(app, c))}};
  if (connected && state == "Connected") {
    const std::string renegotiations = self + "/renegotiations";
    l["stopAudioVideo"] = link(self + "/terminate");
    l["audioVideoRenegotiations"] = link(renegotiations);
    l["hold"] = link(renegotiations + "?intent=hold");
    l["resume"] = link(renegotiations + "?intent=resume");
    l["addVideo"] = link(renegotiations + "?intent=addVideo");
    l["stopVideo"] = link(renegotiations + "?intent=stopVideo");
  }
  o["_links"] = std::move(l);
  return o;
}

json::object call_invitation_json(const Application& app, const Call& c, bool incoming,
                                  std::string_view state) {
  const std::string self = call_inv_href(app, c);
  json::object o{{"rel", "audioVideoInvitation"},
                 {"direction", incoming ? "Incoming" : "Outgoing"},
                 {"state", state},
                 {"importance", c.importance},
                 {"subject", c.subject},
                 {"threadId", c.thread_id},
                 {"video", c.video}};
  if (!incoming) {
    if (!c.operation_id.empty()) o["operationId"] = c.operation_id;
    if (!c.session_context.empty()) o["sessionContext"] = c.session_context;
  }
  add_restriction(o, c.restriction_for(app));
  json::object l{{"self", link(self)},
                 {"conversation", link(call_conv_href(app, c))},
                 {"audioVideo", link(av_href(app, c))},
                 {"from", link(participant_href(app, c, c.caller))},
                 {"to", link(participant_href(app, c, c.callee))}};
  if (incoming) {
    if (auto it = c.ringing.find(app.id()); it != c.ringing.end() && state == "Connecting") {
      l["mediaOffer"] = link(sdp_data_uri(it->second.offer));
      l["acceptWithAnswer"] = link(self + "/acceptWithAnswer");
      l["decline"] = link(self + "/decline");
    }
    o["_embedded"] = json::object{
        {"from", participant_json_at(app, call_conv_href(app, c), c.caller)}};
  } else if (state == "Connecting") {
    l["cancel"] = link(self + "/cancel");
  }
  o["_links"] = std::move(l);
  return o;
}

json::object negotiation_json(const Application& app, const Call& c, std::string_view answer) {
  json::object o{{"rel", "audioVideoNegotiation"}};
  if (!c.session_context.empty()) o["sessionContext"] = c.session_context;
  o["_links"] = json::object{{"self", link(av_href(app, c) + "/negotiations/1")},
                             {"mediaAnswer", link(sdp_data_uri(answer))},
                             {"audioVideoInvitation", link(call_inv_href(app, c))},
                             {"audioVideo", link(av_href(app, c))}};
  return o;
}

json::object renegotiation_json(const Application& app, const Call& c, const Renegotiation& r,
                                bool incoming, std::string_view answer) {
  const std::string self = av_href(app, c) + "/renegotiations/" + r.id;
  json::object o{{"rel", "audioVideoRenegotiation"},
                 {"direction", incoming ? "Incoming" : "Outgoing"},
                 {"intent", r.intent}};
  json::object l{{"self", link(self)}, {"audioVideo", link(av_href(app, c))}};
  if (incoming) {
    l["mediaOffer"] = link(sdp_data_uri(r.offer));
    l["acceptWithAnswer"] = link(self + "/acceptWithAnswer");
    l["decline"] = link(self + "/decline");
  }
  if (!answer.empty()) l["mediaAnswer"] = link(sdp_data_uri(answer));
  o["_links"] = std::move(l);
  return o;
}

json::object call_participants_json(const Application& app, const Call& c) {
  json::array list;
  const std::string conv = call_conv_href(app, c);
  if (c.state == CallState::connected)
    for (const std::string* u : {&c.caller, &c.callee})
      if (*u != app.owner()) list.emplace_back(participant_json_at(app, conv, *u));
  return json::object{{"rel", "participants"},
                      {"_links", json::object{{"self", link(conv + "/participants")}}},
                      {"_embedded", json::object{{"participant", std::move(list)}}}};
}

}  // namespace parley::im
