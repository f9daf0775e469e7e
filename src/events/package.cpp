#include "events/package.hpp"

#include "common/text.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>

namespace parley::events {

namespace {

// True when one of the 8 bytes of `w` is a control character, '"' or '\\' (bit tricks: a byte
// below 0x20, or one equal to either character, sets its top bit in the result).
bool needs_escape(std::uint64_t w) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  const auto zero_byte = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
  return (((w - ones * 0x20) & ~w & highs) | zero_byte(w ^ (ones * '"')) | zero_byte(w ^ (ones * '\\'))) != 0;
}

}  // namespace

void append_json_chars(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Runs of characters that need no escape are copied whole; eight at a time are checked at once.
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    while (i + 8 <= text.size()) {
      std::uint64_t w;
      std::memcpy(&w, text.data() + i, sizeof w);
      if (needs_escape(w)) break;
      i += 8;
    }
    if (i == text.size()) break;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(text.data() + run, text.size() - run);
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  append_json_chars(out, text);
  out += '"';
}

}  // namespace parley::events

namespace parley::events::detail {
namespace {

namespace json = boost::json;

// A package is written straight into its text: a JSON tree for the envelope would be built only
// to be serialized and freed at once, an allocation per node on every delivered event.
void append_link(std::string& out, const Link& l) {
  out += "{\"rel\":";
  append_json_string(out, l.rel);
  out += ",\"href\":";
  append_json_string(out, l.href);
  if (!l.title.empty()) {
    out += ",\"title\":";
    append_json_string(out, l.title);
  }
  out += '}';
}

void append_href(std::string& out, std::string_view href) {
  out += "{\"href\":";
  append_json_string(out, href);
  out += '}';
}

void append_event(std::string& out, const Event& e) {
  out += "{\"link\":";
  append_link(out, e.link);
  if (e.in) {
    out += ",\"in\":";
    append_link(out, *e.in);
  }
  out += ",\"type\":";
  append_json_string(out, to_string(e.type));
  if (!e.status.empty()) {
    out += ",\"status\":";
    append_json_string(out, e.status);
  }
  if (!e.reason.empty()) {
    out += ",\"reason\":";
    out += json::serialize(e.reason);
  }
  if (!e.embedded.empty() || !e.embedded_text.empty()) {
    out += ",\"_embedded\":{";
    append_json_string(out, e.link.rel);
    out += ':';
    if (!e.embedded.empty())
      out += json::serialize(e.embedded);
    else
      out += e.embedded_text;
    out += '}';
  }
  out += '}';
}

}  // namespace

std::string instance_query(std::string_view instance_id) {
  if (instance_id.empty()) return {};
  return "&instanceId=" + percent_encode(instance_id);
}

std::string events_href(std::string_view events_path, std::string_view instance_query,
                        std::uint64_t ack) {
  std::string href(events_path);
  href += "?ack=";
  href += std::to_string(ack);
  href += instance_query;
  return href;
}

std::string package_body(std::string_view events_path, std::string_view instance_query,
                         std::uint64_t ack, std::vector<Event>& events, bool resume) {
  // An operation's `completed` closes it on the client; anything about the same operation in
  // this package must be seen first.
  std::vector<const Event*> ordered;
  ordered.reserve(events.size());
  for (const Event& e : events) ordered.push_back(&e);
  std::stable_partition(ordered.begin(), ordered.end(),
                        [](const Event* e) { return e->type != EventType::completed; });

  std::string out;
  out.reserve(256 + 512 * events.size());
  out += "{\"_links\":{\"self\":";
  append_href(out, events_href(events_path, instance_query, ack));
  out += ",\"next\":";
  append_href(out, events_href(events_path, instance_query, ack + 1));
  // Some clients stop when `next` is missing, so `resume` travels beside it, not instead.
  if (resume) {
    out += ",\"resume\":";
    append_href(out, events_href(events_path, instance_query, ack + 1));
  }
  out += "},\"sender\":[";
  const Event* previous = nullptr;
  for (const Event* e : ordered) {
    const bool same_sender = previous && previous->sender.rel == e->sender.rel &&
                             previous->sender.href == e->sender.href;
    if (!same_sender) {
      if (previous) out += "]},";
      out += "{\"rel\":";
      append_json_string(out, e->sender.rel);
      out += ",\"href\":";
      append_json_string(out, e->sender.href);
      out += ",\"events\":[";
    } else {
      out += ',';
    }
    append_event(out, *e);
    previous = e;
  }
  if (previous) out += "]}";
  out += "]}";
  return out;
}

std::string resync_body(std::string_view events_path, std::string_view instance_query,
                        std::uint64_t first_unacked) {
  std::string out = "{\"_links\":{\"resync\":";
  append_href(out, events_href(events_path, instance_query, first_unacked));
  out += "}}";
  return out;
}

}  // namespace parley::events::detail
