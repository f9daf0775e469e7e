#include "discovery/service.hpp"
#include "common/text.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <cctype>

namespace parley::discovery {
namespace {

// A web ticket larger than this is not a token Parley issued.
constexpr std::size_t kMaxWebTicketBytes = 4096;



http::Response document(Format f, std::string body) {
  return http::Response::text(200, std::move(body), std::string(content_type(f)));
}

// The request came in at .../root/oauth/user rather than .../root/user.
bool is_oauth_path(const http::Request& req) {
  return req.segments.size() >= 2 && iequals(req.segments[req.segments.size() - 2], "oauth");
}

}  // namespace

DiscoveryService::DiscoveryService(ServiceSettings settings, AuthHooks hooks, storage::Store* store,
                                   runtime::BlockingPool* pool)
    : settings_(std::move(settings)), hooks_(std::move(hooks)), store_(store), pool_(pool) {
  const bool expose_internal = settings_.discovery.exposed_web_url == ExposedWebUrl::internal;
  for (auto site : {http::Site::internal, http::Site::external}) {
    const auto i = site_index(site);
    bases_[i] = choose_bases(site, expose_internal, settings_.internal_https_base,
                             settings_.external_https_base);
    for (const auto& domain : settings_.sip_domains) {
      const std::string query = DomainRequest{domain, {}, true}.link_query();
      json_roots_[i].push_back(json_root(bases_[i], query));
      xml_roots_[i].push_back(xml_root(bases_[i], query));
    }
    json_users_[i] = {json_user(bases_[i], kUserPath), json_user(bases_[i], kOAuthUserPath)};
    xml_users_[i] = {xml_user(bases_[i], kUserPath), xml_user(bases_[i], kOAuthUserPath)};
  }
  // Sign-in happens where the mobility links point.
  challenge_url_ = bases_[1].exposed + std::string(kWebTicketPath);
  xframe_ = build_xframe_page(settings_.discovery.cross_domain_origins);
}

void DiscoveryService::require_https() const {
  if (bases_[0].arrived.empty())
    throw ServiceUnavailable("discovery needs a site with HTTPS to point clients to");
}

http::Response DiscoveryService::root(const http::Request& req) const {
  require_https();
  const DomainRequest d = resolve_domain(req.query, settings_.sip_domains);
  const Format format = choose_format(req.headers.get("Accept"), !d.sip_uri.empty());
  const Bases& b = bases(req.site);
  const auto i = site_index(req.site);
  if (!req.secure && format == Format::xml) {
    // MS-OCDISCWS 3.1.5.2: over HTTP the Root only names the HTTPS root to ask instead.
    return document(format, xml_root_redirect(req.site, b.arrived + std::string(kRootPath) + "?" + d.link_query()));
  }
  if (d.sip_uri.empty()) {
    const auto& domains = settings_.sip_domains;
    const auto k = static_cast<std::size_t>(std::find(domains.begin(), domains.end(), d.domain) - domains.begin());
    if (k < domains.size())
      return document(format, format == Format::json ? json_roots_[i][k] : xml_roots_[i][k]);
  }
  const std::string query = d.link_query();
  return document(format, format == Format::json ? json_root(b, query) : xml_root(b, query));
}

http::Response DiscoveryService::domain(const http::Request& req) const {
  require_https();
  resolve_domain(req.query, settings_.sip_domains);
  return document(Format::xml, xml_domain(bases(req.site)));
}

http::Response DiscoveryService::xframe() const {
  auto res = http::Response::text(200, xframe_.html, "text/html; charset=utf-8");
  res.headers.set("Content-Security-Policy", xframe_.content_security_policy);
  return res;
}

std::optional<std::string> DiscoveryService::redirect_for(const storage::User& user, http::Site site) const {
  if (user.profile.site.empty()) return std::nullopt;
  for (const auto& pool : settings_.discovery.other_pools) {
    const bool homed_there = std::any_of(pool.sites.begin(), pool.sites.end(),
                                         [&](const std::string& s) { return iequals(s, user.profile.site); });
    if (homed_there)
      return "https://" + (site == http::Site::internal ? pool.internal_fqdn : pool.external_fqdn) +
             std::string(kRootPath);
  }
  return std::nullopt;
}

http::Response DiscoveryService::signed_in_answer(const http::Request& req, Format format, bool oauth_path,
                                                  const std::optional<storage::User>& user) const {
  const Bases& b = bases(req.site);
  const auto i = site_index(req.site);
  if (user) {
    if (auto href = redirect_for(*user, req.site)) {
      if (format == Format::xml) return document(format, xml_user_redirect(req.site, *href));
      return document(format, json_user_redirect(b, oauth_path ? kOAuthUserPath : kUserPath, *href));
    }
  }
  const auto k = oauth_path ? 1 : 0;
  return document(format, format == Format::json ? json_users_[i][k] : xml_users_[i][k]);
}

boost::asio::awaitable<http::Response> DiscoveryService::user(const http::Request& req) const {
  require_https();
  const DomainRequest d = resolve_domain(req.query, settings_.sip_domains);
  const std::string_view ticket = trim(req.headers.get("X-Ms-WebTicket"));
  const Format format = choose_format(req.headers.get("Accept"), !d.sip_uri.empty() || !ticket.empty());

  std::optional<auth::Identity> who;
  if (req.headers.has("Authorization")) {
    auto check = hooks_.bearer(req);
    who = co_await std::move(check);
  }
  // The XML protocol carries its token in X-Ms-WebTicket instead (MS-OCDISCWS 3.1.5.3).
  if (!who && format == Format::xml && !ticket.empty() && ticket.size() <= kMaxWebTicketBytes) {
    std::string token(ticket);
    auto check = hooks_.web_ticket(std::move(token));
    who = co_await std::move(check);
  }
  if (!who) co_return hooks_.challenge(challenge_url_, "sign in at the web-ticket service first");

  // Only a deployment with other pools needs to know where the user is homed.
  std::optional<storage::User> user;
  if (!settings_.discovery.other_pools.empty()) {
    std::string sip_uri = who->sip_uri;
    auto find = [store = store_, sip_uri] { return store->find_user(sip_uri); };
    auto lookup = pool_->store(find);
    user = co_await std::move(lookup);
    if (!user) throw NotFound("the signed-in user no longer exists");
  }
  co_return signed_in_answer(req, format, is_oauth_path(req), user);
}

void register_service_routes(http::SiteRouters& routers, std::shared_ptr<const DiscoveryService> service,
                             bool http_discovery) {
  register_service_routes(routers, std::make_shared<LiveDiscovery>(std::move(service)), http_discovery);
}

void register_service_routes(http::SiteRouters& routers, std::shared_ptr<LiveDiscovery> live,
                             bool http_discovery) {
  using boost::asio::awaitable;
  const http::Handler root = [live](http::Request& req) -> awaitable<http::Response> {
    co_return live->get()->root(req);
  };
  const http::Handler user = [live](http::Request& req) -> awaitable<http::Response> {
    const auto service = live->get();  // kept alive until the answer is built
    auto answer = service->user(req);
    co_return co_await std::move(answer);
  };
  const http::Handler domain = [live](http::Request& req) -> awaitable<http::Response> {
    co_return live->get()->domain(req);
  };
  const http::Handler xframe = [live](http::Request&) -> awaitable<http::Response> {
    co_return live->get()->xframe();
  };
  for (http::Router* r : {&routers.internal, &routers.external}) {
    r->add("GET", "/", root);
    r->add("GET", kRootPath, root);
    r->add("GET", kUserPath, user);
    r->add("GET", kOAuthUserPath, user);
    r->add("GET", kDomainPath, domain);
    r->add("GET", kXFramePath, xframe);
  }
  // Plain HTTP gets the root only: a token must never travel without TLS, so the user resource
  // (and everything else) is redirected to HTTPS by the front door.
  if (http_discovery) {
    for (http::Router* r : {&routers.internal_plain, &routers.external_plain}) {
      r->add("GET", "/", root);
      r->add("GET", kRootPath, root);
    }
  }
}

}  // namespace parley::discovery
