// Attribute value decoders (RFC 8489 §14, RFC 8656 §18, RFC 6062 §6.2) and the error reason
// phrases. Each decoder checks the attribute's exact length first: a value the relay would act
// on is never read past or guessed at.
#include "proto/stun/stun.hpp"
#include "proto/stun/wire.hpp"

namespace parley::stun {

namespace {

// MAPPED-ADDRESS and the XOR-*-ADDRESS attributes share one layout (RFC 8489 §14.1):
//    0                   1                   2                   3
//   |0 0 0 0 0 0 0 0|    Family     |           Port                |
//   |                 Address (32 bits or 128 bits)                 |
std::optional<Endpoint> read_address(const Attribute& a) {
  const Bytes v = a.value;
  if (v.size() < 4) return std::nullopt;
  Endpoint e;
  if (v[1] == static_cast<std::uint8_t>(Family::ipv4)) {
    if (v.size() != 8) return std::nullopt;
    e.family = Family::ipv4;
  } else if (v[1] == static_cast<std::uint8_t>(Family::ipv6)) {
    if (v.size() != 20) return std::nullopt;
    e.family = Family::ipv6;
  } else {
    return std::nullopt;
  }
  e.port = wire::get16(v.data() + 2);
  for (std::size_t i = 4; i < v.size(); ++i) e.ip[i - 4] = v[i];
  return e;
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(Bytes s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::uint8_t b = s[i];
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      extra = 1, cp = b & 0x1Fu, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
      extra = 2, cp = b & 0x0Fu, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
      extra = 3, cp = b & 0x07u, min = 0x10000;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace

std::optional<Endpoint> decode_address(const Attribute& a) { return read_address(a); }

std::optional<Endpoint> decode_xor_address(const Attribute& a, const TransactionId& tid) {
  auto e = read_address(a);
  if (!e) return std::nullopt;
  // X-Port is xored with the cookie's top 16 bits; X-Address with the cookie, and for IPv6
  // with the cookie followed by the transaction id (RFC 8489 §14.2).
  e->port ^= static_cast<std::uint16_t>(kMagicCookie >> 16);
  std::array<std::uint8_t, 16> pad{};
  wire::put32(pad.data(), kMagicCookie);
  for (std::size_t i = 0; i < tid.size(); ++i) pad[4 + i] = tid[i];
  const std::size_t n = e->family == Family::ipv4 ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i) e->ip[i] ^= pad[i];
  return e;
}

std::optional<std::uint32_t> decode_u32(const Attribute& a) {
  if (a.value.size() != 4) return std::nullopt;
  return wire::get32(a.value.data());
}

// CHANNEL-NUMBER (RFC 8656 §18.1): channel number, then 16 RFFU bits that must be zero.
std::optional<std::uint16_t> decode_channel_number(const Attribute& a) {
  if (a.value.size() != 4 || a.value[2] != 0 || a.value[3] != 0) return std::nullopt;
  const std::uint16_t channel = wire::get16(a.value.data());
  if (channel < kMinChannel || channel > kMaxChannel) return std::nullopt;
  return channel;
}

// REQUESTED-TRANSPORT (RFC 8656 §18.7): protocol byte, then 24 RFFU bits ignored on receipt.
std::optional<std::uint8_t> decode_requested_transport(const Attribute& a) {
  if (a.value.size() != 4) return std::nullopt;
  return a.value[0];
}

// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.8) and ADDITIONAL-ADDRESS-FAMILY (§18.11): family
// byte, then 24 RFFU bits.
std::optional<Family> decode_family(const Attribute& a) {
  if (a.value.size() != 4) return std::nullopt;
  if (a.value[0] == static_cast<std::uint8_t>(Family::ipv4)) return Family::ipv4;
  if (a.value[0] == static_cast<std::uint8_t>(Family::ipv6)) return Family::ipv6;
  return std::nullopt;
}

// EVEN-PORT (RFC 8656 §18.6): one byte, R in the top bit, the rest RFFU.
std::optional<bool> decode_even_port(const Attribute& a) {
  if (a.value.size() != 1) return std::nullopt;
  return (a.value[0] & 0x80) != 0;
}

// ERROR-CODE (RFC 8489 §14.8):
//   |           Reserved, should be 0         |Class|     Number    |
//   |      Reason Phrase (variable, UTF-8, < 128 characters / 763 bytes)
std::optional<ErrorCode> decode_error_code(const Attribute& a) {
  const Bytes v = a.value;
  if (v.size() < 4) return std::nullopt;
  const unsigned cls = v[2] & 0x07u;
  const unsigned number = v[3];
  if (cls < 3 || cls > 6 || number > 99) return std::nullopt;
  const Bytes reason = v.subspan(4);
  if (reason.size() > 763 || !valid_utf8(reason)) return std::nullopt;
  return ErrorCode{static_cast<std::uint16_t>(cls * 100 + number),
                   std::string_view(reinterpret_cast<const char*>(reason.data()), reason.size())};
}

std::string_view as_text(const Attribute& a) {
  return {reinterpret_cast<const char*>(a.value.data()), a.value.size()};
}

std::string_view error::reason(std::uint16_t code) {
  switch (code) {
    case try_alternate: return "Try Alternate";
    case bad_request: return "Bad Request";
    case unauthenticated: return "Unauthenticated";
    case forbidden: return "Forbidden";
    case unknown_attribute: return "Unknown Attribute";
    case allocation_mismatch: return "Allocation Mismatch";
    case stale_nonce: return "Stale Nonce";
    case address_family_not_supported: return "Address Family not Supported";
    case wrong_credentials: return "Wrong Credentials";
    case unsupported_transport_protocol: return "Unsupported Transport Protocol";
    case peer_address_family_mismatch: return "Peer Address Family Mismatch";
    case connection_already_exists: return "Connection Already Exists";
    case connection_timeout_or_failure: return "Connection Timeout or Failure";
    case allocation_quota_reached: return "Allocation Quota Reached";
    case role_conflict: return "Role Conflict";
    case server_error: return "Server Error";
    case insufficient_capacity: return "Insufficient Capacity";
    default: return {};
  }
}

}  // namespace parley::stun
