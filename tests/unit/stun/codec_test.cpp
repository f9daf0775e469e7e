// Writing messages and reading them back, attribute decoders, ChannelData and stream framing.
#include "proto/stun/stun.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::stun {
namespace {

Bytes as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

constexpr TransactionId kTid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
constexpr std::string_view kKey = "0123456789abcdef";

Endpoint v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) {
  Endpoint e;
  e.family = Family::ipv4;
  e.ip = {a, b, c, d};
  e.port = port;
  return e;
}

Endpoint v6_sample() {
  Endpoint e;
  e.family = Family::ipv6;
  e.ip = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};
  e.port = 49152;
  return e;
}

// Builds an attribute over a value so decoders can be tried on hand-made bytes.
Attribute attribute(std::uint16_t type, const std::vector<std::uint8_t>& value) {
  return Attribute{type, Bytes(value.data(), value.size()), 0};
}

// --- writer and read-back ---------------------------------------------------------------

TEST(StunCodec, AllocateErrorResponseRoundTrips) {
  std::array<std::uint8_t, 512> buf{};
  buf.fill(0xEE);  // padding must come out zero, not whatever the buffer held
  const std::uint16_t unknown[] = {0x0024, 0x7FFF, 0x0031};
  MessageWriter w(buf, Method::allocate, Class::error, kTid);
  w.add_error(error::unknown_attribute)
      .add_unknown_attributes(unknown)
      .add_text(attr::realm, "example.org")
      .add_integrity(as_bytes(kKey))
      .add_fingerprint();
  ASSERT_TRUE(w.ok());
  const auto out = w.finish();
  ASSERT_EQ(out.size() % 4, 0u);
  EXPECT_EQ(out[0], 0x01);  // class bits 0b11 around method 3
  EXPECT_EQ(out[1], 0x13);

  const auto m = MessageView::parse(out);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->method(), Method::allocate);
  EXPECT_EQ(m->message_class(), Class::error);
  EXPECT_EQ(m->transaction_id(), kTid);
  EXPECT_TRUE(m->has_fingerprint());
  const auto err = decode_error_code(*m->find(attr::error_code));
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, 420);
  EXPECT_EQ(err->reason, "Unknown Attribute");

  const auto ua = m->find(attr::unknown_attributes);
  ASSERT_TRUE(ua);
  ASSERT_EQ(ua->value.size(), 6u);
  EXPECT_EQ(ua->value[2], 0x7F);
  EXPECT_EQ(ua->value[3], 0xFF);
  // Two bytes of zero padding after the six-byte value.
  EXPECT_EQ(out[ua->offset + 10], 0);
  EXPECT_EQ(out[ua->offset + 11], 0);
  // "example.org" is 11 bytes: one pad byte, zero.
  EXPECT_EQ(out[m->find(attr::realm)->offset + 15], 0);

  EXPECT_TRUE(check_integrity(*m, as_bytes(kKey)));
  EXPECT_FALSE(check_integrity(*m, as_bytes("0123456789abcdeF")));
}

TEST(StunCodec, XorAddressesRoundTripBothFamilies) {
  std::array<std::uint8_t, 256> buf{};
  const Endpoint a = v4(203, 0, 113, 7, 3478);
  const Endpoint b = v6_sample();
  MessageWriter w(buf, Method::allocate, Class::success, kTid);
  w.add_xor_address(attr::xor_relayed_address, b)
      .add_xor_address(attr::xor_mapped_address, a)
      .add_address(attr::mapped_address, a)
      .add_u32(attr::lifetime, 600);
  ASSERT_TRUE(w.ok());
  const auto m = MessageView::parse(w.finish());
  ASSERT_TRUE(m);
  EXPECT_EQ(decode_xor_address(*m->find(attr::xor_relayed_address), kTid), b);
  EXPECT_EQ(decode_xor_address(*m->find(attr::xor_mapped_address), kTid), a);
  EXPECT_EQ(decode_address(*m->find(attr::mapped_address)), a);
  EXPECT_EQ(decode_u32(*m->find(attr::lifetime)), 600u);
  // The wire form really is xored (port 3478 ^ 0x2112).
  const auto x = m->find(attr::xor_mapped_address)->value;
  EXPECT_EQ((x[2] << 8 | x[3]), 3478 ^ 0x2112);
  // Another transaction's id decodes the IPv6 address differently.
  TransactionId other = kTid;
  other[11] ^= 1;
  EXPECT_NE(decode_xor_address(*m->find(attr::xor_relayed_address), other), b);
}

