#include "common/crypto.hpp"

#include <sodium.h>

#include <cstdint>
#include <mutex>
#include <stdexcept>

namespace parley {

void init_crypto() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  });
}

std::string random_token(std::size_t bytes) {
  init_crypto();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return base64url_encode(raw);
}

std::string random_id(std::size_t bytes) {
  // Drawing again keeps every allowed identifier equally likely; 2 in 64 draws are redrawn.
  for (;;) {
    std::string id = random_token(bytes);
    if (id.empty() || (id.front() != '-' && id.front() != '_')) return id;
  }
}

std::string sha256_hex(std::string_view data) {
  const auto hex = sha256_hex_array(data);
  return std::string(hex.data(), hex.size());
}

Sha256Hex sha256_hex_array(std::string_view data) {
  // libsodium's one-shot hash: every authenticated request hashes its bearer token, and
  // OpenSSL's EVP_Digest costs a context allocation and a provider lookup (under a lock) each time.
  unsigned char digest[crypto_hash_sha256_BYTES];
  static_assert(sizeof digest * 2 == std::tuple_size_v<Sha256Hex>);
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  Sha256Hex out;
  hex_encode_to(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest), out.data());
  return out;
}

void hex_encode_to(std::string_view data, char* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned char c : data) {
    *out++ = kDigits[c >> 4];
    *out++ = kDigits[c & 0x0f];
  }
}

std::string hex_encode(std::string_view data) {
  std::string out(data.size() * 2, '\0');
  hex_encode_to(data, out.data());
  return out;
}

namespace {

std::string base64_with(std::string_view data, int variant) {
  init_crypto();
  const std::size_t cap = sodium_base64_encoded_len(data.size(), variant);
  std::string out(cap, '\0');
  sodium_bin2base64(out.data(), cap, reinterpret_cast<const unsigned char*>(data.data()),
                    data.size(), variant);
  out.resize(cap - 1);  // drop the terminating NUL
  return out;
}

}  // namespace

std::string base64url_encode(std::string_view data) {
  return base64_with(data, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

namespace {

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text, bool padding_allowed) {
  std::size_t end = text.size();
  while (end > 0 && text[end - 1] == '=') --end;
  const std::size_t padding = text.size() - end;
  if (padding > 0 && (!padding_allowed || padding > 2 || text.size() % 4 != 0)) return std::nullopt;
  if (end % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(end / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < end; ++i) {
    const int v = base64url_value(text[i]);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string base64_encode(std::string_view data) {
  return base64_with(data, sodium_base64_VARIANT_ORIGINAL);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Compare digests so that the time does not depend on where the inputs differ or on length.
  const std::string da = sha256_hex(a);
  const std::string db = sha256_hex(b);
  return sodium_memcmp(da.data(), db.data(), da.size()) == 0;
}

}  // namespace parley
