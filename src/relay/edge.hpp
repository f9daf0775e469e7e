#pragma once
// The Edge role of parleyd: a STUN/TURN relay (RFC 8489, RFC 8656, RFC 6062) on UDP, TCP and
// TLS. It runs its own threads, one io_context each; every UDP listener is opened once per
// thread with SO_REUSEPORT so the kernel spreads clients over threads, and an allocation lives
// on the thread that received its Allocate, so the packet path takes no lock and allocates no
// memory.

#include "common/config.hpp"
#include "proto/stun/stun.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

typedef struct ssl_ctx_st SSL_CTX;

namespace parley::relay {

// Monotonic counters and gauges for /metrics (summed over threads when read).
struct EdgeCounters {
  std::uint64_t allocations = 0;         // live now
  std::uint64_t allocations_total = 0;   // created since start
  std::uint64_t permissions = 0;         // live now
  std::uint64_t channels = 0;            // live now
  std::uint64_t tcp_connections = 0;     // RFC 6062 peer connections live now
  std::uint64_t packets_relayed = 0;     // client→peer and peer→client
  std::uint64_t bytes_relayed = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t refused_peers = 0;
  std::uint64_t quota_refusals = 0;      // 486 and 508
  std::uint64_t bandwidth_drops = 0;     // packets dropped by the per-allocation bandwidth cap
};

struct EdgeOptions {
  EdgeConfig config;
  std::string realm;                  // resolved (never empty)
  std::vector<std::string> secrets;   // resolved (never empty)
  SSL_CTX* tls = nullptr;             // server context for the TLS listeners; null: no TLS
};

class Edge {
 public:
  explicit Edge(EdgeOptions options);
  ~Edge();
  Edge(const Edge&) = delete;
  Edge& operator=(const Edge&) = delete;

  // Binds every listener and starts the threads. Throws std::runtime_error naming the address
  // that could not be bound.
  void start();
  // Closes listeners and allocations and joins the threads. Idempotent.
  void stop();

  // Where the listeners actually are (ports resolved when configured as 0).
  std::vector<stun::Endpoint> udp_endpoints() const;
  std::vector<stun::Endpoint> tcp_endpoints() const;
  std::vector<stun::Endpoint> tls_endpoints() const;

  EdgeCounters counters() const;

  // Allocates a relay on itself over UDP with a freshly minted credential and checks that the
  // relayed address is the advertised one; returns a line for the log ("edge self-test: relayed
  // address 203.0.113.7:50012 over udp 0.0.0.0:3478") or a clear error message.
  struct SelfTest {
    bool ok = false;
    std::string message;
  };
  SelfTest self_test();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::relay
