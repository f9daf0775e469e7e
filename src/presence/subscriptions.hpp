#pragma once
// The presence subscriptions of UCWA applications (UCWA.md §5.2 presenceSubscriptions): which
// contacts each application watches, for how long, and within which limits. Bookkeeping only:
// the caller registers and removes the matching presence-hub watchers and raises the events.
// Thread-safe.

#include "common/error.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::presence {

struct PresenceSubscription {
  using Clock = std::chrono::steady_clock;
  std::string id;                 // "1", "2", ... within its application
  std::vector<std::string> uris;  // contact keys ("bob@example.org"), in the order added
  unsigned duration = 0;          // minutes it still had when last created or extended
  Clock::time_point expires;
  bool warned = false;            // the expiry warning went out
};

class SubscriptionRegistry {
public:
  using Clock = PresenceSubscription::Clock;

  static constexpr unsigned kMinDuration = 10;  // minutes (UCWA.md §5.2)
  static constexpr unsigned kMaxDuration = 30;

  struct Limits {
    std::size_t max_subscriptions = 16;  // per application
    std::size_t max_contacts = 1000;     // distinct contacts per application, over all its subscriptions
    // How long a protocol minute lasts (shorter when tests speed the protocol up).
    Clock::duration minute = std::chrono::minutes(1);
  };

  explicit SubscriptionRegistry(Limits limits) : limits_(limits) {}

  // A new subscription of `app` to `uris` (keys; duplicates are dropped) for `minutes`.
  // Throws parley::Forbidden/LimitExceeded beyond either limit.
  PresenceSubscription create(std::string_view app, const std::vector<std::string>& uris,
                              unsigned minutes, Clock::time_point now);
  // Adds `uris`; returns those that were not yet in the subscription. Throws parley::NotFound
  // for an unknown subscription and parley::Forbidden/LimitExceeded beyond the contact limit
  // (then nothing is added).
  std::vector<std::string> add(std::string_view app, std::string_view id,
                               const std::vector<std::string>& uris);
  // False when the contact was not in it. Throws parley::NotFound for an unknown subscription.
  bool remove_uri(std::string_view app, std::string_view id, std::string_view uri);
  // Moves the expiry `minutes` later, but never beyond kMaxDuration from now. Throws
  // parley::NotFound for an unknown subscription.
  PresenceSubscription extend(std::string_view app, std::string_view id, unsigned minutes,
                              Clock::time_point now);
  std::optional<PresenceSubscription> remove(std::string_view app, std::string_view id);
  // Everything the application had (it went, or its state was reset).
  std::vector<PresenceSubscription> drop_application(std::string_view app);

  std::optional<PresenceSubscription> find(std::string_view app, std::string_view id) const;
  std::vector<PresenceSubscription> list(std::string_view app) const;  // by id
  // Whether the subscription still holds the contact: a hub notification that races with its
  // removal must not reach the application.
  bool watching(std::string_view app, std::string_view id, std::string_view uri) const;
  std::size_t distinct_contacts(std::string_view app) const;

  struct Due {
    // (application id, subscription) pairs.
    std::vector<std::pair<std::string, PresenceSubscription>> warn;     // expire within a minute
    std::vector<std::pair<std::string, PresenceSubscription>> expired;  // removed now
  };
  // Applies the passing of time: removes expired subscriptions and reports those that should
  // be warned (each once).
  Due advance(Clock::time_point now);

private:
  struct AppEntry {
    std::uint64_t next_id = 1;
    std::map<std::uint64_t, PresenceSubscription> subs;
  };
  std::size_t distinct_with(const AppEntry& e, const std::vector<std::string>& extra) const;
  PresenceSubscription& get(std::string_view app, std::string_view id);
  unsigned minutes_left(const PresenceSubscription& s, Clock::time_point now) const;

  Limits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, AppEntry, std::less<>> apps_;
};

}  // namespace parley::presence
