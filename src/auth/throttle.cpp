#include "auth/throttle.hpp"

#include "common/time.hpp"

#include <algorithm>

namespace parley::auth {
namespace {

// 2^30 seconds is decades: any larger exponent is capped by max_delay_seconds anyway.
constexpr unsigned kMaxDoublings = 30;

}  // namespace

Throttle::Throttle(ThrottleConfig config, Clock clock, std::size_t max_keys)
    : config_(config), clock_(clock ? std::move(clock) : Clock(&now_ms)), max_keys_(std::max<std::size_t>(1, max_keys)) {
  accounts_.threshold = config_.account_failures;
  addresses_.threshold = config_.address_failures;
}

std::int64_t Throttle::blocked_until_ms(const Counter& c, unsigned threshold) const {
  if (c.failures < threshold || c.failures == 0) return 0;
  const unsigned doublings = std::min(c.failures - threshold, kMaxDoublings);
  const std::int64_t delay_s = std::min<std::int64_t>(
      std::int64_t{config_.base_delay_seconds} << doublings, config_.max_delay_seconds);
  return c.last_failure_ms + delay_s * 1000;
}

void Throttle::expire(Table& t, std::int64_t now) {
  // Twice the longest back-off: a client that waits out a capped window and fails again must
  // still find its count there, or every max_delay_seconds it would get a fresh set of attempts.
  const std::int64_t quiet_ms = std::int64_t{config_.max_delay_seconds} * 2000;
  while (!t.by_age.empty()) {
    auto it = t.counters.find(t.by_age.front());
    if (now - it->second.last_failure_ms < quiet_ms) break;
    t.counters.erase(it);
    t.by_age.pop_front();
  }
}

std::int64_t Throttle::remaining_ms(Table& t, std::string_view key, std::int64_t now) {
  const auto it = t.counters.find(std::string(key));
  if (it == t.counters.end()) return 0;
  return std::max<std::int64_t>(0, blocked_until_ms(it->second, t.threshold) - now);
}

void Throttle::fail(Table& t, std::string_view key, std::int64_t now) {
  auto it = t.counters.find(std::string(key));
  if (it == t.counters.end()) {
    if (t.counters.size() >= max_keys_) {  // forget the key whose last failure is oldest
      t.counters.erase(t.by_age.front());
      t.by_age.pop_front();
    }
    t.by_age.emplace_back(key);
    it = t.counters.emplace(std::string(key), Counter{0, now, std::prev(t.by_age.end())}).first;
  } else {
    t.by_age.splice(t.by_age.end(), t.by_age, it->second.order);  // now the newest
  }
  ++it->second.failures;
  it->second.last_failure_ms = now;
}

std::int64_t Throttle::retry_after_seconds(std::string_view account, std::string_view address) {
  const std::int64_t now = clock_();
  std::lock_guard lock(mutex_);
  expire(accounts_, now);
  expire(addresses_, now);
  const std::int64_t ms = std::max(remaining_ms(accounts_, account, now), remaining_ms(addresses_, address, now));
  return ms == 0 ? 0 : (ms + 999) / 1000;
}

void Throttle::record_failure(std::string_view account, std::string_view address) {
  const std::int64_t now = clock_();
  std::lock_guard lock(mutex_);
  expire(accounts_, now);
  expire(addresses_, now);
  fail(accounts_, account, now);
  fail(addresses_, address, now);
}

void Throttle::record_success(std::string_view account) {
  std::lock_guard lock(mutex_);
  const auto it = accounts_.counters.find(std::string(account));
  if (it == accounts_.counters.end()) return;
  accounts_.by_age.erase(it->second.order);
  accounts_.counters.erase(it);
}

std::size_t Throttle::tracked_accounts() const {
  std::lock_guard lock(mutex_);
  return accounts_.counters.size();
}

std::size_t Throttle::tracked_addresses() const {
  std::lock_guard lock(mutex_);
  return addresses_.counters.size();
}

}  // namespace parley::auth
