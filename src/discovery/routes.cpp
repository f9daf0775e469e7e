#include "discovery/routes.hpp"

#include "discovery/service.hpp"

#include <stdexcept>

namespace parley::discovery {

void register_routes(http::SiteRouters& routers, const DiscoveryContext& ctx) {
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
  auto service = std::make_shared<const DiscoveryService>(std::move(settings), std::move(hooks),
                                                          ctx.store, ctx.pool);
  register_service_routes(routers, std::move(service), ctx.config->discovery.http_discovery);
}

}  // namespace parley::discovery
