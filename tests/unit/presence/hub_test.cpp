#include "presence/hub.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace parley::presence {
namespace {

using namespace std::chrono_literals;
using A = Availability;

constexpr unsigned kPresence = static_cast<unsigned>(Change::presence);
constexpr unsigned kNote = static_cast<unsigned>(Change::note);
constexpr unsigned kLocation = static_cast<unsigned>(Change::location);

// Records what a watcher was told.
struct Recorder {
  struct Call {
    std::string user;
    Snapshot snapshot;
    unsigned changed;
  };
  std::mutex mutex;
  std::vector<Call> calls;

  Hub::Listener listener() {
    return [this](const std::string& user, const Snapshot& s, unsigned changed) {
      std::lock_guard lock(mutex);
      calls.push_back({user, s, changed});
    };
  }
  std::vector<Call> take() {
    std::lock_guard lock(mutex);
    return std::exchange(calls, {});
  }
};

const UserPresence::Timers kSlow{std::chrono::minutes(5), std::chrono::minutes(5)};

TEST(Hub, UnknownUserIsOffline) {
  Hub hub(kSlow);
  const auto s = hub.get("nobody@example.org");
  EXPECT_EQ(s.aggregate.availability, A::Offline);
  EXPECT_EQ(s.aggregate.activity, "Offline");
  EXPECT_TRUE(s.note.empty());
  EXPECT_EQ(hub.endpoint_view("nobody@example.org", "ep"), A::Offline);
  EXPECT_EQ(hub.watcher_count("nobody@example.org"), 0u);
}

TEST(Hub, WatchersHearRealChangesWithTheRightMask) {
  Hub hub(kSlow);
  Recorder r;
  hub.watch("alice@example.org", "app1/sub1", r.listener());
  EXPECT_TRUE(r.take().empty());  // watching is not a change

  hub.add_endpoint("alice@example.org", "ep1", DeviceType::Web);
  auto calls = r.take();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].user, "alice@example.org");
  EXPECT_EQ(calls[0].changed, kPresence);
  EXPECT_EQ(calls[0].snapshot.aggregate.availability, A::Online);
  EXPECT_EQ(calls[0].snapshot.aggregate.device_type, DeviceType::Web);
  EXPECT_GT(calls[0].snapshot.aggregate.last_active_unix, 0);

  hub.set_note("alice@example.org", "At lunch");
  calls = r.take();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].changed, kNote);
  EXPECT_EQ(calls[0].snapshot.note, "At lunch");

  hub.set_note("alice@example.org", "At lunch");
  EXPECT_TRUE(r.take().empty());

  hub.set_location("alice@example.org", "Building 7");
  calls = r.take();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].changed, kLocation);
  EXPECT_EQ(calls[0].snapshot.location, "Building 7");
  EXPECT_EQ(calls[0].snapshot.note, "At lunch");

  hub.set_manual("alice@example.org", A::Busy);
  calls = r.take();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].changed, kPresence);
  EXPECT_EQ(calls[0].snapshot.aggregate.availability, A::Busy);
  EXPECT_EQ(calls[0].snapshot.aggregate.activity, "Busy");

  hub.set_manual("alice@example.org", A::Busy);
  EXPECT_TRUE(r.take().empty());

  hub.remove_endpoint("alice@example.org", "ep1");
  calls = r.take();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].changed, kPresence);
  EXPECT_EQ(calls[0].snapshot.aggregate.availability, A::Offline);
}

TEST(Hub, EveryWatcherOfTheUserIsToldAndNoOneElse) {
  Hub hub(kSlow);
  Recorder a, b, other;
  hub.watch("alice@example.org", "w1", a.listener());
  hub.watch("alice@example.org", "w2", b.listener());
  hub.watch("bob@example.org", "w3", other.listener());
  EXPECT_EQ(hub.watcher_count("alice@example.org"), 2u);
  hub.add_endpoint("alice@example.org", "ep1", DeviceType::Computer);
  EXPECT_EQ(a.take().size(), 1u);
  EXPECT_EQ(b.take().size(), 1u);
  EXPECT_TRUE(other.take().empty());
}

