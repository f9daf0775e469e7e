#include "presence/aggregation.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace parley::presence {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using A = Availability;

const UserPresence::Timers kTimers{minutes(5), minutes(5)};
const Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(100);
constexpr std::int64_t kUnix0 = 1'700'000'000;

enum class Idle { active, inactive, away };

Clock::time_point when(Idle idle) {
  switch (idle) {
    case Idle::active: return t0 + minutes(1);
    case Idle::inactive: return t0 + minutes(6);
    case Idle::away: return t0 + minutes(11);
  }
  return t0;
}

TEST(Aggregation, NoEndpointIsOfflineWhateverWasSet) {
  UserPresence p(kTimers);
  p.set_manual(A::DoNotDisturb);
  const auto agg = p.aggregate(t0);
  EXPECT_EQ(agg.availability, A::Offline);
  EXPECT_EQ(agg.activity, "Offline");
  EXPECT_EQ(agg.last_active_unix, 0);
}

// Every manual state against every machine state of a single endpoint (UCWA.md §5.1).
TEST(Aggregation, ManualAgainstMachineTable) {
  struct Row {
    std::optional<A> manual;
    A active, inactive, away;
  };
  const Row rows[] = {
      {std::nullopt, A::Online, A::IdleOnline, A::Away},
      {A::Online, A::Online, A::IdleOnline, A::Away},
      {A::Busy, A::Busy, A::IdleBusy, A::IdleBusy},
      {A::DoNotDisturb, A::DoNotDisturb, A::DoNotDisturb, A::DoNotDisturb},
      {A::BeRightBack, A::BeRightBack, A::BeRightBack, A::BeRightBack},
      {A::Away, A::Away, A::Away, A::Away},
      {A::Offwork, A::Offwork, A::Offwork, A::Offwork},
  };
  for (const auto& row : rows) {
    UserPresence p(kTimers);
    p.add_endpoint("ep1", DeviceType::Computer, t0, kUnix0);
    p.set_manual(row.manual);
    const std::string label = row.manual ? std::string(to_string(*row.manual)) : "none";
    EXPECT_EQ(p.aggregate(when(Idle::active)).availability, row.active) << label;
    EXPECT_EQ(p.aggregate(when(Idle::inactive)).availability, row.inactive) << label;
    EXPECT_EQ(p.aggregate(when(Idle::away)).availability, row.away) << label;
  }
}

TEST(Aggregation, ActivityTokenFollowsAvailability) {
  UserPresence p(kTimers);
  p.add_endpoint("ep1", DeviceType::Computer, t0, kUnix0);
  EXPECT_EQ(p.aggregate(t0).activity, "Available");
  EXPECT_EQ(p.aggregate(when(Idle::inactive)).activity, "Inactive");
  EXPECT_EQ(p.aggregate(when(Idle::away)).activity, "Away");
  p.set_manual(A::Offwork);
  EXPECT_EQ(p.aggregate(t0).activity, "off-work");
  EXPECT_EQ(activity_token(A::DoNotDisturb), "DoNotDisturb");
  EXPECT_EQ(activity_token(A::BeRightBack), "BeRightBack");
  EXPECT_EQ(activity_token(A::Busy), "Busy");
}

TEST(Aggregation, TransitionsHappenAtTheExactInstants) {
  UserPresence p(kTimers);
  p.add_endpoint("ep1", DeviceType::Computer, t0, kUnix0);
  const auto inactive_at = t0 + minutes(5);
  const auto away_at = inactive_at + minutes(5);
  EXPECT_EQ(p.aggregate(inactive_at - std::chrono::nanoseconds(1)).availability, A::Online);
  EXPECT_EQ(p.aggregate(inactive_at).availability, A::IdleOnline);
  EXPECT_EQ(p.aggregate(away_at - std::chrono::nanoseconds(1)).availability, A::IdleOnline);
  EXPECT_EQ(p.aggregate(away_at).availability, A::Away);
}

