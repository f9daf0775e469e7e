#include "push/notification.hpp"

#include "proto/ucwa/message_content.hpp"

#include <boost/json/parse.hpp>

namespace parley::push {

namespace json = boost::json;

namespace {

constexpr std::size_t kPreviewChars = 200;

std::string_view str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

const json::object* obj(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

std::string_view href(const json::object& o, std::string_view rel) {
  const auto* links = obj(o, "_links");
  const auto* l = links ? obj(*links, rel) : nullptr;
  return l ? str(*l, "href") : std::string_view();
}

// ".../conversations/{id}[/...]" → id.
std::string conversation_of(std::string_view path) {
  constexpr std::string_view kMarker = "/conversations/";
  const auto at = path.find(kMarker);
  if (at == std::string_view::npos) return {};
  path.remove_prefix(at + kMarker.size());
  return std::string(path.substr(0, path.find_first_of("/?")));
}

std::string address_of(std::string_view uri) {
  if (uri.starts_with("sip:")) uri.remove_prefix(4);
  return std::string(uri);
}

// ".../participants/{address}" → address.
std::string participant_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : address_of(path.substr(slash + 1));
}

std::string text_of_data_uri(std::string_view uri) {
  if (uri.empty()) return {};
  const auto data = proto::ucwa::parse_data_uri(uri, 64 * 1024);
  if (!data) return {};
  return data->media_type == "text/html" ? proto::ucwa::html_to_text(data->data) : data->data;
}

// At most `max` characters, cut on a UTF-8 boundary, with an ellipsis when cut.
std::string cut(std::string_view text, std::size_t max) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars++ == max) return std::string(text.substr(0, i)) + "\u2026";
  }
  return std::string(text);
}

}  // namespace

std::string_view to_string(Kind k) {
  switch (k) {
    case Kind::incoming_call: return "call";
    case Kind::missed_call: return "missedCall";
    case Kind::invitation: return "invitation";
    case Kind::message: return "message";
    case Kind::missed_items: return "missedItems";
    case Kind::test: return "test";
  }
  return "test";
}

std::optional<Notification> classify(const events::Event& e) {
  const std::string_view rel = e.link.rel;
  // Message events carry their resource as text; a push is rare enough to parse it here.
  json::object parsed;
  if (e.embedded.empty() && !e.embedded_text.empty()) {
    boost::system::error_code ec;
    auto v = json::parse(e.embedded_text, ec);
    if (!ec && v.is_object()) parsed = std::move(v.as_object());
  }
  const json::object& body = e.embedded.empty() ? parsed : e.embedded;
  const bool incoming = str(body, "direction") == "Incoming";
  Notification n;
  if (rel == "audioVideoInvitation" && incoming && e.type == events::EventType::started) {
    n.kind = Kind::incoming_call;
    n.tier = Tier::urgent;
    const auto* embedded = obj(body, "_embedded");
    const auto* from = embedded ? obj(*embedded, "from") : nullptr;
    n.from = from ? address_of(str(*from, "uri")) : participant_of(href(body, "from"));
    n.conversation = conversation_of(href(body, "conversation"));
    const auto* video = body.if_contains("video");
    n.video = video && video->is_bool() && video->as_bool();
  } else if (rel == "audioVideoInvitation" && incoming && e.type == events::EventType::completed &&
             str(e.reason, "subcode") == "MissedCall") {
    n.kind = Kind::missed_call;
    n.from = participant_of(href(body, "from"));
    n.conversation = conversation_of(href(body, "conversation"));
  } else if (rel == "messagingInvitation" && incoming && e.type == events::EventType::started) {
    n.kind = Kind::invitation;
    const auto* embedded = obj(body, "_embedded");
    const auto* from = embedded ? obj(*embedded, "from") : nullptr;
    n.from = from ? address_of(str(*from, "uri")) : participant_of(href(body, "from"));
    n.conversation = conversation_of(href(body, "conversation"));
    n.preview = text_of_data_uri(href(body, "message"));
  } else if (rel == "message" && incoming) {
    n.kind = Kind::message;
    n.from = participant_of(href(body, "participant"));
    n.conversation = conversation_of(href(body, "messaging"));
    std::string_view uri = href(body, "plainMessage");
    if (uri.empty()) uri = href(body, "htmlMessage");
    n.preview = text_of_data_uri(uri);
  } else if (rel == "missedItems") {
    n.kind = Kind::missed_items;
    n.tier = Tier::silent;
    const auto* count = body.if_contains("unreadMissedConversationsCount");
    if (!count || !count->is_int64()) return std::nullopt;
    n.badge = count->as_int64();
    n.collapse_id = "missed-items";
    return n;
  } else {
    return std::nullopt;
  }
  // The call and what became of it share an id, so "missed call" replaces "incoming call"; the
  // messages of one conversation replace each other.
  n.collapse_id = n.conversation;
  return n;
}

Text text_of(const Notification& n, std::string_view display_from, bool previews) {
  const std::string who = display_from.empty() ? std::string("someone") : std::string(display_from);
  switch (n.kind) {
    case Kind::incoming_call:
      return {n.video ? "Incoming video call" : "Incoming call", who + " is calling you"};
    case Kind::missed_call:
      return {"Missed call", "You missed a call from " + who};
    case Kind::invitation:
      if (previews && !n.preview.empty()) return {who, cut(n.preview, kPreviewChars)};
      return {"New conversation", who + " wants to chat"};
    case Kind::message:
      if (previews && !n.preview.empty()) return {who, cut(n.preview, kPreviewChars)};
      return {"New message", "New message from " + who};
    case Kind::missed_items:
      return {"", ""};
    case Kind::test:
      return {"Parley test notification", "Push notifications reach this device."};
  }
  return {"", ""};
}

}  // namespace parley::push
