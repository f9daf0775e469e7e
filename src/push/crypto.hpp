#pragma once
// The cryptography push providers ask for, on OpenSSL 3: signing keys from PEM, compact JWTs
// (ES256 for APNs and VAPID, RS256 for Google's OAuth 2.0 service-account assertion), VAPID
// authorization (RFC 8292) and Web Push message encryption, aes128gcm (RFC 8188, RFC 8291).
// No I/O. Errors are std::runtime_error with a message an administrator understands ("the APNs
// key is not an EC P-256 private key"), except where a function says nullopt.

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

typedef struct evp_pkey_st EVP_PKEY;

namespace parley::push {

std::optional<std::string> base64url_decode(std::string_view text);  // padding optional
std::string base64url(std::string_view bytes);                       // no padding

class SigningKey {
public:
  // PKCS#8 ("BEGIN PRIVATE KEY", as Apple's .p8 and Google's service-account JSON hold them),
  // SEC1 ("BEGIN EC PRIVATE KEY") or PKCS#1 ("BEGIN RSA PRIVATE KEY"). EC keys must be P-256;
  // RSA keys at least 2048 bits.
  static SigningKey from_pem(std::string_view pem);
  static SigningKey generate_p256();
  // A P-256 private key from its raw 32-byte scalar (RFC 8291 test vectors).
  static SigningKey from_p256_scalar(std::string_view d);

  std::string private_pem() const;  // PKCS#8
  bool is_p256() const;
  bool is_rsa() const;
  // The uncompressed public point (65 bytes, 0x04 || X || Y) of a P-256 key.
  std::string public_point() const;
  // ES256: the JOSE signature R || S (64 bytes) over SHA-256; RS256: RSASSA-PKCS1-v1_5 SHA-256.
  std::string sign(std::string_view data) const;
  // ECDH on P-256 with a peer's uncompressed point: the 32-byte shared secret. Throws when the
  // point is not on the curve.
  std::string derive(std::string_view peer_point) const;

  EVP_PKEY* native() const { return key_.get(); }

private:
  explicit SigningKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

// A compact JWS (RFC 7515) of `claims`: ES256 for a P-256 key, RS256 for an RSA key; `kid` in the
// header when not empty.
std::string make_jwt(const SigningKey& key, const boost::json::object& claims, std::string_view kid = {});

// RFC 8292 §3: "vapid t=<JWT>, k=<public key>" for a push to `endpoint` (its origin is the JWT's
// aud), expiring `lifetime` after `now` (at most 24 h), with `subject` ("mailto:..." or https URL).
std::string vapid_authorization(const SigningKey& key, std::string_view endpoint,
                                std::string_view subject, std::chrono::system_clock::time_point now,
                                std::chrono::seconds lifetime = std::chrono::hours(12));

// What a browser's PushSubscription gives: keys.p256dh (65-byte point) and keys.auth (16 bytes),
// both already base64url-decoded.
struct Subscription {
  std::string p256dh;
  std::string auth;
};

// RFC 8291 §3-§4: the aes128gcm body (header with salt, record size and the sender's public key,
// then one record, padded with the 0x02 delimiter) for `plaintext` to `to`. A fresh ephemeral key
// and salt unless given (the tests use RFC 8291 Appendix A's). Throws std::invalid_argument for
// a malformed subscription or a plaintext that does not fit in one record of `record_size`.
std::string webpush_encrypt(std::string_view plaintext, const Subscription& to,
                            const SigningKey* ephemeral = nullptr, std::string_view salt = {},
                            std::uint32_t record_size = 4096);

// The other side, as a browser does it (tests; the local Web Push mock has its own in JavaScript):
// nullopt when the body does not decrypt with `receiver` and `auth`.
std::optional<std::string> webpush_decrypt(std::string_view body, const SigningKey& receiver,
                                           std::string_view auth);

}  // namespace parley::push
