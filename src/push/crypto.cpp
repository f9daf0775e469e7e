#include "push/crypto.hpp"

#include "common/crypto.hpp"

#include <boost/json/serialize.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <stdexcept>

namespace parley::push {

namespace {

constexpr std::size_t kPointSize = 65;  // 0x04 || X || Y on P-256
constexpr std::size_t kScalarSize = 32;
constexpr std::size_t kSaltSize = 16;  // RFC 8188 §2.1
constexpr std::size_t kTagSize = 16;   // AES-GCM
constexpr std::size_t kHeaderSize = kSaltSize + 4 + 1;
constexpr std::uint32_t kMinRecordSize = 18;  // one byte of content, the delimiter and the tag
constexpr auto kMaxVapidLifetime = std::chrono::hours(24);  // RFC 8292 §2

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, Deleter<BN_CTX, BN_CTX_free>>;
using GroupPtr = std::unique_ptr<EC_GROUP, Deleter<EC_GROUP, EC_GROUP_free>>;
using PointPtr = std::unique_ptr<EC_POINT, Deleter<EC_POINT, EC_POINT_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;
using SigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string_view view(const unsigned char* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

// OpenSSL leaves its reasons on a per-thread queue; a failure we report ourselves must not leave
// them behind for an unrelated caller to find.
[[noreturn]] void fail(const std::string& message) {
  ERR_clear_error();
  throw std::runtime_error(message);
}

std::shared_ptr<EVP_PKEY> share(PkeyPtr key) { return {key.release(), EVP_PKEY_free}; }

std::string curve_of(EVP_PKEY* key) {
  char name[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) != 1)
    return "an unnamed curve";
  return std::string(name, len);
}

bool is_p256_key(EVP_PKEY* key) {
  if (key == nullptr || !EVP_PKEY_is_a(key, "EC")) return false;
  const std::string curve = curve_of(key);
  return curve == SN_X9_62_prime256v1 || curve == "P-256";
}

// A P-256 public key from its uncompressed point; nullptr when the bytes are not a point on the
// curve (OpenSSL checks that on import).
PkeyPtr p256_public_key(std::string_view point) {
  if (point.size() != kPointSize || point[0] != 0x04) return nullptr;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1,
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1)
    return nullptr;
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return PkeyPtr(raw);
}

std::array<unsigned char, 32> hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes(data), data.size(),
           out.data(), &len) == nullptr ||
      len != out.size())
    fail("HMAC-SHA-256 failed");
  return out;
}

std::string_view as_view(const std::array<unsigned char, 32>& a, std::size_t n = 32) {
  return view(a.data(), n);
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

struct ContentKeys {
  std::array<unsigned char, 16> cek{};
  std::array<unsigned char, 12> nonce{};
};

// RFC 8291 §3.3-§3.4 then RFC 8188 §2.2-§2.3: the user agent's and application server's points
// and the auth secret are mixed into the IKM that the aes128gcm salt then expands.
ContentKeys content_keys(std::string_view ecdh_secret, std::string_view auth,
                         std::string_view ua_public, std::string_view as_public,
                         std::string_view salt) {
  const auto prk_key = hmac_sha256(auth, ecdh_secret);
  std::string key_info = "WebPush: info";
  key_info.push_back('\0');
  key_info.append(ua_public).append(as_public).push_back('\x01');
  const auto ikm = hmac_sha256(as_view(prk_key), key_info);
  const auto prk = hmac_sha256(salt, as_view(ikm));
  static constexpr std::string_view kCekInfo{"Content-Encoding: aes128gcm\0\x01", 29};
  static constexpr std::string_view kNonceInfo{"Content-Encoding: nonce\0\x01", 25};
  const auto cek = hmac_sha256(as_view(prk), kCekInfo);
  const auto nonce = hmac_sha256(as_view(prk), kNonceInfo);
  ContentKeys keys;
  std::copy_n(cek.begin(), keys.cek.size(), keys.cek.begin());
  std::copy_n(nonce.begin(), keys.nonce.size(), keys.nonce.begin());
  return keys;
}

// One AES-128-GCM pass. The record is the only one, so its sequence number is 0 and the nonce
// is used as derived (RFC 8188 §2.3). Returns false when the tag does not verify.
bool aes128gcm(bool encrypt, const ContentKeys& keys, std::string_view in, std::string& out,
               unsigned char* tag) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, keys.cek.data(),
                                keys.nonce.data(), encrypt ? 1 : 0) != 1)
    fail("AES-128-GCM is not available");
  out.assign(in.size(), '\0');
  int len = 0;
  if (!in.empty() && EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                                      bytes(in), static_cast<int>(in.size())) != 1)
    fail("AES-128-GCM failed");
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag) != 1)
    fail("AES-128-GCM failed");
  int tail = 0;
  if (EVP_CipherFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &tail) !=
      1) {
    ERR_clear_error();
    return false;
  }
  if (encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, tag) != 1)
    fail("AES-128-GCM failed");
  return true;
}