TEST(Aggregation, ActivityMakesTheUserOnlineAgain) {
  UserPresence p(kTimers);
  p.add_endpoint("ep1", DeviceType::Computer, t0, kUnix0);
  ASSERT_EQ(p.aggregate(when(Idle::away)).availability, A::Away);
  p.activity("ep1", when(Idle::away), kUnix0 + 660);
  EXPECT_EQ(p.aggregate(when(Idle::away)).availability, A::Online);
  EXPECT_EQ(p.aggregate(when(Idle::away)).last_active_unix, kUnix0 + 660);
  EXPECT_EQ(p.aggregate(when(Idle::away) + minutes(5)).availability, A::IdleOnline);
}

TEST(Aggregation, ActivityOnUnknownEndpointChangesNothing) {
  UserPresence p(kTimers);
  p.add_endpoint("ep1", DeviceType::Computer, t0, kUnix0);
  p.activity("other", when(Idle::inactive), kUnix0 + 360);
  EXPECT_EQ(p.aggregate(when(Idle::inactive)).availability, A::IdleOnline);
  EXPECT_EQ(p.endpoint_count(), 1u);
}

TEST(Aggregation, PerEndpointInactiveTimeoutOverride) {
  UserPresence p(kTimers);
  p.add_endpoint("ep1", DeviceType::Mobile, t0, kUnix0, minutes(15));
  EXPECT_EQ(p.aggregate(t0 + minutes(14)).availability, A::Online);
  EXPECT_EQ(p.aggregate(t0 + minutes(15)).availability, A::IdleOnline);
  // The away timer still counts from the moment the endpoint became inactive.
  EXPECT_EQ(p.aggregate(t0 + minutes(20)).availability, A::Away);
}

TEST(Aggregation, ReAddingAnEndpointRefreshesIt) {
  UserPresence p(kTimers);
  p.add_endpoint("ep1", DeviceType::Computer, t0, kUnix0);
  p.add_endpoint("ep1", DeviceType::Web, t0 + minutes(8), kUnix0 + 480, minutes(1));
  EXPECT_EQ(p.endpoint_count(), 1u);
  const auto agg = p.aggregate(t0 + minutes(8));
  EXPECT_EQ(agg.availability, A::Online);
  EXPECT_EQ(agg.device_type, DeviceType::Web);
  EXPECT_EQ(p.aggregate(t0 + minutes(9)).availability, A::IdleOnline);
}

TEST(Aggregation, MostAvailableEndpointWinsAndLatestDeviceIsShown) {
  UserPresence p(kTimers);
  p.add_endpoint("desk", DeviceType::Computer, t0, kUnix0);
  p.add_endpoint("phone", DeviceType::Mobile, t0 + minutes(8), kUnix0 + 480);
  // At t0+11 the desk is away but the phone is still active.
  auto agg = p.aggregate(t0 + minutes(11));
  EXPECT_EQ(agg.availability, A::Online);
  EXPECT_EQ(agg.device_type, DeviceType::Mobile);
  EXPECT_EQ(agg.last_active_unix, kUnix0 + 480);

  // The desk reports activity later than the phone: the desk's device type is shown.
  p.activity("desk", t0 + minutes(12), kUnix0 + 720);
  agg = p.aggregate(t0 + minutes(12));
  EXPECT_EQ(agg.device_type, DeviceType::Computer);
  EXPECT_EQ(agg.last_active_unix, kUnix0 + 720);

  // Both idle: the better of the two (inactive beats away).
  agg = p.aggregate(t0 + minutes(18));  // desk inactive (6 min), phone away (10 min)
  EXPECT_EQ(agg.availability, A::IdleOnline);

  EXPECT_EQ(p.endpoint_availability("desk", t0 + minutes(18)), A::IdleOnline);
  EXPECT_EQ(p.endpoint_availability("phone", t0 + minutes(18)), A::Away);
  EXPECT_EQ(p.endpoint_availability("nobody", t0), A::Offline);

  EXPECT_TRUE(p.remove_endpoint("desk"));
  EXPECT_FALSE(p.remove_endpoint("desk"));
  EXPECT_FALSE(p.has_endpoint("desk"));
  EXPECT_EQ(p.aggregate(t0 + minutes(18)).availability, A::Away);
  EXPECT_TRUE(p.remove_endpoint("phone"));
  EXPECT_EQ(p.aggregate(t0 + minutes(18)).availability, A::Offline);
}