TEST(StunCodec, BothIntegritiesEachCheckTheirOwnPrefix) {
  std::array<std::uint8_t, 256> buf{};
  const std::array<std::uint8_t, 16> md5_key{1, 2, 3};
  const std::array<std::uint8_t, 32> sha_key{9, 8, 7};
  MessageWriter w(buf, Method::refresh, Class::request, kTid);
  w.add_text(attr::username, "alice")
      .add_u32(attr::lifetime, 0)
      .add_integrity(md5_key)
      .add_integrity_sha256(sha_key)
      .add_fingerprint();
  ASSERT_TRUE(w.ok());
  const auto out = w.finish();
  const auto m = MessageView::parse(out);
  ASSERT_TRUE(m);
  EXPECT_TRUE(check_integrity(*m, md5_key));
  EXPECT_TRUE(check_integrity_sha256(*m, sha_key));
  EXPECT_FALSE(check_integrity(*m, sha_key));
  EXPECT_FALSE(check_integrity_sha256(*m, md5_key));

  // Recompute MESSAGE-INTEGRITY-SHA256 independently: header with the length ending after it,
  // and everything before it including MESSAGE-INTEGRITY.
  const auto mi = *m->find(attr::message_integrity_sha256);
  std::vector<std::uint8_t> prefix(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(mi.offset));
  const std::size_t len = mi.offset + 4 + 32 - kHeaderSize;
  prefix[2] = static_cast<std::uint8_t>(len >> 8);
  prefix[3] = static_cast<std::uint8_t>(len);
  std::array<std::uint8_t, 32> mac{};
  unsigned int n = 0;
  HMAC(EVP_sha256(), sha_key.data(), static_cast<int>(sha_key.size()), prefix.data(), prefix.size(),
       mac.data(), &n);
  EXPECT_TRUE(std::equal(mac.begin(), mac.end(), mi.value.begin(), mi.value.end()));
}

TEST(StunCodec, TruncatedSha256IntegrityIsAccepted) {
  // RFC 8489 §14.6 lets the HMAC be cut to 16 bytes; build one by hand.
  std::array<std::uint8_t, 128> buf{};
  const std::array<std::uint8_t, 4> key{5, 5, 5, 5};
  MessageWriter w(buf, Method::binding, Class::request, kTid);
  w.add_text(attr::username, "bob").add_integrity_sha256(key);
  ASSERT_TRUE(w.ok());
  std::vector<std::uint8_t> b(w.finish().begin(), w.finish().end());
  const std::size_t at = b.size() - 36;
  b[at + 3] = 16;  // attribute length 16
  b.resize(b.size() - 16);
  b[3] = static_cast<std::uint8_t>(b.size() - kHeaderSize);
  // Recompute over the new header length, then keep the first 16 bytes.
  std::vector<std::uint8_t> prefix(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(at));
  std::array<std::uint8_t, 32> mac{};
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), 4, prefix.data(), prefix.size(), mac.data(), &n);
  std::copy_n(mac.begin(), 16, b.begin() + static_cast<std::ptrdiff_t>(at + 4));
  const auto m = MessageView::parse(b);
  ASSERT_TRUE(m);
  EXPECT_TRUE(check_integrity_sha256(*m, key));
  b[at + 5] ^= 1;
  EXPECT_FALSE(check_integrity_sha256(*MessageView::parse(b), key));
}

