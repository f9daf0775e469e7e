// The batch codec (UCWA.md §0 "Batch"): what a client packs into multipart/batching must come out
// as the same requests, in order and byte for byte, and a malformed batch must be refused with a
// message that says what is wrong rather than be half run.
#include "api/batch.hpp"
#include "common/error.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::api {
namespace {

constexpr char kType[] = "multipart/batching; boundary=77f2569d";

std::string part(const std::string& request, const std::string& eol = "\r\n") {
  return "--77f2569d" + eol + "Content-Type: application/http; msgtype=request" + eol + eol +
         request + eol;
}

std::string close(const std::string& eol = "\r\n") { return "--77f2569d--" + eol; }

// The message of the BadRequest `f` throws ("" if it throws nothing or something else).
template <class F>
std::string bad_request_message(F f) {
  try {
    f();
  } catch (const BadRequest& e) {
    return e.what();
  } catch (...) {
    return "(other exception)";
  }
  return "(no exception)";
}

TEST(BatchParse, ReadsTwoRequestsWithCrlf) {
  const std::string body =
      part("GET /ucwa/oauth/v1/applications/101/me HTTP/1.1\r\nAccept: application/json\r\n") +
      part("GET /ucwa/oauth/v1/applications/101/policies HTTP/1.1\r\n") + close();
  const auto reqs = parse_batch(kType, body);
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].target, "/ucwa/oauth/v1/applications/101/me");
  ASSERT_EQ(reqs[0].headers.size(), 1u);
  EXPECT_EQ(reqs[0].headers[0].first, "Accept");
  EXPECT_EQ(reqs[0].headers[0].second, "application/json");
  EXPECT_EQ(reqs[0].body, "");
  EXPECT_EQ(reqs[1].target, "/ucwa/oauth/v1/applications/101/policies");
  EXPECT_TRUE(reqs[1].headers.empty());
}

TEST(BatchParse, ReadsBareLfLineEndings) {
  const std::string body =
      part("POST /ucwa/v1/applications/7/me/reportMyActivity HTTP/1.1\nContent-Type: application/json\n\n{}",
           "\n") +
      part("DELETE /ucwa/v1/applications/7 HTTP/1.1", "\n") + close("\n");
  const auto reqs = parse_batch(kType, body);
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].body, "{}");
  EXPECT_EQ(reqs[1].method, "DELETE");
  EXPECT_EQ(reqs[1].target, "/ucwa/v1/applications/7");
}

TEST(BatchParse, QuotedBoundaryAndCaseInsensitiveMediaType) {
  const std::string body =
      "--a b:c\r\nContent-Type: application/http\r\n\r\nGET /x HTTP/1.1\r\n--a b:c--\r\n";
  const auto reqs = parse_batch("Multipart/Batching; charset=utf-8; BOUNDARY=\"a b:c\"", body);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/x");
  EXPECT_EQ(boundary_of("multipart/batching; boundary=\"q\\\"x\""), "q\"x");
}

TEST(BatchParse, PreambleAndEpilogueAreIgnored) {
  const std::string body = "This is the preamble.\r\n--77f2569d is not a delimiter here\r\n" +
                           part("GET /only HTTP/1.1") + close() +
                           "epilogue\r\n--77f2569d\r\n\r\nGET /ignored HTTP/1.1\r\n";
  const auto reqs = parse_batch(kType, body);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/only");
}

TEST(BatchParse, BodyIsKeptByteForByte) {
  // CRLFs, a lone CR, a NUL and a line that starts like the boundary (but is longer).
  const std::string payload = std::string("line1\r\nline2\r\n\r\n\r--77f2569dX\nend\0z", 32);
  const std::string body =
      part("POST /p HTTP/1.1\r\nContent-Type: text/plain\r\n\r\n" + payload) + close();
  const auto reqs = parse_batch(kType, body);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].body, payload);

  // With Content-Length, exactly that many bytes are the body.
  const std::string sized =
      part("POST /p HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello\r\n") + close();
  EXPECT_EQ(parse_batch(kType, sized).at(0).body, "hello");
  EXPECT_NE(bad_request_message([&] {
              parse_batch(kType, part("POST /p HTTP/1.1\r\nContent-Length: 50\r\n\r\nhi") + close());
            }).find("Content-Length"),
            std::string::npos);
}

TEST(BatchParse, PartsWithoutMimeHeadersAreAccepted) {
  const std::string body = "--77f2569d\r\nGET /a HTTP/1.1\r\n--77f2569d\r\n\r\nGET /b HTTP/1.1\r\n" + close();
  const auto reqs = parse_batch(kType, body);
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].target, "/a");
  EXPECT_EQ(reqs[1].target, "/b");
}