int no_passphrase(char*, int, int, void*) { return -1; }


// The origin of an http(s) URL, lower-cased, default port dropped (RFC 6454 §6.2), which is what
// push services compare the VAPID audience with.
std::string origin_of(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) fail("the push endpoint is not an absolute URL");
  std::string scheme(url.substr(0, sep));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "https" && scheme != "http") fail("the push endpoint is not an https URL");
  std::string_view authority = url.substr(sep + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos)
    authority = authority.substr(at + 1);
  std::string_view host = authority;
  std::string_view port;
  // A bracketed IPv6 literal holds colons of its own.
  const auto close = authority.rfind(']');
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) fail("the push endpoint has no host");
  if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    fail("the push endpoint has an invalid port");
  std::string origin = scheme + "://";
  std::transform(host.begin(), host.end(), std::back_inserter(origin),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const bool default_port =
      port.empty() || (scheme == "https" && port == "443") || (scheme == "http" && port == "80");
  if (!default_port) origin.append(":").append(port);
  return origin;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) {
  return parley::base64url_decode(text, /*padding_allowed=*/true);
}

std::string base64url(std::string_view bytes) { return base64url_encode(bytes); }

// ---- SigningKey -------------------------------------------------------------------------------

SigningKey SigningKey::from_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) fail("out of memory reading the private key");
  // No passphrase prompt: an encrypted key is a configuration error, not a reason to block.
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key)
    fail(
        "no unencrypted private key found in the PEM text (expected BEGIN PRIVATE KEY, "
        "BEGIN EC PRIVATE KEY or BEGIN RSA PRIVATE KEY)");
  if (EVP_PKEY_is_a(key.get(), "EC")) {
    if (!is_p256_key(key.get()))
      fail("the EC private key is on " + curve_of(key.get()) +
           "; only P-256 (prime256v1) keys are supported");
  } else if (EVP_PKEY_is_a(key.get(), "RSA")) {
    const int bits = EVP_PKEY_get_bits(key.get());
    if (bits < 2048)
      fail("the RSA private key has " + std::to_string(bits) + " bits; at least 2048 are required");
  } else {
    fail(std::string("the private key is of type ") + EVP_PKEY_get0_type_name(key.get()) +
         "; only EC P-256 and RSA keys are supported");
  }
  return SigningKey(share(std::move(key)));
}

SigningKey SigningKey::generate_p256() {
  PkeyPtr key(EVP_EC_gen(SN_X9_62_prime256v1));
  if (!key) fail("could not generate a P-256 key");
  return SigningKey(share(std::move(key)));
}

SigningKey SigningKey::from_p256_scalar(std::string_view d) {
  if (d.size() != kScalarSize) fail("a P-256 private key is 32 bytes");
  GroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  BnCtxPtr bn_ctx(BN_CTX_new());
  BnPtr scalar(BN_bin2bn(bytes(d), static_cast<int>(d.size()), nullptr));
  if (!group || !bn_ctx || !scalar) fail("out of memory building a P-256 key");
  if (BN_is_zero(scalar.get()) || BN_cmp(scalar.get(), EC_GROUP_get0_order(group.get())) >= 0)
    fail("the P-256 private key is out of range");

  // EVP_PKEY_fromdata does not derive the public point, so compute d·G here.
  PointPtr point(EC_POINT_new(group.get()));
  std::array<unsigned char, kPointSize> encoded{};
  if (!point ||
      EC_POINT_mul(group.get(), point.get(), scalar.get(), nullptr, nullptr, bn_ctx.get()) != 1 ||
      EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, encoded.data(),
                         encoded.size(), bn_ctx.get()) != encoded.size())
    fail("could not compute the P-256 public key");

  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1,
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get()) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, encoded.data(),
                                       encoded.size()) != 1)
    fail("out of memory building a P-256 key");
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1)
    fail("could not build the P-256 key");
  return SigningKey(share(PkeyPtr(raw)));
}

std::string SigningKey::private_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // PEM_write_bio_PKCS8PrivateKey always writes PrivateKeyInfo, whatever the key was read from.
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr,
                                            nullptr) != 1)
    fail("could not write the private key");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