TEST(StunCodec, AttributesAfterIntegrityAreIgnored) {
  std::array<std::uint8_t, 256> buf{};
  const std::array<std::uint8_t, 4> key{1, 1, 1, 1};
  MessageWriter w(buf, Method::binding, Class::request, kTid);
  w.add_text(attr::username, "carol")
      .add_integrity(key)
      .add_text(attr::realm, "injected")
      .add_u32(0x0031, 1)  // unknown comprehension-required, but not covered: ignored
      .add_integrity_sha256(key)
      .add_text(attr::nonce, "late")
      .add_integrity(key)
      .add_fingerprint();
  ASSERT_TRUE(w.ok());
  const auto m = MessageView::parse(w.finish());
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->find(attr::realm));
  EXPECT_FALSE(m->find(attr::nonce));
  ASSERT_EQ(m->attributes().size(), 4u);
  EXPECT_EQ(m->attributes()[2].type, attr::message_integrity_sha256);
  EXPECT_EQ(m->attributes()[3].type, attr::fingerprint);
  std::array<std::uint16_t, 2> unknown{};
  EXPECT_EQ(m->unknown_required(unknown), 0u);
  EXPECT_TRUE(check_integrity(*m, key));
  EXPECT_TRUE(check_integrity_sha256(*m, key));
}

TEST(StunCodec, FingerprintMustBeLast) {
  std::array<std::uint8_t, 128> buf{};
  MessageWriter w(buf, Method::binding, Class::request, kTid);
  w.add_fingerprint().add_text(attr::software, "x");
  ASSERT_TRUE(w.ok());
  ParseError why = ParseError::none;
  EXPECT_FALSE(MessageView::parse(w.finish(), &why));
  EXPECT_EQ(why, ParseError::bad_fingerprint);
}

TEST(StunCodec, TooManyAttributesAreRefused) {
  std::array<std::uint8_t, 1024> buf{};
  MessageWriter w(buf, Method::binding, Class::indication, kTid);
  for (std::size_t i = 0; i < kMaxAttributes; ++i) w.add_u32(attr::software, static_cast<std::uint32_t>(i));
  ASSERT_TRUE(w.ok());
  const auto full = w.finish();
  EXPECT_TRUE(MessageView::parse(full));
  EXPECT_EQ(MessageView::parse(full)->attributes().size(), kMaxAttributes);
  w.add_u32(attr::software, 99);
  ParseError why = ParseError::none;
  EXPECT_FALSE(MessageView::parse(w.finish(), &why));
  EXPECT_EQ(why, ParseError::too_many_attributes);
}

TEST(StunCodec, UnknownRequiredListsEachTypeOnce) {
  std::array<std::uint8_t, 256> buf{};
  MessageWriter w(buf, Method::allocate, Class::request, kTid);
  w.add_u32(0x0031, 0).add_u32(0x8031, 0).add_u32(0x0031, 0).add_requested_transport(17).add_u32(0x0040, 0);
  const auto m = MessageView::parse(w.finish());
  ASSERT_TRUE(m);
  std::array<std::uint16_t, 8> out{};
  ASSERT_EQ(m->unknown_required(out), 2u);
  EXPECT_EQ(out[0], 0x0031);
  EXPECT_EQ(out[1], 0x0040);
  std::array<std::uint16_t, 1> small{};
  EXPECT_EQ(m->unknown_required(small), 1u);
}

