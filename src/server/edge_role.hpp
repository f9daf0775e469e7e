#pragma once
// The Edge role inside parleyd: resolves what the relay needs from the configuration (realm,
// shared secrets, the TLS certificate), starts it, runs its self-test and publishes its counters
// on the internal site's /metrics.

#include "common/config.hpp"
#include "relay/edge.hpp"
#include "server/bootstrap.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

typedef struct ssl_ctx_st SSL_CTX;

namespace parley::runtime {
class Metrics;
}

namespace parley::server {

// Starts the relay (throws std::runtime_error naming what failed) and logs its self-test.
// `metrics` may be null (edge-only process without an internal site).
std::unique_ptr<relay::Edge> start_edge(const Config& cfg, const std::filesystem::path& data_dir,
                                        SSL_CTX* tls, runtime::Metrics* metrics);

EdgeAddresses edge_addresses(const relay::Edge& edge);

}  // namespace parley::server
