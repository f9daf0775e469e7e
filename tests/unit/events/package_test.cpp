// The shape of event packages as clients parse them (UCWA.md §4 "Response shape").

#include "events/event_channel.hpp"

#include "channel_harness.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <algorithm>

namespace parley::events {
namespace {

using namespace parley::events::testing;

constexpr const char* kPath = "/ucwa/oauth/v1/applications/7/events";

boost::json::object first_package(EventChannel& ch) {
  Loop loop;
  auto r = loop.spawn(ch, ack(1));
  EXPECT_TRUE(loop.run_until_done(r, 2s));
  return body_of(*r->response);
}

Event from(std::string sender_rel, std::string sender_href, std::string href,
           EventType type = EventType::added) {
  Event e;
  e.sender = Link{std::move(sender_rel), std::move(sender_href), ""};
  e.link = Link{"x", std::move(href), ""};
  e.type = type;
  e.priority = Priority::high;
  return e;
}

TEST(EventPackage, ConsecutiveEventsOfOneSenderShareAnEntry) {
  EventChannel ch(kPath, "", ChannelLimits{});
  ch.push(from("communication", "/app/communication", "/a"));
  ch.push(from("communication", "/app/communication", "/b"));
  ch.push(from("conversation", "/app/conv/1", "/c"));
  ch.push(from("communication", "/app/communication", "/d"));
  ch.push(from("conversation", "/app/conv/2", "/e"));  // same rel, other href: another sender
  auto senders = first_package(ch).at("sender").as_array();
  ASSERT_EQ(senders.size(), 4u);
  EXPECT_EQ(senders[0].at("rel").as_string(), "communication");
  EXPECT_EQ(senders[0].at("href").as_string(), "/app/communication");
  EXPECT_EQ(senders[0].at("events").as_array().size(), 2u);
  EXPECT_EQ(senders[1].at("href").as_string(), "/app/conv/1");
  EXPECT_EQ(senders[2].at("href").as_string(), "/app/communication");
  EXPECT_EQ(senders[2].at("events").as_array().size(), 1u);
  EXPECT_EQ(senders[3].at("href").as_string(), "/app/conv/2");
}

TEST(EventPackage, CompletedEventsComeAfterTheOthers) {
  EventChannel ch(kPath, "", ChannelLimits{});
  ch.push(from("me", "/app/me", "/op/1", EventType::started));
  ch.push(from("me", "/app/me", "/op/1", EventType::completed));
  ch.push(from("me", "/app/me", "/conv/1", EventType::added));
  ch.push(from("me", "/app/me", "/op/2", EventType::completed));
  ch.push(from("me", "/app/me", "/conv/1", EventType::updated));
  auto b = first_package(ch);
  EXPECT_EQ(event_hrefs(b),
            (std::vector<std::string>{"/op/1", "/conv/1", "/conv/1", "/op/1", "/op/2"}));
  const auto& events = b.at("sender").as_array()[0].at("events").as_array();
  EXPECT_EQ(events[0].at("type").as_string(), "started");
  EXPECT_EQ(events[2].at("type").as_string(), "updated");
  EXPECT_EQ(events[3].at("type").as_string(), "completed");
  EXPECT_EQ(events[4].at("type").as_string(), "completed");
}

TEST(EventPackage, EventCarriesInTitleStatusReasonAndEmbedded) {
  EventChannel ch(kPath, "", ChannelLimits{});
  Event e = from("conversation", "/app/conv/1", "/app/conv/1/messaging/messages/2",
                 EventType::completed);
  e.link.rel = "message";
  e.link.title = "Hi";
  e.in = Link{"participant", "/app/conv/1/participants/bob", ""};
  e.status = "Failed";
  e.reason = boost::json::object{{"code", "Gone"}, {"subcode", "Removed"}, {"message", "bye"}};
  e.embedded = boost::json::object{{"direction", "Outgoing"}, {"rel", "message"}};
  ch.push(e);
  auto ev = first_package(ch).at("sender").as_array()[0].at("events").as_array()[0].as_object();
  EXPECT_EQ(ev.at("link").at("rel").as_string(), "message");
  EXPECT_EQ(ev.at("link").at("title").as_string(), "Hi");
  EXPECT_EQ(ev.at("in").at("href").as_string(), "/app/conv/1/participants/bob");
  EXPECT_FALSE(ev.at("in").as_object().contains("title"));  // empty title is omitted
  EXPECT_EQ(ev.at("type").as_string(), "completed");
  EXPECT_EQ(ev.at("status").as_string(), "Failed");
  EXPECT_EQ(ev.at("reason").at("subcode").as_string(), "Removed");
  EXPECT_EQ(ev.at("_embedded").at("message").at("direction").as_string(), "Outgoing");
}

TEST(EventPackage, TextIsEscapedSoThePackageStaysValidJson) {
  EventChannel ch(kPath, "", ChannelLimits{});
  const std::string nasty = std::string("quote\" back\\ nl\n cr\r tab\t bell") + '\x07' + " \xc3\xa9";
  Event e = from("conversation", "/app/conv/\"1", "/app/conv/1/x");
  e.link.title = nasty;
  e.embedded = boost::json::object{{"subject", nasty}};
  ch.push(e);
  const auto package = first_package(ch);  // body_of() fails the test if it does not parse
  const auto& sender = package.at("sender").as_array()[0].as_object();
  EXPECT_EQ(sender.at("href").as_string(), "/app/conv/\"1");
  const auto& ev = sender.at("events").as_array()[0].as_object();
  EXPECT_EQ(ev.at("link").at("title").as_string(), nasty);
  EXPECT_EQ(ev.at("_embedded").at("x").at("subject").as_string(), nasty);
}

TEST(EventPackage, OptionalMembersAreAbsentWhenEmpty) {
  EventChannel ch(kPath, "", ChannelLimits{});
  ch.push(from("me", "/app/me", "/app/me/presence", EventType::updated));
  auto ev = first_package(ch).at("sender").as_array()[0].at("events").as_array()[0].as_object();
  EXPECT_FALSE(ev.contains("in"));
  EXPECT_FALSE(ev.contains("status"));
  EXPECT_FALSE(ev.contains("reason"));
  EXPECT_FALSE(ev.contains("_embedded"));
  EXPECT_FALSE(ev.at("link").as_object().contains("title"));
}

TEST(EventPackage, InstanceIdIsAppendedPercentEncodedToEveryHref) {
  EventChannel ch(kPath, "a b&c=d/é", ChannelLimits{});
  ch.push(from("me", "/app/me", "/x"));
  auto b = first_package(ch);
  const std::string suffix = "&instanceId=a%20b%26c%3Dd%2F%C3%A9";
  EXPECT_EQ(href_of(b, "self"), std::string(kPath) + "?ack=1" + suffix);
  EXPECT_EQ(href_of(b, "next"), std::string(kPath) + "?ack=2" + suffix);

  Loop loop;
  auto r = loop.spawn(ch, ack(9));
  ASSERT_TRUE(loop.run_until_done(r, 1s));
  EXPECT_EQ(href_of(body_of(*r->response), "resync"), std::string(kPath) + "?ack=1" + suffix);
}

// Text written as JSON by hand must read back as the same string, whatever it holds and
// wherever the characters that need escaping fall (they are looked for eight bytes at a time).
TEST(JsonText, EveryStringReadsBackTheSame) {
  const std::string specials[] = {std::string("\"", 1), "\\", "\n", "\r", "\t", std::string("\0", 1), "\x01",
                                  "\x1f", " ", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "/", "<"};
  for (std::size_t length = 0; length <= 40; ++length) {
    for (std::size_t at = 0; at < std::max<std::size_t>(length, 1); ++at) {
      for (const auto& special : specials) {
        std::string text(length, 'a');
        if (length > 0) text.replace(at, 1, special);
        std::string out;
        append_json_string(out, text);
        boost::json::error_code ec;
        const auto v = boost::json::parse(out, ec);
        ASSERT_FALSE(ec) << out;
        ASSERT_TRUE(v.is_string()) << out;
        ASSERT_EQ(std::string(v.as_string()), text) << out;
      }
    }
  }
  // Pieces written one after the other make one string.
  std::string out = "\"";
  append_json_chars(out, "a\"b");
  append_json_chars(out, "\\c\n");
  out += '"';
  EXPECT_EQ(std::string(boost::json::parse(out).as_string()), "a\"b\\c\n");
}

}  // namespace
}  // namespace parley::events
