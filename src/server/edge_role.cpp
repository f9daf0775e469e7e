#include "server/edge_role.hpp"

#include "common/log.hpp"
#include "relay/credentials.hpp"
#include "relay/peer_filter.hpp"
#include "runtime/metrics.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>

#include <optional>

namespace parley::server {

namespace {

std::string address(const stun::Endpoint& e) {
  char text[INET6_ADDRSTRLEN] = {};
  const int family = e.family == stun::Family::ipv6 ? AF_INET6 : AF_INET;
  ::inet_ntop(family, e.ip.data(), text, sizeof text);
  return e.family == stun::Family::ipv6 ? fmt::format("[{}]:{}", text, e.port)
                                        : fmt::format("{}:{}", text, e.port);
}

std::vector<std::string> addresses(const std::vector<stun::Endpoint>& endpoints) {
  std::vector<std::string> out;
  for (const auto& e : endpoints) out.push_back(address(e));
  return out;
}

std::optional<stun::Endpoint> parse_ip(const std::string& text) {
  stun::Endpoint e;
  if (::inet_pton(AF_INET, text.c_str(), e.ip.data()) == 1) return e;
  e.family = stun::Family::ipv6;
  if (::inet_pton(AF_INET6, text.c_str(), e.ip.data()) == 1) return e;
  return std::nullopt;
}

// What the advertised address tells clients, in words an operator can act on: the most common
// edge misconfiguration is a private or loopback address handed to phones on the Internet.
void explain_external_address(const Config& cfg, const EdgeAddresses& where) {
  auto log = logger("edge");
  const relay::PeerFilter public_only({}, {});  // no allow-list: only public addresses pass
  if (cfg.edge.external_address.empty()) {
    log->info("relayed addresses are the ones the relay binds to ({}); behind 1:1 NAT set "
              "[edge] external_address to the public address",
              where.udp.empty() ? std::string("-") : where.udp.front());
    return;
  }
  const auto ext = parse_ip(cfg.edge.external_address);
  if (!ext) return;  // the config check refuses anything that is not an address
  if (!public_only.allowed(*ext))
    log->warn("[edge] external_address {} is not a public address: clients outside this "
              "network cannot reach relayed media there; set it to the address the Internet "
              "sees (1:1 NAT)",
              cfg.edge.external_address);
  else
    log->info("relayed addresses are advertised as {} (1:1 NAT to this host)",
              cfg.edge.external_address);
}

}  // namespace

std::unique_ptr<relay::Edge> start_edge(const Config& cfg, const std::filesystem::path& data_dir,
                                        SSL_CTX* tls, runtime::Metrics* metrics) {
  auto log = logger("edge");
  relay::EdgeOptions options;
  options.config = cfg.edge;
  options.realm = cfg.edge.realm.empty() ? cfg.sip_domains.front() : cfg.edge.realm;
  // The front end mints with the same secret (api/relay_routes.cpp reads the same file).
  options.secrets = cfg.edge.shared_secrets.empty()
                        ? std::vector<std::string>{relay::load_or_create_secret(data_dir)}
                        : cfg.edge.shared_secrets;
  options.tls = tls;
  auto edge = std::make_unique<relay::Edge>(std::move(options));
  edge->start();

  const auto where = edge_addresses(*edge);
  log->info("relay listening: udp {} tcp {} tls {}", fmt::join(where.udp, " "),
            fmt::join(where.tcp, " "), fmt::join(where.tls, " "));
  if (!where.udp.empty()) {
    const auto test = edge->self_test();
    if (test.ok) log->info("{}", test.message);
    else log->error("edge self-test failed: {}", test.message);
  }
  explain_external_address(cfg, where);

  if (metrics) {
    relay::Edge* e = edge.get();
    auto gauge = [&](std::string name, std::string help, std::uint64_t relay::EdgeCounters::*field) {
      metrics->add_gauge(std::move(name), std::move(help),
                         [e, field] { return static_cast<double>(e->counters().*field); });
    };
    auto counter = [&](std::string name, std::string help, std::uint64_t relay::EdgeCounters::*field) {
      metrics->add_counter(std::move(name), std::move(help),
                           [e, field] { return static_cast<double>(e->counters().*field); });
    };
    gauge("parley_relay_allocations", "TURN allocations live now.", &relay::EdgeCounters::allocations);
    gauge("parley_relay_permissions", "TURN permissions live now.", &relay::EdgeCounters::permissions);
    gauge("parley_relay_channels", "TURN channel bindings live now.", &relay::EdgeCounters::channels);
    gauge("parley_relay_tcp_connections", "RFC 6062 peer connections live now.",
          &relay::EdgeCounters::tcp_connections);
    counter("parley_relay_allocations_total", "TURN allocations created since start.",
            &relay::EdgeCounters::allocations_total);
    counter("parley_relay_packets_total", "Packets relayed (both directions).",
            &relay::EdgeCounters::packets_relayed);
    counter("parley_relay_bytes_total", "Payload bytes relayed (both directions).",
            &relay::EdgeCounters::bytes_relayed);
    counter("parley_relay_auth_failures_total", "Requests refused for their credentials.",
            &relay::EdgeCounters::auth_failures);
    counter("parley_relay_refused_peers_total", "Permissions or connections refused by the peer filter.",
            &relay::EdgeCounters::refused_peers);
    counter("parley_relay_quota_refusals_total", "Allocations refused by a quota (486, 508).",
            &relay::EdgeCounters::quota_refusals);
  }
  return edge;
}

EdgeAddresses edge_addresses(const relay::Edge& edge) {
  return {addresses(edge.udp_endpoints()), addresses(edge.tcp_endpoints()),
          addresses(edge.tls_endpoints())};
}

}  // namespace parley::server
