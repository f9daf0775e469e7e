#include "presence/aggregation.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>

namespace parley::presence {
namespace {

constexpr std::array<std::pair<Availability, std::string_view>, 9> kAvailabilityNames{{
    {Availability::Online, "Online"},
    {Availability::IdleOnline, "IdleOnline"},
    {Availability::Away, "Away"},
    {Availability::BeRightBack, "BeRightBack"},
    {Availability::Busy, "Busy"},
    {Availability::IdleBusy, "IdleBusy"},
    {Availability::DoNotDisturb, "DoNotDisturb"},
    {Availability::Offwork, "Offwork"},
    {Availability::Offline, "Offline"},
}};

}  // namespace

std::string_view to_string(Availability a) {
  for (const auto& [value, name] : kAvailabilityNames)
    if (value == a) return name;
  return "Offline";
}

std::optional<Availability> parse_availability(std::string_view s) {
  for (const auto& [value, name] : kAvailabilityNames)
    if (iequals(name, s)) return value;
  return std::nullopt;
}

bool settable(Availability a) {
  switch (a) {
    case Availability::Online:
    case Availability::Busy:
    case Availability::DoNotDisturb:
    case Availability::BeRightBack:
    case Availability::Away:
    case Availability::Offwork:
      return true;
    default:
      return false;
  }
}

std::string_view to_string(DeviceType d) {
  switch (d) {
    case DeviceType::Computer: return "Computer";
    case DeviceType::Mobile: return "Mobile";
    case DeviceType::Web: return "Web";
  }
  return "Computer";
}

std::string_view activity_token(Availability a) {
  switch (a) {
    case Availability::Online: return "Available";
    case Availability::IdleOnline: return "Inactive";
    case Availability::Away: return "Away";
    case Availability::BeRightBack: return "BeRightBack";
    case Availability::Busy: return "Busy";
    // An idle busy user is still busy to the people deciding whether to interrupt her.
    case Availability::IdleBusy: return "Busy";
    case Availability::DoNotDisturb: return "DoNotDisturb";
    case Availability::Offwork: return "off-work";
    case Availability::Offline: return "Offline";
  }
  return "Offline";
}

UserPresence::Machine UserPresence::machine(const Endpoint& e, Clock::time_point now) const {
  const auto idle = now - e.last_active;
  if (idle < e.inactive_after) return Machine::Active;
  if (idle < e.inactive_after + timers_.away_after) return Machine::Inactive;
  return Machine::Away;
}

void UserPresence::add_endpoint(std::string_view endpoint_id, DeviceType type, Clock::time_point now,
                                std::int64_t now_unix, std::optional<Clock::duration> inactive_after) {
  const auto timeout = inactive_after.value_or(timers_.inactive_after);
  for (auto& e : endpoints_) {
    if (e.id == endpoint_id) {
      e.type = type;
      e.last_active = now;
      e.last_active_unix = now_unix;
      e.inactive_after = timeout;
      return;
    }
  }
  endpoints_.push_back(Endpoint{std::string(endpoint_id), type, now, now_unix, timeout});
}

bool UserPresence::remove_endpoint(std::string_view endpoint_id) {
  const auto it = std::find_if(endpoints_.begin(), endpoints_.end(),
                               [&](const Endpoint& e) { return e.id == endpoint_id; });
  if (it == endpoints_.end()) return false;
  endpoints_.erase(it);
  return true;
}

bool UserPresence::has_endpoint(std::string_view endpoint_id) const {
  return std::any_of(endpoints_.begin(), endpoints_.end(),
                     [&](const Endpoint& e) { return e.id == endpoint_id; });
}

void UserPresence::activity(std::string_view endpoint_id, Clock::time_point now, std::int64_t now_unix) {
  for (auto& e : endpoints_) {
    if (e.id == endpoint_id) {
      // A late report must not make the endpoint look idle for longer than it was.
      e.last_active = std::max(e.last_active, now);
      e.last_active_unix = std::max(e.last_active_unix, now_unix);
      return;
    }
  }
}

void UserPresence::set_manual(std::optional<Availability> a) {
  if (a && !settable(*a))
    throw std::invalid_argument("availability " + std::string(to_string(*a)) + " cannot be set");
  // Choosing Online means "let the machine decide", which is the same as no manual state.
  if (a == Availability::Online) a.reset();
  manual_ = a;
}

Aggregate UserPresence::aggregate(Clock::time_point now) const {
  Aggregate out;
  if (endpoints_.empty()) {
    out.activity = activity_token(out.availability);
    return out;
  }

  Machine best = Machine::Away;
  const Endpoint* latest = nullptr;
  for (const auto& e : endpoints_) {
    best = std::min(best, machine(e, now));  // Active < Inactive < Away
    if (!latest || e.last_active >= latest->last_active) latest = &e;
    out.last_active_unix = std::max(out.last_active_unix, e.last_active_unix);
  }
  out.device_type = latest->type;

  if (manual_ && *manual_ != Availability::Busy) {
    out.availability = *manual_;
  } else if (manual_) {
    out.availability = best == Machine::Active ? Availability::Busy : Availability::IdleBusy;
  } else {
    out.availability = best == Machine::Active     ? Availability::Online
                       : best == Machine::Inactive ? Availability::IdleOnline
                                                   : Availability::Away;
  }
  out.activity = activity_token(out.availability);
  return out;
}

Availability UserPresence::endpoint_availability(std::string_view endpoint_id, Clock::time_point now) const {
  for (const auto& e : endpoints_) {
    if (e.id != endpoint_id) continue;
    switch (machine(e, now)) {
      case Machine::Active: return Availability::Online;
      case Machine::Inactive: return Availability::IdleOnline;
      case Machine::Away: return Availability::Away;
    }
  }
  return Availability::Offline;
}

std::optional<Clock::time_point> UserPresence::next_change(Clock::time_point now) const {
  std::optional<Clock::time_point> next;
  auto consider = [&](Clock::time_point t) {
    if (t > now && (!next || t < *next)) next = t;
  };
  for (const auto& e : endpoints_) {
    consider(e.last_active + e.inactive_after);
    consider(e.last_active + e.inactive_after + timers_.away_after);
  }
  return next;
}

}  // namespace parley::presence