TEST(StunCodec, WriterStopsAtTheEndOfTheBuffer) {
  std::array<std::uint8_t, 64> backing{};
  backing.fill(0xAB);
  const std::span<std::uint8_t> out(backing.data(), 40);
  MessageWriter w(out, Method::binding, Class::success, kTid);
  w.add_xor_address(attr::xor_mapped_address, v4(1, 2, 3, 4, 5));  // 32 bytes so far
  ASSERT_TRUE(w.ok());
  w.add_fingerprint();  // 8 more: exactly fits
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.finish().size(), 40u);
  w.add_u32(attr::lifetime, 1);
  EXPECT_FALSE(w.ok());
  EXPECT_TRUE(w.finish().empty());
  for (std::size_t i = 40; i < backing.size(); ++i) EXPECT_EQ(backing[i], 0xAB) << i;

  std::array<std::uint8_t, 10> tiny{};
  MessageWriter t(tiny, Method::binding, Class::request, kTid);
  EXPECT_FALSE(t.ok());
  EXPECT_TRUE(t.finish().empty());
}

TEST(StunCodec, WriterRefusesBadErrorCodes) {
  std::array<std::uint8_t, 2048> buf{};
  MessageWriter a(buf, Method::binding, Class::error, kTid);
  a.add_error(299);
  EXPECT_FALSE(a.ok());
  MessageWriter b(buf, Method::binding, Class::error, kTid);
  b.add_error(400, std::string(764, 'x'));
  EXPECT_FALSE(b.ok());
  MessageWriter c(buf, Method::binding, Class::error, kTid);
  c.add_error(438, "Stale");
  const auto m = MessageView::parse(c.finish());
  ASSERT_TRUE(m);
  EXPECT_EQ(decode_error_code(*m->find(attr::error_code))->reason, "Stale");
}

TEST(StunCodec, RawMethodAndClassBitsRoundTrip) {
  std::array<std::uint8_t, 64> buf{};
  for (std::uint16_t method : {0x001, 0x00C, 0x0FF, 0xABC, 0xFFF}) {
    for (Class cls : {Class::request, Class::indication, Class::success, Class::error}) {
      MessageWriter w(buf, method, cls, kTid);
      const auto m = MessageView::parse(w.finish());
      ASSERT_TRUE(m);
      EXPECT_EQ(m->raw_method(), method);
      EXPECT_EQ(m->message_class(), cls);
    }
  }
  MessageWriter w(buf, Method::connection_attempt, Class::indication, kTid);
  EXPECT_EQ(buf[0], 0x00);
  EXPECT_EQ(buf[1], 0x1C);
}

TEST(StunCodec, RandomTransactionIdsDiffer) {
  EXPECT_NE(random_transaction_id(), random_transaction_id());
}

// --- decoders ---------------------------------------------------------------------------

TEST(StunDecoders, AddressLengthsAndFamilies) {
  EXPECT_TRUE(decode_address(attribute(attr::mapped_address, {0, 1, 0, 80, 10, 0, 0, 1})));
  EXPECT_FALSE(decode_address(attribute(attr::mapped_address, {0, 1, 0, 80, 10, 0, 0})));
  EXPECT_FALSE(decode_address(attribute(attr::mapped_address, {0, 1, 0, 80, 10, 0, 0, 1, 0, 0, 0, 0})));
  EXPECT_FALSE(decode_address(attribute(attr::mapped_address, {0, 3, 0, 80, 10, 0, 0, 1})));
  std::vector<std::uint8_t> six(20, 0);
  six[1] = 2;
  EXPECT_TRUE(decode_xor_address(attribute(attr::xor_peer_address, six), kTid));
  six[1] = 1;
  EXPECT_FALSE(decode_xor_address(attribute(attr::xor_peer_address, six), kTid));  // v4 must be 8
  six.resize(8);
  six[1] = 2;
  EXPECT_FALSE(decode_xor_address(attribute(attr::xor_peer_address, six), kTid));  // v6 must be 20
  EXPECT_FALSE(decode_xor_address(attribute(attr::xor_peer_address, {}), kTid));
}

