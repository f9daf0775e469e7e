// `GET {app}/mediaRelayAccessToken` (UCWA.md §5.5): time-limited TURN credentials for the Edge
// and where to reach it, so that a client behind NAT can do ICE through Parley's relay.
//
// The credential is the shared-secret kind (relay/credentials.hpp): the edge verifies it with the
// same secret and no call back to the front end, so the edge may run on another machine.

#include "api/engine_impl.hpp"
#include "api/resources.hpp"
#include "common/error.hpp"
#include "relay/credentials.hpp"

#include <arpa/inet.h>
#include <boost/json/serialize.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

namespace parley::api {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// The secret new credentials are signed with: the first configured one or, when none is
// configured, the one generated into the data directory (which the edge of this machine reads
// too). Resolved once, on first use, off the I/O threads.
class MintingSecret {
public:
  explicit MintingSecret(const Config& config) : config_(config) {
    if (!config.edge.shared_secrets.empty()) secret_ = config.edge.shared_secrets.front();
  }

  asio::awaitable<std::string> get(runtime::BlockingPool& pool) {
    {
      std::lock_guard lock(mutex_);
      if (secret_) co_return *secret_;
    }
    const std::filesystem::path dir = config_.data_dir;
    auto job = [dir] { return relay::load_or_create_secret(dir); };
    std::string loaded = co_await pool.run(job);
    std::lock_guard lock(mutex_);
    if (!secret_) secret_ = std::move(loaded);
    co_return *secret_;
  }

private:
  const Config& config_;
  std::mutex mutex_;
  std::optional<std::string> secret_;
};

// -1 is how UCWA says a transport is not offered.
std::int64_t port_or_unset(std::uint16_t port) { return port == 0 ? -1 : port; }

bool is_family(const std::string& text, int family) {
  std::array<unsigned char, 16> buf{};
  return !text.empty() && inet_pton(family, text.c_str(), buf.data()) == 1;
}

json::object media_relay_json(const Config& config) {
  const auto& e = config.edge;
  json::object r;
  r["rel"] = "mediaRelay";
  r["host"] = e.public_host.empty() ? config.external_site.fqdn : e.public_host;
  // A literal address the client can use without resolving the host: the NAT's public address
  // when one is configured, else the host itself when it is written as an address.
  for (const std::string* candidate : {&e.external_address, &e.public_host}) {
    if (!r.contains("ipv4") && is_family(*candidate, AF_INET)) r["ipv4"] = *candidate;
    if (!r.contains("ipv6") && is_family(*candidate, AF_INET6)) r["ipv6"] = *candidate;
  }
  r["location"] = "Internet";
  r["udpPort"] = port_or_unset(e.public_udp_port);
  r["tcpPort"] = port_or_unset(e.public_tcp_port);
  // Not in Lync's resource; Parley's edge also takes TURN over TLS (RFC 8656 §3.1).
  r["tlsPort"] = port_or_unset(e.public_tls_port);
  return r;
}

}  // namespace

void register_relay_routes(Engine& engine, Engine::Impl& impl, http::SiteRouters& routers) {
  Engine::Impl* self = &impl;
  auto secret = std::make_shared<MintingSecret>(*impl.ctx.config);

  engine.add_route(routers, "GET", "/mediaRelayAccessToken",
                   [self, secret](http::Request&, Application& app)
                       -> asio::awaitable<http::Response> {
    const auto user = co_await self->owner(app);
    if (!self->ctx.policies->mobility(app.owner(), user.profile.site).enable_ip_audio_video)
      throw Forbidden("the user's policy does not allow IP audio and video (EnableIPAudioVideo)",
                      "IPAudioVideoDisabled");
    const Config& config = *self->ctx.config;
    const std::string key = co_await secret->get(*self->ctx.pool);
    const auto lifetime = std::chrono::seconds(config.edge.credential_lifetime_seconds);
    const auto minted =
        relay::mint_credential(key, app.owner(), lifetime, std::chrono::system_clock::now());

    json::object o;
    o["rel"] = "mediaRelayAccessToken";
    o["userName"] = minted.username;
    o["password"] = minted.password;
    o["uri"] = "sip:" + app.owner();
    o["duration"] = static_cast<std::int64_t>(lifetime.count() / 60);
    const auto until_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              minted.valid_until.time_since_epoch())
                              .count();
    o["validUntil"] = ucwa_date(until_ms);
    json::object links;
    links["self"] = link(app.href("/mediaRelayAccessToken"));
    o["_links"] = std::move(links);
    json::array relays;
    relays.emplace_back(media_relay_json(config));
    json::object embedded;
    embedded["mediaRelay"] = std::move(relays);
    o["_embedded"] = std::move(embedded);

    auto res = http::Response::json(200, json::serialize(o));
    // A password: never to be kept by a cache on the way.
    res.headers.set("Cache-Control", "no-store");
    co_return res;
  });
}

}  // namespace parley::api
