#pragma once
// The one place where a request meets the application: it normalises the target, routes by site
// and scheme, redirects plain HTTP to HTTPS, turns every typed error into the UCWA error body,
// adds the headers every answer carries, compresses for clients that accept gzip, and records
// metrics. Exceptions are caught here and nowhere else.

#include "http/router.hpp"
#include "runtime/metrics.hpp"

#include <string>

namespace parley::server {

// What the front door needs to know of a site.
struct SiteFacts {
  std::string fqdn;        // sent as X-MS-Server-Fqdn
  std::string https_base;  // "https://host[:port]" for redirects; empty: the site has no HTTPS
};

class FrontDoor {
public:
  FrontDoor(const http::SiteRouters& routers, runtime::Metrics& metrics, SiteFacts internal,
            SiteFacts external)
      : routers_(routers), metrics_(metrics), internal_(std::move(internal)),
        external_(std::move(external)) {}

  boost::asio::awaitable<http::Response> operator()(http::Request& req) const;

private:
  const http::SiteRouters& routers_;
  runtime::Metrics& metrics_;
  SiteFacts internal_;
  SiteFacts external_;
};

}  // namespace parley::server
