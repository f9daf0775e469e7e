#include "events/event_channel.hpp"

#include "channel_harness.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace parley::events {
namespace {

using namespace parley::events::testing;

constexpr const char* kPath = "/ucwa/oauth/v1/applications/105/events";

ChannelLimits fast_limits() {
  ChannelLimits l;
  l.time_scale = 1000;  // 180 s of protocol time is 180 ms here
  return l;
}

// Answers ack=`n` with whatever is queued, by queueing a high event that releases at once.
http::Response take(Loop& loop, EventChannel& ch, std::uint64_t n) {
  auto r = loop.spawn(ch, ack(n));
  EXPECT_TRUE(loop.run_until_done(r));
  EXPECT_TRUE(r->response);
  return *r->response;
}

TEST(EventChannel, FirstPackageIsNumberOneWithSelfAndNext) {
  Loop loop;
  EventChannel ch(kPath, "", fast_limits());
  EXPECT_FALSE(ch.used());
  ch.push(event("/app/me/presence"));
  auto r = take(loop, ch, 1);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("Cache-Control"), "no-cache");
  auto b = body_of(r);
  EXPECT_EQ(href_of(b, "self"), std::string(kPath) + "?ack=1");
  EXPECT_EQ(href_of(b, "next"), std::string(kPath) + "?ack=2");
  EXPECT_EQ(event_hrefs(b), std::vector<std::string>{"/app/me/presence"});
  EXPECT_TRUE(ch.used());
  EXPECT_FALSE(ch.parked());
}

TEST(EventChannel, SameAckResendsThePackageByteForByte) {
  Loop loop;
  EventChannel ch(kPath, "", fast_limits());
  ch.push(event("/app/a"));
  auto first = take(loop, ch, 1);
  ch.push(event("/app/b"));  // must not leak into the resent package
  auto again = take(loop, ch, 1);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
}

TEST(EventChannel, NextAckAcknowledgesAndDeliversTheNextPackage) {
  Loop loop;
  EventChannel ch(kPath, "", fast_limits());
  ch.push(event("/app/a"));
  take(loop, ch, 1);
  ch.push(event("/app/b"));
  auto second = body_of(take(loop, ch, 2));
  EXPECT_EQ(href_of(second, "self"), std::string(kPath) + "?ack=2");
  EXPECT_EQ(href_of(second, "next"), std::string(kPath) + "?ack=3");
  EXPECT_EQ(event_hrefs(second), std::vector<std::string>{"/app/b"});
  // Package 1 was acknowledged by ack=2: asking for it again is a gap the client must resync.
  auto old = body_of(take(loop, ch, 1));
  EXPECT_EQ(href_of(old, "resync"), std::string(kPath) + "?ack=2");
  EXPECT_FALSE(old.contains("sender"));
}

TEST(EventChannel, AckBeyondTheNextPackageAnswersResync) {
  Loop loop;
  EventChannel ch(kPath, "", fast_limits());
  ch.push(event("/app/a"));
  auto r = take(loop, ch, 5);
  auto b = body_of(r);
  EXPECT_EQ(b.size(), 1u);
  EXPECT_EQ(href_of(b, "resync"), std::string(kPath) + "?ack=1");
  // The event was not lost: the resync target delivers it.
  EXPECT_EQ(event_hrefs(body_of(take(loop, ch, 1))), std::vector<std::string>{"/app/a"});
}

TEST(EventChannel, ResyncPointsAtTheKeptPackageWhenOneIsUnacknowledged) {
  Loop loop;
  EventChannel ch(kPath, "", fast_limits());
  ch.push(event("/app/a"));
  take(loop, ch, 1);
  ch.push(event("/app/b"));
  take(loop, ch, 2);  // package 2 formed, not yet acknowledged
  EXPECT_EQ(href_of(body_of(take(loop, ch, 7)), "resync"), std::string(kPath) + "?ack=2");
}

