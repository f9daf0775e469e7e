#include "http/target.hpp"

#include "common/error.hpp"
#include "common/text.hpp"

#include <algorithm>
#include <array>

namespace parley::http {
namespace {

// The target is validated and split by hand rather than with Boost.URL: on the discovery root,
// Boost.URL's general parser took about 7% of a request (bench/run discovery, perf), and an
// origin-form target needs only this table and percent-decoding.
//
// RFC 3986 §3.3/§3.4 character classes for an origin-form target, as a lookup table.
enum : unsigned char { kPathChar = 1, kQueryChar = 2 };

constexpr std::array<unsigned char, 256> make_classes() {
  std::array<unsigned char, 256> t{};
  auto both = [&](unsigned char c) { t[c] = kPathChar | kQueryChar; };
  for (unsigned char c = 'a'; c <= 'z'; ++c) both(c);
  for (unsigned char c = 'A'; c <= 'Z'; ++c) both(c);
  for (unsigned char c = '0'; c <= '9'; ++c) both(c);
  for (unsigned char c : std::string_view("-._~!$&'()*+,;=:@%/")) both(c);  // unreserved, sub-delims, pchar
  t[static_cast<unsigned char>('?')] = kQueryChar;                          // only inside the query
  return t;
}
constexpr auto kClasses = make_classes();

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in` (and '+' as space when `plus_is_space`). False on a broken escape.
bool decode(std::string_view in, bool plus_is_space, std::string& out) {
  if (in.find('%') == std::string_view::npos &&
      (!plus_is_space || in.find('+') == std::string_view::npos)) {
    out.assign(in);  // the common case: nothing to decode
    return true;
  }
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      const int hi = i + 1 < in.size() ? hex_digit(in[i + 1]) : -1;
      const int lo = i + 2 < in.size() ? hex_digit(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

}  // namespace

ParsedTarget parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') throw BadRequest("request target must start with '/'");
  const auto qmark = target.find('?');
  const std::string_view raw_path = target.substr(0, qmark);
  const std::string_view raw_query =
      qmark == std::string_view::npos ? std::string_view() : target.substr(qmark + 1);
  for (unsigned char c : raw_path)
    if (!(kClasses[c] & kPathChar)) throw BadRequest("malformed request target");
  for (unsigned char c : raw_query)
    if (!(kClasses[c] & kQueryChar)) throw BadRequest("malformed request target");

  // Segments are decoded one by one, so an encoded slash stays inside its segment; dot
  // segments and NUL bytes are refused rather than resolved.
  ParsedTarget out;
  out.segments.reserve(static_cast<std::size_t>(std::count(raw_path.begin(), raw_path.end(), '/')));
  std::size_t pos = 0;
  std::string segment;
  while (pos <= raw_path.size()) {
    std::size_t end = raw_path.find('/', pos);
    if (end == std::string_view::npos) end = raw_path.size();
    const auto raw = raw_path.substr(pos, end - pos);
    pos = end + 1;
    if (!decode(raw, false, segment)) throw BadRequest("malformed percent-encoding in the path");
    if (segment.empty()) continue;  // "//" collapses
    if (segment == "." || segment == "..") throw BadRequest("dot segments are not allowed in the path");
    if (segment.find('\0') != std::string::npos) throw BadRequest("NUL byte in path");
    out.segments.push_back(segment);
  }
  out.path.reserve(raw_path.size() + 1);
  out.path = "/";
  for (std::size_t i = 0; i < out.segments.size(); ++i) {
    if (i) out.path += '/';
    out.path += out.segments[i];
  }
  out.query = std::string(raw_query);
  return out;
}

namespace {

// Calls f(raw key, raw value) for every non-empty pair of a checked query string, until f
// returns false.
template <class F>
void for_each_pair(std::string_view query, F&& f) {
  for (unsigned char c : query)
    if (!(kClasses[c] & kQueryChar)) throw BadRequest("malformed query string");
  // Every escape is checked here, also in pairs that f never decodes.
  for (auto i = query.find('%'); i != std::string_view::npos; i = query.find('%', i + 1))
    if (i + 2 >= query.size() || hex_digit(query[i + 1]) < 0 || hex_digit(query[i + 2]) < 0)
      throw BadRequest("malformed percent-encoding in the query string");
  std::size_t pos = 0;
  while (pos < query.size()) {
    std::size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    const auto pair = query.substr(pos, end - pos);
    pos = end + 1;
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (!f(pair.substr(0, eq), eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1))) return;
  }
}

void decode_query_part(std::string_view raw, std::string& out) {
  if (!decode(raw, true, out)) throw BadRequest("malformed percent-encoding in the query string");
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  for_each_pair(query, [&](std::string_view raw_key, std::string_view raw_value) {
    std::string key, value;
    decode_query_part(raw_key, key);
    decode_query_part(raw_value, value);
    params.emplace_back(std::move(key), std::move(value));
    return true;
  });
  return params;
}

// Looks for one name without building the whole list: this runs on most requests (operationId).
std::string query_param(std::string_view query, std::string_view name, bool* present) {
  if (present) *present = false;
  std::string key, value;
  bool found = false;
  for_each_pair(query, [&](std::string_view raw_key, std::string_view raw_value) {
    decode_query_part(raw_key, key);
    if (key != name) return true;
    decode_query_part(raw_value, value);
    found = true;
    return false;
  });
  if (present) *present = found;
  return value;
}

}  // namespace parley::http
