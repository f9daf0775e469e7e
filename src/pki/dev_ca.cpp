#include "pki/dev_ca.hpp"

#include "common/log.hpp"
#include "pki/openssl_util.hpp"

#include <openssl/rand.h>

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace parley::pki {
namespace {

namespace fs = std::filesystem;
using namespace detail;

constexpr long kCaValidityDays = 3650;
// The longest validity browsers accept for a server certificate.
constexpr long kServerValidityDays = 397;
constexpr long kRenewBeforeDays = 30;
// Back-dating notBefore a little lets clients whose clocks run slightly behind accept a
// certificate issued a moment ago.
constexpr long kBackdateSeconds = 5 * 60;
constexpr std::size_t kMaxNames = 1000;

constexpr mode_t kDirMode = 0700;
constexpr mode_t kKeyMode = 0600;
constexpr mode_t kCertMode = 0644;

struct Files {
  fs::path ca_key, ca_cert, server_key, server_cert;
};

Files files_in(const fs::path& dir) {
  return {dir / "ca.key", dir / "ca.pem", dir / "server.key", dir / "server.pem"};
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1)
    throw_openssl("cannot get random bytes");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : buf) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// SAN dNSName entries: letters, digits, hyphens and dots, as RFC 5280 §4.2.1.6 expects.
std::vector<std::string> checked_dns_names(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& name : names) {
    const bool ok = !name.empty() && name.size() <= 253 && name.front() != '.' &&
                    name.back() != '.' && name.find("..") == std::string::npos &&
                    std::all_of(name.begin(), name.end(), [](char c) {
                      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9') || c == '-' || c == '.';
                    });
    if (!ok)
      throw std::invalid_argument("not a DNS name for a certificate: \"" + name.substr(0, 80) +
                                  "\"");
    auto l = lower(name);
    if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(std::move(l));
  }
  return out;
}

// Each address as the 4 or 16 bytes a SAN iPAddress holds.
std::vector<std::string> checked_ip_addresses(const std::vector<std::string>& ips) {
  std::vector<std::string> out;
  for (const auto& ip : ips) {
    std::array<unsigned char, 16> buf{};
    std::size_t len = 0;
    if (ip.size() < 64 && inet_pton(AF_INET, ip.c_str(), buf.data()) == 1)
      len = 4;
    else if (ip.size() < 64 && inet_pton(AF_INET6, ip.c_str(), buf.data()) == 1)
      len = 16;
    else
      throw std::invalid_argument("not an IP address: \"" + ip.substr(0, 80) + "\"");
    std::string raw(reinterpret_cast<const char*>(buf.data()), len);
    if (std::find(out.begin(), out.end(), raw) == out.end()) out.push_back(std::move(raw));
  }
  return out;
}

bool file_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

// Creates `dir` (and its parents) and makes it private to the server's user, because it holds
// private keys.
void ensure_private_dir(const fs::path& dir) {
  std::error_code ec;
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), kDirMode) != 0 && errno != EEXIST)
    throw std::runtime_error("cannot create " + dir.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    throw std::runtime_error("cannot use " + dir.string() + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) throw std::runtime_error(dir.string() + " is not a directory");
  if ((st.st_mode & 07777) != kDirMode && ::chmod(dir.c_str(), kDirMode) != 0)
    throw std::runtime_error("cannot make " + dir.string() + " private (mode 0700): " +
                             std::strerror(errno));
}

void set_random_serial(X509* cert) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw_openssl("cannot get random bytes");
  bytes[15] |= 1;  // a serial number must be positive, never zero
  BnPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)))
    throw_openssl("cannot set the certificate serial number");
}

void set_common_name(X509_NAME* name, const std::string& cn) {
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>("Parley"), -1, -1,
                                 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1)
    throw_openssl("cannot set the certificate name");
}

// A certificate with version, serial, validity and public key set; extensions and issuer follow.
X509Ptr new_certificate(EVP_PKEY* subject_key, const std::string& cn, long days) {
  X509Ptr cert(X509_new());
  if (!cert) throw_openssl("cannot allocate a certificate");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) throw_openssl("cannot set version");
  set_random_serial(cert.get());
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(days), 0, nullptr))
    throw_openssl("cannot set the validity period");
  if (X509_set_pubkey(cert.get(), subject_key) != 1) throw_openssl("cannot set the public key");
  set_common_name(X509_get_subject_name(cert.get()), cn);
  return cert;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    throw_openssl(std::string("cannot add extension ") + OBJ_nid2sn(nid));
}

