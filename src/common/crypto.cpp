#include "common/crypto.hpp"

#include <openssl/evp.h>
#include <sodium.h>

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

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return hex_encode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string hex_encode(std::string_view data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char c : data) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0x0f]);
  }
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
