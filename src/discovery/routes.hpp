#pragma once
// Wires the discovery service (UCWA.md §1) into parleyd's routers, with the web-ticket service
// deciding who a token belongs to.

#include "auth/token_service.hpp"
#include "common/config.hpp"
#include "http/router.hpp"
#include "runtime/blocking_pool.hpp"
#include "storage/store.hpp"

#include <functional>
#include <string>

namespace parley::discovery {

// What discovery is built from. Every pointer must outlive the routers.
struct DiscoveryContext {
  const Config* config = nullptr;
  std::string internal_https_base;  // "https://fqdn[:port]" of each site, from the configuration
  std::string external_https_base;  // and the bound listeners (server::advertised_https_base)
  auth::TokenService* tokens = nullptr;
  storage::Store* store = nullptr;
  runtime::BlockingPool* pool = nullptr;
};

// Adds the discovery routes to both sites' HTTPS routers, and the discovery root to the
// plain-HTTP routers when config->discovery.http_discovery is set. Throws std::invalid_argument
// when a pointer of `ctx` is missing.
// Returns what rebuilds discovery's documents when the ExposedWebURL setting changes.
std::function<void(ExposedWebUrl)> register_routes(http::SiteRouters& routers,
                                                   const DiscoveryContext& ctx);

}  // namespace parley::discovery