TEST(Aggregation, EndpointAvailabilityIgnoresManualState) {
  UserPresence p(kTimers);
  p.add_endpoint("ep1", DeviceType::Computer, t0, kUnix0);
  p.set_manual(A::DoNotDisturb);
  EXPECT_EQ(p.endpoint_availability("ep1", t0), A::Online);
}

TEST(Aggregation, NextChange) {
  UserPresence p(kTimers);
  EXPECT_EQ(p.next_change(t0), std::nullopt);
  p.add_endpoint("desk", DeviceType::Computer, t0, kUnix0);
  EXPECT_EQ(p.next_change(t0), t0 + minutes(5));
  EXPECT_EQ(p.next_change(t0 + minutes(5)), t0 + minutes(10));
  EXPECT_EQ(p.next_change(t0 + minutes(10)), std::nullopt);  // away for good

  p.add_endpoint("phone", DeviceType::Mobile, t0 + minutes(2), kUnix0 + 120, minutes(1));
  EXPECT_EQ(p.next_change(t0 + minutes(2)), t0 + minutes(3));
  EXPECT_EQ(p.next_change(t0 + minutes(3)), t0 + minutes(5));
  // Whatever next_change says, the aggregate is stable up to just before it.
  const auto at = t0 + minutes(5);
  EXPECT_EQ(p.aggregate(at - seconds(1)).availability, A::Online);  // desk still active
  EXPECT_EQ(p.aggregate(at).availability, A::IdleOnline);            // both inactive
  EXPECT_EQ(p.next_change(at), t0 + minutes(8));           // phone goes away
}

TEST(Aggregation, SetManualRejectsServerOnlyStates) {
  UserPresence p(kTimers);
  for (A a : {A::IdleOnline, A::IdleBusy, A::Offline}) {
    EXPECT_FALSE(settable(a));
    EXPECT_THROW(p.set_manual(a), std::invalid_argument) << to_string(a);
  }
  EXPECT_EQ(p.manual(), std::nullopt);
  for (A a : {A::Busy, A::DoNotDisturb, A::BeRightBack, A::Away, A::Offwork}) {
    EXPECT_TRUE(settable(a));
    p.set_manual(a);
    EXPECT_EQ(p.manual(), a);
  }
}

TEST(Aggregation, OnlineOrNothingClearsTheManualState) {
  UserPresence p(kTimers);
  p.add_endpoint("ep1", DeviceType::Computer, t0, kUnix0);
  p.set_manual(A::Busy);
  p.set_manual(A::Online);
  EXPECT_EQ(p.manual(), std::nullopt);
  EXPECT_EQ(p.aggregate(when(Idle::inactive)).availability, A::IdleOnline);
  p.set_manual(A::Away);
  p.set_manual(std::nullopt);
  EXPECT_EQ(p.aggregate(t0).availability, A::Online);
}

TEST(Aggregation, NamesRoundTrip) {
  for (A a : {A::Online, A::IdleOnline, A::Away, A::BeRightBack, A::Busy, A::IdleBusy, A::DoNotDisturb,
              A::Offwork, A::Offline}) {
    EXPECT_EQ(parse_availability(to_string(a)), a) << to_string(a);
  }
  EXPECT_EQ(parse_availability("donotdisturb"), A::DoNotDisturb);
  EXPECT_EQ(parse_availability("BUSY"), A::Busy);
  EXPECT_EQ(parse_availability("Available"), std::nullopt);
  EXPECT_EQ(parse_availability(""), std::nullopt);
  EXPECT_EQ(parse_availability("Busy "), std::nullopt);
  EXPECT_EQ(to_string(A::BeRightBack), "BeRightBack");
  EXPECT_EQ(to_string(DeviceType::Computer), "Computer");
  EXPECT_EQ(to_string(DeviceType::Mobile), "Mobile");
  EXPECT_EQ(to_string(DeviceType::Web), "Web");
}

}  // namespace
}  // namespace parley::presence