TEST(StunDecoders, FixedSizeValues) {
  EXPECT_EQ(decode_u32(attribute(attr::lifetime, {0, 0, 0x0e, 0x10})), 3600u);
  EXPECT_FALSE(decode_u32(attribute(attr::lifetime, {0, 0, 0x0e})));
  EXPECT_FALSE(decode_u32(attribute(attr::lifetime, {0, 0, 0x0e, 0x10, 0})));

  EXPECT_EQ(decode_channel_number(attribute(attr::channel_number, {0x40, 0x00, 0, 0})), 0x4000);
  EXPECT_EQ(decode_channel_number(attribute(attr::channel_number, {0x4F, 0xFF, 0, 0})), 0x4FFF);
  EXPECT_FALSE(decode_channel_number(attribute(attr::channel_number, {0x3F, 0xFF, 0, 0})));
  EXPECT_FALSE(decode_channel_number(attribute(attr::channel_number, {0x50, 0x00, 0, 0})));
  EXPECT_FALSE(decode_channel_number(attribute(attr::channel_number, {0x40, 0x00, 0, 1})));
  EXPECT_FALSE(decode_channel_number(attribute(attr::channel_number, {0x40, 0x00})));

  EXPECT_EQ(decode_requested_transport(attribute(attr::requested_transport, {17, 0, 0, 0})), 17);
  EXPECT_EQ(decode_requested_transport(attribute(attr::requested_transport, {6, 0, 0, 0})), 6);
  EXPECT_FALSE(decode_requested_transport(attribute(attr::requested_transport, {17})));

  EXPECT_EQ(decode_family(attribute(attr::requested_address_family, {2, 0, 0, 0})), Family::ipv6);
  EXPECT_EQ(decode_family(attribute(attr::additional_address_family, {1, 0, 0, 0})), Family::ipv4);
  EXPECT_FALSE(decode_family(attribute(attr::requested_address_family, {3, 0, 0, 0})));
  EXPECT_FALSE(decode_family(attribute(attr::requested_address_family, {1})));

  EXPECT_EQ(decode_even_port(attribute(attr::even_port, {0x80})), true);
  EXPECT_EQ(decode_even_port(attribute(attr::even_port, {0x00})), false);
  EXPECT_FALSE(decode_even_port(attribute(attr::even_port, {0x80, 0, 0, 0})));
  EXPECT_FALSE(decode_even_port(attribute(attr::even_port, {})));
}

TEST(StunDecoders, ErrorCodeValidatesClassNumberAndReason) {
  const std::vector<std::uint8_t> stale{0, 0, 4, 38, 'S', 't', 'a', 'l', 'e'};
  const auto ok = decode_error_code(attribute(attr::error_code, stale));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->code, 438);
  EXPECT_EQ(ok->reason, "Stale");
  EXPECT_EQ(decode_error_code(attribute(attr::error_code, {0, 0, 6, 99}))->code, 699);
  EXPECT_FALSE(decode_error_code(attribute(attr::error_code, {0, 0, 2, 0})));
  EXPECT_FALSE(decode_error_code(attribute(attr::error_code, {0, 0, 7, 0})));
  EXPECT_FALSE(decode_error_code(attribute(attr::error_code, {0, 0, 4, 100})));
  EXPECT_FALSE(decode_error_code(attribute(attr::error_code, {0, 0, 4})));
  EXPECT_FALSE(decode_error_code(attribute(attr::error_code, {0, 0, 4, 0, 0xC3})));        // cut UTF-8
  EXPECT_FALSE(decode_error_code(attribute(attr::error_code, {0, 0, 4, 0, 0xC0, 0x80})));  // overlong
  EXPECT_FALSE(decode_error_code(attribute(attr::error_code, {0, 0, 4, 0, 0xED, 0xA0, 0x80})));  // surrogate
  EXPECT_TRUE(decode_error_code(attribute(attr::error_code, {0, 0, 4, 0, 0xE2, 0x85, 0xA8})));

  std::vector<std::uint8_t> longest{0, 0, 5, 0};
  longest.resize(4 + 763, 'a');
  EXPECT_TRUE(decode_error_code(attribute(attr::error_code, longest)));
  longest.push_back('a');
  EXPECT_FALSE(decode_error_code(attribute(attr::error_code, longest)));
}