bool SigningKey::is_p256() const { return is_p256_key(key_.get()); }

bool SigningKey::is_rsa() const { return key_ && EVP_PKEY_is_a(key_.get(), "RSA"); }

std::string SigningKey::public_point() const {
  if (!is_p256()) fail("the key is not an EC P-256 key");
  // A key read from PEM keeps the point format of its file, which may be compressed; re-encode.
  std::array<unsigned char, kPointSize> stored{};
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, stored.data(),
                                      stored.size(), &len) != 1)
    fail("the P-256 key has no public point");
  if (len == kPointSize && stored[0] == 0x04) return std::string(view(stored.data(), len));
  GroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  PointPtr point(group ? EC_POINT_new(group.get()) : nullptr);
  std::array<unsigned char, kPointSize> out{};
  if (!point || EC_POINT_oct2point(group.get(), point.get(), stored.data(), len, nullptr) != 1 ||
      EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, out.data(),
                         out.size(), nullptr) != out.size())
    fail("the P-256 key's public point is malformed");
  return std::string(view(out.data(), out.size()));
}

std::string SigningKey::sign(std::string_view data) const {
  const bool ec = is_p256();
  if (!ec && !is_rsa()) fail("the key can sign neither ES256 nor RS256");
  MdCtxPtr md(EVP_MD_CTX_new());
  std::size_t len = 0;
  // RSA keys default to PKCS#1 v1.5 padding, which is RS256.
  if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &len, bytes(data), data.size()) != 1)
    fail("could not sign");
  std::string sig(len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(data),
                     data.size()) != 1)
    fail("could not sign");
  sig.resize(len);
  if (!ec) return sig;

  // JOSE wants R || S, each left-padded to the size of the curve order (RFC 7518 §3.4), where
  // OpenSSL gives a DER SEQUENCE of two INTEGERs.
  const unsigned char* p = bytes(sig);
  SigPtr parsed(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  if (!parsed) fail("could not read the ECDSA signature");
  std::array<unsigned char, 2 * kScalarSize> jose{};
  constexpr int kHalf = static_cast<int>(kScalarSize);
  if (BN_bn2binpad(ECDSA_SIG_get0_r(parsed.get()), jose.data(), kHalf) != kHalf ||
      BN_bn2binpad(ECDSA_SIG_get0_s(parsed.get()), jose.data() + kScalarSize, kHalf) != kHalf)
    fail("the ECDSA signature does not fit P-256");
  return std::string(view(jose.data(), jose.size()));
}

std::string SigningKey::derive(std::string_view peer_point) const {
  if (!is_p256()) fail("the key is not an EC P-256 key");
  PkeyPtr peer = p256_public_key(peer_point);
  if (!peer) fail("the peer's public key is not an uncompressed point on P-256");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1)
    fail("ECDH with the peer's public key failed");
  std::string secret(len, '\0');
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()), &len) != 1)
    fail("ECDH with the peer's public key failed");
  secret.resize(len);
  return secret;
}

// ---- JWT and VAPID ----------------------------------------------------------------------------

std::string make_jwt(const SigningKey& key, const boost::json::object& claims,
                     std::string_view kid) {
  boost::json::object header;
  if (key.is_p256())
    header["alg"] = "ES256";
  else if (key.is_rsa())
    header["alg"] = "RS256";
  else
    fail("a JWT needs an EC P-256 or an RSA key");
  header["typ"] = "JWT";
  if (!kid.empty()) header["kid"] = kid;
  std::string token = base64url(boost::json::serialize(header));
  token.push_back('.');
  token += base64url(boost::json::serialize(claims));
  const std::string signature = key.sign(token);
  token.push_back('.');
  token += base64url(signature);
  return token;
}

std::string vapid_authorization(const SigningKey& key, std::string_view endpoint,
                                std::string_view subject, std::chrono::system_clock::time_point now,
                                std::chrono::seconds lifetime) {
  if (!key.is_p256()) fail("the VAPID key is not an EC P-256 private key");
  lifetime = std::min<std::chrono::seconds>(lifetime, kMaxVapidLifetime);
  const auto exp =
      std::chrono::duration_cast<std::chrono::seconds>((now + lifetime).time_since_epoch());
  boost::json::object claims;
  claims["aud"] = origin_of(endpoint);
  claims["exp"] = static_cast<std::int64_t>(exp.count());
  if (!subject.empty()) claims["sub"] = subject;
  return "vapid t=" + make_jwt(key, claims) + ", k=" + base64url(key.public_point());
}

