#include "presence/subscriptions.hpp"

#include <algorithm>
#include <charconv>
#include <set>

namespace parley::presence {

namespace {

std::optional<std::uint64_t> parse_id(std::string_view id) {
  std::uint64_t n = 0;
  const auto* end = id.data() + id.size();
  const auto [p, ec] = std::from_chars(id.data(), end, n);
  if (id.empty() || ec != std::errc{} || p != end) return std::nullopt;
  return n;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

[[noreturn]] void no_such_subscription() {
  throw NotFound("no such presence subscription");
}

}  // namespace

std::size_t SubscriptionRegistry::distinct_with(const AppEntry& e,
                                                const std::vector<std::string>& extra) const {
  std::set<std::string_view> all;
  for (const auto& [id, s] : e.subs) all.insert(s.uris.begin(), s.uris.end());
  all.insert(extra.begin(), extra.end());
  return all.size();
}

PresenceSubscription& SubscriptionRegistry::get(std::string_view app, std::string_view id) {
  const auto a = apps_.find(app);
  const auto n = parse_id(id);
  if (a == apps_.end() || !n) no_such_subscription();
  const auto s = a->second.subs.find(*n);
  if (s == a->second.subs.end()) no_such_subscription();
  return s->second;
}

unsigned SubscriptionRegistry::minutes_left(const PresenceSubscription& s,
                                            Clock::time_point now) const {
  if (s.expires <= now || limits_.minute.count() <= 0) return 0;
  const auto left = s.expires - now;
  return static_cast<unsigned>((left + limits_.minute - Clock::duration(1)) / limits_.minute);
}

PresenceSubscription SubscriptionRegistry::create(std::string_view app,
                                                  const std::vector<std::string>& uris,
                                                  unsigned minutes, Clock::time_point now) {
  std::vector<std::string> unique;
  for (const auto& u : uris)
    if (!contains(unique, u)) unique.push_back(u);

  std::lock_guard lock(mutex_);
  auto it = apps_.find(app);
  const bool created = it == apps_.end();
  if (created) it = apps_.emplace(std::string(app), AppEntry{}).first;
  auto& entry = it->second;
  const auto drop_if_empty = [&] {
    if (created) apps_.erase(it);
  };
  if (entry.subs.size() >= limits_.max_subscriptions) {
    drop_if_empty();
    throw Forbidden("too many presence subscriptions for this application", "LimitExceeded");
  }
  if (distinct_with(entry, unique) > limits_.max_contacts) {
    drop_if_empty();
    throw Forbidden("too many subscribed contacts for this application", "LimitExceeded");
  }
  PresenceSubscription s;
  const auto n = entry.next_id++;
  s.id = std::to_string(n);
  s.uris = std::move(unique);
  s.duration = minutes;
  s.expires = now + limits_.minute * minutes;
  entry.subs.emplace(n, s);
  return s;
}

std::vector<std::string> SubscriptionRegistry::add(std::string_view app, std::string_view id,
                                                   const std::vector<std::string>& uris) {
  std::lock_guard lock(mutex_);
  auto& s = get(app, id);
  std::vector<std::string> fresh;
  for (const auto& u : uris)
    if (!contains(s.uris, u) && !contains(fresh, u)) fresh.push_back(u);
  if (distinct_with(apps_.find(app)->second, fresh) > limits_.max_contacts)
    throw Forbidden("too many subscribed contacts for this application", "LimitExceeded");
  s.uris.insert(s.uris.end(), fresh.begin(), fresh.end());
  return fresh;
}

bool SubscriptionRegistry::remove_uri(std::string_view app, std::string_view id,
                                      std::string_view uri) {
  std::lock_guard lock(mutex_);
  auto& s = get(app, id);
  const auto it = std::find(s.uris.begin(), s.uris.end(), uri);
  if (it == s.uris.end()) return false;
  s.uris.erase(it);
  return true;
}

PresenceSubscription SubscriptionRegistry::extend(std::string_view app, std::string_view id,
                                                  unsigned minutes, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto& s = get(app, id);
  const auto cap = now + limits_.minute * kMaxDuration;
  s.expires = std::min(std::max(s.expires, now) + limits_.minute * minutes, cap);
  s.duration = minutes_left(s, now);
  // A renewed subscription deserves a new warning before its new end.
  if (s.expires - now > limits_.minute) s.warned = false;
  return s;
}

std::optional<PresenceSubscription> SubscriptionRegistry::remove(std::string_view app,
                                                                 std::string_view id) {
  std::lock_guard lock(mutex_);
  const auto a = apps_.find(app);
  const auto n = parse_id(id);
  if (a == apps_.end() || !n) return std::nullopt;
  const auto s = a->second.subs.find(*n);
  if (s == a->second.subs.end()) return std::nullopt;
  auto out = std::move(s->second);
  a->second.subs.erase(s);
  // The entry stays (even empty) so that ids are not reused within the application's life.
  return out;
}

std::vector<PresenceSubscription> SubscriptionRegistry::drop_application(std::string_view app) {
  std::lock_guard lock(mutex_);
  std::vector<PresenceSubscription> out;
  const auto a = apps_.find(app);
  if (a == apps_.end()) return out;
  for (auto& [n, s] : a->second.subs) out.push_back(std::move(s));
  apps_.erase(a);
  return out;
}

std::optional<PresenceSubscription> SubscriptionRegistry::find(std::string_view app,
                                                               std::string_view id) const {
  std::lock_guard lock(mutex_);
  const auto a = apps_.find(app);
  const auto n = parse_id(id);
  if (a == apps_.end() || !n) return std::nullopt;
  const auto s = a->second.subs.find(*n);
  if (s == a->second.subs.end()) return std::nullopt;
  return s->second;
}

std::vector<PresenceSubscription> SubscriptionRegistry::list(std::string_view app) const {
  std::lock_guard lock(mutex_);
  std::vector<PresenceSubscription> out;
  if (const auto a = apps_.find(app); a != apps_.end())
    for (const auto& [n, s] : a->second.subs) out.push_back(s);
  return out;
}

bool SubscriptionRegistry::watching(std::string_view app, std::string_view id,
                                    std::string_view uri) const {
  std::lock_guard lock(mutex_);
  const auto a = apps_.find(app);
  const auto n = parse_id(id);
  if (a == apps_.end() || !n) return false;
  const auto s = a->second.subs.find(*n);
  return s != a->second.subs.end() && contains(s->second.uris, uri);
}

std::size_t SubscriptionRegistry::distinct_contacts(std::string_view app) const {
  std::lock_guard lock(mutex_);
  const auto a = apps_.find(app);
  return a == apps_.end() ? 0 : distinct_with(a->second, {});
}

SubscriptionRegistry::Due SubscriptionRegistry::advance(Clock::time_point now) {
  Due due;
  std::lock_guard lock(mutex_);
  for (auto& [app, entry] : apps_) {
    for (auto it = entry.subs.begin(); it != entry.subs.end();) {
      auto& s = it->second;
      if (s.expires <= now) {
        due.expired.emplace_back(app, std::move(s));
        it = entry.subs.erase(it);
        continue;
      }
      if (!s.warned && s.expires - now <= limits_.minute) {
        s.warned = true;
        s.duration = minutes_left(s, now);
        due.warn.emplace_back(app, s);
      }
      ++it;
    }
  }
  return due;
}

}  // namespace parley::presence
