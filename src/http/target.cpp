#include "http/target.hpp"

#include "common/error.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/decode_view.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/url_view.hpp>

namespace parley::http {

ParsedTarget parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') throw BadRequest("request target must start with '/'");
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) throw BadRequest("malformed request target");
  const boost::urls::url_view& u = *parsed;

  // Split the encoded path ourselves: Boost.URL's segment view hides a leading "/." (its own
  // disambiguation prefix), and a dot segment must be refused, not silently dropped.
  ParsedTarget out;
  const std::string_view raw_path = u.encoded_path();
  std::size_t pos = 0;
  while (pos <= raw_path.size()) {
    std::size_t end = raw_path.find('/', pos);
    if (end == std::string_view::npos) end = raw_path.size();
    const auto raw = raw_path.substr(pos, end - pos);
    pos = end + 1;
    auto pct = boost::urls::make_pct_string_view(raw);
    if (!pct) throw BadRequest("malformed percent-encoding in the path");
    std::string s;
    s.reserve(pct->decoded_size());
    for (char c : **pct) s.push_back(c);
    if (s.empty()) continue;  // "//" collapses
    if (s == "." || s == "..") throw BadRequest("dot segments are not allowed in the path");
    if (s.find('\0') != std::string::npos) throw BadRequest("NUL byte in path");
    out.segments.push_back(std::move(s));
  }
  out.path = "/";
  for (std::size_t i = 0; i < out.segments.size(); ++i) {
    if (i) out.path += '/';
    out.path += out.segments[i];
  }
  if (u.has_query()) out.query = std::string(u.encoded_query());
  return out;
}

std::string query_param(std::string_view query, std::string_view name, bool* present) {
  if (present) *present = false;
  if (query.empty()) return {};
  std::string target = "/?";
  target.append(query);
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) throw BadRequest("malformed query string");
  for (auto p : parsed->params()) {
    if (p.key == name) {
      if (present) *present = true;
      return std::string(p.value);
    }
  }
  return {};
}

}  // namespace parley::http
