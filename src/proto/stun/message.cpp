// Parsing the STUN header and attribute list in place (RFC 8489 §5, §14).
#include "proto/stun/stun.hpp"
#include "proto/stun/wire.hpp"

#include <openssl/rand.h>

#include <cstdlib>

namespace parley::stun {

namespace {

// The 14-bit message type interleaves the class bits C1 (bit 8) and C0 (bit 4) with the
// method bits M11..M0 (RFC 8489 §5):
//    0                 1
//    2  3  4 5 6 7 8 9 0 1 2 3 4 5
//   +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
//   |M |M |M|M|M|C|M|M|M|C|M|M|M|M|
//   |11|10|9|8|7|1|6|5|4|0|3|2|1|0|
//   +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
std::uint16_t method_of(std::uint16_t type) {
  return static_cast<std::uint16_t>((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));
}
Class class_of(std::uint16_t type) {
  return static_cast<Class>(((type >> 7) & 0x2) | ((type >> 4) & 0x1));
}

}  // namespace

bool attr::known(std::uint16_t type) {
  switch (type) {
    case mapped_address:
    case username:
    case message_integrity:
    case error_code:
    case unknown_attributes:
    case channel_number:
    case lifetime:
    case xor_peer_address:
    case data:
    case realm:
    case nonce:
    case xor_relayed_address:
    case requested_address_family:
    case even_port:
    case requested_transport:
    case dont_fragment:
    case message_integrity_sha256:
    case password_algorithm:
    case userhash:
    case xor_mapped_address:
    case reservation_token:
    case connection_id:
      return true;
    default:
      return false;
  }
}

bool looks_like_stun(Bytes bytes) {
  return bytes.size() >= 8 && (bytes[0] & 0xC0) == 0 && wire::get32(bytes.data() + 4) == kMagicCookie;
}

std::optional<MessageView> MessageView::parse(Bytes bytes, ParseError* why) {
  auto fail = [why](ParseError e) -> std::optional<MessageView> {
    if (why != nullptr) *why = e;
    return std::nullopt;
  };
  if (bytes.size() < kHeaderSize) return fail(ParseError::too_short);
  if (!looks_like_stun(bytes)) return fail(ParseError::not_stun);
  const std::size_t length = wire::get16(bytes.data() + 2);
  if (length % 4 != 0) return fail(ParseError::bad_length);
  if (kHeaderSize + length > bytes.size()) return fail(ParseError::too_short);
  // A datagram carries exactly one message; bytes beyond the declared length mean the length
  // field is wrong.
  if (kHeaderSize + length < bytes.size()) return fail(ParseError::bad_length);

  std::optional<MessageView> view(std::in_place);
  MessageView& m = *view;
  m.bytes_ = bytes;
  const std::uint16_t type = wire::get16(bytes.data());
  m.raw_method_ = method_of(type);
  m.method_ = static_cast<Method>(m.raw_method_);
  m.class_ = class_of(type);
  for (std::size_t i = 0; i < m.tid_.size(); ++i) m.tid_[i] = bytes[8 + i];

  bool after_integrity = false;         // MESSAGE-INTEGRITY seen
  bool after_integrity_sha256 = false;  // MESSAGE-INTEGRITY-SHA256 seen
  std::size_t at = kHeaderSize;
  while (at < bytes.size()) {
    if (bytes.size() - at < 4) return fail(ParseError::bad_length);
    const std::uint16_t attr_type = wire::get16(bytes.data() + at);
    const std::size_t attr_length = wire::get16(bytes.data() + at + 2);
    if (wire::padded(attr_length) > bytes.size() - at - 4) return fail(ParseError::bad_length);
    if (m.has_fingerprint_) return fail(ParseError::bad_fingerprint);  // something follows it

    if (attr_type == attr::fingerprint) {
      if (attr_length != 4) return fail(ParseError::bad_fingerprint);
      const std::uint32_t expected = wire::crc32(bytes.first(at)) ^ wire::kFingerprintXor;
      if (wire::get32(bytes.data() + at + 4) != expected) return fail(ParseError::bad_fingerprint);
      m.has_fingerprint_ = true;
    }
    // RFC 8489 §14.5/§14.6: what follows the integrity attributes is not covered by them, so
    // it is ignored rather than trusted.
    const bool keep = attr_type == attr::fingerprint ||
                      (!after_integrity_sha256 &&
                       (!after_integrity || attr_type == attr::message_integrity_sha256));
    if (keep) {
      if (m.count_ == kMaxAttributes) return fail(ParseError::too_many_attributes);
      m.attrs_[m.count_++] = Attribute{attr_type, bytes.subspan(at + 4, attr_length), at};
      if (attr_type == attr::message_integrity) after_integrity = true;
      if (attr_type == attr::message_integrity_sha256) after_integrity_sha256 = true;
    }
    at += 4 + wire::padded(attr_length);
  }
  if (why != nullptr) *why = ParseError::none;
  return view;
}

std::optional<Attribute> MessageView::find(std::uint16_t type) const {
  for (const Attribute& a : attributes())
    if (a.type == type) return a;
  return std::nullopt;
}

std::size_t MessageView::unknown_required(std::span<std::uint16_t> out) const {
  std::size_t n = 0;
  for (const Attribute& a : attributes()) {
    if (!attr::comprehension_required(a.type) || attr::known(a.type)) continue;
    bool listed = false;
    for (std::size_t i = 0; i < n; ++i) listed = listed || out[i] == a.type;
    if (listed) continue;
    if (n == out.size()) break;
    out[n++] = a.type;
  }
  return n;
}

TransactionId random_transaction_id() {
  TransactionId tid{};
  // A predictable transaction id would let an off-path attacker forge responses; there is no
  // safe fallback if the CSPRNG is unavailable.
  if (RAND_bytes(tid.data(), static_cast<int>(tid.size())) != 1) std::abort();
  return tid;
}

}  // namespace parley::stun
