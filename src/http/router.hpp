#pragma once
// Method + path-pattern routing for one site. Literal segments match case-insensitively (as IIS
// does for the paths UCWA clients hard-code); "{name}" captures one decoded segment and a final
// "{name*}" captures the rest of the path. Each site has its own Router, so a route registered
// only on the internal site simply does not exist on the external one.
// When several patterns fit a path, the one registered first wins. Patterns are kept in a tree
// of segments, so a request walks its own path instead of trying every route.

#include "http/message.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/container/small_vector.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::http {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

class Router {
public:
  // `pattern` such as "/admin/v1/users/{sip}". Registering the same method and pattern twice is a
  // programming error (std::logic_error).
  void add(std::string_view method, std::string_view pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: see status
    std::string_view route;  // the pattern that matched, for metrics ("" if none); lives as
                             // long as the router
    int status = 404;                  // 404 no such path, 405 path exists but not the method
    std::string allow;                 // for 405: the methods the path accepts
  };
  // Fills req.params on success. HEAD matches GET routes.
  Match match(Request& req) const;

  // Replaces the handler of a registered route by decorate(old handler), so that another module
  // can answer some requests on a path it does not own and pass the others on. False when no
  // route has this method and pattern.
  bool wrap(std::string_view method, std::string_view pattern,
            const std::function<Handler(Handler)>& decorate);

private:
  struct Segment {
    std::string text;  // literal (lower-case) or parameter name
    bool param = false;
    bool rest = false;
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
  };
  // One level of the segment tree: where a literal, a parameter or the rest of the path leads.
  struct Node {
    std::unordered_map<std::string, std::unique_ptr<Node>> literals;  // lower-case keys
    std::unique_ptr<Node> param;
    std::vector<std::size_t> ends;  // routes whose pattern ends here (indices into routes_)
    std::vector<std::size_t> rest;  // routes whose "{name*}" takes what is left from here
  };
  static void fill_params(const Route& r, const std::vector<std::string>& segs,
                          PathParams& params);
  // Route indices; a path seldom fits more than a few patterns.
  using Fits = boost::container::small_vector<std::size_t, 8>;
  // Adds to `out` every route whose pattern fits segs[i..].
  static void collect(const Node& node, const std::vector<std::string>& segs, std::size_t i, Fits& out);
  std::vector<Route> routes_;
  Node root_;
};

// The routers of a server: one per site for HTTPS, and one per site for its plain-HTTP
// listener. A plain-HTTP router holds only what may be answered without TLS (discovery when the
// deployment allows it); every other plain-HTTP request is redirected to HTTPS.
struct SiteRouters {
  Router internal;
  Router external;
  Router internal_plain;
  Router external_plain;

  const Router& select(Site site, bool secure) const {
    if (site == Site::internal) return secure ? internal : internal_plain;
    return secure ? external : external_plain;
  }
};

}  // namespace parley::http
