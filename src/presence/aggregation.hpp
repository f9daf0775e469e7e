#pragma once
// What others see of a user: her presence aggregated over all her signed-in endpoints, as Skype
// for Business does (UCWA.md §5.1). Pure logic, no I/O and no locking: the caller owns one
// UserPresence per user and serialises access to it.
//
// Rules:
// - Each available endpoint has a machine state from its activity: Active until
//   `inactive_after` passes without reportMyActivity (or any other user action), then Inactive,
//   then, `away_after` later, Away.
// - A state the user set herself (makeMeAvailable's signInAs, presence POST) applies to all her
//   endpoints and beats machine state. An empty presence POST (or "Online") clears it.
// - Aggregate availability, with M = the most available machine state over the endpoints:
//     no endpoint                          -> Offline
//     manual DoNotDisturb / BeRightBack / Away / Offwork -> as set
//     manual Busy                          -> Busy, or IdleBusy when M is not Active
//     otherwise                            -> Online (M Active), IdleOnline (Inactive), Away
// - deviceType is that of the most recently active endpoint; lastActive is the last activity of
//   any endpoint.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::presence {

enum class Availability {
  Online, IdleOnline, Away, BeRightBack, Busy, IdleBusy, DoNotDisturb, Offwork, Offline
};
std::string_view to_string(Availability a);
// Parses the wire name case-insensitively; nullopt for anything else.
std::optional<Availability> parse_availability(std::string_view s);
// Values a user may set (signInAs, presence POST): Online, Busy, DoNotDisturb, BeRightBack, Away,
// Offwork. The idle and offline states are the server's to decide.
bool settable(Availability a);

// UCWA's contactPresence.deviceType.
enum class DeviceType { Computer, Mobile, Web };
std::string_view to_string(DeviceType d);

// The well-known `activity` token for an aggregate (UCWA.md §5.2): "Available", "Inactive",
// "Away", "BeRightBack", "Busy", "DoNotDisturb", "off-work", "Offline".
std::string_view activity_token(Availability a);

using Clock = std::chrono::steady_clock;

struct Aggregate {
  Availability availability = Availability::Offline;
  std::string activity;                  // activity_token(availability)
  DeviceType device_type = DeviceType::Computer;
  std::int64_t last_active_unix = 0;     // POSIX seconds; 0 when never active
  bool operator==(const Aggregate&) const = default;
};

class UserPresence {
public:
  struct Timers {
    Clock::duration inactive_after = std::chrono::minutes(5);
    Clock::duration away_after = std::chrono::minutes(5);  // after becoming inactive
  };
  explicit UserPresence(Timers timers) : timers_(timers) {}

  // An endpoint made itself available (makeMeAvailable). `inactive_after` overrides the default
  // timer for this endpoint (makeMeAvailable.inactiveTimeout). Re-adding an endpoint refreshes it.
  void add_endpoint(std::string_view endpoint_id, DeviceType type, Clock::time_point now,
                    std::int64_t now_unix, std::optional<Clock::duration> inactive_after = {});
  // Returns false when the endpoint was not there.
  bool remove_endpoint(std::string_view endpoint_id);
  bool has_endpoint(std::string_view endpoint_id) const;
  std::size_t endpoint_count() const { return endpoints_.size(); }

  // reportMyActivity or another user action on that endpoint.
  void activity(std::string_view endpoint_id, Clock::time_point now, std::int64_t now_unix);

  // nullopt clears the manual state. Throws std::invalid_argument for a non-settable value.
  void set_manual(std::optional<Availability> a);
  std::optional<Availability> manual() const { return manual_; }

  Aggregate aggregate(Clock::time_point now) const;
  // The machine state of one endpoint ("Online", "IdleOnline" or "Away" before the manual rule),
  // for `me/presence` of that endpoint's application. Offline when the endpoint is unknown.
  Availability endpoint_availability(std::string_view endpoint_id, Clock::time_point now) const;

  // The next instant at which aggregate() may change by the passing of time alone; nullopt when
  // it cannot (no endpoint). Callers re-check then and publish if the aggregate changed.
  std::optional<Clock::time_point> next_change(Clock::time_point now) const;

private:
  struct Endpoint {
    std::string id;
    DeviceType type;
    Clock::time_point last_active;
    std::int64_t last_active_unix;
    Clock::duration inactive_after;
  };
  enum class Machine { Active, Inactive, Away };
  Machine machine(const Endpoint& e, Clock::time_point now) const;

  Timers timers_;
  std::vector<Endpoint> endpoints_;
  std::optional<Availability> manual_;
};

}  // namespace parley::presence