void sign(X509* cert, EVP_PKEY* issuer_key) {
  if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0) throw_openssl("cannot sign certificate");
}

X509Ptr make_ca_certificate(EVP_PKEY* key) {
  auto cert = new_certificate(key, "Parley Development CA (" + random_hex(4) + ")",
                              kCaValidityDays);
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1)
    throw_openssl("cannot set issuer");
  add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  sign(cert.get(), key);
  return cert;
}

void add_subject_alt_names(X509* cert, const std::vector<std::string>& dns,
                           const std::vector<std::string>& raw_ips) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) throw_openssl("cannot allocate names");
  auto push = [&](int type, const std::string& value) {
    GeneralNamePtr gn(GENERAL_NAME_new());
    ASN1_STRING* s = type == GEN_DNS ? ASN1_IA5STRING_new() : ASN1_OCTET_STRING_new();
    if (!gn || !s || ASN1_STRING_set(s, value.data(), static_cast<int>(value.size())) != 1) {
      ASN1_STRING_free(s);
      throw_openssl("cannot build subjectAltName");
    }
    GENERAL_NAME_set0_value(gn.get(), type, s);
    if (sk_GENERAL_NAME_push(names.get(), gn.get()) <= 0)
      throw_openssl("cannot build subjectAltName");
    gn.release();  // now owned by `names`
  };
  for (const auto& d : dns) push(GEN_DNS, d);
  for (const auto& ip : raw_ips) push(GEN_IPADD, ip);
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
    throw_openssl("cannot add subjectAltName");
}

X509Ptr make_server_certificate(X509* ca, EVP_PKEY* ca_key, EVP_PKEY* key,
                                const std::vector<std::string>& dns,
                                const std::vector<std::string>& raw_ips) {
  // The common name is informational only (clients match the SANs), and limited to 64 bytes.
  const std::string cn = !dns.empty() && dns.front().size() <= 64 ? dns.front() : "Parley server";
  auto cert = new_certificate(key, cn, kServerValidityDays);
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca)) != 1)
    throw_openssl("cannot set issuer");
  add_extension(cert.get(), ca, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), ca, NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), ca, NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), ca, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), ca, NID_authority_key_identifier, "keyid:always");
  add_subject_alt_names(cert.get(), dns, raw_ips);
  sign(cert.get(), ca_key);
  return cert;
}

// True when `cert` expires (or is not yet valid) within the next `days` days.
bool outside_validity(X509* cert, long days) {
  std::time_t horizon = std::time(nullptr) + days * 24 * 60 * 60;
  if (X509_cmp_time(X509_get0_notAfter(cert), &horizon) <= 0) return true;
  return X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0;
}

bool covers(X509* cert, const std::vector<std::string>& dns,
            const std::vector<std::string>& ip_text) {
  for (const auto& d : dns)
    if (X509_check_host(cert, d.data(), d.size(),
                        X509_CHECK_FLAG_NO_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
                        nullptr) != 1)
      return false;
  for (const auto& ip : ip_text)
    if (X509_check_ip_asc(cert, ip.c_str(), 0) != 1) return false;
  return true;
}

struct CaPair {
  X509Ptr cert;
  PkeyPtr key;
  std::string cert_pem;
};

CaPair load_ca(const Files& f, const fs::path& dir) {
  const bool has_key = file_exists(f.ca_key);
  const bool has_cert = file_exists(f.ca_cert);
  const std::string remedy = "; to start over with a new CA remove ca.key and ca.pem from " +
                             dir.string() + " (clients must then trust the new ca.pem)";
  if (has_key != has_cert)
    throw std::runtime_error("development CA in " + dir.string() + " is incomplete: " +
                             (has_key ? "ca.pem" : "ca.key") + " is missing" + remedy);
  CaPair ca;
  ca.cert_pem = read_small_file(f.ca_cert, "development CA certificate");
  auto certs = certificates_from_pem(ca.cert_pem);
  if (certs.size() != 1)
    throw std::runtime_error(f.ca_cert.string() + " does not hold exactly one certificate" +
                             remedy);
  ca.cert = std::move(certs.front());
  ca.key = private_key_from_pem(read_small_file(f.ca_key, "development CA key"));
  if (!ca.key)
    throw std::runtime_error(f.ca_key.string() + " does not hold a private key (" +
                             openssl_reason() + ")" + remedy);
  if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
    openssl_reason();  // drop the queued mismatch error
    throw std::runtime_error(f.ca_key.string() + " does not match " + f.ca_cert.string() + remedy);
  }
  if (X509_cmp_current_time(X509_get0_notAfter(ca.cert.get())) <= 0)
    logger("pki")->error("the development CA in {} expired on {}; clients will reject the "
                         "server{}",
                         dir.string(), format_time(X509_get0_notAfter(ca.cert.get())), remedy);
  return ca;
}

