#include "http/target.hpp"

#include "common/error.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace parley::http {

ParsedTarget parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') throw BadRequest("request target must start with '/'");
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) throw BadRequest("malformed request target");
  const boost::urls::url_view& u = *parsed;

  ParsedTarget out;
  for (auto seg : u.segments()) {
    std::string s(seg);  // decoded
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