TEST(EventChannel, OverflowDropsTheQueueAndAnswersResyncOnce) {
  Loop loop;
  auto limits = fast_limits();
  limits.max_pending_events = 3;
  EventChannel ch(kPath, "", limits);
  ch.push(event("/app/a"));
  take(loop, ch, 1);
  for (int i = 0; i < 4; ++i) ch.push(event("/app/x" + std::to_string(i), Priority::low));
  auto r = body_of(take(loop, ch, 2));
  EXPECT_EQ(href_of(r, "resync"), std::string(kPath) + "?ack=2");
  // After the resync the channel works again, and the dropped events stay dropped.
  ch.push(event("/app/fresh"));
  auto after = body_of(take(loop, ch, 2));
  EXPECT_EQ(href_of(after, "self"), std::string(kPath) + "?ack=2");
  EXPECT_EQ(event_hrefs(after), std::vector<std::string>{"/app/fresh"});
}

TEST(EventChannel, OverflowWhileWaitingAnswersTheWaiterWithResync) {
  Loop loop;
  auto limits = fast_limits();
  limits.max_pending_events = 2;
  limits.batch_delay = 10s;
  EventChannel ch(kPath, "", limits);
  auto r = loop.spawn(ch, ack(1));
  loop.run_for(5ms);
  // Pushed in one go from this thread, the waiter cannot run between them.
  for (int i = 0; i < 3; ++i) ch.push(event("/app/x" + std::to_string(i), Priority::low));
  ASSERT_TRUE(loop.run_until_done(r, 1s));
  EXPECT_EQ(href_of(body_of(*r->response), "resync"), std::string(kPath) + "?ack=1");
}

TEST(EventChannel, TimeoutAnswersAnEmptyPackage) {
  Loop loop;
  EventChannel ch(kPath, "", fast_limits());
  auto start = Clock::now();
  auto r = loop.spawn(ch, ack(1));
  loop.run_for(20ms);
  EXPECT_FALSE(r->done);
  EXPECT_TRUE(ch.parked());
  ASSERT_TRUE(loop.run_until_done(r, 2s));
  EXPECT_GE(r->finished - start, 175ms);  // 180 s scaled by 1000
  auto b = body_of(*r->response);
  EXPECT_EQ(href_of(b, "self"), std::string(kPath) + "?ack=1");
  EXPECT_EQ(href_of(b, "next"), std::string(kPath) + "?ack=2");
  EXPECT_TRUE(b.at("sender").as_array().empty());
  EXPECT_FALSE(ch.parked());
  EXPECT_GE(ch.last_pget_end(), r->finished - 5ms);
}

TEST(EventChannel, ClientTimeoutIsHonoured) {
  Loop loop;
  EventChannel ch(kPath, "", fast_limits());
  auto p = ack(1);
  p.timeout = 600;  // 600 ms here
  auto start = Clock::now();
  auto r = loop.spawn(ch, p);
  loop.run_for(300ms);
  EXPECT_FALSE(r->done);
  ASSERT_TRUE(loop.run_until_done(r, 2s));
  EXPECT_GE(r->finished - start, 590ms);
}

TEST(EventChannel, HighEventReleasesAWaitingPGetAtOnceWithEverythingQueued) {
  Loop loop;
  auto limits = fast_limits();
  limits.batch_delay = 10s;
  EventChannel ch(kPath, "", limits);
  auto r = loop.spawn(ch, ack(1));
  loop.run_for(5ms);
  ch.push(event("/app/me/presence", Priority::medium));
  loop.run_for(20ms);
  EXPECT_FALSE(r->done);  // medium is held
  auto pushed = Clock::now();
  ch.push(event("/app/conversations/1", Priority::high));
  ASSERT_TRUE(loop.run_until_done(r, 1s));
  EXPECT_LT(r->finished - pushed, 100ms);
  EXPECT_EQ(event_hrefs(body_of(*r->response)),
            (std::vector<std::string>{"/app/me/presence", "/app/conversations/1"}));
}

TEST(EventChannel, QueuedHighEventAnswersANewPGetAtOnce) {
  Loop loop;
  auto limits = fast_limits();
  limits.batch_delay = 10s;
  EventChannel ch(kPath, "", limits);
  ch.push(event("/app/x", Priority::realtime));
  auto start = Clock::now();
  auto r = loop.spawn(ch, ack(1));
  ASSERT_TRUE(loop.run_until_done(r, 1s));
  EXPECT_LT(r->finished - start, 100ms);
}

