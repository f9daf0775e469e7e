#pragma once
// The TLS identity parleyd presents: either a configured certificate used as is, or one issued by
// a development CA that parleyd creates and keeps in its data directory, so that a single machine
// works out of the box with nothing but a CA file for clients to trust.

#include "common/config.hpp"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace parley::pki {

// What the TLS context needs, plus where the CA that clients should trust is kept.
struct ServerIdentity {
  std::string certificate_chain_pem;  // leaf first, then intermediates/CA
  std::string private_key_pem;
  // The CA file clients should trust (empty for a configured certificate).
  std::filesystem::path ca_certificate;
  bool ca_created = false;  // true on the start that generated the CA
};

// Development PKI kept in `dir` (created 0700): ca.key (0600), ca.pem, server.key (0600),
// server.pem.
// The CA is generated on first use and reused afterwards (never regenerated while its files exist).
// The server certificate is (re)issued when missing, when it does not cover every requested name,
// or when it expires within 30 days. dns_names/ip_addresses become its SANs.
// Throws std::invalid_argument for a malformed name or address, std::runtime_error when the
// files cannot be read or written or the CA files are damaged.
ServerIdentity ensure_development_identity(const std::filesystem::path& dir,
                                           const std::vector<std::string>& dns_names,
                                           const std::vector<std::string>& ip_addresses);

// A configured certificate used as is: reads the PEM files, checks the key matches the certificate
// and that it is not expired; throws std::runtime_error with a clear message otherwise.
ServerIdentity load_configured_identity(const parley::TlsConfig& tls);

// SANs the server certificate needs for a config: localhost, 127.0.0.1, ::1, both site fqdns, and
// lyncdiscover.<d> and lyncdiscoverinternal.<d> for every SIP domain. Returns {dns, ips}.
std::pair<std::vector<std::string>, std::vector<std::string>> required_names(
    const parley::Config& cfg);

}  // namespace parley::pki
