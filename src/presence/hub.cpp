#include "presence/hub.hpp"

#include <ctime>
#include <functional>
#include <stdexcept>
#include <utility>

namespace parley::presence {

struct Hub::Shard {
  struct Entry {
    explicit Entry(UserPresence::Timers timers) : presence(timers) {}
    UserPresence presence;
    std::string note;
    std::string location;
    std::map<std::string, Listener, std::less<>> watchers;
    // What watchers were last told (or would have been, had there been any); both mutations and
    // tick() compare against it, so a transition is announced exactly once.
    Snapshot published;
  };

  mutable std::mutex mutex;
  std::unordered_map<std::string, Entry> entries;
};

namespace {

using Entry = Hub::Shard::Entry;

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

Snapshot snapshot_of(const Entry& e, Clock::time_point now) {
  return Snapshot{e.presence.aggregate(now), e.note, e.location};
}

unsigned diff(const Snapshot& before, const Snapshot& after) {
  unsigned mask = 0;
  // lastActive alone does not count: every reportMyActivity would otherwise send every watcher
  // an event, about once a minute per endpoint, for nothing they can see.
  const auto& a = before.aggregate;
  const auto& b = after.aggregate;
  if (a.availability != b.availability || a.activity != b.activity || a.device_type != b.device_type)
    mask |= static_cast<unsigned>(Change::presence);
  if (before.note != after.note) mask |= static_cast<unsigned>(Change::note);
  if (before.location != after.location) mask |= static_cast<unsigned>(Change::location);
  return mask;
}

// A notification gathered under a shard lock and delivered after it is released, so a listener
// may call back into the hub.
struct Pending {
  std::string user;
  Snapshot snapshot;
  unsigned changed = 0;
  std::vector<Hub::Listener> listeners;
};

void deliver(const Pending& p) {
  for (const auto& listener : p.listeners) listener(p.user, p.snapshot, p.changed);
}

Pending collect(const std::string& user, Entry& e, const Snapshot& now_shows) {
  Pending p;
  p.changed = diff(e.published, now_shows);
  e.published = now_shows;
  if (p.changed == 0 || e.watchers.empty()) return p;
  p.user = user;
  p.snapshot = now_shows;
  p.listeners.reserve(e.watchers.size());
  for (const auto& [id, listener] : e.watchers) p.listeners.push_back(listener);
  return p;
}

// Why an entry may go: memory must stay bounded by signed-in users plus watched users. An entry
// that still shows something (endpoints) or is still watched stays. When the last endpoint or
// the last watcher leaves, the entry goes even if it holds a note or location: a user who signs
// out everywhere loses her note, which is what a fresh sign-in would show anyway. A note set by a
// user who is neither signed in nor watched is kept until one of those departures.
bool disposable(const Entry& e, bool departure) {
  if (e.presence.endpoint_count() != 0 || !e.watchers.empty()) return false;
  if (departure) return true;
  return e.note.empty() && e.location.empty() && !e.presence.manual();
}

enum class Kind { ordinary, departure };

// Runs `change` on the user's entry under the shard lock, then notifies outside it. With
// `create` false, a user without an entry is left alone.
template <class Fn>
void mutate(Hub::Shard& shard, UserPresence::Timers timers, std::string_view user, bool create,
            Kind kind, Fn&& change) {
  Pending pending;
  {
    std::lock_guard lock(shard.mutex);
    std::string key(user);
    auto it = shard.entries.find(key);
    if (it == shard.entries.end()) {
      if (!create) return;
      it = shard.entries.emplace(key, Entry(timers)).first;
      it->second.published = snapshot_of(it->second, Clock::now());
    }
    Entry& entry = it->second;
    change(entry);
    pending = collect(it->first, entry, snapshot_of(entry, Clock::now()));
    if (disposable(entry, kind == Kind::departure)) shard.entries.erase(it);
  }
  deliver(pending);
}

Availability with_manual(Availability machine, std::optional<Availability> manual) {
  if (machine == Availability::Offline || !manual) return machine;
  if (*manual == Availability::Busy)
    return machine == Availability::Online ? Availability::Busy : Availability::IdleBusy;
  return *manual;
}

}  // namespace

Hub::Hub(UserPresence::Timers timers) : timers_(timers) {
  for (auto& s : shards_) s = std::make_unique<Shard>();
}

Hub::~Hub() = default;

Hub::Shard& Hub::shard(std::string_view user) const {
  return *shards_[std::hash<std::string_view>{}(user) % shards_.size()];
}

Snapshot Hub::get(std::string_view user) const {
  const auto now = Clock::now();
  Shard& s = shard(user);
  {
    std::lock_guard lock(s.mutex);
    const auto it = s.entries.find(std::string(user));
    if (it != s.entries.end()) return snapshot_of(it->second, now);
  }
  return Snapshot{UserPresence(timers_).aggregate(now), {}, {}};
}

Availability Hub::endpoint_view(std::string_view user, std::string_view endpoint) const {
  const auto now = Clock::now();
  Shard& s = shard(user);
  std::lock_guard lock(s.mutex);
  const auto it = s.entries.find(std::string(user));
  if (it == s.entries.end()) return Availability::Offline;
  const auto& presence = it->second.presence;
  return with_manual(presence.endpoint_availability(endpoint, now), presence.manual());
}

void Hub::add_endpoint(std::string_view user, std::string_view endpoint, DeviceType type,
                       std::optional<Clock::duration> inactive_after) {
  mutate(shard(user), timers_, user, true, Kind::ordinary, [&](Entry& e) {
    e.presence.add_endpoint(endpoint, type, Clock::now(), unix_now(), inactive_after);
  });
}

void Hub::remove_endpoint(std::string_view user, std::string_view endpoint) {
  mutate(shard(user), timers_, user, false, Kind::departure,
         [&](Entry& e) { e.presence.remove_endpoint(endpoint); });
}

void Hub::activity(std::string_view user, std::string_view endpoint) {
  mutate(shard(user), timers_, user, false, Kind::ordinary,
         [&](Entry& e) { e.presence.activity(endpoint, Clock::now(), unix_now()); });
}

void Hub::set_manual(std::string_view user, std::optional<Availability> a) {
  // Validate before touching the map so a rejected value leaves no trace.
  if (a && !settable(*a))
    throw std::invalid_argument("availability " + std::string(to_string(*a)) + " cannot be set");
  mutate(shard(user), timers_, user, true, Kind::ordinary, [&](Entry& e) { e.presence.set_manual(a); });
}

void Hub::set_note(std::string_view user, std::string note) {
  mutate(shard(user), timers_, user, true, Kind::ordinary, [&](Entry& e) { e.note = std::move(note); });
}

void Hub::set_location(std::string_view user, std::string location) {
  mutate(shard(user), timers_, user, true, Kind::ordinary,
         [&](Entry& e) { e.location = std::move(location); });
}

void Hub::watch(std::string_view user, std::string watcher_id, Listener listener) {
  mutate(shard(user), timers_, user, true, Kind::ordinary,
         [&](Entry& e) { e.watchers[std::move(watcher_id)] = std::move(listener); });
}

void Hub::unwatch(std::string_view user, std::string_view watcher_id) {
  mutate(shard(user), timers_, user, false, Kind::departure, [&](Entry& e) {
    if (const auto it = e.watchers.find(watcher_id); it != e.watchers.end()) e.watchers.erase(it);
  });
}

std::size_t Hub::watcher_count(std::string_view user) const {
  Shard& s = shard(user);
  std::lock_guard lock(s.mutex);
  const auto it = s.entries.find(std::string(user));
  return it == s.entries.end() ? 0 : it->second.watchers.size();
}

void Hub::tick() {
  for (auto& s : shards_) {
    std::vector<Pending> pending;
    {
      std::lock_guard lock(s->mutex);
      const auto now = Clock::now();
      for (auto& [user, entry] : s->entries) {
        if (entry.presence.endpoint_count() == 0) continue;
        auto p = collect(user, entry, snapshot_of(entry, now));
        if (!p.listeners.empty()) pending.push_back(std::move(p));
      }
    }
    for (const auto& p : pending) deliver(p);
  }
}

}  // namespace parley::presence
