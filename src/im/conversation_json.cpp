#include "im/conversation.hpp"

#include "events/event_channel.hpp"
#include "proto/ucwa/message_content.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include <charconv>
#include <initializer_list>

namespace parley::im {

namespace json = boost::json;
using api::Application;

namespace {

json::object link(std::string href) { return json::object{{"href", std::move(href)}}; }

}  // namespace

std::string conv_href(const Application& app, const Conversation& c) {
  constexpr std::string_view kPath = "/communication/conversations/";
  std::string out;
  out.reserve(app.base().size() + kPath.size() + c.id.size());
  out += app.base();
  out += kPath;
  out += c.id;
  return out;
}
std::string inv_href(const Application& app, const Invitation& i, bool incoming) {
  return app.href((i.participant_invitation && !incoming ? "/communication/participantInvitations/"
                                            : "/communication/messagingInvitations/") +
                  i.id);
}
std::string participant_href(const Application& app, const Conversation& c,
                                    std::string_view user) {
  return conv_href(app, c) + "/participants/" + std::string(user);
}

json::object participant_json(const Application& app, const Conversation& c,
                              std::string_view user) {
  return participant_json_at(app, conv_href(app, c), user);
}

json::object participant_json_at(const Application& app, std::string_view conversation,
                                 std::string_view user) {
  const std::string self = std::string(conversation) + "/participants/" + std::string(user);
  const bool local = user == app.owner();
  json::object o{{"rel", local ? "localParticipant" : "participant"},
                 {"uri", "sip:" + std::string(user)},
                 {"name", std::string(user)},
                 {"sourceNetwork", "SameEnterprise"},
                 {"anonymous", false}};
  json::object l{{"self", link(self)},
                 {"conversation", link(std::string(conversation))},
                 {"contact", link(app.href("/people/" + std::string(user)))},
                 {"contactPresence", link(app.href("/people/" + std::string(user) + "/presence"))}};
  if (local) l["me"] = link(app.href("/me"));
  o["_links"] = std::move(l);
  return o;
}

json::object conversation_json(const Application& app, const Conversation& c,
                               std::string_view state_override) {
  std::string state = std::string(state_override);
  if (state.empty()) {
    const auto it = c.members.find(app.owner());
    const bool invited_only = it == c.members.end() || it->second.app_id != app.id();
    state = c.state == ConvState::ended       ? "Disconnected"
            : c.state == ConvState::connected ? (invited_only ? "Incoming" : "Connected")
            : c.initiator == app.owner()      ? "Connecting"
                                              : "Incoming";
  }
  std::size_t count = 0;
  for (const auto& [u, m] : c.members) count += m.connected ? 1 : 0;
  json::object o{{"rel", "conversation"},
                 {"state", state},
                 {"threadId", c.thread_id},
                 {"subject", c.subject},
                 {"importance", c.importance},
                 {"recording", false},
                 {"participantCount", count},
                 {"activeModalities", state == "Disconnected" ? json::array{} : json::array{"Messaging"}}};
  const std::string self = conv_href(app, c);
  o["_links"] = json::object{
      {"self", link(self)},
      {"messaging", link(self + "/messaging")},
      {"localParticipant", link(participant_href(app, c, app.owner()))},
      {"participants", link(self + "/participants")},
      {"addParticipant",
       link(app.href("/communication/participantInvitations?conversation=" + c.id))}};
  return o;
}

json::object messaging_json(const Application& app, const Conversation& c, bool connected) {
  const std::string self = conv_href(app, c) + "/messaging";
  json::array formats{"Plain"};
  if (c.html) formats.emplace_back("Html");
  json::object o{{"rel", "messaging"},
                 {"state", connected ? "Connected" : (c.state == ConvState::ended ? "Disconnected"
                                                                                  : "Connecting")},
                 {"negotiatedMessageFormats", std::move(formats)}};
  json::object l{{"self", link(self)}, {"conversation", link(conv_href(app, c))}};
  if (connected) {
    l["sendMessage"] = link(self + "/messages");
    l["setIsTyping"] = link(self + "/typing");
    l["typingParticipants"] = link(self + "/typingParticipants");
    l["stopMessaging"] = link(self + "/terminate");
  }
  o["_links"] = std::move(l);
  return o;
}

json::object invitation_json(const Application& app, const Conversation& c, const Invitation& inv,
                             bool incoming, std::string_view state) {
  const std::string self = inv_href(app, inv, incoming);
  json::object o{{"rel", inv.participant_invitation && !incoming ? "participantInvitation"
                                                                 : "messagingInvitation"},
                 {"direction", incoming ? "Incoming" : "Outgoing"},
                 {"state", state},
                 {"importance", c.importance},
                 {"subject", c.subject},
                 {"threadId", c.thread_id}};
  if (!inv.operation_id.empty() && !incoming) o["operationId"] = inv.operation_id;
  json::object l{{"self", link(self)},
                 {"conversation", link(conv_href(app, c))},
                 {"messaging", link(conv_href(app, c) + "/messaging")},
                 {"from", link(participant_href(app, c, inv.from))},
                 {"to", link(participant_href(app, c, inv.to))}};
  if (incoming) {
    l["accept"] = link(self + "/accept");
    l["decline"] = link(self + "/decline");
    if (!inv.first_text.empty())
      l["message"] = link(proto::ucwa::make_data_uri(
          inv.first_format == "Html" ? "text/html;charset=utf-8" : "text/plain;charset=utf-8",
          inv.first_text));
    o["_embedded"] = json::object{{"from", participant_json(app, c, inv.from)}};
  } else {
    l["cancel"] = link(self + "/cancel");
  }
  o["_links"] = std::move(l);
  return o;
}

std::string message_json_text(const Application& app, std::string_view conversation,
                              std::int64_t seq, std::string_view sender, std::int64_t at,
                              std::string_view format, std::string_view text,
                              std::string_view operation_id) {
  // Written in one buffer, each href from its pieces: this runs for every recipient of every
  // message.
  const bool outgoing = sender == app.owner();
  std::string out;
  out.reserve(384 + 4 * conversation.size() + app.base().size() + 2 * sender.size() + 3 * text.size() +
              operation_id.size());
  const auto link = [&out](std::string_view rel, std::initializer_list<std::string_view> href) {
    events::append_json_string(out, rel);
    out += ":{\"href\":\"";
    for (const auto piece : href) events::append_json_chars(out, piece);
    out += "\"}";
  };
  char number[24];
  const auto number_text = [&number](std::int64_t n) {
    return std::string_view(number, static_cast<std::size_t>(std::to_chars(number, number + sizeof number, n).ptr - number));
  };
  out += "{\"rel\":\"message\",\"direction\":";
  out += outgoing ? "\"Outgoing\"" : "\"Incoming\"";
  out += ",\"timeStamp\":\"/Date(";
  out += number_text(at);
  out += ")/\",\"_links\":{";
  link("self", {conversation, "/messaging/messages/", number_text(seq)});
  out += ',';
  link("messaging", {conversation, "/messaging"});
  out += ',';
  link("participant", {conversation, "/participants/", sender});
  if (!outgoing) {
    out += ',';
    link("contact", {app.base(), "/people/", sender});
    out += ',';
    const bool html = format == "Html";
    events::append_json_string(out, html ? "htmlMessage" : "plainMessage");
    out += ":{\"href\":\"";
    proto::ucwa::append_data_uri(out, html ? "text/html;charset=utf-8" : "text/plain;charset=utf-8", text);
    out += "\"}";
  }
  out += '}';
  if (!operation_id.empty()) {
    out += ",\"operationId\":";
    events::append_json_string(out, operation_id);
  }
  out += '}';
  return out;
}

json::object message_json(const Application& app, const Conversation& c, std::int64_t seq,
                          std::string_view sender, std::int64_t at, std::string_view format,
                          std::string_view text) {
  return json::parse(message_json_text(app, conv_href(app, c), seq, sender, at, format, text)).as_object();
}

}  // namespace parley::im
