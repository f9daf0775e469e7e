#pragma once
// Which peers an allocation may talk to. By default the relay refuses every address a TURN
// server is classically abused to reach: loopback, this host ("0.0.0.0/8", "::"), RFC 1918 and
// RFC 6598 (CGNAT) private ranges, link-local, unique-local, multicast and broadcast, the
// IPv4-mapped/NAT64/6to4 IPv6 forms of all of these, and the relay's own addresses. An
// allow-list in config reopens a range (tests allow 127.0.0.0/8); a deny-list closes more.

#include "proto/stun/stun.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::relay {

struct Prefix {
  stun::Family family = stun::Family::ipv4;
  std::array<std::uint8_t, 16> bytes{};
  unsigned length = 0;  // bits
  bool contains(const stun::Endpoint& e) const;  // port ignored
};

// "10.0.0.0/8", "::1/128", "192.0.2.7" (a host). nullopt when it does not parse.
std::optional<Prefix> parse_prefix(std::string_view text);

class PeerFilter {
 public:
  // Throws ConfigError naming the entry that does not parse.
  PeerFilter(std::span<const std::string> allowed, std::span<const std::string> denied);
  // The relay's own addresses (listeners and relay sockets) are refused unless allowed.
  void add_own_address(const stun::Endpoint& e);
  // True when a permission, channel or TCP connection to `peer` may be created. IPv4-mapped,
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) IPv6 addresses are judged by their IPv4 address.
  bool allowed(const stun::Endpoint& peer) const;

 private:
  std::vector<Prefix> allowed_;
  std::vector<Prefix> denied_;  // configured only; the default ranges are a table in the .cpp
  std::vector<stun::Endpoint> own_;
};

}  // namespace parley::relay
