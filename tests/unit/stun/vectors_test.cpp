// The codec against the published vectors (RFC 5769, RFC 8489 Appendix B.1) and against
// damaged copies of them.
#include "proto/stun/stun.hpp"
#include "vectors.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <gtest/gtest.h>

#include <vector>

namespace parley::stun {
namespace {

using test::kIpv4Response;
using test::kIpv6Response;
using test::kLongTermRequest;
using test::kSampleRequest;
using test::kSha256Request;

Bytes as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

template <std::size_t N>
std::vector<std::uint8_t> copy_of(const std::array<std::uint8_t, N>& a) {
  return {a.begin(), a.end()};
}

std::optional<MessageView> parse(Bytes b, ParseError* why = nullptr) { return MessageView::parse(b, why); }

ParseError error_of(Bytes b) {
  ParseError why = ParseError::none;
  EXPECT_FALSE(parse(b, &why).has_value());
  return why;
}

constexpr TransactionId kRfc5769Tid = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

TEST(StunVectors, SampleRequestParsesAndAuthenticates) {
  ParseError why = ParseError::too_short;
  const auto m = parse(kSampleRequest, &why);
  ASSERT_TRUE(m);
  EXPECT_EQ(why, ParseError::none);
  EXPECT_EQ(m->method(), Method::binding);
  EXPECT_EQ(m->message_class(), Class::request);
  EXPECT_EQ(m->transaction_id(), kRfc5769Tid);
  EXPECT_TRUE(m->has_fingerprint());

  ASSERT_EQ(m->attributes().size(), 6u);
  const std::uint16_t types[] = {attr::software, 0x0024, 0x8029, attr::username,
                                 attr::message_integrity, attr::fingerprint};
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(m->attributes()[i].type, types[i]) << i;
  EXPECT_EQ(as_text(*m->find(attr::software)), "STUN test client");
  EXPECT_EQ(as_text(*m->find(attr::username)), "evtj:h6vY");
  EXPECT_EQ(m->find(attr::username)->offset, 60u);

  EXPECT_TRUE(check_integrity(*m, as_bytes(test::kShortTermPassword)));
  EXPECT_FALSE(check_integrity(*m, as_bytes("VOkJxbRl1RmTxUk/WvJxBu")));
  EXPECT_FALSE(check_integrity_sha256(*m, as_bytes(test::kShortTermPassword)));  // absent

  // PRIORITY (0x0024) is an ICE attribute a relay does not understand.
  std::array<std::uint16_t, 4> unknown{};
  ASSERT_EQ(m->unknown_required(unknown), 1u);
  EXPECT_EQ(unknown[0], 0x0024);
}

TEST(StunVectors, Ipv4ResponseDecodesMappedAddress) {
  const auto m = parse(kIpv4Response);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->method(), Method::binding);
  EXPECT_EQ(m->message_class(), Class::success);
  EXPECT_TRUE(m->has_fingerprint());
  EXPECT_EQ(as_text(*m->find(attr::software)), "test vector");
  const auto e = decode_xor_address(*m->find(attr::xor_mapped_address), m->transaction_id());
  ASSERT_TRUE(e);
  Endpoint want;
  want.family = Family::ipv4;
  want.ip = {192, 0, 2, 1};
  want.port = 32853;
  EXPECT_EQ(*e, want);
  EXPECT_TRUE(check_integrity(*m, as_bytes(test::kShortTermPassword)));
  std::array<std::uint16_t, 4> unknown{};
  EXPECT_EQ(m->unknown_required(unknown), 0u);
}

TEST(StunVectors, Ipv6ResponseDecodesMappedAddress) {
  const auto m = parse(kIpv6Response);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->message_class(), Class::success);
  const auto e = decode_xor_address(*m->find(attr::xor_mapped_address), m->transaction_id());
  ASSERT_TRUE(e);
  Endpoint want;
  want.family = Family::ipv6;
  want.ip = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
  want.port = 32853;
  EXPECT_EQ(*e, want);
  EXPECT_TRUE(check_integrity(*m, as_bytes(test::kShortTermPassword)));
  // The xored form read as a plain address is not the mapped address.
  EXPECT_NE(*decode_address(*m->find(attr::xor_mapped_address)), want);
}

TEST(StunVectors, LongTermRequestAuthenticatesWithMd5Key) {
  const auto m = parse(kLongTermRequest);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->has_fingerprint());
  EXPECT_EQ(as_text(*m->find(attr::username)), test::kUsername);
  EXPECT_EQ(as_text(*m->find(attr::nonce)), "f//499k954d6OL34oL9FSTvy64sA");
  EXPECT_EQ(as_text(*m->find(attr::realm)), test::kRealm);

  const auto key = long_term_key_md5(test::kUsername, test::kRealm, test::kPassword);
  std::array<std::uint8_t, 16> expected_key{};
  const std::string joined = std::string(test::kUsername) + ":example.org:TheMatrIX";
  EVP_Digest(joined.data(), joined.size(), expected_key.data(), nullptr, EVP_md5(), nullptr);
  EXPECT_EQ(key, expected_key);
  EXPECT_TRUE(check_integrity(*m, key));

  // The password before SASLprep gives another key: the caller must prepare it first.
  const auto raw = long_term_key_md5(test::kUsername, test::kRealm,
                                     "The\xc2\xad" "M\xc2\xaa" "tr\xe2\x85\xa8");
  EXPECT_FALSE(check_integrity(*m, raw));
}