CaPair create_ca(const Files& f, const fs::path& dir) {
  CaPair ca;
  ca.key = generate_key();
  ca.cert = make_ca_certificate(ca.key.get());
  ca.cert_pem = certificate_to_pem(ca.cert.get());
  // Key first: a crash between the two writes leaves an incomplete CA that load_ca reports,
  // rather than a certificate whose key is lost.
  write_file_atomically(f.ca_key, private_key_to_pem(ca.key.get()), kKeyMode);
  write_file_atomically(f.ca_cert, ca.cert_pem, kCertMode);
  const X509_NAME* subject = X509_get_subject_name(ca.cert.get());
  char cn[128] = {};
  X509_NAME_get_text_by_NID(subject, NID_commonName, cn, sizeof cn);
  logger("pki")->info("created development CA \"{}\" in {}; clients must trust {}", cn,
                      dir.string(), f.ca_cert.string());
  return ca;
}

// The existing server certificate and key, if they are usable as they are for these names.
std::optional<std::pair<std::string, std::string>> reusable_server_files(
    const Files& f, const CaPair& ca, const std::vector<std::string>& dns,
    const std::vector<std::string>& ip_text) {
  if (!file_exists(f.server_cert) || !file_exists(f.server_key)) return std::nullopt;
  try {
    auto cert_pem = read_small_file(f.server_cert, "server certificate");
    auto key_pem = read_small_file(f.server_key, "server key");
    auto certs = certificates_from_pem(cert_pem);
    auto key = private_key_from_pem(key_pem);
    if (certs.size() != 1 || !key) return std::nullopt;
    X509* cert = certs.front().get();
    const bool ok = X509_check_private_key(cert, key.get()) == 1 &&
                    X509_check_issued(ca.cert.get(), cert) == X509_V_OK &&
                    X509_verify(cert, X509_get0_pubkey(ca.cert.get())) == 1 &&
                    !outside_validity(cert, kRenewBeforeDays) && covers(cert, dns, ip_text);
    openssl_reason();  // failed checks leave errors queued; they only mean "reissue"
    if (!ok) return std::nullopt;
    return std::make_pair(std::move(cert_pem), std::move(key_pem));
  } catch (const std::runtime_error& e) {
    logger("pki")->warn("replacing unreadable server certificate: {}", e.what());
    return std::nullopt;
  }
}

}  // namespace

ServerIdentity ensure_development_identity(const fs::path& dir,
                                           const std::vector<std::string>& dns_names,
                                           const std::vector<std::string>& ip_addresses) {
  if (dns_names.size() + ip_addresses.size() > kMaxNames)
    throw std::invalid_argument("too many names for one certificate");
  if (dns_names.empty() && ip_addresses.empty())
    throw std::invalid_argument("a server certificate needs at least one name");
  const auto dns = checked_dns_names(dns_names);
  const auto raw_ips = checked_ip_addresses(ip_addresses);

  ensure_private_dir(dir);
  const Files f = files_in(dir);

  ServerIdentity id;
  id.ca_certificate = f.ca_cert;
  CaPair ca;
  if (!file_exists(f.ca_key) && !file_exists(f.ca_cert)) {
    ca = create_ca(f, dir);
    id.ca_created = true;
  } else {
    ca = load_ca(f, dir);
  }

  std::string cert_pem;
  if (auto existing = reusable_server_files(f, ca, dns, ip_addresses)) {
    cert_pem = std::move(existing->first);
    id.private_key_pem = std::move(existing->second);
  } else {
    auto key = generate_key();
    auto cert = make_server_certificate(ca.cert.get(), ca.key.get(), key.get(), dns, raw_ips);
    cert_pem = certificate_to_pem(cert.get());
    id.private_key_pem = private_key_to_pem(key.get());
    // Key first: if the certificate write fails, the next start sees a mismatched pair and
    // issues again.
    write_file_atomically(f.server_key, id.private_key_pem, kKeyMode);
    write_file_atomically(f.server_cert, cert_pem, kCertMode);
    logger("pki")->info("issued server certificate for {} name(s), valid until {}",
                        dns.size() + raw_ips.size(),
                        format_time(X509_get0_notAfter(cert.get())));
  }
  id.certificate_chain_pem = cert_pem + ca.cert_pem;
  return id;
}

}  // namespace parley::pki
