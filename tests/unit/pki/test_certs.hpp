#pragma once
// Helpers for the PKI tests: a scratch directory and certificates made directly with OpenSSL,
// independent of the code under test, for the cases it must reject or replace.

#include "pki/openssl_util.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace parley::pki::test {

using detail::PkeyPtr;
using detail::X509Ptr;

class TempDirTest : public ::testing::Test {
protected:
  void SetUp() override;
  void TearDown() override;
  std::filesystem::path root_;
};

std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& content);
unsigned mode_of(const std::filesystem::path& p);

std::vector<X509Ptr> parse_certs(const std::string& pem);
PkeyPtr parse_key(const std::string& pem);
std::string to_pem(X509* cert);
std::string to_pem(EVP_PKEY* key);
PkeyPtr new_key();

// A leaf certificate for `dns` valid from now + from_days to now + to_days, signed by `issuer_key`
// (self-signed when `issuer` is null).
X509Ptr make_cert(EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, long from_days, long to_days,
                  const std::string& dns = "localhost");

// X509_verify_cert of `leaf` against the single trusted `ca` as a TLS server for `host`
// (no host check when empty). Returns "" on success, else OpenSSL's reason.
std::string verify(X509* leaf, X509* ca, const std::string& host = "");

}  // namespace parley::pki::test
