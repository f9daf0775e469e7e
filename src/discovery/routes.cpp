#include "discovery/routes.hpp"

#include "discovery/service.hpp"

#include <stdexcept>

namespace parley::discovery {

std::function<void(ExposedWebUrl)> register_routes(http::SiteRouters& routers,
                                                   const DiscoveryContext& ctx) {
  if (!ctx.config || !ctx.tokens || !ctx.store || !ctx.pool)
    throw std::invalid_argument("discovery::register_routes: incomplete context");
  auth::TokenService* tokens = ctx.tokens;
  AuthHooks hooks;
  hooks.bearer = [tokens](const http::Request& req) { return tokens->authenticate(req); };
  hooks.web_ticket = [tokens](std::string token) { return tokens->validate(std::move(token)); };
  hooks.challenge = [](std::string_view url, std::string_view message) {
    return auth::challenge_response(url, message);
  };
  ServiceSettings settings{ctx.config->sip_domains, ctx.config->discovery, ctx.internal_https_base,
                           ctx.external_https_base};
  auto live = std::make_shared<LiveDiscovery>(
      std::make_shared<const DiscoveryService>(settings, hooks, ctx.store, ctx.pool));
  register_service_routes(routers, live, ctx.config->discovery.http_discovery);
  return [live, settings, hooks, store = ctx.store, pool = ctx.pool](ExposedWebUrl exposed) {
    if (live->get()->exposed_web_url() == exposed) return;
    ServiceSettings changed = settings;
    changed.discovery.exposed_web_url = exposed;
    live->set(std::make_shared<const DiscoveryService>(std::move(changed), hooks, store, pool));
  };
}

}  // namespace parley::discovery
