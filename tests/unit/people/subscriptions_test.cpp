#include "presence/subscriptions.hpp"

#include <gtest/gtest.h>

namespace parley::presence {
namespace {

using namespace std::chrono_literals;
using Clock = SubscriptionRegistry::Clock;

SubscriptionRegistry::Limits limits(std::size_t subs, std::size_t contacts) {
  SubscriptionRegistry::Limits l;
  l.max_subscriptions = subs;
  l.max_contacts = contacts;
  l.minute = 60s;
  return l;
}

int status_of(const std::function<void()>& f, std::string* subcode = nullptr) {
  try {
    f();
  } catch (const ApiError& e) {
    if (subcode) *subcode = e.subcode();
    return e.status();
  }
  return 0;
}

TEST(SubscriptionRegistry, CreateDropsDuplicatesAndNumbersPerApplication) {
  SubscriptionRegistry r(limits(4, 10));
  const auto now = Clock::now();
  const auto a = r.create("app1", {"bob@x.org", "bob@x.org", "carol@x.org"}, 10, now);
  EXPECT_EQ(a.id, "1");
  EXPECT_EQ(a.uris, (std::vector<std::string>{"bob@x.org", "carol@x.org"}));
  EXPECT_EQ(a.duration, 10u);
  EXPECT_EQ(a.expires, now + 10min);
  EXPECT_EQ(r.create("app1", {}, 10, now).id, "2");
  EXPECT_EQ(r.create("app2", {}, 10, now).id, "1");
  EXPECT_TRUE(r.watching("app1", "1", "carol@x.org"));
  EXPECT_FALSE(r.watching("app2", "1", "carol@x.org"));
}

TEST(SubscriptionRegistry, TooManySubscriptionsIsLimitExceeded) {
  SubscriptionRegistry r(limits(2, 10));
  const auto now = Clock::now();
  r.create("app", {}, 10, now);
  r.create("app", {}, 10, now);
  std::string sub;
  EXPECT_EQ(status_of([&] { r.create("app", {}, 10, now); }, &sub), 403);
  EXPECT_EQ(sub, "LimitExceeded");
  // Another application has its own allowance.
  EXPECT_EQ(status_of([&] { r.create("other", {}, 10, now); }), 0);
}

TEST(SubscriptionRegistry, DistinctContactLimitSpansSubscriptions) {
  SubscriptionRegistry r(limits(4, 3));
  const auto now = Clock::now();
  const auto s = r.create("app", {"a@x.org", "b@x.org"}, 10, now);
  // The same contact in a second subscription does not count twice.
  EXPECT_EQ(status_of([&] { r.create("app", {"a@x.org", "c@x.org"}, 10, now); }), 0);
  std::string sub;
  EXPECT_EQ(status_of([&] { r.add("app", s.id, {"d@x.org"}); }, &sub), 403);
  EXPECT_EQ(sub, "LimitExceeded");
  EXPECT_FALSE(r.watching("app", s.id, "d@x.org"));  // nothing was added
  EXPECT_EQ(r.distinct_contacts("app"), 3u);
  EXPECT_EQ(status_of([&] { r.create("app", {"e@x.org"}, 10, now); }), 403);
}

TEST(SubscriptionRegistry, AddReturnsOnlyNewContacts) {
  SubscriptionRegistry r(limits(4, 10));
  const auto s = r.create("app", {"a@x.org"}, 10, Clock::now());
  EXPECT_EQ(r.add("app", s.id, {"a@x.org", "b@x.org", "b@x.org"}),
            std::vector<std::string>{"b@x.org"});
  EXPECT_TRUE(r.remove_uri("app", s.id, "a@x.org"));
  EXPECT_FALSE(r.remove_uri("app", s.id, "a@x.org"));
  EXPECT_FALSE(r.watching("app", s.id, "a@x.org"));
  EXPECT_EQ(status_of([&] { r.add("app", "99", {"c@x.org"}); }), 404);
  EXPECT_EQ(status_of([&] { r.add("app", "abc", {"c@x.org"}); }), 404);
  EXPECT_EQ(status_of([&] { r.add("nobody", s.id, {"c@x.org"}); }), 404);
}

TEST(SubscriptionRegistry, ExtendIsCappedAtThirtyMinutesFromNow) {
  SubscriptionRegistry r(limits(4, 10));
  const auto now = Clock::now();
  const auto s = r.create("app", {}, 30, now);
  const auto later = now + 5min;
  const auto e = r.extend("app", s.id, 10, later);
  EXPECT_EQ(e.expires, later + 30min);  // 30 + 10 from creation would pass the cap
  EXPECT_EQ(e.duration, 30u);
  const auto f = r.extend("app", s.id, 10, later + 28min);
  EXPECT_EQ(f.expires, later + 28min + 12min);
  EXPECT_EQ(status_of([&] { r.extend("app", "7", 10, now); }), 404);
}

TEST(SubscriptionRegistry, WarnsOnceAMinuteBeforeAndThenExpires) {
  SubscriptionRegistry r(limits(4, 10));
  const auto now = Clock::now();
  const auto s = r.create("app", {"a@x.org"}, 10, now);

  auto due = r.advance(now + 8min);
  EXPECT_TRUE(due.warn.empty());
  EXPECT_TRUE(due.expired.empty());

  due = r.advance(now + 9min + 30s);
  ASSERT_EQ(due.warn.size(), 1u);
  EXPECT_EQ(due.warn[0].first, "app");
  EXPECT_EQ(due.warn[0].second.id, s.id);
  EXPECT_TRUE(r.advance(now + 9min + 40s).warn.empty());  // only once

  due = r.advance(now + 10min);
  ASSERT_EQ(due.expired.size(), 1u);
  EXPECT_EQ(due.expired[0].second.uris, std::vector<std::string>{"a@x.org"});
  EXPECT_FALSE(r.find("app", s.id));
  EXPECT_FALSE(r.watching("app", s.id, "a@x.org"));
}

TEST(SubscriptionRegistry, ExtendingAfterTheWarningWarnsAgain) {
  SubscriptionRegistry r(limits(4, 10));
  const auto now = Clock::now();
  const auto s = r.create("app", {}, 10, now);
  ASSERT_EQ(r.advance(now + 9min + 30s).warn.size(), 1u);
  r.extend("app", s.id, 10, now + 9min + 30s);
  EXPECT_TRUE(r.advance(now + 10min + 30s).expired.empty());
  EXPECT_EQ(r.advance(now + 19min).warn.size(), 1u);
}

TEST(SubscriptionRegistry, RemoveAndDropApplication) {
  SubscriptionRegistry r(limits(4, 10));
  const auto now = Clock::now();
  const auto a = r.create("app", {"a@x.org"}, 10, now);
  r.create("app", {"b@x.org"}, 10, now);
  const auto removed = r.remove("app", a.id);
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->uris, std::vector<std::string>{"a@x.org"});
  EXPECT_FALSE(r.remove("app", a.id));
  // Ids are not reused while the application lives.
  EXPECT_EQ(r.create("app", {}, 10, now).id, "3");
  EXPECT_EQ(r.drop_application("app").size(), 2u);
  EXPECT_TRUE(r.list("app").empty());
  EXPECT_EQ(r.distinct_contacts("app"), 0u);
}

}  // namespace
}  // namespace parley::presence