// ---- Web Push encryption ----------------------------------------------------------------------

// The body, RFC 8188 §2.1:
//   +-----------+--------+-----------+-----------------+----------------------------+
//   | salt (16) | rs (4) | idlen (1) | keyid (65: the  | one record: AES-GCM of     |
//   |           |  BE    |   = 65    | sender's point) | plaintext || 0x02, + tag   |
//   +-----------+--------+-----------+-----------------+----------------------------+
std::string webpush_encrypt(std::string_view plaintext, const Subscription& to,
                            const SigningKey* ephemeral, std::string_view salt,
                            std::uint32_t record_size) {
  if (to.p256dh.size() != kPointSize || to.p256dh[0] != 0x04)
    throw std::invalid_argument(
        "the subscription's p256dh is not a 65-byte uncompressed P-256 point");
  if (to.auth.size() != 16)
    throw std::invalid_argument("the subscription's auth secret is not 16 bytes");
  if (!salt.empty() && salt.size() != kSaltSize)
    throw std::invalid_argument("the salt is not 16 bytes");
  if (record_size < kMinRecordSize)
    throw std::invalid_argument("the record size is below 18 bytes");
  if (plaintext.size() + 1 + kTagSize > record_size)
    throw std::invalid_argument("the message does not fit in one record of " +
                                std::to_string(record_size) + " bytes");
  if (ephemeral != nullptr && !ephemeral->is_p256())
    throw std::invalid_argument("the sender key is not an EC P-256 key");

  const SigningKey fresh = ephemeral == nullptr ? SigningKey::generate_p256() : *ephemeral;
  std::string salt_bytes(salt);
  if (salt_bytes.empty()) {
    salt_bytes.assign(kSaltSize, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(salt_bytes.data()), kSaltSize) != 1)
      fail("no random bytes for the salt");
  }
  std::string secret;
  try {
    secret = fresh.derive(to.p256dh);
  } catch (const std::runtime_error&) {
    throw std::invalid_argument("the subscription's p256dh is not a point on P-256");
  }
  const std::string as_public = fresh.public_point();
  const ContentKeys keys = content_keys(secret, to.auth, to.p256dh, as_public, salt_bytes);

  std::string record(plaintext);
  record.push_back('\x02');  // the last (only) record's delimiter; no further padding
  std::string sealed;
  std::array<unsigned char, kTagSize> tag{};
  aes128gcm(true, keys, record, sealed, tag.data());

  std::string body = salt_bytes;
  put_u32(body, record_size);
  body.push_back(static_cast<char>(kPointSize));
  body += as_public;
  body += sealed;
  body.append(view(tag.data(), tag.size()));
  return body;
}

std::optional<std::string> webpush_decrypt(std::string_view body, const SigningKey& receiver,
                                           std::string_view auth) {
  if (body.size() < kHeaderSize || !receiver.is_p256()) return std::nullopt;
  const std::string_view salt = body.substr(0, kSaltSize);
  std::uint32_t rs = 0;
  for (std::size_t i = 0; i < 4; ++i)
    rs = (rs << 8) | static_cast<unsigned char>(body[kSaltSize + i]);
  const std::size_t idlen = static_cast<unsigned char>(body[kSaltSize + 4]);
  if (rs < kMinRecordSize || idlen != kPointSize || body.size() < kHeaderSize + idlen)
    return std::nullopt;
  const std::string_view as_public = body.substr(kHeaderSize, idlen);
  const std::string_view record = body.substr(kHeaderSize + idlen);
  // Only single-record bodies: what webpush_encrypt and the browsers' push services produce.
  if (record.size() <= kTagSize || record.size() > rs) return std::nullopt;

  std::string secret;
  try {
    secret = receiver.derive(as_public);
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
  const ContentKeys keys = content_keys(secret, auth, receiver.public_point(), as_public, salt);
  std::array<unsigned char, kTagSize> tag{};
  std::copy_n(record.end() - kTagSize, kTagSize, tag.begin());
  std::string plain;
  if (!aes128gcm(false, keys, record.substr(0, record.size() - kTagSize), plain, tag.data()))
    return std::nullopt;
  // Padding is zeros after the delimiter, 0x02 on the last record (RFC 8188 §2).
  const auto delimiter = plain.find_last_not_of('\0');
  if (delimiter == std::string::npos || plain[delimiter] != '\x02') return std::nullopt;
  plain.resize(delimiter);
  return plain;
}

}  // namespace parley::push
