#pragma once
// Brute-force protection for password sign-in: failure counters per account and per client
// address with exponential back-off (config [webticket.throttle]). After `account_failures`
// failures of one account (or `address_failures` from one address), every further attempt
// within the back-off window — base_delay_seconds after that many failures, doubled with each
// further failure, capped at max_delay_seconds — is refused without looking at the password.
// A counter forgets itself after 2 × max_delay_seconds without failures. Attempts refused by the
// throttle do not count as failures (the window is not pushed out by an attacker who keeps
// knocking). Thread-safe; no I/O; time comes from the injected clock.

#include "common/config.hpp"

#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace parley::auth {

class Throttle {
public:
  using Clock = std::function<std::int64_t()>;  // ms since the epoch
  static constexpr std::size_t kDefaultMaxKeys = 100'000;

  // `max_keys` bounds each of the two tables; past it the key that failed longest ago is
  // forgotten first.
  Throttle(ThrottleConfig config, Clock clock, std::size_t max_keys = kDefaultMaxKeys);

  // Seconds until an attempt for `account` from `address` will be looked at (rounded up, at
  // least 1), or 0 when it may go ahead now.
  std::int64_t retry_after_seconds(std::string_view account, std::string_view address);

  void record_failure(std::string_view account, std::string_view address);
  // A successful sign-in clears the account's counter; the address keeps its own.
  void record_success(std::string_view account);

  // How many keys each table holds (for tests of the bound).
  std::size_t tracked_accounts() const;
  std::size_t tracked_addresses() const;

private:
  struct Counter {
    unsigned failures = 0;
    std::int64_t last_failure_ms = 0;
    std::list<std::string>::iterator order;  // position in Table::by_age
  };
  // Keys with their counters, and the keys ordered by last failure (oldest first), so that
  // expiry and eviction both work from the front.
  struct Table {
    std::unordered_map<std::string, Counter> counters;
    std::list<std::string> by_age;
    unsigned threshold = 0;
  };

  std::int64_t blocked_until_ms(const Counter& c, unsigned threshold) const;
  std::int64_t remaining_ms(Table& t, std::string_view key, std::int64_t now);
  void fail(Table& t, std::string_view key, std::int64_t now);
  void expire(Table& t, std::int64_t now);

  ThrottleConfig config_;
  Clock clock_;
  std::size_t max_keys_;
  mutable std::mutex mutex_;
  Table accounts_;
  Table addresses_;
};

}  // namespace parley::auth
