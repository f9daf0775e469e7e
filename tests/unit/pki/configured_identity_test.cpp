#include "pki/dev_ca.hpp"

#include "test_certs.hpp"

#include <openssl/pem.h>

namespace parley::pki::test {
namespace {

namespace fs = std::filesystem;

class ConfiguredIdentity : public TempDirTest {
protected:
  void SetUp() override {
    TempDirTest::SetUp();
    // Two independent development PKIs provide a matching pair and a mismatched one.
    ensure_development_identity(root_ / "a", {"a.example.org"}, {});
    ensure_development_identity(root_ / "b", {"b.example.org"}, {});
  }
  std::string error_of(const TlsConfig& tls) {
    try {
      load_configured_identity(tls);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return {};
  }
};

TEST_F(ConfiguredIdentity, MatchingPairIsUsedAsIs) {
  TlsConfig tls{root_ / "a" / "server.pem", root_ / "a" / "server.key", {}};
  const ServerIdentity id = load_configured_identity(tls);
  EXPECT_TRUE(id.ca_certificate.empty());
  EXPECT_FALSE(id.ca_created);
  auto certs = parse_certs(id.certificate_chain_pem);
  ASSERT_EQ(certs.size(), 1u);
  auto original = parse_certs(read_file(tls.certificate));
  EXPECT_EQ(X509_cmp(certs[0].get(), original[0].get()), 0);
  auto key = parse_key(id.private_key_pem);
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(certs[0].get(), key.get()), 1);
}

TEST_F(ConfiguredIdentity, ChainFollowsTheLeaf) {
  TlsConfig tls{root_ / "a" / "server.pem", root_ / "a" / "server.key", root_ / "a" / "ca.pem"};
  auto certs = parse_certs(load_configured_identity(tls).certificate_chain_pem);
  ASSERT_EQ(certs.size(), 2u);
  auto ca = parse_certs(read_file(root_ / "a" / "ca.pem"));
  EXPECT_EQ(X509_cmp(certs[1].get(), ca[0].get()), 0);
  EXPECT_EQ(verify(certs[0].get(), certs[1].get(), "a.example.org"), "");
}

TEST_F(ConfiguredIdentity, MismatchedKeyIsRefusedClearly) {
  TlsConfig tls{root_ / "a" / "server.pem", root_ / "b" / "server.key", {}};
  const std::string message = error_of(tls);
  EXPECT_NE(message.find("does not match"), std::string::npos) << message;
  EXPECT_NE(message.find(tls.key.string()), std::string::npos) << message;
  EXPECT_NE(message.find(tls.certificate.string()), std::string::npos) << message;
}

TEST_F(ConfiguredIdentity, ExpiredOrFutureCertificateIsRefused) {
  auto key = new_key();
  write_file(root_ / "old.key", to_pem(key.get()));
  write_file(root_ / "old.pem", to_pem(make_cert(key.get(), nullptr, nullptr, -400, -1).get()));
  std::string message = error_of({root_ / "old.pem", root_ / "old.key", {}});
  EXPECT_NE(message.find("expired on"), std::string::npos) << message;
  EXPECT_NE(message.find("old.pem"), std::string::npos) << message;

  write_file(root_ / "new.pem", to_pem(make_cert(key.get(), nullptr, nullptr, 2, 30).get()));
  message = error_of({root_ / "new.pem", root_ / "old.key", {}});
  EXPECT_NE(message.find("not valid before"), std::string::npos) << message;
}

TEST_F(ConfiguredIdentity, UnreadableFilesAreNamed) {
  const fs::path cert = root_ / "a" / "server.pem";
  const fs::path key = root_ / "a" / "server.key";
  std::string message = error_of({root_ / "missing.pem", key, {}});
  EXPECT_NE(message.find("missing.pem"), std::string::npos) << message;
  EXPECT_NE(message.find("No such file"), std::string::npos) << message;

  write_file(root_ / "junk", "hello");
  message = error_of({root_ / "junk", key, {}});
  EXPECT_NE(message.find("no PEM certificate"), std::string::npos) << message;
  message = error_of({cert, root_ / "junk", {}});
  EXPECT_NE(message.find("not an unencrypted PEM private key"), std::string::npos) << message;
  message = error_of({cert, key, root_ / "junk"});
  EXPECT_NE(message.find("chain"), std::string::npos) << message;
  // A certificate file given where the key should be.
  message = error_of({cert, cert, {}});
  EXPECT_NE(message.find("private key"), std::string::npos) << message;
  // A directory, and the empty configuration.
  EXPECT_NE(error_of({root_, key, {}}).find("not a regular file"), std::string::npos);
  EXPECT_FALSE(error_of({}).empty());
}

TEST_F(ConfiguredIdentity, EncryptedKeyFailsInsteadOfPrompting) {
  auto key = parse_key(read_file(root_ / "a" / "server.key"));
  BIO* bio = BIO_new(BIO_s_mem());
  const char pass[] = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio, key.get(), EVP_aes_256_cbc(), pass,
                                          sizeof pass - 1, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  write_file(root_ / "enc.key", std::string(data, static_cast<std::size_t>(n)));
  BIO_free(bio);
  const std::string message = error_of({root_ / "a" / "server.pem", root_ / "enc.key", {}});
  EXPECT_NE(message.find("unencrypted"), std::string::npos) << message;
}

TEST_F(ConfiguredIdentity, OversizedFileIsRefused) {
  write_file(root_ / "huge.pem", std::string(2 * 1024 * 1024, 'A'));
  const std::string message = error_of({root_ / "huge.pem", root_ / "a" / "server.key", {}});
  EXPECT_NE(message.find("larger than"), std::string::npos) << message;
}

}  // namespace
}  // namespace parley::pki::test
