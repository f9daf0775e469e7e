#pragma once
// The discovery service's request handlers (UCWA.md §1): the unauthenticated root, the user
// resource that sends a client to sign in and then to its home pool, the MS-OCDISCWS Domain
// resource and the XFrame page. Sign-in checks come in as hooks, so the handlers can be tested
// without the web-ticket service; routes.hpp binds them to auth::TokenService.

#include "auth/token_service.hpp"
#include "common/config.hpp"
#include "discovery/documents.hpp"
#include "discovery/negotiation.hpp"
#include "discovery/xframe.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "runtime/blocking_pool.hpp"
#include "storage/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace parley::discovery {

// How the user resource checks a caller.
struct AuthHooks {
  // "Authorization: Bearer <token>" of the request; nullopt when absent or not valid.
  std::function<boost::asio::awaitable<std::optional<auth::Identity>>(const http::Request&)> bearer;
  // A token taken from the X-Ms-WebTicket header (MS-OCDISCWS User).
  std::function<boost::asio::awaitable<std::optional<auth::Identity>>(std::string)> web_ticket;
  // The 401 that tells the client where to get a token.
  std::function<http::Response(std::string_view webticket_url, std::string_view message)> challenge;
};

// What discovery needs from the configuration and the running server.
struct ServiceSettings {
  std::vector<std::string> sip_domains;  // lower-case; the first is served when none is named
  DiscoveryConfig discovery;
  std::string internal_https_base;  // "https://host[:port]"; may be empty when the site has none
  std::string external_https_base;
};

class DiscoveryService {
public:
  // `store` and `pool` are used to find a signed-in user's site when other pools exist; they
  // must outlive the service.
  DiscoveryService(ServiceSettings settings, AuthHooks hooks, storage::Store* store,
                   runtime::BlockingPool* pool);

  // GET / and GET .../root. Throws NotFound for a domain not served, ParameterValidationFailure
  // for a malformed originalDomain or sipuri, ServiceUnavailable when no site has HTTPS.
  http::Response root(const http::Request& req) const;
  // GET .../root/user and .../root/oauth/user.
  boost::asio::awaitable<http::Response> user(const http::Request& req) const;
  // GET .../root/domain: the deployment's service links (XML only).
  http::Response domain(const http::Request& req) const;
  // GET /Autodiscover/XFrame/XFrame.html.
  http::Response xframe() const;

  // The discovery root of the pool `user` is homed on, as reached from `site`; nullopt when she
  // is homed here.
  std::optional<std::string> redirect_for(const storage::User& user, http::Site site) const;

  const XFramePage& xframe_page() const { return xframe_; }
  ExposedWebUrl exposed_web_url() const { return settings_.discovery.exposed_web_url; }

private:
  const Bases& bases(http::Site site) const { return bases_[site == http::Site::internal ? 0 : 1]; }
  std::size_t site_index(http::Site site) const { return site == http::Site::internal ? 0 : 1; }
  void require_https() const;
  http::Response signed_in_answer(const http::Request& req, Format format, bool oauth_path,
                                  const std::optional<storage::User>& user) const;

  ServiceSettings settings_;
  AuthHooks hooks_;
  storage::Store* store_;
  runtime::BlockingPool* pool_;
  std::array<Bases, 2> bases_;  // [internal, external]
  std::string challenge_url_;
  XFramePage xframe_;
  // Answers that depend only on the site and the domain, built once: discovery is the busiest
  // unauthenticated path. Index [site][domain].
  std::array<std::vector<std::string>, 2> json_roots_, xml_roots_;
  // [site][oauth path?]
  std::array<std::array<std::string, 2>, 2> json_users_, xml_users_;
};

// The discovery service in force. Its documents are built once; when the deployment's
// ExposedWebURL changes, a new service replaces it whole and requests in flight finish with the
// one they started with.
class LiveDiscovery {
public:
  explicit LiveDiscovery(std::shared_ptr<const DiscoveryService> s) : current_(std::move(s)) {}
  std::shared_ptr<const DiscoveryService> get() const { return std::atomic_load(&current_); }
  void set(std::shared_ptr<const DiscoveryService> s) { std::atomic_store(&current_, std::move(s)); }

private:
  std::shared_ptr<const DiscoveryService> current_;
};

// Registers the discovery routes of `service` on both sites' HTTPS routers, and its root on the
// plain-HTTP routers when `http_discovery` is set (everything else there goes to HTTPS).
void register_service_routes(http::SiteRouters& routers, std::shared_ptr<LiveDiscovery> service,
                             bool http_discovery);
// Same, for a service that never changes (tests).
void register_service_routes(http::SiteRouters& routers, std::shared_ptr<const DiscoveryService> service,
                             bool http_discovery);

}  // namespace parley::discovery