TEST(EventChannel, MediumEventWaitsTheBatchDelay) {
  Loop loop;
  auto limits = fast_limits();
  limits.batch_delay = 200ms;  // not scaled
  EventChannel ch(kPath, "", limits);
  auto p = ack(1);
  p.timeout = 1800;
  auto r = loop.spawn(ch, p);
  loop.run_for(5ms);
  auto pushed = Clock::now();
  ch.push(event("/app/me/note", Priority::medium));
  loop.run_for(60ms);
  EXPECT_FALSE(r->done);
  ASSERT_TRUE(loop.run_until_done(r, 2s));
  EXPECT_GE(r->finished - pushed, 195ms);
  EXPECT_LT(r->finished - pushed, 1000ms);
  EXPECT_EQ(event_hrefs(body_of(*r->response)), std::vector<std::string>{"/app/me/note"});
}

TEST(EventChannel, EventsQueuedBeforeThePGetAreHeldFromWhenTheyWereQueued) {
  Loop loop;
  auto limits = fast_limits();
  limits.batch_delay = 300ms;
  EventChannel ch(kPath, "", limits);
  auto pushed = Clock::now();
  ch.push(event("/app/me/note", Priority::low));
  std::this_thread::sleep_for(200ms);
  auto p = ack(1);
  p.timeout = 1800;
  auto r = loop.spawn(ch, p);
  ASSERT_TRUE(loop.run_until_done(r, 2s));
  EXPECT_GE(r->finished - pushed, 295ms);
  EXPECT_LT(r->finished - pushed, 450ms);  // not a fresh 300 ms from the P-GET
}

TEST(EventChannel, ClientMediumHoldIsHonouredAndRemembered) {
  Loop loop;
  EventChannel ch(kPath, "", fast_limits());  // batch_delay 20 ms
  auto p = ack(1);
  p.medium = 300;  // 300 ms here
  p.timeout = 1800;
  auto r1 = loop.spawn(ch, p);
  loop.run_for(5ms);
  auto pushed = Clock::now();
  ch.push(event("/app/me/presence", Priority::medium));
  loop.run_for(150ms);
  EXPECT_FALSE(r1->done);
  ASSERT_TRUE(loop.run_until_done(r1, 2s));
  EXPECT_GE(r1->finished - pushed, 295ms);
  EXPECT_LT(r1->finished - pushed, 1500ms);

  // The next P-GET says nothing: the hold (and timeout) still apply.
  auto r2 = loop.spawn(ch, ack(2));
  loop.run_for(5ms);
  pushed = Clock::now();
  ch.push(event("/app/me/presence", Priority::medium));
  loop.run_for(150ms);
  EXPECT_FALSE(r2->done);
  ASSERT_TRUE(loop.run_until_done(r2, 2s));
  EXPECT_GE(r2->finished - pushed, 295ms);
  EXPECT_EQ(event_hrefs(body_of(*r2->response)), std::vector<std::string>{"/app/me/presence"});
}

TEST(EventChannel, LowHoldIsSeparateFromMedium) {
  Loop loop;
  EventChannel ch(kPath, "", fast_limits());
  auto p = ack(1);
  p.low = 400;
  p.timeout = 1800;
  auto r = loop.spawn(ch, p);
  loop.run_for(5ms);
  auto pushed = Clock::now();
  ch.push(event("/app/me/location", Priority::low));
  loop.run_for(200ms);
  EXPECT_FALSE(r->done);
  ASSERT_TRUE(loop.run_until_done(r, 2s));
  EXPECT_GE(r->finished - pushed, 395ms);
}

TEST(EventChannel, RepeatedUpdatesToOneResourceKeepOnlyTheLatestAtTheLaterPosition) {
  Loop loop;
  EventChannel ch(kPath, "", fast_limits());
  auto a1 = event("/app/me/presence", Priority::medium);
  a1.embedded = boost::json::object{{"availability", "Online"}};
  ch.push(a1);
  ch.push(event("/app/me/note", Priority::medium));
  auto a2 = event("/app/me/presence", Priority::medium);
  a2.embedded = boost::json::object{{"availability", "Busy"}};
  ch.push(a2);
  ch.push(event("/app/end", Priority::high));
  auto b = body_of(take(loop, ch, 1));
  EXPECT_EQ(event_hrefs(b),
            (std::vector<std::string>{"/app/me/note", "/app/me/presence", "/app/end"}));
  const auto& presence = b.at("sender").as_array()[0].as_object().at("events").as_array()[1];
  EXPECT_EQ(presence.at("_embedded").at("presence").at("availability").as_string(), "Busy");
}

