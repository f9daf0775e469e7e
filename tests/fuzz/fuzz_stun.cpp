// Fuzz target: the STUN/TURN codec (src/proto/stun/stun.hpp). Arbitrary bytes are read as a STUN
// message (integrity checked with a fixed key, every attribute put through every decoder), as
// ChannelData and as the front of a stream. Whatever parses stays inside the input, decoders
// keep their documented ranges, and a parsed message rewritten by MessageWriter parses back with
// the same attributes and a valid integrity and fingerprint.
#include "proto/stun/stun.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace {

using namespace parley::stun;

constexpr std::array<std::uint8_t, 16> kKey = {'f', 'u', 'z', 'z', '-', 'k', 'e', 'y',
                                               0, 1, 2, 3, 4, 5, 6, 7};

bool inside(Bytes inner, Bytes outer) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

void decode_everything(const MessageView& m) {
  for (const Attribute& a : m.attributes()) {
    if (!inside(a.value, m.bytes()) || a.offset + 4 + a.value.size() > m.bytes().size()) std::abort();
    if (const auto e = decode_address(a); e && e->family != Family::ipv4 && e->family != Family::ipv6)
      std::abort();
    (void)decode_xor_address(a, m.transaction_id());
    (void)decode_u32(a);
    if (const auto c = decode_channel_number(a); c && (*c < kMinChannel || *c > kMaxChannel)) std::abort();
    (void)decode_requested_transport(a);
    (void)decode_family(a);
    (void)decode_even_port(a);
    if (const auto err = decode_error_code(a)) {
      if (err->code < 300 || err->code > 699 || err->reason.size() > 763) std::abort();
    }
    (void)as_text(a);
  }
  std::array<std::uint16_t, 8> unknown{};
  const std::size_t n = m.unknown_required(unknown);
  for (std::size_t i = 0; i < n; ++i)
    if (!attr::comprehension_required(unknown[i]) || attr::known(unknown[i])) std::abort();
  (void)check_integrity(m, kKey);
  (void)check_integrity_sha256(m, kKey);
}

bool is_trailer(std::uint16_t type) {
  return type == attr::message_integrity || type == attr::message_integrity_sha256 ||
         type == attr::fingerprint;
}

void rewrite(const MessageView& m) {
  static std::array<std::uint8_t, kMaxMessageSize> buf;
  MessageWriter w(buf, m.raw_method(), m.message_class(), m.transaction_id());
  std::size_t kept = 0;
  for (const Attribute& a : m.attributes()) {
    if (is_trailer(a.type)) continue;
    w.add(a.type, a.value);
    ++kept;
  }
  w.add_integrity(kKey).add_integrity_sha256(kKey).add_fingerprint();
  if (!w.ok()) return;  // the rewrite may outgrow the 16-bit length; that is allowed
  ParseError why = ParseError::none;
  const auto back = MessageView::parse(w.finish(), &why);
  if (kept + 3 > kMaxAttributes) {
    if (back || why != ParseError::too_many_attributes) std::abort();
    return;
  }
  if (!back || !back->has_fingerprint() || !check_integrity(*back, kKey) ||
      !check_integrity_sha256(*back, kKey))
    std::abort();
  if (back->raw_method() != m.raw_method() || back->message_class() != m.message_class() ||
      back->transaction_id() != m.transaction_id() || back->attributes().size() != kept + 3)
    std::abort();
  std::size_t i = 0;
  for (const Attribute& a : m.attributes()) {
    if (is_trailer(a.type)) continue;
    const Attribute& b = back->attributes()[i++];
    if (b.type != a.type || !std::equal(a.value.begin(), a.value.end(), b.value.begin(), b.value.end()))
      std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes input(data, size);

  ParseError why = ParseError::none;
  if (const auto m = MessageView::parse(input, &why)) {
    if (why != ParseError::none || m->bytes().size() != size || !looks_like_stun(input) ||
        m->attributes().size() > kMaxAttributes)
      std::abort();
    decode_everything(*m);
    rewrite(*m);
  } else if (why == ParseError::none) {
    std::abort();
  }

  if (const auto cd = parse_channel_data(input)) {
    if (cd->channel < kMinChannel || cd->channel > kMaxChannel || !inside(cd->data, input) ||
        cd->data.data() != data + kChannelDataHeaderSize || size - cd->data.size() > 7)
      std::abort();
  }

  if (const auto frame = stream_frame_size(input)) {
    if (size < 4 ? *frame != 0 : *frame < 4) std::abort();
    if (*frame > kMaxMessageSize) std::abort();
    if (size >= 4 && *frame <= size) {
      const Bytes first = input.first(*frame);
      if (data[0] >= 0x40 && data[0] <= 0x4F && !parse_channel_data(first)) std::abort();
      if (data[0] < 0x40) {
        ParseError e = ParseError::none;
        if (!MessageView::parse(first, &e) && (e == ParseError::too_short || e == ParseError::not_stun))
          std::abort();
      }
    }
  }
  return 0;
}
