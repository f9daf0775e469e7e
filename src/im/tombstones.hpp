#pragma once
// Remembers, for a while, which conversations and invitations ended and which endpoints took
// part in them, so that a late request from one of those endpoints answers 410 Gone (stop using
// that link) instead of 404 (never existed) — and strangers still learn nothing. Bounded in
// both count and age: the oldest entries go first.

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace parley::im {

class Tombstones {
 public:
  using Clock = std::chrono::steady_clock;

  Tombstones(std::size_t max_entries, Clock::duration max_age)
      : max_entries_(max_entries), max_age_(max_age) {}

  // `id` ended for the endpoint `app_id` (which may still hold links to it).
  void bury(std::string_view id, std::string_view app_id, Clock::time_point now = Clock::now()) {
    if (app_id.empty()) return;
    std::lock_guard lock(mutex_);
    prune(now);
    auto [it, fresh] = entries_.insert(key(id, app_id));
    if (!fresh) return;
    order_.emplace_back(now, *it);
    while (entries_.size() > max_entries_) drop_oldest();
  }

  // True when `id` ended recently for `app_id`.
  bool ended_for(std::string_view id, std::string_view app_id, Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    prune(now);
    return entries_.count(key(id, app_id)) > 0;
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }

 private:
  static std::string key(std::string_view id, std::string_view app_id) {
    // Length-prefixed, so that no id/endpoint pair can spell another.
    std::string k = std::to_string(id.size());
    k.push_back(':');
    k.append(id).append(app_id);
    return k;
  }
  void prune(Clock::time_point now) {
    while (!order_.empty() && now - order_.front().first > max_age_) drop_oldest();
  }
  void drop_oldest() {
    entries_.erase(order_.front().second);
    order_.pop_front();
  }

  const std::size_t max_entries_;
  const Clock::duration max_age_;
  mutable std::mutex mutex_;
  std::unordered_set<std::string> entries_;  // key(id, app)
  std::deque<std::pair<Clock::time_point, std::string>> order_;
};

}  // namespace parley::im
