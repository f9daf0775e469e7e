#include "pki/dev_ca.hpp"

#include "test_certs.hpp"

#include <openssl/x509v3.h>

#include <sys/stat.h>

#include <ctime>

namespace parley::pki::test {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kDns = {"localhost", "parley.example.org",
                                       "lyncdiscover.example.org"};
const std::vector<std::string> kIps = {"127.0.0.1", "::1"};

class DevCa : public TempDirTest {
protected:
  fs::path dir() const { return root_ / "data" / "pki"; }
  ServerIdentity ensure(const std::vector<std::string>& dns = kDns,
                        const std::vector<std::string>& ips = kIps) {
    return ensure_development_identity(dir(), dns, ips);
  }
  X509Ptr ca() { return std::move(parse_certs(read_file(dir() / "ca.pem")).at(0)); }
  X509Ptr server() { return std::move(parse_certs(read_file(dir() / "server.pem")).at(0)); }
};

TEST_F(DevCa, CaIsCreatedOnceAndReused) {
  const ServerIdentity first = ensure();
  EXPECT_TRUE(first.ca_created);
  EXPECT_EQ(first.ca_certificate, dir() / "ca.pem");
  const std::string ca_pem = read_file(dir() / "ca.pem");
  const std::string ca_key = read_file(dir() / "ca.key");
  const std::string server_pem = read_file(dir() / "server.pem");
  ASSERT_FALSE(ca_pem.empty());
  ASSERT_FALSE(ca_key.empty());

  const ServerIdentity second = ensure();
  EXPECT_FALSE(second.ca_created);
  EXPECT_EQ(read_file(dir() / "ca.pem"), ca_pem);
  EXPECT_EQ(read_file(dir() / "ca.key"), ca_key);
  // Nothing changed, so the server certificate is not reissued either.
  EXPECT_EQ(read_file(dir() / "server.pem"), server_pem);
  EXPECT_EQ(second.certificate_chain_pem, first.certificate_chain_pem);
  EXPECT_EQ(second.private_key_pem, first.private_key_pem);
  // The key never leaks into the chain handed to the TLS layer.
  EXPECT_EQ(second.certificate_chain_pem.find("PRIVATE KEY"), std::string::npos);
}

TEST_F(DevCa, CaCertificateIsACa) {
  ensure();
  auto ca_cert = ca();
  EXPECT_EQ(X509_check_ca(ca_cert.get()), 1);
  const int bc = X509_get_ext_by_NID(ca_cert.get(), NID_basic_constraints, -1);
  ASSERT_GE(bc, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(ca_cert.get(), bc)), 1);
  EXPECT_NE(X509_get_key_usage(ca_cert.get()) & KU_KEY_CERT_SIGN, 0u);
  EXPECT_NE(X509_get_key_usage(ca_cert.get()) & KU_CRL_SIGN, 0u);
  EXPECT_NE(X509_get0_subject_key_id(ca_cert.get()), nullptr);
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(ca_cert.get()), NID_commonName, cn, sizeof cn);
  EXPECT_EQ(std::string(cn).rfind("Parley Development CA (", 0), 0u) << cn;
  // About ten years.
  int days = 0, secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(ca_cert.get()),
                           X509_get0_notAfter(ca_cert.get())), 1);
  EXPECT_GE(days, 3640);
  EXPECT_LE(days, 3660);
  // Two CAs made in different directories are told apart by their names.
  ensure_development_identity(root_ / "other", kDns, kIps);
  EXPECT_NE(read_file(root_ / "other" / "ca.pem"), read_file(dir() / "ca.pem"));
  char other_cn[256] = {};
  auto other_ca = std::move(parse_certs(read_file(root_ / "other" / "ca.pem")).at(0));
  X509_NAME_get_text_by_NID(X509_get_subject_name(other_ca.get()), NID_commonName, other_cn,
                            sizeof other_cn);
  EXPECT_STRNE(cn, other_cn);
}

