#pragma once
// HTTP/1.1 listeners for the two sites, over TLS or plain TCP. Every connection runs as a C++20
// coroutine on its own strand; each request is read whole (within the configured header/body
// limits and timeouts) and handed to `Dispatch`, which never sees a socket. Beast stays inside
// http_server.cpp.

#include "common/config.hpp"
#include "http/message.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace parley::net {

struct ListenerSpec {
  http::Site site;
  bool tls;
  ListenAddress address;
};

struct BoundListener {
  http::Site site;
  bool tls;
  std::string host;  // as configured
  std::uint16_t port;  // the real port (differs from the configured one when that was 0)
};

struct ServerHooks {
  // Called with +1 when a connection opens and -1 when it closes.
  std::function<void(http::Site, int)> connection_delta;
  // Called for each request the transport itself rejected (malformed, too large, timed out).
  std::function<void(http::Site, int status)> transport_error;
};

class HttpServer {
public:
  using Dispatch = std::function<boost::asio::awaitable<http::Response>(http::Request&)>;

  // Connections are spread over `connection_contexts`, each run by exactly one thread, so a
  // connection needs no strand of its own and no two threads contend for one scheduler. Empty:
  // connections run on `ioc`; `threads` says how many threads run it (with more than one, each
  // connection gets a strand). Listeners and the shutdown timer always run on `ioc`.
  HttpServer(boost::asio::io_context& ioc, std::shared_ptr<boost::asio::ssl::context> tls,
             const LimitsConfig& limits, Dispatch dispatch, ServerHooks hooks = {},
             unsigned threads = 0, std::vector<boost::asio::io_context*> connection_contexts = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds every listener and starts accepting. Throws std::runtime_error naming the address
  // that could not be bound.
  std::vector<BoundListener> start(const std::vector<ListenerSpec>& specs);

  // Stops accepting, closes idle keep-alive connections and lets requests in flight finish.
  // `done` runs once every connection has closed, or after `grace` with the rest cut off.
  void shutdown(std::chrono::seconds grace, std::function<void()> done);

  struct Impl;  // defined in http_server.cpp

private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace parley::net
