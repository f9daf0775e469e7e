#pragma once
// Turns a raw request target into the normalised path the router matches: percent-decoded
// segments, duplicate slashes collapsed. Dot segments and NUL bytes are refused rather than
// resolved, so no route can be reached by a disguised path.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::http {

struct ParsedTarget {
  std::vector<std::string> segments;
  std::string path;   // "/" + segments joined by "/"
  std::string query;  // raw, without '?'
};

// Throws parley::BadRequest for a target that is not an origin-form URI or hides a dot segment.
ParsedTarget parse_target(std::string_view target);

// The decoded name/value pairs of a query string ("a=1&b=x%20y"; '+' is a space), in order.
// Throws parley::BadRequest for characters a query may not hold or a broken %-escape.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

// Decoded value of the first query parameter `name` (exact match), or empty.
std::string query_param(std::string_view query, std::string_view name, bool* present = nullptr);

}  // namespace parley::http
