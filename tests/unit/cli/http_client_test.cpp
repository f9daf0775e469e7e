// The HTTP client against a one-shot local server: what goes on the wire and what comes back.
#include "cli/admin_client.hpp"
#include "cli/http_client.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace parley::cli {
namespace {

// Accepts one connection on 127.0.0.1, records the request, sends `reply` and closes.
class OneShotServer {
public:
  explicit OneShotServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 1);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~OneShotServer() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

private:
  void serve() {
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    // Read the head, then as much body as Content-Length says.
    for (;;) {
      const auto end = request_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t want = 0;
        const auto cl = request_.find("Content-Length: ");
        if (cl != std::string::npos) want = std::stoul(request_.substr(cl + 16));
        if (request_.size() >= end + 4 + want) break;
      }
      const auto n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      request_.append(buf, static_cast<std::size_t>(n));
    }
    ::send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
    ::close(c);
  }

  std::string reply_;
  std::string request_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

HttpClient client_for(std::string base_url) {
  HttpClientOptions o;
  o.base_url = std::move(base_url);
  return HttpClient(std::move(o));
}

TEST(HttpClient, SendsMethodBodyTokenAndReadsTheAnswer) {
  OneShotServer server("HTTP/1.1 201 Created\r\nLocation: /x/1\r\nContent-Length: 2\r\nX-Two: a\r\n"
                       "Connection: close\r\n\r\nok");
  HttpClientOptions o;
  o.base_url = server.base_url() + "/";
  o.bearer_token = "tok";
  HttpClient client(o);
  const auto r = client.request("PATCH", "/admin/v1/users/a%40b", R"({"x":1})", "application/json",
                                {{"Accept", "application/json"}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.header("location"), "/x/1");
  EXPECT_EQ(r.header("x-two"), "a");
  EXPECT_EQ(r.header("absent"), "");
  const auto req = server.request();
  EXPECT_EQ(req.rfind("PATCH /admin/v1/users/a%40b HTTP/1.1\r\n", 0), 0u) << req;
  EXPECT_NE(req.find("Authorization: Bearer tok\r\n"), std::string::npos) << req;
  EXPECT_NE(req.find("Content-Type: application/json\r\n"), std::string::npos) << req;
  EXPECT_NE(req.find("Accept: application/json\r\n"), std::string::npos) << req;
  EXPECT_EQ(req.substr(req.size() - 7), R"({"x":1})");
}

TEST(HttpClient, OversizedAnswerIsATransportError) {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n" +
                       std::string(100, 'x'));
  HttpClientOptions o;
  o.base_url = server.base_url();
  o.max_response_bytes = 10;
  HttpClient client(o);
  EXPECT_THROW(client.request("GET", "/"), HttpTransportError);
}

TEST(HttpClient, RefusedConnectionIsATransportErrorNamingTheUrl) {
  HttpClientOptions o;
  o.base_url = "https://127.0.0.1:1";
  o.bearer_token = "never-shown";
  HttpClient client(o);
  try {
    client.request("GET", "/admin/v1/users");
    FAIL() << "no exception";
  } catch (const HttpTransportError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("https://127.0.0.1:1/admin/v1/users"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("never-shown"), std::string::npos) << msg;
  }
}

TEST(HttpClient, HeaderInjectionIsRefused) {
  HttpClient client = client_for("http://127.0.0.1:1");
  EXPECT_THROW(client.request("GET", "/", {}, {}, {{"X-A", "v\r\nEvil: 1"}}), std::invalid_argument);
  EXPECT_THROW(client.request("GET", "/", {}, "text/plain\r\nX: y"), std::invalid_argument);
  EXPECT_THROW(client.request("get / HTTP/1.0\r\n", "/"), std::invalid_argument);
}

TEST(AdminClient, ErrorBodyBecomesAServerError) {
  OneShotServer server("HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nConnection: close\r\n"
                       "Content-Length: 73\r\n\r\n"
                       R"({"code":"Conflict","subcode":"AlreadyExists","message":"a@b.c exists..."})");
  HttpClient http = client_for(server.base_url());
  AdminClient admin(http);
  try {
    admin.create_user({{"sipUri", "a@b.c"}});
    FAIL() << "no exception";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.status(), 409);
    EXPECT_EQ(format_api_error(e.what(), e.code(), e.subcode()), "a@b.c exists... (Conflict/AlreadyExists)");
  }
  EXPECT_NE(server.request().find("POST /admin/v1/users HTTP/1.1"), std::string::npos);
}

TEST(AdminClient, NonJsonErrorStillExplainsItself) {
  OneShotServer server("HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 10\r\n\r\nupstream\x1b!");
  HttpClient http = client_for(server.base_url());
  AdminClient admin(http);
  try {
    admin.get_user("a@b.c");
    FAIL() << "no exception";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), "HTTP 502");
    EXPECT_EQ(std::string(e.what()), "upstream?!");
  }
}

TEST(AdminClient, PathsAndQueriesAreEncoded) {
  EXPECT_EQ(AdminClient::user_path("o'neil+x@ex.org"), "/admin/v1/users/o%27neil%2Bx@ex.org");
  EXPECT_EQ(url_encode_component("a b/c?d"), "a%20b%2Fc%3Fd");
}

}  // namespace
}  // namespace parley::cli
