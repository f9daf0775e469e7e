#pragma once
// The one place where a request meets the application: it normalises the target, routes by
// site, turns every typed error into the UCWA error body, adds the headers every answer carries
// and records metrics. Exceptions are caught here and nowhere else.

#include "http/router.hpp"
#include "runtime/metrics.hpp"

namespace parley::server {

class FrontDoor {
public:
  FrontDoor(const http::Router& internal, const http::Router& external, runtime::Metrics& metrics)
      : internal_(internal), external_(external), metrics_(metrics) {}

  boost::asio::awaitable<http::Response> operator()(http::Request& req) const;

private:
  const http::Router& internal_;
  const http::Router& external_;
  runtime::Metrics& metrics_;
};

}  // namespace parley::server
