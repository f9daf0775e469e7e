#include "http/wire.hpp"

#include <gtest/gtest.h>

namespace parley::http {
namespace {

TEST(Wire, SerialisesStatusHeadersLengthAndBody) {
  auto res = Response::json(201, R"({"a":1})");
  res.headers.set("Location", "/x");
  EXPECT_EQ(serialize_response(res, false, true),
            "HTTP/1.1 201 Created\r\nContent-Type: application/json; charset=utf-8\r\n"
            "Location: /x\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
}

TEST(Wire, CloseAndHeadAndBodilessStatuses) {
  auto res = Response::text(200, "hello");
  EXPECT_EQ(serialize_response(res, true, false),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n"
            "Connection: close\r\n\r\n");
  EXPECT_EQ(serialize_response(Response::empty(204), false, true), "HTTP/1.1 204 No Content\r\n\r\n");
  auto odd = Response::empty(799);
  EXPECT_EQ(serialize_response(odd, false, true).rfind("HTTP/1.1 799 Unknown\r\n", 0), 0u);
}

TEST(Wire, DropsHeadersThatWouldSplitTheResponse) {
  Response res = Response::empty(301);
  res.headers.add("Location", "/a\r\nSet-Cookie: evil=1");
  res.headers.add("Bad\nName", "x");
  res.headers.add("X-Ok", "fine");
  const auto wire = serialize_response(res, false, true);
  EXPECT_EQ(wire.find("evil"), std::string::npos) << wire;
  EXPECT_EQ(wire.find("Bad"), std::string::npos) << wire;
  EXPECT_NE(wire.find("X-Ok: fine\r\n"), std::string::npos) << wire;
}

}  // namespace
}  // namespace parley::http
