#include "http/router.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <stdexcept>

namespace parley::http {
namespace {

Handler answer(int status) {
  return [status](Request&) -> boost::asio::awaitable<Response> { co_return Response::empty(status); };
}

Request request(std::string method, std::vector<std::string> segments) {
  Request r;
  r.method = std::move(method);
  r.segments = std::move(segments);
  return r;
}

int run(const Router::Match& m, Request& req) {
  boost::asio::io_context ioc;
  auto fut = boost::asio::co_spawn(ioc, (*m.handler)(req), boost::asio::use_future);
  ioc.run();
  return fut.get().status;
}

TEST(Router, MatchesLiteralPathsCaseInsensitively) {
  Router r;
  r.add("GET", "/Autodiscover/AutodiscoverService.svc/root", answer(200));
  auto req = request("GET", {"autodiscover", "AUTODISCOVERSERVICE.SVC", "Root"});
  auto m = r.match(req);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.route, "/Autodiscover/AutodiscoverService.svc/root");
  EXPECT_EQ(run(m, req), 200);
}

TEST(Router, CapturesParametersVerbatim) {
  Router r;
  r.add("GET", "/admin/v1/users/{sip}", answer(200));
  auto req = request("GET", {"admin", "v1", "users", "Alice@Example.org"});
  auto m = r.match(req);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(req.params.at("sip"), "Alice@Example.org");
}

TEST(Router, RestParameterTakesTheRemainder) {
  Router r;
  r.add("GET", "/files/{path*}", answer(200));
  auto req = request("GET", {"files", "a", "b", "c.txt"});
  ASSERT_NE(r.match(req).handler, nullptr);
  EXPECT_EQ(req.params.at("path"), "a/b/c.txt");
}

TEST(Router, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  Router r;
  r.add("GET", "/health", answer(200));
  r.add("POST", "/health", answer(201));
  auto missing = request("GET", {"nothing"});
  EXPECT_EQ(r.match(missing).status, 404);
  auto wrong = request("DELETE", {"health"});
  auto m = r.match(wrong);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
}

TEST(Router, HeadIsServedByGet) {
  Router r;
  r.add("GET", "/health", answer(200));
  auto req = request("HEAD", {"health"});
  EXPECT_NE(r.match(req).handler, nullptr);
}

TEST(Router, LengthMustMatchExactly) {
  Router r;
  r.add("GET", "/a/b", answer(200));
  auto shorter = request("GET", {"a"});
  auto longer = request("GET", {"a", "b", "c"});
  EXPECT_EQ(r.match(shorter).handler, nullptr);
  EXPECT_EQ(r.match(longer).handler, nullptr);
}

TEST(Router, WhenSeveralPatternsFitTheFirstRegisteredWins) {
  Router r;
  r.add("GET", "/people/{sip}", answer(201));
  r.add("GET", "/people/search", answer(202));
  r.add("POST", "/people/search", answer(203));
  r.add("GET", "/files/{path*}", answer(204));
  r.add("GET", "/files/readme", answer(205));
  auto search = request("GET", {"people", "Search"});
  auto m = r.match(search);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.route, "/people/{sip}");
  EXPECT_EQ(search.params.at("sip"), "Search");
  // Another method picks among the fitting patterns by method, still in registration order.
  auto post = request("POST", {"people", "search"});
  m = r.match(post);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(run(m, post), 203);
  auto readme = request("GET", {"files", "readme"});
  m = r.match(readme);
  EXPECT_EQ(m.route, "/files/{path*}");
  EXPECT_EQ(readme.params.at("path"), "readme");
  // A rest parameter also takes an empty remainder.
  auto files = request("GET", {"files"});
  m = r.match(files);
  EXPECT_EQ(m.route, "/files/{path*}");
  EXPECT_EQ(files.params.at("path"), "");
}

TEST(Router, AllowListsEveryMethodOfEveryFittingPattern) {
  Router r;
  r.add("PUT", "/a/{x}", answer(200));
  r.add("POST", "/a/b", answer(200));
  r.add("GET", "/a/b/c", answer(200));
  auto req = request("DELETE", {"A", "B"});
  const auto m = r.match(req);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "PUT, POST");
}

TEST(Router, ManyRoutesStillMatchTheirOwnPath) {
  Router r;
  for (int i = 0; i < 200; ++i)
    r.add("GET", "/ucwa/v1/applications/{app}/r" + std::to_string(i) + "/{id}", answer(200 + i % 50));
  for (int i = 0; i < 200; i += 37) {
    auto req = request("GET", {"ucwa", "v1", "applications", "x1", "R" + std::to_string(i), "y"});
    const auto m = r.match(req);
    ASSERT_NE(m.handler, nullptr) << i;
    EXPECT_EQ(m.route, "/ucwa/v1/applications/{app}/r" + std::to_string(i) + "/{id}");
    EXPECT_EQ(req.params.at("app"), "x1");
    EXPECT_EQ(req.params.at("id"), "y");
  }
}

TEST(Router, RegisteringARouteTwiceIsAnError) {
  Router r;
  r.add("GET", "/a", answer(200));
  EXPECT_THROW(r.add("GET", "/a", answer(200)), std::logic_error);
}

}  // namespace
}  // namespace parley::http