TEST(StunVectors, Sha256RequestAuthenticatesAndCarriesUserhash) {
  const auto m = parse(kSha256Request);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->attributes().size(), 5u);
  EXPECT_EQ(as_text(*m->find(attr::nonce)), "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA");
  EXPECT_EQ(as_text(*m->find(attr::realm)), "example.org");
  const auto algorithm = m->find(attr::password_algorithm);
  ASSERT_TRUE(algorithm);
  EXPECT_EQ(decode_u32(*algorithm), 0x00020000u);  // algorithm 2 (SHA-256), no parameters

  const auto hash = userhash(test::kUsername, test::kRealm);
  const auto carried = m->find(attr::userhash)->value;
  EXPECT_TRUE(std::equal(hash.begin(), hash.end(), carried.begin(), carried.end()));

  const auto key = long_term_key_sha256(test::kUsername, test::kRealm, test::kPassword);
  EXPECT_TRUE(check_integrity_sha256(*m, key));
  EXPECT_FALSE(check_integrity(*m, key));  // no MESSAGE-INTEGRITY in this request
  const auto md5_key = long_term_key_md5(test::kUsername, test::kRealm, test::kPassword);
  EXPECT_FALSE(check_integrity_sha256(*m, md5_key));

  // The vector itself, independently of the codec: HMAC-SHA256 over everything before the
  // attribute (the header length already ends after it, as the attribute is last).
  std::array<std::uint8_t, 32> mac{};
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), kSha256Request.data(),
       kSha256Request.size() - 36, mac.data(), &mac_len);
  ASSERT_EQ(mac_len, 32u);
  EXPECT_TRUE(std::equal(mac.begin(), mac.end(), kSha256Request.end() - 32));
}

// --- damaged vectors ------------------------------------------------------------------------

TEST(StunVectors, FlippedIntegrityBitFailsTheCheckOnly) {
  auto b = copy_of(kLongTermRequest);  // no FINGERPRINT to trip over
  b[b.size() - 5] ^= 0x01;
  const auto m = parse(b);
  ASSERT_TRUE(m);
  EXPECT_FALSE(check_integrity(*m, long_term_key_md5(test::kUsername, test::kRealm, test::kPassword)));

  auto s = copy_of(kSha256Request);
  s[s.size() - 32] ^= 0x80;
  const auto m2 = parse(s);
  ASSERT_TRUE(m2);
  EXPECT_FALSE(check_integrity_sha256(*m2, long_term_key_sha256(test::kUsername, test::kRealm, test::kPassword)));
}

TEST(StunVectors, FlippedCoveredByteFailsIntegrity) {
  auto b = copy_of(kLongTermRequest);
  b[30] ^= 0x04;  // inside USERNAME
  const auto m = parse(b);
  ASSERT_TRUE(m);
  EXPECT_FALSE(check_integrity(*m, long_term_key_md5(test::kUsername, test::kRealm, test::kPassword)));
}

TEST(StunVectors, FlippedFingerprintOrContentFailsParse) {
  auto b = copy_of(kSampleRequest);
  b.back() ^= 0x01;
  EXPECT_EQ(error_of(b), ParseError::bad_fingerprint);
  auto c = copy_of(kIpv4Response);
  c[25] ^= 0x20;  // SOFTWARE text: integrity and fingerprint both break, fingerprint is checked
  EXPECT_EQ(error_of(c), ParseError::bad_fingerprint);
}

TEST(StunVectors, WrongLengthFieldFailsParse) {
  auto b = copy_of(kSampleRequest);
  b[3] = 0x54;  // 4 short: bytes left over
  EXPECT_EQ(error_of(b), ParseError::bad_length);
  b[3] = 0x5c;  // 4 long: runs past the datagram
  EXPECT_EQ(error_of(b), ParseError::too_short);
  b[3] = 0x59;  // not a multiple of 4
  EXPECT_EQ(error_of(b), ParseError::bad_length);
}

TEST(StunVectors, TruncatedMessageFailsParse) {
  for (std::size_t n : {0u, 1u, 19u, 20u, 60u, 107u}) {
    const Bytes b(kSampleRequest.data(), n);
    const ParseError why = error_of(b);
    EXPECT_EQ(why, ParseError::too_short) << n;
  }
}

TEST(StunVectors, AttributeRunningPastTheEndFailsParse) {
  auto b = copy_of(kIpv4Response);
  b[23] = 0x40;  // SOFTWARE claims 64 bytes
  EXPECT_EQ(error_of(b), ParseError::bad_length);
  auto c = copy_of(kLongTermRequest);
  c[c.size() - 21] = 0x15;  // MESSAGE-INTEGRITY of 21 bytes: its padding runs past the end
  EXPECT_EQ(error_of(c), ParseError::bad_length);
}

TEST(StunVectors, NotStunIsRecognised) {
  auto b = copy_of(kSampleRequest);
  b[4] = 0x22;  // cookie
  EXPECT_EQ(error_of(b), ParseError::not_stun);
  auto c = copy_of(kSampleRequest);
  c[0] = 0x40;  // ChannelData range
  EXPECT_EQ(error_of(c), ParseError::not_stun);
  EXPECT_FALSE(looks_like_stun(c));
  EXPECT_TRUE(looks_like_stun(kSampleRequest));
}

}  // namespace
}  // namespace parley::stun
