#include "http/router.hpp"
#include "common/text.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace parley::http {
namespace {


}  // namespace

void Router::add(std::string_view method, std::string_view pattern, Handler handler) {
  Route r;
  r.method = std::string(method);
  r.pattern = std::string(pattern);
  r.handler = std::move(handler);
  std::size_t pos = 0;
  while (pos < pattern.size()) {
    while (pos < pattern.size() && pattern[pos] == '/') ++pos;
    if (pos >= pattern.size()) break;
    std::size_t end = pattern.find('/', pos);
    if (end == std::string_view::npos) end = pattern.size();
    std::string_view seg = pattern.substr(pos, end - pos);
    Segment s;
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      s.param = true;
      s.text = std::string(seg.substr(1, seg.size() - 2));
      if (!s.text.empty() && s.text.back() == '*') {
        s.rest = true;
        s.text.pop_back();
        if (end != pattern.size()) throw std::logic_error("{rest*} must be the last segment");
      }
    } else {
      s.text = lower(seg);
    }
    r.segments.push_back(std::move(s));
    pos = end;
  }
  for (const auto& existing : routes_)
    if (existing.method == r.method && existing.pattern == r.pattern)
      throw std::logic_error("route registered twice: " + r.method + " " + r.pattern);
  routes_.push_back(std::move(r));
}

bool Router::matches(const Route& r, const std::vector<std::string>& segs,
                     std::map<std::string, std::string>* params) {
  std::size_t i = 0;
  for (const auto& s : r.segments) {
    if (s.rest) {
      if (params) {
        std::string rest;
        for (std::size_t j = i; j < segs.size(); ++j) {
          if (j > i) rest += '/';
          rest += segs[j];
        }
        (*params)[s.text] = std::move(rest);
      }
      return true;
    }
    if (i >= segs.size()) return false;
    if (s.param) {
      if (params) (*params)[s.text] = segs[i];
    } else if (!iequals(segs[i], s.text)) {  // literals are stored lower-case
      return false;
    }
    ++i;
  }
  return i == segs.size();
}

Router::Match Router::match(Request& req) const {
  Match m;
  const std::string_view method = req.method == "HEAD" ? std::string_view("GET") : req.method;
  std::vector<std::string> allowed;
  for (const auto& r : routes_) {
    if (!matches(r, req.segments, nullptr)) continue;
    if (r.method == method) {
      std::map<std::string, std::string> params;
      matches(r, req.segments, &params);
      req.params = std::move(params);
      m.handler = &r.handler;
      m.route = r.pattern;
      m.status = 200;
      return m;
    }
    if (std::find(allowed.begin(), allowed.end(), r.method) == allowed.end())
      allowed.push_back(r.method);
  }
  if (!allowed.empty()) {
    m.status = 405;
    for (const auto& a : allowed) {
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += a;
      if (a == "GET") m.allow += ", HEAD";
    }
  }
  return m;
}

}  // namespace parley::http
