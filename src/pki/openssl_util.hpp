#pragma once
// Internal to parley_pki: owning pointers for OpenSSL objects, PEM conversion and small file
// helpers shared by the development CA and the configured-certificate loader.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace parley::pki::detail {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<&EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<&X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<&BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<&BN_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<&X509_EXTENSION_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<&GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, Deleter<&GENERAL_NAME_free>>;

// PEM files this module reads are small; anything bigger is not a certificate or key file.
inline constexpr std::size_t kMaxPemBytes = 1024 * 1024;

// The reason OpenSSL gave for the most recent failure ("unknown error" if none); clears the
// thread's error queue so old errors do not leak into later messages.
std::string openssl_reason();
// Throws std::runtime_error("<what>: <OpenSSL reason>").
[[noreturn]] void throw_openssl(const std::string& what);

std::string certificate_to_pem(X509* cert);
// PKCS#8, unencrypted: the form the TLS context loads.
std::string private_key_to_pem(EVP_PKEY* key);
// Every certificate in `pem`, in order; empty if there is none.
std::vector<X509Ptr> certificates_from_pem(std::string_view pem);
// Null if `pem` holds no unencrypted private key. Never asks for a passphrase.
PkeyPtr private_key_from_pem(std::string_view pem);

// A fresh EC P-256 key pair.
PkeyPtr generate_key();

// "2027-03-01 12:00:00 UTC"
std::string format_time(const ASN1_TIME* t);

// Reads a whole file of at most `limit` bytes. Throws std::runtime_error("<what> <path>: reason").
std::string read_small_file(const std::filesystem::path& file, std::string_view what,
                            std::size_t limit = kMaxPemBytes);
// Writes `content` to a temporary file beside `file` with exactly `mode`, flushes it to disk and
// renames it over `file`, so a reader sees either the old or the new file, never half of one.
void write_file_atomically(const std::filesystem::path& file, std::string_view content,
                           mode_t mode);

}  // namespace parley::pki::detail
