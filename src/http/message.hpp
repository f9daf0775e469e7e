#pragma once
// The request and response that route handlers see. They carry no socket or Beast type, so
// application code compiles without Beast and can be tested without a network.

#include <boost/container/small_vector.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::http {

// Which site a request arrived on (DESIGN.md §2). Admin routes exist only on `internal`.
enum class Site { internal, external };
std::string_view to_string(Site s);

class Headers {
public:
  // Case-insensitive lookup of the first value; empty view when absent.
  std::string_view get(std::string_view name) const;
  bool has(std::string_view name) const;
  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  void set(std::string name, std::string value);
  void reserve(std::size_t n) { fields_.reserve(n); }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Path parameters filled by the router ("{c}" -> its segment). A route has a few: a flat list
// that usually needs no allocation of its own.
class PathParams {
public:
  // The value of `name`; added empty when absent, as with std::map.
  std::string& operator[](std::string_view name);
  // Throws std::out_of_range when absent.
  const std::string& at(std::string_view name) const;
  bool empty() const { return items_.empty(); }
  void clear() { items_.clear(); }

private:
  boost::container::small_vector<std::pair<std::string, std::string>, 3> items_;
};

struct Request {
  std::string method;       // "GET", "POST", ...
  std::string target;       // raw request target as received
  std::string path;         // percent-decoded, duplicate slashes collapsed
  std::string query;        // raw query string without '?'
  std::vector<std::string> segments;  // decoded path segments (what `path` joins)
  Headers headers;
  std::string body;
  Site site = Site::external;
  bool secure = false;           // arrived over TLS
  std::string remote_address;    // peer IP
  PathParams params;             // path parameters filled by the router
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  static Response json(int status, std::string body);
  static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response empty(int status);
};

// The UCWA error body for a status (UCWA.md §0). `subcode` may be empty.
Response error_response(int status, std::string_view code, std::string_view subcode,
                        std::string_view message);

}  // namespace parley::http
