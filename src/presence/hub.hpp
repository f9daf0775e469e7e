#pragma once
// Presence of every signed-in user and who watches it. Owns one UserPresence (aggregation.hpp)
// per user, sharded by user behind small mutexes (no global lock on the hot path), keeps the
// note and location users publish, and tells watchers when what they see changes.
//
// Watchers are the presence subscriptions of applications (UCWA.md §5.2) and the user's own
// applications; a watcher is called on the thread that made the change, without any hub lock
// held, and must not block (it queues an event and returns).

#include "presence/aggregation.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::presence {

// What a watcher sees of a user.
struct Snapshot {
  Aggregate aggregate;
  std::string note;      // personal note; empty when none
  std::string location;  // at most 60 characters; empty when none
  bool operator==(const Snapshot&) const = default;
};

enum class Change : unsigned { presence = 1, note = 2, location = 4 };

class Hub {
public:
  // Called with the user, what she now shows, and which parts changed (a mask of Change).
  using Listener = std::function<void(const std::string& user, const Snapshot&, unsigned changed)>;

  explicit Hub(UserPresence::Timers timers);
  ~Hub();

  Snapshot get(std::string_view user) const;  // Offline with empty note for unknown users
  // The machine state of one endpoint, with the user's manual state applied (what `me/presence`
  // of that application shows).
  Availability endpoint_view(std::string_view user, std::string_view endpoint) const;

  // Mutations; each notifies watchers of `user` when the snapshot changed.
  void add_endpoint(std::string_view user, std::string_view endpoint, DeviceType type,
                    std::optional<Clock::duration> inactive_after = {});
  void remove_endpoint(std::string_view user, std::string_view endpoint);
  void activity(std::string_view user, std::string_view endpoint);
  void set_manual(std::string_view user, std::optional<Availability> a);
  void set_note(std::string_view user, std::string note);
  void set_location(std::string_view user, std::string location);

  // Registers `listener` under `watcher_id` (unique per watcher, e.g. "<app id>/<sub id>") for
  // changes of `user`; replaces an earlier registration with the same id.
  void watch(std::string_view user, std::string watcher_id, Listener listener);
  void unwatch(std::string_view user, std::string_view watcher_id);
  std::size_t watcher_count(std::string_view user) const;

  // Applies the passing of time (inactive/away transitions) and notifies. Called periodically.
  void tick();

  struct Shard;

private:
  Shard& shard(std::string_view user) const;
  UserPresence::Timers timers_;
  std::array<std::unique_ptr<Shard>, 64> shards_;
};

}  // namespace parley::presence