TEST(Hub, WatchAgainWithTheSameIdReplaces) {
  Hub hub(kSlow);
  Recorder first, second;
  hub.watch("alice@example.org", "w1", first.listener());
  hub.watch("alice@example.org", "w1", second.listener());
  EXPECT_EQ(hub.watcher_count("alice@example.org"), 1u);
  hub.add_endpoint("alice@example.org", "ep1", DeviceType::Computer);
  EXPECT_TRUE(first.take().empty());
  EXPECT_EQ(second.take().size(), 1u);
}

TEST(Hub, UnwatchStopsNotifications) {
  Hub hub(kSlow);
  Recorder r;
  hub.watch("alice@example.org", "w1", r.listener());
  hub.unwatch("alice@example.org", "w1");
  hub.unwatch("alice@example.org", "never-registered");
  EXPECT_EQ(hub.watcher_count("alice@example.org"), 0u);
  hub.add_endpoint("alice@example.org", "ep1", DeviceType::Computer);
  hub.set_note("alice@example.org", "x");
  EXPECT_TRUE(r.take().empty());
}

TEST(Hub, ListenersRunWithoutTheLockHeld) {
  Hub hub(kSlow);
  std::vector<A> seen;
  std::size_t watchers_seen = 0;
  // Calls back into the hub, on the same user (same shard) and on another one: a listener run
  // under the shard lock would deadlock here.
  hub.watch("alice@example.org", "w1", [&](const std::string& user, const Snapshot&, unsigned) {
    seen.push_back(hub.get(user).aggregate.availability);
    watchers_seen = hub.watcher_count(user);
    hub.set_note("bob@example.org", "alice changed");
  });
  hub.add_endpoint("alice@example.org", "ep1", DeviceType::Computer);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], A::Online);
  EXPECT_EQ(watchers_seen, 1u);
  EXPECT_EQ(hub.get("bob@example.org").note, "alice changed");
}

TEST(Hub, ListenerMayUnwatchItself) {
  Hub hub(kSlow);
  int calls = 0;
  hub.watch("alice@example.org", "w1", [&](const std::string& user, const Snapshot&, unsigned) {
    ++calls;
    hub.unwatch(user, "w1");
  });
  hub.add_endpoint("alice@example.org", "ep1", DeviceType::Computer);
  hub.set_note("alice@example.org", "x");
  EXPECT_EQ(calls, 1);
}

TEST(Hub, EndpointViewAppliesTheManualState) {
  Hub hub(kSlow);
  hub.add_endpoint("alice@example.org", "ep1", DeviceType::Computer);
  EXPECT_EQ(hub.endpoint_view("alice@example.org", "ep1"), A::Online);
  hub.set_manual("alice@example.org", A::BeRightBack);
  EXPECT_EQ(hub.endpoint_view("alice@example.org", "ep1"), A::BeRightBack);
  hub.set_manual("alice@example.org", A::Busy);
  EXPECT_EQ(hub.endpoint_view("alice@example.org", "ep1"), A::Busy);
  EXPECT_EQ(hub.endpoint_view("alice@example.org", "ep-unknown"), A::Offline);
  EXPECT_THROW(hub.set_manual("alice@example.org", A::IdleOnline), std::invalid_argument);
  EXPECT_EQ(hub.get("alice@example.org").aggregate.availability, A::Busy);
}