TEST(StunDecoders, KnownAttributesAndReasons) {
  for (std::uint16_t t : {attr::mapped_address, attr::username, attr::message_integrity, attr::error_code,
                          attr::unknown_attributes, attr::channel_number, attr::lifetime,
                          attr::xor_peer_address, attr::data, attr::realm, attr::nonce,
                          attr::xor_relayed_address, attr::requested_address_family, attr::even_port,
                          attr::requested_transport, attr::dont_fragment, attr::message_integrity_sha256,
                          attr::password_algorithm, attr::userhash, attr::xor_mapped_address,
                          attr::reservation_token, attr::connection_id})
    EXPECT_TRUE(attr::known(t)) << t;
  EXPECT_FALSE(attr::known(0x0024));  // ICE PRIORITY
  EXPECT_FALSE(attr::known(0x0003));  // RFC 3489 CHANGE-REQUEST
  EXPECT_FALSE(attr::known(attr::software));

  EXPECT_EQ(error::reason(error::try_alternate), "Try Alternate");
  EXPECT_EQ(error::reason(error::unauthenticated), "Unauthenticated");
  EXPECT_EQ(error::reason(error::stale_nonce), "Stale Nonce");
  EXPECT_EQ(error::reason(error::allocation_mismatch), "Allocation Mismatch");
  EXPECT_EQ(error::reason(error::unsupported_transport_protocol), "Unsupported Transport Protocol");
  EXPECT_EQ(error::reason(error::connection_timeout_or_failure), "Connection Timeout or Failure");
  EXPECT_EQ(error::reason(error::insufficient_capacity), "Insufficient Capacity");
  for (std::uint16_t code : {300, 400, 401, 403, 420, 437, 438, 440, 441, 442, 443, 446, 447, 486, 487, 500, 508})
    EXPECT_FALSE(error::reason(code).empty()) << code;
  EXPECT_TRUE(error::reason(499).empty());
}

// --- ChannelData and stream framing -------------------------------------------------------

TEST(StunChannelData, ParsesWithOptionalPadding) {
  const std::vector<std::uint8_t> frame{0x40, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0, 0, 0};
  for (std::size_t n = 9; n <= 12; ++n) {
    const auto cd = parse_channel_data(Bytes(frame.data(), n));
    ASSERT_TRUE(cd) << n;
    EXPECT_EQ(cd->channel, 0x4001);
    EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(cd->data.data()), cd->data.size()), "hello");
  }
  std::vector<std::uint8_t> extra = frame;
  extra.push_back(0);
  EXPECT_FALSE(parse_channel_data(extra));                         // beyond the padding
  EXPECT_FALSE(parse_channel_data(Bytes(frame.data(), 8)));        // data cut short
  EXPECT_FALSE(parse_channel_data(Bytes(frame.data(), 3)));
  std::vector<std::uint8_t> reserved = frame;
  reserved[0] = 0x50;
  EXPECT_FALSE(parse_channel_data(reserved));
  reserved[0] = 0x3F;
  EXPECT_FALSE(parse_channel_data(reserved));

  const std::vector<std::uint8_t> empty{0x4F, 0xFF, 0, 0};
  const auto e = parse_channel_data(empty);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->channel, 0x4FFF);
  EXPECT_TRUE(e->data.empty());
}

TEST(StunChannelData, HeaderWriterMatchesParser) {
  std::array<std::uint8_t, 8> buf{};
  ASSERT_EQ(write_channel_data_header(buf, 0x4abc, 4), kChannelDataHeaderSize);
  buf[4] = buf[5] = buf[6] = buf[7] = 0x55;
  const auto cd = parse_channel_data(buf);
  ASSERT_TRUE(cd);
  EXPECT_EQ(cd->channel, 0x4abc);
  EXPECT_EQ(cd->data.size(), 4u);
  std::array<std::uint8_t, 3> small{};
  EXPECT_EQ(write_channel_data_header(small, 0x4000, 0), 0u);
}