TEST_F(DevCa, ServerCertificateVerifiesAndCarriesEveryName) {
  const ServerIdentity id = ensure();
  auto chain = parse_certs(id.certificate_chain_pem);
  ASSERT_EQ(chain.size(), 2u);  // leaf, then the CA
  auto ca_cert = ca();
  EXPECT_EQ(X509_cmp(chain[1].get(), ca_cert.get()), 0);
  X509* leaf = chain[0].get();

  EXPECT_EQ(verify(leaf, ca_cert.get()), "");
  for (const auto& name : kDns) {
    EXPECT_EQ(verify(leaf, ca_cert.get(), name), "") << name;
    EXPECT_EQ(X509_check_host(leaf, name.data(), name.size(), 0, nullptr), 1) << name;
  }
  for (const auto& ip : kIps) EXPECT_EQ(X509_check_ip_asc(leaf, ip.c_str(), 0), 1) << ip;
  // Only the requested names.
  EXPECT_NE(verify(leaf, ca_cert.get(), "evil.example.com"), "");
  EXPECT_NE(X509_check_ip_asc(leaf, "10.0.0.1", 0), 1);

  // The handed-out key is the certificate's key.
  auto key = parse_key(id.private_key_pem);
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(leaf, key.get()), 1);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_EC);

  // Server profile: not a CA, serverAuth, SHA-256, AKID, 397 days, 128-bit random serial.
  EXPECT_EQ(X509_check_ca(leaf), 0);
  EXPECT_NE(X509_get_extended_key_usage(leaf) & XKU_SSL_SERVER, 0u);
  EXPECT_NE(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE, 0u);
  EXPECT_EQ(X509_get_signature_nid(leaf), NID_ecdsa_with_SHA256);
  const ASN1_OCTET_STRING* akid = X509_get0_authority_key_id(leaf);
  ASSERT_NE(akid, nullptr);
  EXPECT_EQ(ASN1_STRING_cmp(akid, X509_get0_subject_key_id(ca_cert.get())), 0);
  int days = 0, secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(leaf), X509_get0_notAfter(leaf)), 1);
  EXPECT_EQ(days, 397);
  EXPECT_GE(ASN1_STRING_length(X509_get0_serialNumber(leaf)), 15);
  auto again = ensure_development_identity(root_ / "other", kDns, kIps);
  auto other_leaf = std::move(parse_certs(again.certificate_chain_pem).at(0));
  EXPECT_NE(
      ASN1_INTEGER_cmp(X509_get0_serialNumber(leaf), X509_get0_serialNumber(other_leaf.get())), 0);
  // ... and a certificate from one development CA is not trusted by another.
  EXPECT_NE(verify(other_leaf.get(), ca_cert.get()), "");
}

TEST_F(DevCa, AddingANameReissuesTheServerCertificateButKeepsTheCa) {
  ensure();
  const std::string ca_pem = read_file(dir() / "ca.pem");
  const std::string ca_key = read_file(dir() / "ca.key");
  const std::string server_pem = read_file(dir() / "server.pem");

  auto more = kDns;
  more.push_back("lyncdiscover.contoso.com");
  const ServerIdentity id = ensure(more, {"127.0.0.1", "::1", "192.0.2.10"});
  EXPECT_FALSE(id.ca_created);
  EXPECT_EQ(read_file(dir() / "ca.pem"), ca_pem);
  EXPECT_EQ(read_file(dir() / "ca.key"), ca_key);
  EXPECT_NE(read_file(dir() / "server.pem"), server_pem);

  auto leaf = server();
  auto ca_cert = ca();
  EXPECT_EQ(verify(leaf.get(), ca_cert.get(), "lyncdiscover.contoso.com"), "");
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "192.0.2.10", 0), 1);
  // A name that is already covered (in any case) does not cause another reissue.
  const std::string reissued = read_file(dir() / "server.pem");
  ensure({"LOCALHOST"}, {"::1"});
  EXPECT_EQ(read_file(dir() / "server.pem"), reissued);
}

TEST_F(DevCa, DirectoryAndKeysArePrivate) {
  ensure();
  EXPECT_EQ(mode_of(dir()), 0700u);
  EXPECT_EQ(mode_of(dir() / "ca.key"), 0600u);
  EXPECT_EQ(mode_of(dir() / "server.key"), 0600u);
  EXPECT_EQ(mode_of(dir() / "ca.pem"), 0644u);
  EXPECT_EQ(mode_of(dir() / "server.pem"), 0644u);
  // No temporary files are left behind.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir())) ++entries;
  EXPECT_EQ(entries, 4);
}

TEST_F(DevCa, LooseDirectoryPermissionsAreTightened) {
  fs::create_directories(dir());
  ::chmod(dir().c_str(), 0755);
  ensure();
  EXPECT_EQ(mode_of(dir()), 0700u);
}

TEST_F(DevCa, ExpiringServerCertificateIsReissued) {
  ensure();
  auto ca_cert = ca();
  auto ca_key = parse_key(read_file(dir() / "ca.key"));
  auto server_key = parse_key(read_file(dir() / "server.key"));
  // Same key, same CA, every name, but only ten days left.
  auto short_lived = make_cert(server_key.get(), ca_cert.get(), ca_key.get(), 0, 10);
  write_file(dir() / "server.pem", to_pem(short_lived.get()));
  ensure({"localhost"}, {});
  auto leaf = server();
  EXPECT_NE(X509_cmp(leaf.get(), short_lived.get()), 0);
  std::time_t in_300_days = std::time(nullptr) + 300L * 24 * 3600;
  EXPECT_GT(X509_cmp_time(X509_get0_notAfter(leaf.get()), &in_300_days), 0);

  // With 100 days left the certificate is kept (the reissue above made a new key).
  server_key = parse_key(read_file(dir() / "server.key"));
  auto still_good = make_cert(server_key.get(), ca_cert.get(), ca_key.get(), 0, 100);
  write_file(dir() / "server.pem", to_pem(still_good.get()));
  ensure({"localhost"}, {});
  EXPECT_EQ(X509_cmp(server().get(), still_good.get()), 0);
}

