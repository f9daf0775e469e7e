#pragma once
// An HTTPS client for push providers on libcurl's multi interface, driven by an Asio executor:
// no thread per request, one long-lived connection per origin, requests to one origin multiplexed
// over HTTP/2 (APNs requires HTTP/2; FCM and Web Push services take it). Thread-safe: send() may
// be called from any thread; completions run on the client's strand.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::push {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};
  // Connect only to public addresses (push/address_policy.hpp), judged on every address the name
  // resolves to when the connection opens, so a DNS answer cannot point the request inward.
  // Judged when a connection opens: a client's pooled connections are shared by its requests, so
  // a client is used with this set for all its requests (as the Web Push provider does) or none.
  bool public_addresses_only = false;
};

struct HttpResponse {
  long status = 0;        // 0: no HTTP answer (see error)
  long http_version = 0;  // 2 for HTTP/2, 1 for HTTP/1.x
  Headers headers;        // names lower-case
  std::string body;       // at most Http2ClientOptions::max_response_bytes
  std::string error;      // transport failure in words ("connection refused", "timed out", ...)
  std::chrono::microseconds elapsed{0};
  bool address_refused = false;  // public_addresses_only kept the request from connecting
  std::string header(std::string_view name) const;  // case-insensitive; "" when absent
};

struct Http2ClientOptions {
  std::string ca_file;      // PEM bundle to verify providers with; empty: the system's
  bool verify_peer = true;
  std::size_t max_response_bytes = 64 * 1024;
  std::size_t max_in_flight = 10000;  // beyond this, send() answers at once with an error
  std::chrono::seconds connect_timeout{10};
};

class Http2Client {
public:
  Http2Client(boost::asio::any_io_executor executor, Http2ClientOptions options);
  ~Http2Client();  // requests still in flight complete with error "client stopped"
  Http2Client(const Http2Client&) = delete;
  Http2Client& operator=(const Http2Client&) = delete;

  void send(HttpRequest request, std::function<void(HttpResponse)> done);
  boost::asio::awaitable<HttpResponse> send(HttpRequest request);

  // Connections opened since the start (tests: one long-lived connection per origin).
  std::size_t connections_opened() const;
  std::size_t in_flight() const;
  // Whether libcurl's resets of already-closed streams are dropped (push/reset_guard.hpp).
  bool closed_stream_resets_dropped() const;

private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace parley::push