TEST(StunFraming, FrameSizes) {
  const std::vector<std::uint8_t> stun{0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42};
  EXPECT_EQ(stream_frame_size(stun), 20u + 0x58);
  EXPECT_EQ(stream_frame_size(Bytes(stun.data(), 4)), 20u + 0x58);
  EXPECT_EQ(stream_frame_size(Bytes(stun.data(), 3)), 0u);
  EXPECT_EQ(stream_frame_size({}), 0u);
  const std::vector<std::uint8_t> biggest{0x00, 0x01, 0xFF, 0xFC};
  EXPECT_EQ(stream_frame_size(biggest), 20u + 0xFFFC);
  EXPECT_LE(*stream_frame_size(biggest), kMaxMessageSize);

  std::vector<std::uint8_t> bad_cookie = stun;
  bad_cookie[7] = 0x43;
  EXPECT_EQ(stream_frame_size(bad_cookie), std::nullopt);
  const std::vector<std::uint8_t> odd_length{0x00, 0x01, 0x00, 0x57};
  EXPECT_EQ(stream_frame_size(odd_length), std::nullopt);

  // ChannelData frames are padded to four bytes on streams.
  EXPECT_EQ(stream_frame_size(std::vector<std::uint8_t>{0x40, 0x00, 0x00, 0x00}), 4u);
  EXPECT_EQ(stream_frame_size(std::vector<std::uint8_t>{0x40, 0x00, 0x00, 0x01}), 8u);
  EXPECT_EQ(stream_frame_size(std::vector<std::uint8_t>{0x4F, 0xFF, 0x00, 0x04}), 8u);
  EXPECT_EQ(stream_frame_size(std::vector<std::uint8_t>{0x41, 0x00, 0x00, 0x07}), 12u);
  EXPECT_EQ(stream_frame_size(std::vector<std::uint8_t>{0x41, 0x00, 0xFF, 0xFF}), 4u + 0x10000);

  for (std::uint8_t first : {0x50, 0x7F, 0x80, 0xC0, 0xFF})
    EXPECT_EQ(stream_frame_size(std::vector<std::uint8_t>{first, 0x00, 0x00, 0x04}), std::nullopt) << +first;
}

TEST(StunFraming, SplitsAStreamOfMixedFrames) {
  std::array<std::uint8_t, 64> stun_buf{};
  MessageWriter w(stun_buf, Method::refresh, Class::request, kTid);
  w.add_u32(attr::lifetime, 0).add_fingerprint();
  const auto msg = w.finish();
  std::vector<std::uint8_t> stream{0x40, 0x02, 0x00, 0x03, 'a', 'b', 'c', 0};
  stream.insert(stream.end(), msg.begin(), msg.end());
  stream.insert(stream.end(), {0x40, 0x02, 0x00, 0x00});

  std::size_t at = 0;
  int channel_frames = 0;
  int stun_frames = 0;
  while (at < stream.size()) {
    const Bytes rest(stream.data() + at, stream.size() - at);
    const auto size = stream_frame_size(rest);
    ASSERT_TRUE(size);
    ASSERT_GT(*size, 0u);
    ASSERT_LE(*size, rest.size());
    const Bytes frame = rest.first(*size);
    if (looks_like_stun(frame)) {
      ASSERT_TRUE(MessageView::parse(frame));
      ++stun_frames;
    } else {
      ASSERT_TRUE(parse_channel_data(frame));
      ++channel_frames;
    }
    at += *size;
  }
  EXPECT_EQ(channel_frames, 2);
  EXPECT_EQ(stun_frames, 1);
}

}  // namespace
}  // namespace parley::stun