TEST_F(DevCa, ForeignOrDamagedServerFilesAreReplaced) {
  ensure();
  // A server certificate from another CA.
  ensure_development_identity(root_ / "other", kDns, kIps);
  fs::copy_file(root_ / "other" / "server.pem", dir() / "server.pem",
                fs::copy_options::overwrite_existing);
  fs::copy_file(root_ / "other" / "server.key", dir() / "server.key",
                fs::copy_options::overwrite_existing);
  ensure();
  auto ca_cert = ca();
  EXPECT_EQ(verify(server().get(), ca_cert.get()), "");

  // A key that does not belong to the certificate.
  write_file(dir() / "server.key", to_pem(new_key().get()));
  const ServerIdentity id = ensure();
  auto key = parse_key(read_file(dir() / "server.key"));
  EXPECT_EQ(X509_check_private_key(server().get(), key.get()), 1);
  EXPECT_EQ(id.private_key_pem, read_file(dir() / "server.key"));

  // Garbage, and a missing file.
  write_file(dir() / "server.pem", "not a certificate");
  ensure();
  EXPECT_EQ(verify(server().get(), ca_cert.get()), "");
  fs::remove(dir() / "server.key");
  ensure();
  EXPECT_TRUE(fs::exists(dir() / "server.key"));
  auto restored_key = parse_key(read_file(dir() / "server.key"));
  EXPECT_EQ(X509_check_private_key(server().get(), restored_key.get()), 1);
}

TEST_F(DevCa, IncompleteOrDamagedCaIsNeverReplaced) {
  ensure();
  const std::string ca_pem = read_file(dir() / "ca.pem");
  const std::string ca_key = read_file(dir() / "ca.key");

  fs::remove(dir() / "ca.key");
  try {
    ensure();
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("ca.key is missing"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file(dir() / "ca.pem"), ca_pem);
  EXPECT_FALSE(fs::exists(dir() / "ca.key"));

  write_file(dir() / "ca.key", to_pem(new_key().get()));
  try {
    ensure();
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("does not match"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file(dir() / "ca.pem"), ca_pem);

  write_file(dir() / "ca.key", ca_key);
  write_file(dir() / "ca.pem", "garbage");
  EXPECT_THROW(ensure(), std::runtime_error);
  EXPECT_EQ(read_file(dir() / "ca.pem"), "garbage");

  // Restoring the files brings the same CA back.
  write_file(dir() / "ca.pem", ca_pem);
  EXPECT_FALSE(ensure().ca_created);
}

TEST_F(DevCa, MalformedNamesAreRejected) {
  EXPECT_THROW(ensure({"bad name"}, {}), std::invalid_argument);
  EXPECT_THROW(ensure({"a,DNS:evil.com"}, {}), std::invalid_argument);
  EXPECT_THROW(ensure({""}, {}), std::invalid_argument);
  EXPECT_THROW(ensure({std::string(300, 'a')}, {}), std::invalid_argument);
  EXPECT_THROW(ensure({"localhost"}, {"300.1.1.1"}), std::invalid_argument);
  EXPECT_THROW(ensure({"localhost"}, {"localhost"}), std::invalid_argument);
  EXPECT_THROW(ensure({}, {}), std::invalid_argument);
  // Nothing was written for a refused request.
  EXPECT_FALSE(fs::exists(dir()));
}

TEST(RequiredNames, CoverSitesDiscoveryAndLoopback) {
  parley::Config cfg;
  cfg.internal_site.fqdn = "pool.contoso.com";
  cfg.external_site.fqdn = "web.contoso.com";
  cfg.sip_domains = {"contoso.com", "fabrikam.com"};
  const auto [dns, ips] = required_names(cfg);
  EXPECT_EQ(dns, (std::vector<std::string>{
                     "localhost", "pool.contoso.com", "web.contoso.com",
                     "lyncdiscover.contoso.com", "lyncdiscoverinternal.contoso.com",
                     "lyncdiscover.fabrikam.com", "lyncdiscoverinternal.fabrikam.com"}));
  EXPECT_EQ(ips, (std::vector<std::string>{"127.0.0.1", "::1"}));

  // With the defaults both fqdns are "localhost", listed once.
  const auto [d2, i2] = required_names(parley::Config{});
  EXPECT_EQ(d2, (std::vector<std::string>{"localhost", "lyncdiscover.example.org",
                                          "lyncdiscoverinternal.example.org"}));
}

TEST_F(DevCa, RequiredNamesMakeAUsableCertificate) {
  parley::Config cfg;
  const auto [dns, ips] = required_names(cfg);
  ensure(dns, ips);
  auto ca_cert = ca();
  EXPECT_EQ(verify(server().get(), ca_cert.get(), "lyncdiscoverinternal.example.org"), "");
}

}  // namespace
}  // namespace parley::pki::test
