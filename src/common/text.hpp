#pragma once
// ASCII text helpers shared by the protocol code: header names, media types, query keys and
// host names are compared and folded in ASCII only, never by locale.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace parley {

// Equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);
// ASCII letters lower-cased; every other byte unchanged.
std::string lower(std::string_view s);
// Without leading and trailing spaces and tabs (HTTP's optional white space).
std::string_view trim(std::string_view s);
// A host name in lower case (RFC 1123): labels of 1..63 letters, digits and inner hyphens, at
// most 253 characters, and a last label that is not all digits (so an IPv4 literal is not one).
bool is_dns_name(std::string_view name);
// At most `max_bytes` bytes, with everything outside printable ASCII replaced by '?': safe to
// show an administrator in a terminal or a log.
// RFC 3986 percent-encoding of everything but the unreserved characters (A-Z a-z 0-9 - . _ ~),
// for a value placed in a URL's path segment or query.
std::string percent_encode(std::string_view s);

std::string printable_ascii(std::string_view s, std::size_t max_bytes);

// For unordered containers keyed by std::string and looked up with a string_view (together with
// std::equal_to<>): a lookup then builds no string.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>()(s); }
};

}  // namespace parley
