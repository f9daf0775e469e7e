// `POST {app}/batch` (UCWA.md §0 "Batch"): every embedded request goes through the same routers,
// authentication and handlers as if it had come on its own, one after the other, and each part of
// the answer tells how that request went; the batch itself succeeds even when its parts fail.

#include "api/batch.hpp"
#include "api/engine.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "http/target.hpp"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace parley::api {

namespace asio = boost::asio;

namespace {

// Clients that build batches from hrefs they resolved may send the absolute form; only the path
// and query matter, since the batch already arrived on this host.
std::string origin_form(const std::string& target) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (target.size() > scheme.size() && iequals(std::string_view(target).substr(0, scheme.size()), scheme)) {
      const auto slash = target.find('/', scheme.size());
      return slash == std::string::npos ? "/" : target.substr(slash);
    }
  }
  return target;
}

// The segments after "/ucwa/oauth/v1/applications/{id}" (or the /ucwa/v1 form) when `segments`
// lie under `app`; the application id is compared exactly, the literal words as the router does.
std::optional<std::vector<std::string>> below_application(const std::vector<std::string>& segments,
                                                          const Application& app) {
  static const std::array<std::vector<std::string_view>, 2> kPrefixes = {
      std::vector<std::string_view>{"ucwa", "oauth", "v1", "applications"},
      std::vector<std::string_view>{"ucwa", "v1", "applications"}};
  for (const auto& prefix : kPrefixes) {
    if (segments.size() < prefix.size() + 2) continue;
    bool same = true;
    for (std::size_t i = 0; i < prefix.size() && same; ++i) same = iequals(segments[i], prefix[i]);
    if (!same || segments[prefix.size()] != app.id()) continue;
    return std::vector<std::string>(segments.begin() + static_cast<std::ptrdiff_t>(prefix.size() + 1),
                                    segments.end());
  }
  return std::nullopt;
}

// The request a part stands for, as the front door would have built it. Throws ApiError when the
// part may not be run inside a batch.
http::Request inner_request(const http::Request& outer, const EmbeddedRequest& part,
                            const Application& app) {
  http::Request inner;
  inner.method = part.method;
  inner.target = origin_form(part.target);
  auto parsed = http::parse_target(inner.target);
  const auto rest = below_application(parsed.segments, app);
  if (!rest)
    throw Forbidden("a batch may only hold requests for its own application (" + app.base() + "/...)");
  if (rest->size() == 1 && iequals(rest->front(), "events"))
    throw BadRequest("the event channel cannot be read inside a batch: its pending GET would hold "
                     "the whole batch");
  if (!rest->empty() && iequals(rest->front(), "batch"))
    throw BadRequest("a batch may not contain another batch");
  inner.segments = std::move(parsed.segments);
  inner.path = std::move(parsed.path);
  inner.query = std::move(parsed.query);
  for (const auto& [name, value] : part.headers) inner.headers.add(name, value);
  if (!inner.headers.has("Authorization") && outer.headers.has("Authorization"))
    inner.headers.add("Authorization", std::string(outer.headers.get("Authorization")));
  inner.body = part.body;
  inner.site = outer.site;
  inner.secure = outer.secure;
  inner.remote_address = outer.remote_address;
  return inner;
}

bool boundary_is_free(const std::vector<http::Response>& answers, const std::string& boundary) {
  for (const auto& a : answers)
    if (a.body.find(boundary) != std::string::npos) return false;
  return true;
}

}  // namespace

void register_batch_route(Engine& engine, http::SiteRouters& routers) {
  const http::SiteRouters* all = &routers;
  engine.add_route(routers, "POST", "/batch",
                   [all](http::Request& req, Application& app) -> asio::awaitable<http::Response> {
    const std::string_view type = req.headers.get("Content-Type");
    if (!is_batch_media_type(type))
      throw UnsupportedMediaType("a batch must be sent as multipart/batching with a boundary");
    const auto parts = parse_batch(type, req.body);

    std::vector<http::Response> answers;
    answers.reserve(parts.size());
    for (const auto& part : parts) {
      http::Response res;
      try {
        http::Request inner = inner_request(req, part, app);
        auto match = all->select(req.site, req.secure).match(inner);
        if (match.handler) {
          res = co_await (*match.handler)(inner);
        } else if (match.status == 405) {
          res = http::error_response(405, "MethodNotAllowed", "MethodNotAllowed",
                                     inner.method + " is not allowed here");
          res.headers.set("Allow", match.allow);
        } else {
          res = http::error_response(404, "NotFound", "ResourceNotFound",
                                     "no resource at " + inner.path);
        }
      } catch (const ApiError& e) {
        res = http::error_response(e.status(), e.code(), e.subcode(), e.what());
        if (e.status() == 401 && !res.headers.has("WWW-Authenticate"))
          res.headers.set("WWW-Authenticate", "Bearer");
      } catch (const std::exception& e) {
        logger("ucwa")->error("batch part {} {}: unexpected error: {}", part.method, part.target,
                              e.what());
        res = http::error_response(500, "ServiceFailure", "ServiceFailure",
                                   "the server could not complete the request");
      }
      if (iequals(part.method, "HEAD")) res.body.clear();
      answers.push_back(std::move(res));
    }

    std::string boundary = new_batch_boundary();
    while (!boundary_is_free(answers, boundary)) boundary = new_batch_boundary();
    http::Response out;
    out.status = 200;
    out.headers.set("Content-Type", "multipart/batching; boundary=" + boundary);
    out.body = serialize_batch(answers, boundary);
    co_return out;
  });
}

}  // namespace parley::api