TEST(EventChannel, AddedAndDeletedAreNotAggregated) {
  Loop loop;
  EventChannel ch(kPath, "", fast_limits());
  ch.push(event("/app/c/1", Priority::high, EventType::added));
  ch.push(event("/app/c/1", Priority::high, EventType::deleted));
  EXPECT_EQ(event_hrefs(body_of(take(loop, ch, 1))).size(), 2u);
}

TEST(EventChannel, PushFromAnotherThreadWakesTheWaiter) {
  Loop loop;
  EventChannel ch(kPath, "", ChannelLimits{});  // real time: the timeout is 180 s
  auto r = loop.spawn(ch, ack(1));
  loop.run_for(10ms);
  ASSERT_TRUE(ch.parked());
  std::thread pusher([&] {
    std::this_thread::sleep_for(20ms);
    ch.push(event("/app/c/1", Priority::high, EventType::added));
  });
  bool done = loop.run_until_done(r, 3s);
  pusher.join();
  ASSERT_TRUE(done);
  EXPECT_EQ(event_hrefs(body_of(*r->response)), std::vector<std::string>{"/app/c/1"});
}

TEST(EventChannel, NewerPGetWithEqualPriorityReplacesTheWaitingOne) {
  Loop loop;
  EventChannel ch(kPath, "", ChannelLimits{});
  auto older = loop.spawn(ch, ack(1));
  loop.run_for(5ms);
  auto newer = loop.spawn(ch, ack(1));
  ASSERT_TRUE(loop.run_until_done(older, 1s));
  EXPECT_EQ(older->response->status, 409);
  auto err = body_of(*older->response);
  EXPECT_EQ(err.at("code").as_string(), "Conflict");
  EXPECT_EQ(err.at("subcode").as_string(), "PGetReplaced");
  EXPECT_FALSE(newer->done);
  EXPECT_TRUE(ch.parked());
  ch.push(event("/app/x"));
  ASSERT_TRUE(loop.run_until_done(newer, 1s));
  EXPECT_EQ(newer->response->status, 200);
  EXPECT_EQ(href_of(body_of(*newer->response), "self"), std::string(kPath) + "?ack=1");
}

TEST(EventChannel, NewerPGetWithLowerPriorityIsRefused) {
  Loop loop;
  EventChannel ch(kPath, "", ChannelLimits{});
  auto p_high = ack(1);
  p_high.priority = 5;
  auto p_low = ack(1);
  p_low.priority = 1;
  auto older = loop.spawn(ch, p_high);
  loop.run_for(5ms);
  auto newer = loop.spawn(ch, p_low);
  ASSERT_TRUE(loop.run_until_done(newer, 1s));
  EXPECT_EQ(newer->response->status, 409);
  EXPECT_EQ(body_of(*newer->response).at("subcode").as_string(), "PGetReplaced");
  loop.run_for(10ms);
  EXPECT_FALSE(older->done);
  EXPECT_TRUE(ch.parked());
  ch.push(event("/app/x"));
  ASSERT_TRUE(loop.run_until_done(older, 1s));
  EXPECT_EQ(older->response->status, 200);
}

TEST(EventChannel, CloseAnswersWaitingAndLaterPGetsWithNotFound) {
  Loop loop;
  EventChannel ch(kPath, "", ChannelLimits{});
  auto r = loop.spawn(ch, ack(1));
  loop.run_for(5ms);
  ch.close();
  ASSERT_TRUE(loop.run_until_done(r, 1s));
  EXPECT_EQ(r->response->status, 404);
  auto b = body_of(*r->response);
  EXPECT_EQ(b.at("code").as_string(), "NotFound");
  EXPECT_EQ(b.at("subcode").as_string(), "ApplicationNotFound");
  auto later = loop.spawn(ch, ack(1));
  ASSERT_TRUE(loop.run_until_done(later, 1s));
  EXPECT_EQ(later->response->status, 404);
  EXPECT_FALSE(ch.parked());
}

