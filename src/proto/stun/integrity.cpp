// MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.5, §14.6), long-term keys (§9.2.2),
// USERHASH (§14.4) and the FINGERPRINT CRC (§14.7).
#include "proto/stun/stun.hpp"
#include "proto/stun/wire.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>

namespace parley::stun {
namespace wire {
namespace {

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}
constexpr auto kCrcTable = make_crc_table();

// OpenSSL's MAC and digest contexts are created once per thread and re-keyed per message, so the
// packet path does not set up (and allocate) a context for every datagram.
class CryptoContexts {
 public:
  CryptoContexts() {
    mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac_ == nullptr) return;
    char sha1[] = "SHA1";
    char sha256[] = "SHA256";
    sha1_ = new_hmac(sha1);
    sha256_ = new_hmac(sha256);
    digest_ = EVP_MD_CTX_new();
  }
  ~CryptoContexts() {
    EVP_MAC_CTX_free(sha1_);
    EVP_MAC_CTX_free(sha256_);
    EVP_MAC_free(mac_);
    EVP_MD_CTX_free(digest_);
  }
  CryptoContexts(const CryptoContexts&) = delete;
  CryptoContexts& operator=(const CryptoContexts&) = delete;

  EVP_MAC_CTX* hmac(Hmac kind) const { return kind == Hmac::sha1 ? sha1_ : sha256_; }
  EVP_MD_CTX* digest() const { return digest_; }

 private:
  EVP_MAC_CTX* new_hmac(char* digest_name) {
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac_);
    if (ctx == nullptr) return nullptr;
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                                 OSSL_PARAM_construct_end()};
    if (EVP_MAC_CTX_set_params(ctx, params) != 1) {
      EVP_MAC_CTX_free(ctx);
      return nullptr;
    }
    return ctx;
  }

  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* sha1_ = nullptr;
  EVP_MAC_CTX* sha256_ = nullptr;
  EVP_MD_CTX* digest_ = nullptr;
};

const CryptoContexts& contexts() {
  thread_local const CryptoContexts instance;
  return instance;
}

// Hashes the parts of a credential string "a:b[:c]" without assembling it.
template <std::size_t N>
std::array<std::uint8_t, N> digest_joined(const EVP_MD* md, std::string_view a, std::string_view b,
                                          const std::string_view* c) {
  std::array<std::uint8_t, N> out{};
  EVP_MD_CTX* ctx = contexts().digest();
  if (ctx == nullptr || md == nullptr || EVP_DigestInit_ex(ctx, md, nullptr) != 1) return out;
  const char colon = ':';
  bool ok = EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 && EVP_DigestUpdate(ctx, &colon, 1) == 1 &&
            EVP_DigestUpdate(ctx, b.data(), b.size()) == 1;
  if (c != nullptr)
    ok = ok && EVP_DigestUpdate(ctx, &colon, 1) == 1 && EVP_DigestUpdate(ctx, c->data(), c->size()) == 1;
  unsigned int len = 0;
  if (!ok || EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != N) out.fill(0);
  return out;
}

}  // namespace

std::uint32_t crc32(Bytes data) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::uint8_t b : data) c = kCrcTable[(c ^ b) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

bool message_hmac(Hmac kind, Bytes key, Bytes prefix, std::uint16_t length_field,
                  std::span<std::uint8_t> out) {
  const std::size_t want = kind == Hmac::sha1 ? kSha1Size : kSha256Size;
  if (prefix.size() < kHeaderSize || out.size() < want) return false;
  EVP_MAC_CTX* ctx = contexts().hmac(kind);
  if (ctx == nullptr) return false;
  // A null key would make OpenSSL reuse the previous message's key; an empty key is a real key.
  static const std::uint8_t kNoKey = 0;
  const std::uint8_t* key_data = key.empty() ? &kNoKey : key.data();
  std::uint8_t length[2];
  put16(length, length_field);
  std::size_t written = 0;
  return EVP_MAC_init(ctx, key_data, key.size(), nullptr) == 1 &&
         EVP_MAC_update(ctx, prefix.data(), 2) == 1 && EVP_MAC_update(ctx, length, 2) == 1 &&
         EVP_MAC_update(ctx, prefix.data() + 4, prefix.size() - 4) == 1 &&
         EVP_MAC_final(ctx, out.data(), &written, out.size()) == 1 && written == want;
}

}  // namespace wire

namespace {

bool check(const MessageView& m, Bytes key, std::uint16_t type, wire::Hmac kind) {
  const auto a = m.find(type);
  if (!a) return false;
  const std::size_t n = a->value.size();
  // MESSAGE-INTEGRITY-SHA256 may be truncated to 16..32 bytes in steps of 4 (RFC 8489 §14.6).
  const bool length_ok = kind == wire::Hmac::sha1 ? n == wire::kSha1Size
                                                  : n >= 16 && n <= wire::kSha256Size && n % 4 == 0;
  if (!length_ok) return false;
  const Bytes prefix = m.bytes().first(a->offset);
  const auto length_field = static_cast<std::uint16_t>(a->offset + 4 + n - kHeaderSize);
  std::array<std::uint8_t, wire::kSha256Size> mac{};
  if (!wire::message_hmac(kind, key, prefix, length_field, mac)) return false;
  return CRYPTO_memcmp(mac.data(), a->value.data(), n) == 0;
}

}  // namespace

bool check_integrity(const MessageView& m, Bytes key) {
  return check(m, key, attr::message_integrity, wire::Hmac::sha1);
}

bool check_integrity_sha256(const MessageView& m, Bytes key) {
  return check(m, key, attr::message_integrity_sha256, wire::Hmac::sha256);
}

std::array<std::uint8_t, 16> long_term_key_md5(std::string_view username, std::string_view realm,
                                                std::string_view password) {
  return wire::digest_joined<16>(EVP_md5(), username, realm, &password);
}

std::array<std::uint8_t, 32> long_term_key_sha256(std::string_view username,
                                                   std::string_view realm,
                                                   std::string_view password) {
  return wire::digest_joined<32>(EVP_sha256(), username, realm, &password);
}

std::array<std::uint8_t, 32> userhash(std::string_view username, std::string_view realm) {
  return wire::digest_joined<32>(EVP_sha256(), username, realm, nullptr);
}

}  // namespace parley::stun
