// A certificate the administrator configured, and the names a development certificate needs.

#include "common/log.hpp"
#include "pki/dev_ca.hpp"
#include "pki/openssl_util.hpp"

#include <algorithm>
#include <ctime>
#include <stdexcept>

namespace parley::pki {
namespace {

using namespace detail;

constexpr long kWarnBeforeDays = 30;

std::vector<X509Ptr> read_certificates(const std::filesystem::path& file, const char* what) {
  const std::string pem = read_small_file(file, what);
  std::vector<X509Ptr> certs;
  try {
    certs = certificates_from_pem(pem);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(what) + " " + file.string() + ": " + e.what());
  }
  if (certs.empty())
    throw std::runtime_error(std::string(what) + " " + file.string() +
                             " contains no PEM certificate (\"-----BEGIN CERTIFICATE-----\")");
  return certs;
}

}  // namespace

ServerIdentity load_configured_identity(const parley::TlsConfig& tls) {
  if (tls.certificate.empty() || tls.key.empty())
    throw std::runtime_error("TLS certificate and key must both be configured");
  auto certs = read_certificates(tls.certificate, "TLS certificate");
  X509* leaf = certs.front().get();

  PkeyPtr key = private_key_from_pem(read_small_file(tls.key, "TLS key"));
  if (!key)
    throw std::runtime_error("TLS key " + tls.key.string() +
                             " is not an unencrypted PEM private key (" + openssl_reason() + ")");
  if (X509_check_private_key(leaf, key.get()) != 1) {
    openssl_reason();  // the queued mismatch error says no more than the message below
    throw std::runtime_error("TLS key " + tls.key.string() + " does not match certificate " +
                             tls.certificate.string() +
                             " (the key belongs to a different certificate)");
  }

  const ASN1_TIME* not_after = X509_get0_notAfter(leaf);
  const ASN1_TIME* not_before = X509_get0_notBefore(leaf);
  if (X509_cmp_current_time(not_after) <= 0)
    throw std::runtime_error("TLS certificate " + tls.certificate.string() + " expired on " +
                             format_time(not_after));
  if (X509_cmp_current_time(not_before) >= 0)
    throw std::runtime_error("TLS certificate " + tls.certificate.string() +
                             " is not valid before " + format_time(not_before));
  std::time_t soon = std::time(nullptr) + kWarnBeforeDays * 24 * 60 * 60;
  if (X509_cmp_time(not_after, &soon) < 0)
    logger("pki")->warn("TLS certificate {} expires on {}; renew it soon",
                        tls.certificate.string(), format_time(not_after));

  if (!tls.chain.empty()) {
    auto chain = read_certificates(tls.chain, "TLS certificate chain");
    for (auto& c : chain) certs.push_back(std::move(c));
  }

  // Re-encoding drops whatever text surrounded the PEM blocks in the files.
  ServerIdentity id;
  for (auto& c : certs) id.certificate_chain_pem += certificate_to_pem(c.get());
  id.private_key_pem = private_key_to_pem(key.get());
  return id;
}

std::pair<std::vector<std::string>, std::vector<std::string>> required_names(
    const parley::Config& cfg) {
  std::vector<std::string> dns;
  auto add = [&dns](std::string name) {
    if (!name.empty() && std::find(dns.begin(), dns.end(), name) == dns.end())
      dns.push_back(std::move(name));
  };
  add("localhost");
  add(cfg.internal_site.fqdn);
  add(cfg.external_site.fqdn);
  for (const auto& d : cfg.sip_domains) {
    add("lyncdiscover." + d);
    add("lyncdiscoverinternal." + d);
  }
  return {dns, {"127.0.0.1", "::1"}};
}

}  // namespace parley::pki
