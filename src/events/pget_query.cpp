// The query string of a pending GET (UCWA.md §4 "Query parameters") and the wire names of event
// types. Clients append their own parameters (instanceId, cache busters), so only the names
// this channel understands are looked at.

#include "events/event_channel.hpp"

#include "common/error.hpp"

#include <charconv>
#include <string>

namespace parley::events {
namespace {

// JavaScript clients hold `ack` in a double; beyond 2^53 they could not count on.
constexpr std::uint64_t kMaxAck = std::uint64_t{1} << 53;

template <class T>
std::optional<T> parse_integer(std::string_view text) {
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

std::uint64_t parse_ranged(std::string_view name, std::string_view text, std::uint64_t min,
                           std::uint64_t max) {
  // from_chars would accept a leading '-' for signed types only; an unsigned parse refuses it.
  auto value = parse_integer<std::uint64_t>(text);
  if (!value || *value < min || *value > max)
    throw ParameterValidationFailure(std::string(name) + " must be an integer from " +
                                     std::to_string(min) + " to " + std::to_string(max));
  return *value;
}

}  // namespace

std::string_view to_string(EventType t) {
  switch (t) {
    case EventType::added: return "added";
    case EventType::updated: return "updated";
    case EventType::deleted: return "deleted";
    case EventType::started: return "started";
    case EventType::completed: return "completed";
  }
  return "updated";
}

PGetParams parse_pget_query(std::string_view query) {
  PGetParams p;
  bool have_ack = false, have_timeout = false, have_medium = false, have_low = false,
       have_priority = false;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    // The first occurrence wins, as with the router's query lookup.
    if (name == "ack" && !have_ack) {
      p.ack = parse_ranged(name, value, 1, kMaxAck);
      have_ack = true;
    } else if (name == "timeout" && !have_timeout) {
      p.timeout = static_cast<unsigned>(parse_ranged(name, value, 180, 1800));
      have_timeout = true;
    } else if (name == "medium" && !have_medium) {
      p.medium = static_cast<unsigned>(parse_ranged(name, value, 5, 1800));
      have_medium = true;
    } else if (name == "low" && !have_low) {
      p.low = static_cast<unsigned>(parse_ranged(name, value, 5, 1800));
      have_low = true;
    } else if (name == "priority" && !have_priority) {
      p.priority = parse_integer<std::int64_t>(value);
      if (!p.priority) throw ParameterValidationFailure("priority must be an integer");
      have_priority = true;
    }
  }
  if (!have_ack) throw ParameterValidationFailure("ack must be given");
  return p;
}

}  // namespace parley::events