TEST(EventChannel, ReleaseAllAnswersAtOnceWithWhatIsQueued) {
  Loop loop;
  auto limits = ChannelLimits{};
  limits.batch_delay = 10s;
  EventChannel ch(kPath, "", limits);
  auto r = loop.spawn(ch, ack(1));
  loop.run_for(5ms);
  ch.push(event("/app/me/note", Priority::low));
  loop.run_for(10ms);
  EXPECT_FALSE(r->done);
  auto released = Clock::now();
  ch.release_all();
  ASSERT_TRUE(loop.run_until_done(r, 1s));
  EXPECT_LT(r->finished - released, 100ms);
  EXPECT_EQ(r->response->status, 200);
  EXPECT_EQ(event_hrefs(body_of(*r->response)), std::vector<std::string>{"/app/me/note"});
}

TEST(EventChannel, ResumePackageCarriesResumeAndNextAndDropsTheQueue) {
  Loop loop;
  EventChannel ch(kPath, "", fast_limits());
  ch.push(event("/app/stale", Priority::high));
  auto r = loop.spawn(ch, ack(1), /*resume=*/true);
  ASSERT_TRUE(loop.run_until_done(r, 1s));
  auto b = body_of(*r->response);
  EXPECT_EQ(href_of(b, "self"), std::string(kPath) + "?ack=1");
  EXPECT_EQ(href_of(b, "next"), std::string(kPath) + "?ack=2");
  EXPECT_EQ(href_of(b, "resume"), std::string(kPath) + "?ack=2");
  EXPECT_TRUE(event_hrefs(b).empty());
  // Following `next` continues normally.
  ch.push(event("/app/fresh"));
  EXPECT_EQ(event_hrefs(body_of(take(loop, ch, 2))), std::vector<std::string>{"/app/fresh"});
}

TEST(EventChannel, ResumeForgetsTheRememberedHold) {
  Loop loop;
  EventChannel ch(kPath, "", fast_limits());
  auto p = ack(1);
  p.medium = 1000;
  p.timeout = 1800;
  auto r1 = loop.spawn(ch, p);
  loop.run_for(5ms);
  ch.push(event("/app/x"));
  ASSERT_TRUE(loop.run_until_done(r1, 1s));
  auto resumed = loop.spawn(ch, ack(2), /*resume=*/true);
  ASSERT_TRUE(loop.run_until_done(resumed, 1s));
  // Back to the batch delay (20 ms), not the 1000 ms the client asked for before the reset.
  auto r3 = loop.spawn(ch, ack(3));
  loop.run_for(5ms);
  auto pushed = Clock::now();
  ch.push(event("/app/me/presence", Priority::medium));
  ASSERT_TRUE(loop.run_until_done(r3, 2s));
  EXPECT_LT(r3->finished - pushed, 150ms);
}

TEST(EventChannel, CancelledPGetLeavesTheChannelUnparked) {
  Loop loop;
  EventChannel ch(kPath, "", ChannelLimits{});
  boost::asio::cancellation_signal cancel;
  auto r = loop.spawn(ch, ack(1), false, &cancel);
  loop.run_for(5ms);
  ASSERT_TRUE(ch.parked());
  cancel.emit(boost::asio::cancellation_type::terminal);
  ASSERT_TRUE(loop.run_until_done(r, 1s));
  EXPECT_TRUE(r->error);
  EXPECT_FALSE(ch.parked());
  // Nothing was formed: the same ack still works.
  ch.push(event("/app/x"));
  EXPECT_EQ(href_of(body_of(take(loop, ch, 1)), "self"), std::string(kPath) + "?ack=1");
}

TEST(EventChannel, MemoryCountsQueuedEventsAndKeptPackages) {
  Loop loop;
  EventChannel ch(kPath, "", fast_limits());
  EXPECT_EQ(ch.memory_bytes(), 0u);
  auto e = event("/app/x");
  e.embedded = boost::json::object{{"filler", std::string(4000, ' ')}};
  ch.push(e);
  auto queued = ch.memory_bytes();
  EXPECT_GE(queued, 4000u);
  take(loop, ch, 1);
  EXPECT_GT(ch.memory_bytes(), 0u);  // the kept package
  EXPECT_LT(ch.memory_bytes(), queued);
  ch.close();
  EXPECT_EQ(ch.memory_bytes(), 0u);
}

}  // namespace
}  // namespace parley::events
