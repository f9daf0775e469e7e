// Building STUN messages into a caller-owned buffer (RFC 8489 §5, §14).
#include "proto/stun/stun.hpp"
#include "proto/stun/wire.hpp"

#include <algorithm>

namespace parley::stun {

namespace {

// Inverse of the interleaving drawn in message.cpp: method bits M0-M3, M4-M6, M7-M11 and the
// class bits C0 (bit 4) and C1 (bit 8).
std::uint16_t message_type(std::uint16_t method, Class cls) {
  const auto c = static_cast<std::uint16_t>(cls);
  return static_cast<std::uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) |
                                    ((method & 0x0F80) << 2) | ((c & 0x1) << 4) | ((c & 0x2) << 7));
}

constexpr std::size_t kMaxReasonBytes = 763;

}  // namespace

MessageWriter::MessageWriter(std::span<std::uint8_t> out, Method method, Class cls,
                             const TransactionId& tid)
    : MessageWriter(out, static_cast<std::uint16_t>(method), cls, tid) {}

MessageWriter::MessageWriter(std::span<std::uint8_t> out, std::uint16_t raw_method, Class cls,
                             const TransactionId& tid)
    : out_(out) {
  if (out_.size() < kHeaderSize) {
    ok_ = false;
    return;
  }
  wire::put16(out_.data(), message_type(raw_method, cls));
  wire::put16(out_.data() + 2, 0);
  wire::put32(out_.data() + 4, kMagicCookie);
  std::copy(tid.begin(), tid.end(), out_.begin() + 8);
}

std::uint8_t* MessageWriter::reserve(std::uint16_t type, std::size_t length) {
  if (!ok_) return nullptr;
  const std::size_t total = 4 + wire::padded(length);
  if (length > 0xFFFF || total > out_.size() - size_ || size_ + total - kHeaderSize > 0xFFFF) {
    ok_ = false;
    return nullptr;
  }
  std::uint8_t* p = out_.data() + size_;
  wire::put16(p, type);
  wire::put16(p + 2, static_cast<std::uint16_t>(length));
  std::fill(p + 4 + length, p + total, std::uint8_t{0});
  size_ += total;
  set_length(size_ - kHeaderSize);
  return p + 4;
}

void MessageWriter::set_length(std::size_t body_length) {
  wire::put16(out_.data() + 2, static_cast<std::uint16_t>(body_length));
}

MessageWriter& MessageWriter::add(std::uint16_t type, Bytes value) {
  if (std::uint8_t* p = reserve(type, value.size())) std::copy(value.begin(), value.end(), p);
  return *this;
}

MessageWriter& MessageWriter::add_text(std::uint16_t type, std::string_view value) {
  return add(type, Bytes(reinterpret_cast<const std::uint8_t*>(value.data()), value.size()));
}

MessageWriter& MessageWriter::add_u32(std::uint16_t type, std::uint32_t value) {
  if (std::uint8_t* p = reserve(type, 4)) wire::put32(p, value);
  return *this;
}

MessageWriter& MessageWriter::add_address(std::uint16_t type, const Endpoint& e) {
  if (e.family != Family::ipv4 && e.family != Family::ipv6) {
    ok_ = false;
    return *this;
  }
  const std::size_t ip_size = e.family == Family::ipv4 ? 4 : 16;
  if (std::uint8_t* p = reserve(type, 4 + ip_size)) {
    p[0] = 0;
    p[1] = static_cast<std::uint8_t>(e.family);
    wire::put16(p + 2, e.port);
    std::copy_n(e.ip.begin(), ip_size, p + 4);
  }
  return *this;
}

MessageWriter& MessageWriter::add_xor_address(std::uint16_t type, const Endpoint& e) {
  if (!ok_) return *this;
  Endpoint x = e;
  x.port ^= static_cast<std::uint16_t>(kMagicCookie >> 16);
  std::array<std::uint8_t, 16> pad{};
  wire::put32(pad.data(), kMagicCookie);
  std::copy_n(out_.data() + 8, 12, pad.data() + 4);  // the transaction id, already written
  for (std::size_t i = 0; i < x.ip.size(); ++i) x.ip[i] ^= pad[i];
  return add_address(type, x);
}

MessageWriter& MessageWriter::add_error(std::uint16_t code, std::string_view reason) {
  if (code < 300 || code > 699) {
    ok_ = false;
    return *this;
  }
  if (reason.empty()) reason = error::reason(code);
  if (reason.size() > kMaxReasonBytes) {
    ok_ = false;
    return *this;
  }
  if (std::uint8_t* p = reserve(attr::error_code, 4 + reason.size())) {
    p[0] = 0;
    p[1] = 0;
    p[2] = static_cast<std::uint8_t>(code / 100);
    p[3] = static_cast<std::uint8_t>(code % 100);
    std::copy(reason.begin(), reason.end(), p + 4);
  }
  return *this;
}

MessageWriter& MessageWriter::add_unknown_attributes(std::span<const std::uint16_t> types) {
  if (std::uint8_t* p = reserve(attr::unknown_attributes, 2 * types.size())) {
    for (std::size_t i = 0; i < types.size(); ++i) wire::put16(p + 2 * i, types[i]);
  }
  return *this;
}

MessageWriter& MessageWriter::add_channel_number(std::uint16_t channel) {
  if (std::uint8_t* p = reserve(attr::channel_number, 4)) {
    wire::put16(p, channel);
    wire::put16(p + 2, 0);
  }
  return *this;
}

MessageWriter& MessageWriter::add_requested_transport(std::uint8_t protocol) {
  if (std::uint8_t* p = reserve(attr::requested_transport, 4)) {
    p[0] = protocol;
    p[1] = p[2] = p[3] = 0;
  }
  return *this;
}

MessageWriter& MessageWriter::add_integrity(Bytes key) {
  // reserve() has already set the header length to end after this attribute, which is the
  // length the HMAC must see (RFC 8489 §14.5).
  if (std::uint8_t* p = reserve(attr::message_integrity, wire::kSha1Size)) {
    const std::size_t at = size_ - 4 - wire::kSha1Size;
    if (!wire::message_hmac(wire::Hmac::sha1, key, Bytes(out_.data(), at),
                            static_cast<std::uint16_t>(size_ - kHeaderSize), {p, wire::kSha1Size}))
      ok_ = false;
  }
  return *this;
}

MessageWriter& MessageWriter::add_integrity_sha256(Bytes key) {
  if (std::uint8_t* p = reserve(attr::message_integrity_sha256, wire::kSha256Size)) {
    const std::size_t at = size_ - 4 - wire::kSha256Size;
    if (!wire::message_hmac(wire::Hmac::sha256, key, Bytes(out_.data(), at),
                            static_cast<std::uint16_t>(size_ - kHeaderSize), {p, wire::kSha256Size}))
      ok_ = false;
  }
  return *this;
}

MessageWriter& MessageWriter::add_fingerprint() {
  if (std::uint8_t* p = reserve(attr::fingerprint, 4)) {
    const std::size_t at = size_ - 8;
    wire::put32(p, wire::crc32(Bytes(out_.data(), at)) ^ wire::kFingerprintXor);
  }
  return *this;
}

std::span<const std::uint8_t> MessageWriter::finish() {
  if (!ok_) return {};
  return {out_.data(), size_};
}

}  // namespace parley::stun
