#pragma once
// Helpers shared by the STUN codec's source files: big-endian access, CRC-32 and the HMACs over
// a message prefix whose header length field is patched. Not part of the public interface.

#include "proto/stun/stun.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::stun::wire {

inline std::uint16_t get16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t get32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
inline void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
constexpr std::size_t padded(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

// FINGERPRINT (RFC 8489 §14.7) is the ISO-HDLC CRC-32 of the message so far, xor this constant.
inline constexpr std::uint32_t kFingerprintXor = 0x5354554e;
std::uint32_t crc32(Bytes data);

inline constexpr std::size_t kSha1Size = 20;
inline constexpr std::size_t kSha256Size = 32;
enum class Hmac { sha1, sha256 };
// HMAC of `prefix` (header and the attributes before the integrity attribute) as if its header
// length field read `length_field`. `out` receives 20 or 32 bytes. False if OpenSSL fails.
bool message_hmac(Hmac kind, Bytes key, Bytes prefix, std::uint16_t length_field,
                  std::span<std::uint8_t> out);

}  // namespace parley::stun::wire
