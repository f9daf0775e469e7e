// UCWA batching (UCWA.md §0 "Batch") against the real parleyd: several requests in one
// multipart/batching POST are run in order, each answered in its own part, and a batch can never
// reach outside its own application nor park on the event channel.
#include "ucwa_client.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace parley::e2e {
namespace {

constexpr char kBoundary[] = "e2e-batch-4f1c";

struct Embedded {
  Embedded(std::string m, std::string p, std::string b = "", std::vector<std::string> h = {})
      : method(std::move(m)), path(std::move(p)), body(std::move(b)), headers(std::move(h)) {}
  std::string method;
  std::string path;
  std::string body;
  std::vector<std::string> headers;
};

std::string batch_body(const std::vector<Embedded>& requests) {
  std::string out = "preamble, ignored\r\n";
  for (const auto& r : requests) {
    out += std::string("--") + kBoundary + "\r\nContent-Type: application/http; msgtype=request\r\n\r\n";
    out += r.method + " " + r.path + " HTTP/1.1\r\nAccept: application/json\r\n";
    for (const auto& h : r.headers) out += h + "\r\n";
    out += "\r\n" + r.body + "\r\n";
  }
  return out + "--" + kBoundary + "--\r\n";
}

struct Part {
  int status = 0;
  std::string headers;  // raw header block of the embedded response
  std::string body;
};

// Reads a multipart/batching answer independently of the server's own codec.
std::vector<Part> parts_of(const Reply& r) {
  const std::string type = r.header("Content-Type");
  const auto at = type.find("boundary=");
  EXPECT_TRUE(type.starts_with("multipart/batching")) << type;
  if (at == std::string::npos) return {};
  const std::string delimiter = "--" + type.substr(at + 9);
  std::vector<Part> parts;
  std::size_t pos = r.body.find(delimiter);
  while (pos != std::string::npos) {
    pos += delimiter.size();
    if (r.body.compare(pos, 2, "--") == 0) break;
    const std::size_t next = r.body.find("\r\n" + delimiter, pos);
    if (next == std::string::npos) break;
    const std::string part = r.body.substr(pos + 2, next - pos - 2);
    const auto mime_end = part.find("\r\n\r\n");
    EXPECT_NE(part.substr(0, mime_end).find("application/http"), std::string::npos) << part;
    const std::string message = part.substr(mime_end + 4);
    Part p;
    EXPECT_TRUE(message.starts_with("HTTP/1.1 ")) << message;
    p.status = std::stoi(message.substr(9, 3));
    const auto head_end = message.find("\r\n\r\n");
    p.headers = message.substr(0, head_end);
    p.body = message.substr(head_end + 4);
    parts.push_back(p);
    pos = next + 2;
  }
  return parts;
}

class UcwaBatch : public ::testing::Test {
protected:
  void SetUp() override {
    server.start_with_test_config(dir.path());
    add_user(server, "alice@example.org", {"--name", "Alice Example"});
    add_user(server, "bob@example.org", {"--name", "Bob Builder"});
    alice = sign_in(server, "alice@example.org");
    bob = sign_in(server, "bob@example.org");
  }
  Reply send(const UcwaApp& app, const std::vector<Embedded>& requests,
             const std::string& content_type = std::string("multipart/batching; boundary=") + kBoundary) {
    return app.post(app.href() + "/batch", batch_body(requests), {"Content-Type: " + content_type});
  }
  TempDir dir;
  Parleyd server;
  std::string alice, bob;
};

TEST_F(UcwaBatch, AnswersEachPartInOrder) {
  UcwaApp app(server, alice);
  const std::string batch_href =
      std::string(app.resource().at("_links").at("batch").at("href").as_string());
  ASSERT_EQ(batch_href, app.href() + "/batch");
  const auto r = send(app, {{"GET", app.href() + "/me"},
                            {"GET", app.href() + "/policies"},
                            {"GET", app.href() + "/no/such"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto parts = parts_of(r);
  ASSERT_EQ(parts.size(), 3u) << r.body;
  EXPECT_EQ(parts[0].status, 200);
  EXPECT_EQ(std::string(parse_json(parts[0].body).at("uri").as_string()), "sip:alice@example.org");
  EXPECT_NE(parts[0].headers.find("application/json"), std::string::npos) << parts[0].headers;
  EXPECT_EQ(parts[1].status, 200);
  EXPECT_EQ(std::string(parse_json(parts[1].body).at("rel").as_string()), "policies");
  EXPECT_EQ(parts[2].status, 404);
  EXPECT_EQ(std::string(parse_json(parts[2].body).at("code").as_string()), "NotFound");
}

TEST_F(UcwaBatch, PartsRunInOrderAndSeeEachOthersEffects) {
  UcwaApp app(server, alice);
  const std::vector<std::string> json = {"Content-Type: application/json"};
  const auto r = send(app, {{"GET", app.href() + "/me/presence"},
                            {"POST", app.href() + "/me/makeMeAvailable", "{}", json},
                            {"GET", app.href() + "/me/presence"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto parts = parts_of(r);
  ASSERT_EQ(parts.size(), 3u) << r.body;
  EXPECT_EQ(parts[0].status, 409);  // not available yet
  EXPECT_EQ(parts[1].status, 204);
  EXPECT_EQ(parts[2].status, 200) << parts[2].body;
  // And the effect is real outside the batch too.
  EXPECT_EQ(app.get(app.href() + "/me/presence").status, 200);
}

TEST_F(UcwaBatch, CannotReachAnotherApplicationOrTheEventChannel) {
  UcwaApp mine(server, alice);
  UcwaApp other(server, alice);
  UcwaApp bobs(server, bob);
  const auto r = send(mine, {{"GET", other.href() + "/me"},
                             {"GET", bobs.href() + "/me"},
                             {"GET", "/ucwa/oauth/v1/applications"},
                             {"GET", mine.events_path},
                             {"POST", mine.href() + "/batch"},
                             {"GET", mine.href() + "/policies"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto parts = parts_of(r);
  ASSERT_EQ(parts.size(), 6u) << r.body;
  EXPECT_EQ(parts[0].status, 403);
  EXPECT_EQ(parts[1].status, 403);
  EXPECT_EQ(parts[2].status, 403);
  EXPECT_EQ(parts[3].status, 400);  // a P-GET would hold the whole batch
  EXPECT_EQ(parts[4].status, 400);  // no nesting
  EXPECT_EQ(parts[5].status, 200);
  EXPECT_EQ(std::string(parse_json(parts[0].body).at("code").as_string()), "Forbidden");
}

TEST_F(UcwaBatch, RefusesWhatIsNotABatch) {
  UcwaApp app(server, alice);
  const auto json = app.post(app.href() + "/batch", "{}", {"Content-Type: application/json"});
  EXPECT_TRUE(json.status == 415 || json.status == 400) << json.status;
  const auto no_boundary = send(app, {{"GET", app.href() + "/me"}}, "multipart/batching");
  EXPECT_EQ(no_boundary.status, 400);
  std::vector<Embedded> many(21, Embedded{"GET", app.href() + "/me"});
  const auto too_many = send(app, many);
  EXPECT_EQ(too_many.status, 400);
  EXPECT_NE(too_many.body.find("at most 20"), std::string::npos) << too_many.body;
  // Without a token the batch itself is challenged, before any part runs.
  const auto anonymous = http_request("POST", server.external_https + app.href() + "/batch", server.ca_file(),
                                      batch_body({{"GET", app.href() + "/me"}}), "",
                                      {std::string("Content-Type: multipart/batching; boundary=") + kBoundary});
  EXPECT_EQ(anonymous.status, 401);
}

}  // namespace
}  // namespace parley::e2e
