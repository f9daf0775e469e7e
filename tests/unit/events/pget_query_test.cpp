#include "events/event_channel.hpp"

#include "common/error.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::events {
namespace {

// The message must name the parameter so the client can tell which one it got wrong.
void expect_refused(std::string_view query, std::string_view param) {
  try {
    parse_pget_query(query);
    ADD_FAILURE() << "accepted: " << query;
  } catch (const ParameterValidationFailure& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(e.subcode(), "ParameterValidationFailure");
    EXPECT_EQ(std::string(e.what()).rfind(std::string(param), 0), 0u) << e.what();
  }
}

TEST(PGetQuery, ReadsEveryParameterAndIgnoresOthers) {
  auto p = parse_pget_query("ack=5&medium=300&low=600&timeout=900&priority=-3&instanceId=ab%20c&x");
  EXPECT_EQ(p.ack, 5u);
  EXPECT_EQ(p.medium, 300u);
  EXPECT_EQ(p.low, 600u);
  EXPECT_EQ(p.timeout, 900u);
  EXPECT_EQ(p.priority, -3);
}

TEST(PGetQuery, OptionalParametersStayUnsetWhenAbsent) {
  auto p = parse_pget_query("instanceId=1&ack=1");
  EXPECT_EQ(p.ack, 1u);
  EXPECT_FALSE(p.timeout);
  EXPECT_FALSE(p.medium);
  EXPECT_FALSE(p.low);
  EXPECT_FALSE(p.priority);
}

TEST(PGetQuery, AcceptsRangeBoundaries) {
  auto lo = parse_pget_query("ack=1&timeout=180&medium=5&low=5");
  EXPECT_EQ(lo.timeout, 180u);
  EXPECT_EQ(lo.medium, 5u);
  EXPECT_EQ(lo.low, 5u);
  auto hi = parse_pget_query("ack=9007199254740992&timeout=1800&medium=1800&low=1800");
  EXPECT_EQ(hi.ack, 9007199254740992u);
  EXPECT_EQ(hi.timeout, 1800u);
  EXPECT_EQ(hi.medium, 1800u);
  EXPECT_EQ(hi.low, 1800u);
}

TEST(PGetQuery, RefusesOutOfRangeValues) {
  expect_refused("ack=0", "ack");
  expect_refused("ack=9007199254740993", "ack");
  expect_refused("ack=1&timeout=179", "timeout");
  expect_refused("ack=1&timeout=1801", "timeout");
  expect_refused("ack=1&medium=4", "medium");
  expect_refused("ack=1&medium=1801", "medium");
  expect_refused("ack=1&low=4", "low");
  expect_refused("ack=1&low=1801", "low");
}

TEST(PGetQuery, RefusesMissingOrMalformedValues) {
  expect_refused("", "ack");
  expect_refused("instanceId=3", "ack");
  expect_refused("ack=", "ack");
  expect_refused("ack", "ack");
  expect_refused("ack=-1", "ack");
  expect_refused("ack=1x", "ack");
  expect_refused("ack=+1", "ack");
  expect_refused("ack=99999999999999999999999", "ack");
  expect_refused("ack=1&timeout=abc", "timeout");
  expect_refused("ack=1&priority=", "priority");
  expect_refused("ack=1&priority=high", "priority");
}

TEST(EventType, WireNames) {
  EXPECT_EQ(to_string(EventType::added), "added");
  EXPECT_EQ(to_string(EventType::updated), "updated");
  EXPECT_EQ(to_string(EventType::deleted), "deleted");
  EXPECT_EQ(to_string(EventType::started), "started");
  EXPECT_EQ(to_string(EventType::completed), "completed");
}

}  // namespace
}  // namespace parley::events
