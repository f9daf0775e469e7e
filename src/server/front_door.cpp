#include "server/front_door.hpp"

#include "common/error.hpp"
#include "common/log.hpp"
#include "http/compression.hpp"
#include "http/target.hpp"

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>

namespace parley::server {
namespace {

// Bodies smaller than this gain nothing from gzip.
constexpr std::size_t kMinCompressBytes = 256;

bool compressible(std::string_view content_type) {
  return content_type.starts_with("application/json") || content_type.starts_with("application/xml") ||
         content_type.starts_with("text/") || content_type.find("+json") != std::string_view::npos ||
         content_type.find("+xml") != std::string_view::npos;
}

}  // namespace

boost::asio::awaitable<http::Response> FrontDoor::operator()(http::Request& req) const {
  const auto started = std::chrono::steady_clock::now();
  const SiteFacts& site = req.site == http::Site::internal ? internal_ : external_;
  std::string_view route = "(none)";
  http::Response res;
  try {
    auto target = http::parse_target(req.target);
    req.segments = std::move(target.segments);
    req.path = std::move(target.path);
    req.query = std::move(target.query);
    auto match = routers_.select(req.site, req.secure).match(req);
    if (match.handler) {
      route = match.route;
      res = co_await (*match.handler)(req);
    } else if (!req.secure && !site.https_base.empty() && (req.method == "GET" || req.method == "HEAD")) {
      // Plain HTTP carries only what its router holds; everything else moves to HTTPS.
      route = "(redirect to https)";
      res = http::Response::empty(301);
      res.headers.set("Location", site.https_base + req.target);
    } else if (match.status == 405) {
      route = "(method not allowed)";
      res = http::error_response(405, "MethodNotAllowed", "MethodNotAllowed",
                                 req.method + " is not allowed here");
      res.headers.set("Allow", match.allow);
    } else {
      throw NotFound("no resource at " + req.path);
    }
  } catch (const ApiError& e) {
    res = http::error_response(e.status(), e.code(), e.subcode(), e.what());
    if (e.status() == 401 && !res.headers.has("WWW-Authenticate"))
      res.headers.set("WWW-Authenticate", "Bearer");
  } catch (const StoreError& e) {
    logger("store")->error("{} {}: {}", req.method, route, e.what());
    res = http::error_response(500, "ServiceFailure", "ServiceFailure",
                               "the server could not complete the request");
  } catch (const boost::system::system_error& e) {
    // A held request cancelled because its client closed the connection: nobody reads this.
    if (e.code() == boost::asio::error::operation_aborted) {
      logger("http")->debug("{} {}: the client went away", req.method, route);
    } else {
      logger("http")->error("{} {}: unexpected error: {}", req.method, route, e.what());
    }
    res = http::error_response(500, "ServiceFailure", "ServiceFailure",
                               "the server could not complete the request");
  } catch (const std::exception& e) {
    logger("http")->error("{} {}: unexpected error: {}", req.method, route, e.what());
    res = http::error_response(500, "ServiceFailure", "ServiceFailure",
                               "the server could not complete the request");
  }

  res.headers.reserve(res.headers.fields().size() + 4);  // room for what follows, in one allocation
  // The seed's rule: nothing in the mobility path is cached.
  if (!res.headers.has("Cache-Control")) res.headers.set("Cache-Control", "no-cache");
  res.headers.set("X-Content-Type-Options", "nosniff");
  res.headers.set("X-MS-Server-Fqdn", site.fqdn);
  if (res.body.size() >= kMinCompressBytes && !res.headers.has("Content-Encoding") &&
      compressible(res.headers.get("Content-Type"))) {
    res.headers.set("Vary", "Accept-Encoding");
    if (http::accepts_gzip(req.headers.get("Accept-Encoding"))) {
      res.body = http::gzip_compress(res.body);
      res.headers.set("Content-Encoding", "gzip");
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  metrics_.request_done(req.site, route, res.status, elapsed);
  static const auto access_log = logger("http");  // looked up once, not per request
  access_log->debug("{} {} {} -> {} ({:.2f} ms)", http::to_string(req.site), req.method,
                        route, res.status,
                        std::chrono::duration<double, std::milli>(elapsed).count());
  co_return res;
}

}  // namespace parley::server
