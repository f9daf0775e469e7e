#include "http/router.hpp"
#include "common/text.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace parley::http {

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

  const std::size_t index = routes_.size();
  Node* node = &root_;
  bool rest = false;
  for (const auto& s : r.segments) {
    if (s.rest) {
      rest = true;
      break;
    }
    std::unique_ptr<Node>& next = s.param ? node->param : node->literals[s.text];
    if (!next) next = std::make_unique<Node>();
    node = next.get();
  }
  (rest ? node->rest : node->ends).push_back(index);
  routes_.push_back(std::move(r));
}

void Router::fill_params(const Route& r, const std::vector<std::string>& segs,
                         PathParams& params) {
  std::size_t i = 0;
  for (const auto& s : r.segments) {
    if (s.rest) {
      std::string rest;
      for (std::size_t j = i; j < segs.size(); ++j) {
        if (j > i) rest += '/';
        rest += segs[j];
      }
      params[s.text] = std::move(rest);
      return;
    }
    if (s.param) params[s.text] = segs[i];
    ++i;
  }
}

void Router::collect(const Node& node, const std::vector<std::string>& segs, std::size_t i, Fits& out) {
  out.insert(out.end(), node.rest.begin(), node.rest.end());
  if (i == segs.size()) {
    out.insert(out.end(), node.ends.begin(), node.ends.end());
    return;
  }
  if (!node.literals.empty()) {
    // Literals are stored lower-case; most request segments already are.
    const std::string& seg = segs[i];
    const bool is_lower = std::none_of(seg.begin(), seg.end(), [](unsigned char c) {
      return c >= 'A' && c <= 'Z';
    });
    auto it = is_lower ? node.literals.find(seg) : node.literals.find(lower(seg));
    if (it != node.literals.end()) collect(*it->second, segs, i + 1, out);
  }
  if (node.param) collect(*node.param, segs, i + 1, out);
}

bool Router::wrap(std::string_view method, std::string_view pattern,
                  const std::function<Handler(Handler)>& decorate) {
  for (auto& r : routes_) {
    if (r.method != method || r.pattern != pattern) continue;
    r.handler = decorate(std::move(r.handler));
    return true;
  }
  return false;
}

Router::Match Router::match(Request& req) const {
  Match m;
  const std::string_view method = req.method == "HEAD" ? std::string_view("GET") : req.method;
  Fits fits;
  collect(root_, req.segments, 0, fits);
  // Registration order decides between patterns that both fit.
  std::sort(fits.begin(), fits.end());
  boost::container::small_vector<std::string_view, 4> allowed;
  for (const std::size_t index : fits) {
    const Route& r = routes_[index];
    if (r.method == method) {
      req.params.clear();
      fill_params(r, req.segments, req.params);
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