TEST(Hub, TickAnnouncesIdleAndAwayOnce) {
  Hub hub(UserPresence::Timers{100ms, 100ms});
  Recorder r;
  hub.watch("alice@example.org", "w1", r.listener());
  hub.add_endpoint("alice@example.org", "ep1", DeviceType::Computer);
  hub.add_endpoint("bob@example.org", "ep2", DeviceType::Computer);  // unwatched: must not matter
  ASSERT_EQ(r.take().size(), 1u);

  hub.tick();  // nothing has changed yet
  EXPECT_TRUE(r.take().empty());

  std::this_thread::sleep_for(150ms);
  hub.tick();
  auto calls = r.take();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].changed, kPresence);
  EXPECT_EQ(calls[0].snapshot.aggregate.availability, A::IdleOnline);
  EXPECT_EQ(hub.endpoint_view("alice@example.org", "ep1"), A::IdleOnline);
  hub.tick();
  EXPECT_TRUE(r.take().empty());

  std::this_thread::sleep_for(100ms);
  hub.tick();
  calls = r.take();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].snapshot.aggregate.availability, A::Away);
  EXPECT_EQ(calls[0].snapshot.aggregate.activity, "Away");

  hub.activity("alice@example.org", "ep1");
  calls = r.take();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].snapshot.aggregate.availability, A::Online);
}

TEST(Hub, FullSignOutForgetsTheUserWhenNobodyWatches) {
  Hub hub(kSlow);
  hub.add_endpoint("alice@example.org", "ep1", DeviceType::Computer);
  hub.set_manual("alice@example.org", A::DoNotDisturb);
  hub.set_note("alice@example.org", "Back Monday");
  hub.remove_endpoint("alice@example.org", "ep1");
  const auto s = hub.get("alice@example.org");
  EXPECT_EQ(s.aggregate.availability, A::Offline);
  EXPECT_TRUE(s.note.empty());
  // Signing in again starts from scratch: the old manual state is gone too.
  hub.add_endpoint("alice@example.org", "ep1", DeviceType::Computer);
  EXPECT_EQ(hub.get("alice@example.org").aggregate.availability, A::Online);
}

TEST(Hub, NoteSurvivesSignOutWhileWatched) {
  Hub hub(kSlow);
  Recorder r;
  hub.watch("alice@example.org", "w1", r.listener());
  hub.add_endpoint("alice@example.org", "ep1", DeviceType::Computer);
  hub.set_note("alice@example.org", "Back Monday");
  hub.remove_endpoint("alice@example.org", "ep1");
  EXPECT_EQ(hub.get("alice@example.org").aggregate.availability, A::Offline);
  EXPECT_EQ(hub.get("alice@example.org").note, "Back Monday");
  // The last watcher leaving releases the entry.
  hub.unwatch("alice@example.org", "w1");
  EXPECT_TRUE(hub.get("alice@example.org").note.empty());
}

TEST(Hub, SecondEndpointKeepsTheUserAndHerNote) {
  Hub hub(kSlow);
  hub.add_endpoint("alice@example.org", "desk", DeviceType::Computer);
  hub.add_endpoint("alice@example.org", "phone", DeviceType::Mobile);
  hub.set_note("alice@example.org", "On the road");
  hub.remove_endpoint("alice@example.org", "desk");
  const auto s = hub.get("alice@example.org");
  EXPECT_EQ(s.aggregate.availability, A::Online);
  EXPECT_EQ(s.aggregate.device_type, DeviceType::Mobile);
  EXPECT_EQ(s.note, "On the road");
}

TEST(Hub, ActivityForAnUnknownUserCreatesNothing) {
  Hub hub(kSlow);
  hub.activity("ghost@example.org", "ep1");
  hub.remove_endpoint("ghost@example.org", "ep1");
  EXPECT_EQ(hub.get("ghost@example.org").aggregate.availability, A::Offline);
}

TEST(Hub, ConcurrentUsersDoNotInterfere) {
  Hub hub(kSlow);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&hub, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string user = "u" + std::to_string(t * 1000 + i) + "@example.org";
        hub.add_endpoint(user, "ep", DeviceType::Computer);
        hub.set_note(user, "n" + std::to_string(i));
        hub.get(user);
        if (i % 2 == 0) hub.remove_endpoint(user, "ep");
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(hub.get("u1001@example.org").note, "n1");
  EXPECT_EQ(hub.get("u1001@example.org").aggregate.availability, A::Online);
  EXPECT_TRUE(hub.get("u1000@example.org").note.empty());
}

}  // namespace
}  // namespace parley::presence
