#include "relay/peer_filter.hpp"

#include "common/config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace parley::relay {
namespace {

Prefix v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, unsigned length) {
  Prefix p;
  p.family = stun::Family::ipv4;
  p.bytes = {a, b, c, d};
  p.length = length;
  return p;
}

Prefix v6(std::initializer_list<std::uint8_t> leading, unsigned length) {
  Prefix p;
  p.family = stun::Family::ipv6;
  std::copy(leading.begin(), leading.end(), p.bytes.begin());
  p.length = length;
  return p;
}

// What a TURN server is classically abused to reach. IPv6 forms that embed an IPv4 address are
// not listed: they are judged by that address (see embedded_ipv4).
const std::vector<Prefix>& default_refused() {
  static const std::vector<Prefix> list = {
      v4(0, 0, 0, 0, 8),        // "this network", including 0.0.0.0
      v4(10, 0, 0, 0, 8),       // RFC 1918
      v4(100, 64, 0, 0, 10),    // RFC 6598 carrier-grade NAT
      v4(127, 0, 0, 0, 8),      // loopback
      v4(169, 254, 0, 0, 16),   // link-local
      v4(172, 16, 0, 0, 12),    // RFC 1918
      v4(192, 168, 0, 0, 16),   // RFC 1918
      v4(224, 0, 0, 0, 4),      // multicast
      v4(240, 0, 0, 0, 4),      // reserved, including the limited broadcast 255.255.255.255
      v6({}, 128),              // unspecified ::
      v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128),  // loopback ::1
      v6({0xfe, 0x80}, 10),     // link-local
      v6({0xfe, 0xc0}, 10),     // deprecated site-local, still routed internally by some
      v6({0xfc, 0x00}, 7),      // unique-local
      v6({0xff, 0x00}, 8),      // multicast
  };
  return list;
}

bool starts_with(const std::array<std::uint8_t, 16>& ip, std::initializer_list<std::uint8_t> head) {
  return std::equal(head.begin(), head.end(), ip.begin());
}

// The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), NAT64 well-known-prefix
// (64:ff9b::a.b.c.d) or 6to4 (2002:AABB:CCDD::/48) IPv6 address; the endpoint itself otherwise.
// Judging these by the inner address keeps "::ffff:127.0.0.1" from slipping past "127.0.0.0/8".
stun::Endpoint embedded_ipv4(const stun::Endpoint& e) {
  if (e.family != stun::Family::ipv6) return e;
  const auto& ip = e.ip;
  stun::Endpoint out;
  out.family = stun::Family::ipv4;
  out.port = e.port;
  if (starts_with(ip, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}) ||
      starts_with(ip, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0})) {
    std::copy(ip.begin() + 12, ip.end(), out.ip.begin());
    return out;
  }
  if (starts_with(ip, {0x20, 0x02})) {
    std::copy(ip.begin() + 2, ip.begin() + 6, out.ip.begin());
    return out;
  }
  return e;
}

bool any_contains(const std::vector<Prefix>& list, const stun::Endpoint& e) {
  return std::any_of(list.begin(), list.end(), [&](const Prefix& p) { return p.contains(e); });
}

bool same_address(const stun::Endpoint& a, const stun::Endpoint& b) {
  if (a.family != b.family) return false;
  const std::size_t n = a.family == stun::Family::ipv4 ? 4 : 16;
  return std::equal(a.ip.begin(), a.ip.begin() + static_cast<std::ptrdiff_t>(n), b.ip.begin());
}

std::vector<Prefix> parse_list(std::span<const std::string> entries, std::string_view key) {
  std::vector<Prefix> out;
  out.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto p = parse_prefix(entries[i]);
    if (!p)
      throw ConfigError("\"edge." + std::string(key) + "[" + std::to_string(i) + "]\" is \"" +
                        entries[i].substr(0, 80) +
                        "\", expected an address or CIDR prefix such as \"10.0.0.0/8\" or "
                        "\"fd00::/8\"");
    out.push_back(*p);
  }
  return out;
}

}  // namespace

bool Prefix::contains(const stun::Endpoint& e) const {
  if (e.family != family) return false;
  const unsigned whole = length / 8;
  if (!std::equal(bytes.begin(), bytes.begin() + whole, e.ip.begin())) return false;
  const unsigned rest = length % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (bytes[whole] & mask) == (e.ip[whole] & mask);
}

std::optional<Prefix> parse_prefix(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  const auto slash = text.find('/');
  const std::string address(text.substr(0, slash));
  Prefix p;
  unsigned max_length = 0;
  if (address.find(':') != std::string::npos) {
    if (inet_pton(AF_INET6, address.c_str(), p.bytes.data()) != 1) return std::nullopt;
    p.family = stun::Family::ipv6;
    max_length = 128;
  } else {
    if (inet_pton(AF_INET, address.c_str(), p.bytes.data()) != 1) return std::nullopt;
    p.family = stun::Family::ipv4;
    max_length = 32;
  }
  p.length = max_length;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    unsigned length = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (ec != std::errc() || end != digits.data() + digits.size() || length > max_length)
      return std::nullopt;
    p.length = length;
  }
  // Host bits are cleared so that "10.1.2.3/8" means the network it lies in, as `ip route` reads
  // it, and equal prefixes compare equal.
  for (unsigned bit = p.length; bit < max_length; ++bit)
    p.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  return p;
}

PeerFilter::PeerFilter(std::span<const std::string> allowed, std::span<const std::string> denied)
    : allowed_(parse_list(allowed, "allowed_peers")), denied_(parse_list(denied, "denied_peers")) {}

void PeerFilter::add_own_address(const stun::Endpoint& e) {
  const auto inner = embedded_ipv4(e);
  for (const auto& o : own_)
    if (same_address(o, inner)) return;
  own_.push_back(inner);
}

// Order: an explicit deny-list entry always wins; then the allow-list; then the relay's own
// addresses and the default ranges are refused; everything else is allowed. Each list is tried
// against the address as sent and, for IPv6 forms that embed IPv4, against that IPv4 address.
bool PeerFilter::allowed(const stun::Endpoint& peer) const {
  const stun::Endpoint inner = embedded_ipv4(peer);
  const bool embedded = !(inner == peer);
  auto matches = [&](const std::vector<Prefix>& list) {
    return any_contains(list, peer) || (embedded && any_contains(list, inner));
  };
  if (matches(denied_)) return false;
  if (matches(allowed_)) return true;
  for (const auto& o : own_)
    if (same_address(o, inner)) return false;
  if (any_contains(default_refused(), inner)) return false;
  return true;
}

}  // namespace parley::relay
