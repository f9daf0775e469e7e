#pragma once
// The request and response that route handlers see. They carry no socket or Beast type, so
// application code compiles without Beast and can be tested without a network.

#include <cstdint>
#include <map>
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
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

private:
  std::vector<std::pair<std::string, std::string>> fields_;
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
  std::map<std::string, std::string> params;  // path parameters filled by the router
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
