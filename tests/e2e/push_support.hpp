#pragma once
// Key material made at run time and the local provider mock (tests/push/push_mock.mjs) for the
// push end-to-end tests: nothing private is committed, every key is generated per run.

#include "harness.hpp"

#include <openssl/evp.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace parley::e2e::push_support {

namespace fs = std::filesystem;

std::string base64url(std::string_view in);

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// `type` "EC" with `curve`, or "RSA" with `bits` (curve null).
Pkey generate(const char* type, const char* curve, std::size_t bits);
// PKCS#8 for the private part (the form of Apple's .p8), SubjectPublicKeyInfo for the public.
std::string pem_of(EVP_PKEY* k, bool private_part);
// The uncompressed P-256 point (65 bytes), as a browser hands out p256dh.
std::string raw_point(EVP_PKEY* k);
// A one-day certificate for 127.0.0.1 (CN and IP SAN), its own issuer.
std::string self_signed_for_loopback(EVP_PKEY* key);
std::string random_bytes(std::size_t n);
std::string hex(std::string_view bytes);
void write_file(const fs::path& p, const std::string& text);

// node push_mock.mjs <config>, which prints {"port":N} once it listens. Stopped with SIGTERM.
class PushMock {
public:
  void start(const fs::path& config, const fs::path& log);
  ~PushMock();
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port); }

  int port = 0;

private:
  pid_t pid_ = -1;
  int out_ = -1;
};

}  // namespace parley::e2e::push_support
