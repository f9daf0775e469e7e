#include "cli/http_client.hpp"
#include "common/text.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>

namespace parley::cli {
namespace {

constexpr std::size_t kMaxHeaders = 500;

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw HttpTransportError("libcurl could not be initialised", CURLE_FAILED_INIT);
  });
}


bool breaks_header(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// Everything one transfer collects; curl's callbacks write into it.
struct Transfer {
  HttpResult result;
  std::size_t max_body = 0;
  bool body_too_large = false;
  bool too_many_headers = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t bytes = size * n;
  if (t->result.body.size() + bytes > t->max_body) {
    t->body_too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  t->result.body.append(data, bytes);
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t bytes = size * n;
  const std::string_view line(data, bytes);
  // Each response (an interim 100 Continue, then the real one) starts with its status line.
  if (line.rfind("HTTP/", 0) == 0) {
    t->result.headers.clear();
    return bytes;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;  // the blank line ending the block
  if (t->result.headers.size() >= kMaxHeaders) {
    t->too_many_headers = true;
    return 0;
  }
  std::string_view value = line.substr(colon + 1);
  const auto first = value.find_first_not_of(" \t");
  const auto last = value.find_last_not_of(" \t\r\n");
  value = first == std::string_view::npos ? std::string_view{} : value.substr(first, last - first + 1);
  t->result.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return bytes;
}

bool valid_method(std::string_view m) {
  return !m.empty() && m.size() <= 16 &&
         std::all_of(m.begin(), m.end(), [](unsigned char c) { return std::isupper(c) != 0; });
}

// Frees the header list however request() leaves.
struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  void add(const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (!next) throw HttpTransportError("out of memory building request headers", CURLE_OUT_OF_MEMORY);
    list = next;
  }
};

}  // namespace

std::string HttpResult::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

std::string url_encode_component(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {
  global_init_once();
  curl_ = curl_easy_init();
  if (!curl_) throw HttpTransportError("curl_easy_init failed", CURLE_FAILED_INIT);
}

HttpClient::~HttpClient() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : options_(std::move(other.options_)), curl_(std::exchange(other.curl_, nullptr)) {}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
    options_ = std::move(other.options_);
    curl_ = std::exchange(other.curl_, nullptr);
  }
  return *this;
}

std::string HttpClient::url_for(std::string_view path) const {
  if (path.rfind("https://", 0) == 0 || path.rfind("http://", 0) == 0) return std::string(path);
  std::string url = options_.base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!path.empty() && path.front() != '/') url.push_back('/');
  url.append(path);
  return url;
}

HttpResult HttpClient::request(std::string_view method, std::string_view path, std::string_view body,
                               std::string_view content_type, const HttpHeaders& extra_headers) {
  if (!curl_) throw HttpTransportError("HTTP client used after it was moved from", CURLE_FAILED_INIT);
  if (!valid_method(method)) throw std::invalid_argument("invalid HTTP method");
  if (breaks_header(content_type)) throw std::invalid_argument("invalid Content-Type");
  for (const auto& [name, value] : extra_headers)
    if (name.empty() || breaks_header(name) || name.find(':') != std::string::npos || breaks_header(value))
      throw std::invalid_argument("invalid request header " + name);
  if (breaks_header(options_.bearer_token)) throw std::invalid_argument("invalid bearer token");

  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);  // drops the previous request's options, keeps the open connection

  const std::string method_s(method);
  const std::string url = url_for(path);
  if (breaks_header(url)) throw std::invalid_argument("invalid URL");

  HeaderList headers;
  headers.add("Expect:");  // no 100-continue round trip before large bodies
  if (!content_type.empty()) headers.add("Content-Type: " + std::string(content_type));
  for (const auto& [name, value] : extra_headers) headers.add(name + ": " + value);
  if (!options_.bearer_token.empty()) headers.add("Authorization: Bearer " + options_.bearer_token);

  Transfer t;
  t.max_body = options_.max_response_bytes;
  std::array<char, CURL_ERROR_SIZE> errbuf{};

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf.data());
  curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify ? 2L : 0L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, std::min(10L, static_cast<long>(options_.timeout.count())));
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_response_bytes));
  // Redirects are never followed: the bearer token must not travel to a place nobody named.
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);

  if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_s.c_str());
  }
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);

  const CURLcode rc = curl_easy_perform(curl);
  // The handle must not keep pointers into this frame's buffers past the call.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  if (rc != CURLE_OK) {
    std::string why;
    if (t.body_too_large)
      why = "the answer is larger than " + std::to_string(options_.max_response_bytes) + " bytes";
    else if (t.too_many_headers)
      why = "the answer has more than " + std::to_string(kMaxHeaders) + " headers";
    else
      why = errbuf[0] ? std::string(errbuf.data()) : std::string(curl_easy_strerror(rc));
    while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
    throw HttpTransportError(method_s + " " + url + ": " + why, static_cast<int>(rc));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &t.result.status);
  return std::move(t.result);
}

}  // namespace parley::cli
