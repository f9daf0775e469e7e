#include "http/target.hpp"

#include "common/error.hpp"

#include <gtest/gtest.h>

namespace parley::http {
namespace {

TEST(Target, DecodesSegmentsAndCollapsesDuplicateSlashes) {
  auto t = parse_target("//admin///v1/users/alice%40example.org?limit=5");
  EXPECT_EQ(t.path, "/admin/v1/users/alice@example.org");
  ASSERT_EQ(t.segments.size(), 4u);
  EXPECT_EQ(t.segments[3], "alice@example.org");
  EXPECT_EQ(t.query, "limit=5");
}

TEST(Target, RootIsASlash) {
  auto t = parse_target("/");
  EXPECT_EQ(t.path, "/");
  EXPECT_TRUE(t.segments.empty());
}

TEST(Target, EncodedSlashStaysInsideItsSegment) {
  auto t = parse_target("/a%2Fb/c");
  ASSERT_EQ(t.segments.size(), 2u);
  EXPECT_EQ(t.segments[0], "a/b");
}

TEST(Target, RefusesDotSegmentsPlainOrEncoded) {
  EXPECT_THROW(parse_target("/admin/../health"), BadRequest);
  EXPECT_THROW(parse_target("/admin/%2e%2e/health"), BadRequest);
  EXPECT_THROW(parse_target("/./health"), BadRequest);
}

TEST(Target, RefusesMalformedTargets) {
  EXPECT_THROW(parse_target(""), BadRequest);
  EXPECT_THROW(parse_target("health"), BadRequest);
  EXPECT_THROW(parse_target("http://example.org/health"), BadRequest);
  EXPECT_THROW(parse_target("/bad%zzescape"), BadRequest);
  EXPECT_THROW(parse_target("/nul%00byte"), BadRequest);
}

TEST(Target, QueryParametersAreDecoded) {
  bool present = false;
  EXPECT_EQ(query_param("originalDomain=contoso.com&sipuri=sip%3Aa%40b.c", "sipuri", &present), "sip:a@b.c");
  EXPECT_TRUE(present);
  EXPECT_EQ(query_param("a=1", "b", &present), "");
  EXPECT_FALSE(present);
  EXPECT_EQ(query_param("", "a", &present), "");
  EXPECT_FALSE(present);
}

TEST(Query, SplitsAndDecodesPairsInOrder) {
  auto q = parse_query("a=1&b=x%20y+z&&flag&a=2&empty=");
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[0], std::make_pair(std::string("a"), std::string("1")));
  EXPECT_EQ(q[1], std::make_pair(std::string("b"), std::string("x y z")));
  EXPECT_EQ(q[2], std::make_pair(std::string("flag"), std::string()));
  EXPECT_EQ(q[3].second, "2");
  EXPECT_EQ(q[4], std::make_pair(std::string("empty"), std::string()));
  EXPECT_EQ(query_param("a=1&a=2", "a"), "1");  // the first one wins
}

TEST(Query, RefusesBrokenEscapesAndForbiddenCharacters) {
  EXPECT_THROW(parse_query("a=%"), BadRequest);
  EXPECT_THROW(parse_query("a=%4"), BadRequest);
  EXPECT_THROW(parse_query("a=%zz"), BadRequest);
  EXPECT_THROW(parse_query("a=b c"), BadRequest);
  EXPECT_THROW(parse_query("a=\"x\""), BadRequest);
  EXPECT_THROW(parse_target("/p?x=#frag"), BadRequest);
  EXPECT_THROW(parse_target("/a b"), BadRequest);
  // Looking up one name still refuses a broken escape anywhere in the query, also after it.
  EXPECT_THROW(query_param("operationId=1&x=%zz", "operationId"), BadRequest);
  EXPECT_THROW(query_param("operationId=1&x=%4", "operationId"), BadRequest);
  EXPECT_THROW(query_param("x=%&operationId=1", "operationId"), BadRequest);
  EXPECT_EQ(query_param("x=%25&operationId=%41", "operationId"), "A");
}

}  // namespace
}  // namespace parley::http
