#include "admin/ops_routes.hpp"

#include "admin/json_body.hpp"
#include "common/log.hpp"

#include <chrono>

namespace parley::admin {

void register_ops_routes(http::Router& internal, storage::Store& store, runtime::BlockingPool& pool,
                         runtime::Metrics& metrics) {
  internal.add("GET", "/health", [&store, &pool](http::Request&) -> boost::asio::awaitable<http::Response> {
    const auto started = std::chrono::steady_clock::now();
    std::string failure;
    try {
      auto ping = [&store] { store.ping(); };
      co_await pool.store(ping);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (!failure.empty()) {
      logger("health")->error("store check failed: {}", failure);
      co_return json_response(503, boost::json::object{{"code", "ServiceUnavailable"},
                                                       {"subcode", "StoreUnavailable"},
                                                       {"message", "the store does not answer"}});
    }
    co_return json_response(200, boost::json::object{{"status", "ok"}, {"store", "ok"}, {"storeLatencyMs", ms}});
  });
  internal.add("GET", "/metrics", [&metrics](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::Response::text(200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace parley::admin
