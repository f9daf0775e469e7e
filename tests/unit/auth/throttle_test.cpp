// Brute-force back-off, driven by a fake clock.
#include "auth/throttle.hpp"

#include <gtest/gtest.h>

namespace parley::auth {
namespace {

class ThrottleTest : public ::testing::Test {
protected:
  ThrottleConfig config() const {
    ThrottleConfig c;
    c.account_failures = 3;
    c.address_failures = 5;
    c.base_delay_seconds = 1;
    c.max_delay_seconds = 8;
    return c;
  }
  Throttle make(std::size_t max_keys = Throttle::kDefaultMaxKeys) {
    return Throttle(config(), [this] { return now; }, max_keys);
  }
  void advance_ms(std::int64_t ms) { now += ms; }

  std::int64_t now = 1'700'000'000'000;
};

TEST_F(ThrottleTest, NoBackOffBelowTheThreshold) {
  auto t = make();
  t.record_failure("alice@example.org", "192.0.2.1");
  t.record_failure("alice@example.org", "192.0.2.1");
  EXPECT_EQ(t.retry_after_seconds("alice@example.org", "192.0.2.1"), 0);
}

TEST_F(ThrottleTest, BackOffDoublesWithEachFailureUpToTheCap) {
  auto t = make();
  const char* a = "alice@example.org";
  for (int i = 0; i < 3; ++i) t.record_failure(a, "192.0.2.1");
  EXPECT_EQ(t.retry_after_seconds(a, "192.0.2.1"), 1);
  advance_ms(999);
  EXPECT_EQ(t.retry_after_seconds(a, "192.0.2.1"), 1);  // rounded up, never 0 while blocked
  advance_ms(1);
  EXPECT_EQ(t.retry_after_seconds(a, "192.0.2.1"), 0);
  const std::int64_t expected[] = {2, 4, 8, 8, 8};
  for (auto seconds : expected) {
    t.record_failure(a, "192.0.2.1");
    EXPECT_EQ(t.retry_after_seconds(a, "192.0.2.1"), seconds);
    advance_ms(seconds * 1000);
    EXPECT_EQ(t.retry_after_seconds(a, "192.0.2.1"), 0);
  }
}

TEST_F(ThrottleTest, WaitingOutTheCappedWindowDoesNotResetTheCount) {
  auto t = make();
  for (int i = 0; i < 7; ++i) t.record_failure("a@example.org", "192.0.2.1");  // at the 8 s cap
  for (int round = 0; round < 3; ++round) {
    advance_ms(8000);
    EXPECT_EQ(t.retry_after_seconds("a@example.org", "192.0.2.1"), 0);
    t.record_failure("a@example.org", "192.0.2.1");
    EXPECT_EQ(t.retry_after_seconds("a@example.org", "192.0.2.1"), 8);
  }
}

TEST_F(ThrottleTest, RetryAfterRoundsUp) {
  auto t = make();
  for (int i = 0; i < 4; ++i) t.record_failure("a@example.org", "192.0.2.1");  // 2 s window
  advance_ms(500);
  EXPECT_EQ(t.retry_after_seconds("a@example.org", "192.0.2.1"), 2);
  advance_ms(600);
  EXPECT_EQ(t.retry_after_seconds("a@example.org", "192.0.2.1"), 1);
}

TEST_F(ThrottleTest, AnAccountIsThrottledFromEveryAddress) {
  auto t = make();
  t.record_failure("alice@example.org", "192.0.2.1");
  t.record_failure("alice@example.org", "192.0.2.2");
  t.record_failure("alice@example.org", "192.0.2.3");
  EXPECT_GT(t.retry_after_seconds("alice@example.org", "198.51.100.7"), 0);
  EXPECT_EQ(t.retry_after_seconds("bob@example.org", "198.51.100.7"), 0);
}

TEST_F(ThrottleTest, AnAddressIsThrottledForEveryAccount) {
  auto t = make();
  for (int i = 0; i < 5; ++i) t.record_failure("user" + std::to_string(i) + "@example.org", "192.0.2.9");
  EXPECT_GT(t.retry_after_seconds("nobody-tried-this@example.org", "192.0.2.9"), 0);
  EXPECT_EQ(t.retry_after_seconds("nobody-tried-this@example.org", "192.0.2.10"), 0);
}

TEST_F(ThrottleTest, SuccessResetsTheAccountButNotTheAddress) {
  auto t = make();
  for (int i = 0; i < 3; ++i) t.record_failure("alice@example.org", "192.0.2.1");
  advance_ms(1000);
  t.record_success("alice@example.org");
  // The account starts again from zero: two more failures do not throttle it.
  t.record_failure("alice@example.org", "192.0.2.2");
  t.record_failure("alice@example.org", "192.0.2.2");
  EXPECT_EQ(t.retry_after_seconds("alice@example.org", "192.0.2.2"), 0);
  // Alice's success did not clear 192.0.2.1's three failures: two more reach its threshold of 5.
  t.record_failure("mallory@example.org", "192.0.2.1");
  t.record_failure("mallory@example.org", "192.0.2.1");
  EXPECT_GT(t.retry_after_seconds("carol@example.org", "192.0.2.1"), 0);  // 5 failures from .1
  EXPECT_EQ(t.retry_after_seconds("carol@example.org", "192.0.2.2"), 0);
  t.record_success("carol@example.org");
  EXPECT_GT(t.retry_after_seconds("carol@example.org", "192.0.2.1"), 0);
}

TEST_F(ThrottleTest, CountersExpireAfterQuiet) {
  auto t = make();
  t.record_failure("alice@example.org", "192.0.2.1");
  t.record_failure("alice@example.org", "192.0.2.1");
  advance_ms(15'999);
  EXPECT_EQ(t.tracked_accounts(), 1u);
  advance_ms(1);  // twice max_delay_seconds of quiet
  t.record_failure("alice@example.org", "192.0.2.1");
  EXPECT_EQ(t.retry_after_seconds("alice@example.org", "192.0.2.1"), 0);  // counting from 1 again
  EXPECT_EQ(t.tracked_accounts(), 1u);
  advance_ms(16'000);
  EXPECT_EQ(t.retry_after_seconds("x@example.org", "192.0.2.200"), 0);
  EXPECT_EQ(t.tracked_accounts(), 0u);
  EXPECT_EQ(t.tracked_addresses(), 0u);
}

TEST_F(ThrottleTest, MemoryIsBoundedAndTheStalestKeyGoesFirst) {
  auto t = make(10);
  for (int i = 0; i < 3; ++i) t.record_failure("victim@example.org", "192.0.2.1");
  for (int i = 0; i < 100; ++i) {
    advance_ms(1);
    t.record_failure("spray" + std::to_string(i) + "@example.org", "198.51.100." + std::to_string(i));
  }
  EXPECT_LE(t.tracked_accounts(), 10u);
  EXPECT_LE(t.tracked_addresses(), 10u);
  // The newest key is still tracked: three more failures of it throttle at once.
  t.record_failure("spray99@example.org", "203.0.113.1");
  t.record_failure("spray99@example.org", "203.0.113.1");
  EXPECT_GT(t.retry_after_seconds("spray99@example.org", "203.0.113.2"), 0);
  // The oldest was forgotten.
  EXPECT_EQ(t.retry_after_seconds("victim@example.org", "203.0.113.2"), 0);
}

TEST_F(ThrottleTest, AFailureKeepsAKeyFresh) {
  auto t = make(3);
  t.record_failure("a@example.org", "192.0.2.1");
  advance_ms(1);
  t.record_failure("b@example.org", "192.0.2.1");
  advance_ms(1);
  t.record_failure("c@example.org", "192.0.2.1");
  advance_ms(1);
  t.record_failure("a@example.org", "192.0.2.1");  // a is now the newest; b the stalest
  t.record_failure("a@example.org", "192.0.2.1");
  advance_ms(1);
  t.record_failure("d@example.org", "192.0.2.1");
  EXPECT_GT(t.retry_after_seconds("a@example.org", "192.0.2.99"), 0);  // 3 failures kept
}

}  // namespace
}  // namespace parley::auth
