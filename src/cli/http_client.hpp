#pragma once
// A small synchronous HTTP(S) client over one libcurl easy handle. The `parley` CLI speaks to the
// admin API with it and the end-to-end tests reuse it, so it knows nothing about Parley: a base
// URL, a trust anchor, an optional bearer token, and requests that return status, headers and
// body. Certificates are verified and TLS 1.2 is the floor unless the caller says otherwise.

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::cli {

// What the server answered. Any status counts as an answer; only failing to get one throws.
struct HttpResult {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // in arrival order

  // Value of the first header called `name` (case-insensitive), "" when absent.
  std::string header(std::string_view name) const;
};

// The server could not be reached or the exchange broke off: connection refused, DNS, TLS
// handshake or certificate failure, timeout, an answer over the size limit. The message names
// the method and URL and carries curl's explanation (never the bearer token).
class HttpTransportError : public std::runtime_error {
public:
  HttpTransportError(std::string message, int curl_code)
      : std::runtime_error(std::move(message)), curl_code_(curl_code) {}
  int curl_code() const noexcept { return curl_code_; }

private:
  int curl_code_;
};

struct HttpClientOptions {
  std::string base_url;          // e.g. "https://127.0.0.1:5443"; paths are appended to it
  std::string ca_file;           // PEM bundle to trust; empty = the system trust store
  std::string bearer_token;      // sent as "Authorization: Bearer ..." when not empty
  std::chrono::seconds timeout{30};
  bool verify = true;            // verify the peer certificate and host name
  std::size_t max_response_bytes = 64u << 20;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Not thread-safe: one client per thread. Keeps its connection open between requests.
class HttpClient {
public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `path` is appended to base_url ("/admin/v1/users?limit=5"); an absolute http(s) URL is used
  // as it is. A body is sent for POST/PUT/PATCH (even when empty) and for any method when it is
  // not empty. Throws HttpTransportError when no complete answer arrives, std::invalid_argument
  // for a header name or value that would break the request (CR, LF, NUL).
  HttpResult request(std::string_view method, std::string_view path, std::string_view body = {},
                     std::string_view content_type = {}, const HttpHeaders& extra_headers = {});

  const HttpClientOptions& options() const { return options_; }
  void set_timeout(std::chrono::seconds timeout) { options_.timeout = timeout; }

  // base_url + path, as request() would use it.
  std::string url_for(std::string_view path) const;

private:
  HttpClientOptions options_;
  void* curl_ = nullptr;  // CURL*, kept opaque so that users need not include curl.h
};

// Percent-encodes everything but RFC 3986 unreserved characters and '@', so that a value is one
// path segment or one query value whatever it holds.
std::string url_encode_component(std::string_view text);

}  // namespace parley::cli
