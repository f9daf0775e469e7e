#pragma once
// Turns a raw request target into the normalised path the router matches: percent-decoded
// segments, duplicate slashes collapsed. Dot segments and NUL bytes are refused rather than
// resolved, so no route can be reached by a disguised path.

#include <string>
#include <string_view>
#include <vector>

namespace parley::http {

struct ParsedTarget {
  std::vector<std::string> segments;
  std::string path;   // "/" + segments joined by "/"
  std::string query;  // raw, without '?'
};

// Throws parley::BadRequest for a target that is not an origin-form URI or hides a dot segment.
ParsedTarget parse_target(std::string_view target);

// Decoded value of the first query parameter `name` (exact match), or empty.
std::string query_param(std::string_view query, std::string_view name, bool* present = nullptr);

}  // namespace parley::http