TEST(BatchParse, MissingBoundaryIsABadRequest) {
  const std::string body = part("GET /a HTTP/1.1") + close();
  EXPECT_NE(bad_request_message([&] { parse_batch("multipart/batching", body); }).find("boundary"),
            std::string::npos);
  EXPECT_NE(bad_request_message([&] { parse_batch("multipart/batching; boundary=", body); }).find("boundary"),
            std::string::npos);
  EXPECT_NE(bad_request_message([&] { parse_batch("multipart/batching; boundary=other", body); })
                .find("no part"),
            std::string::npos);
}

TEST(BatchParse, WrongMediaTypeIsABadRequest) {
  EXPECT_FALSE(is_batch_media_type("application/json"));
  EXPECT_TRUE(is_batch_media_type("multipart/batching;boundary=x"));
  EXPECT_NE(bad_request_message([&] { parse_batch("application/json", "{}"); }).find("multipart/batching"),
            std::string::npos);
}

TEST(BatchParse, PartWithoutRequestLineIsABadRequest) {
  const std::string body = part("GET /a HTTP/1.1") + part("Accept: application/json\r\n\r\n") + close();
  const std::string msg = bad_request_message([&] { parse_batch(kType, body); });
  EXPECT_NE(msg.find("part 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("request line"), std::string::npos) << msg;
  EXPECT_NE(bad_request_message([&] { parse_batch(kType, part("GET /a") + close()); }).find("request line"),
            std::string::npos);
  EXPECT_NE(bad_request_message([&] { parse_batch(kType, part("") + close()); }).find("part 1"),
            std::string::npos);
}

TEST(BatchParse, OtherPartTypesAreRefused) {
  const std::string body =
      "--77f2569d\r\nContent-Type: application/json\r\n\r\n{}\r\n" + close();
  EXPECT_NE(bad_request_message([&] { parse_batch(kType, body); }).find("application/http"),
            std::string::npos);
}

TEST(BatchParse, TruncatedOrEmptyBatchesAreRefused) {
  EXPECT_NE(bad_request_message([&] { parse_batch(kType, part("GET /a HTTP/1.1")); }).find("closing"),
            std::string::npos);
  EXPECT_NE(bad_request_message([&] { parse_batch(kType, close()); }).find("no request"),
            std::string::npos);
}

TEST(BatchParse, AtMostTwentyParts) {
  std::string twenty;
  for (int i = 0; i < 20; ++i) twenty += part("GET /r" + std::to_string(i) + " HTTP/1.1");
  const auto reqs = parse_batch(kType, twenty + close());
  ASSERT_EQ(reqs.size(), 20u);
  EXPECT_EQ(reqs[19].target, "/r19");
  const std::string msg =
      bad_request_message([&] { parse_batch(kType, twenty + part("GET /r20 HTTP/1.1") + close()); });
  EXPECT_NE(msg.find("at most 20"), std::string::npos) << msg;
}

TEST(BatchParse, HugeHeaderLineIsTooLarge) {
  const std::string body =
      part("GET /a HTTP/1.1\r\nX-Big: " + std::string(10000, 'a') + "\r\n") + close();
  EXPECT_THROW(parse_batch(kType, body), EntityTooLarge);
}

TEST(BatchSerialize, RoundTripKeepsOrderStatusHeadersAndBodies) {
  std::vector<http::Response> responses;
  responses.push_back(http::Response::json(200, R"({"rel":"me"})"));
  responses.push_back(http::error_response(404, "NotFound", "ResourceNotFound", "no resource"));
  responses.push_back(http::Response::empty(204));
  responses.push_back(http::Response::text(200, "a\r\nb\r\n\r\n", "text/plain"));
  const std::string boundary = new_batch_boundary();
  ASSERT_FALSE(boundary.empty());
  const std::string body = serialize_batch(responses, boundary);
  EXPECT_TRUE(body.starts_with("--" + boundary + "\r\nContent-Type: application/http; msgtype=response\r\n\r\n"
                               "HTTP/1.1 200 OK\r\n"))
      << body;
  EXPECT_TRUE(body.ends_with("--" + boundary + "--\r\n"));

  const auto back = parse_batch_responses("multipart/batching; boundary=" + boundary, body);
  ASSERT_EQ(back.size(), responses.size());
  for (std::size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].status, responses[i].status) << i;
    EXPECT_EQ(back[i].body, responses[i].body) << i;
    EXPECT_EQ(back[i].headers.get("Content-Type"), responses[i].headers.get("Content-Type")) << i;
  }
  EXPECT_EQ(back[0].headers.get("Content-Length"), "12");
}

TEST(BatchSerialize, FreshBoundariesDiffer) {
  EXPECT_NE(new_batch_boundary(), new_batch_boundary());
}

}  // namespace
}  // namespace parley::api
