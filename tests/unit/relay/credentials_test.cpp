// Relay credentials: what the front end mints must be what the edge (and coturn, with the same
// secret) accepts, and nothing else.
#include "relay/credentials.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <set>
#include <vector>

namespace parley::relay {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

Clock::time_point at(std::int64_t unix_seconds) {
  return Clock::time_point(std::chrono::seconds(unix_seconds));
}

TEST(SharedSecretPassword, MatchesKnownHmacSha1Vectors) {
  // RFC 2202 test case 2, in standard base64 with padding.
  EXPECT_EQ(shared_secret_password("Jefe", "what do ya want for nothing?"),
            "7/zfauXrL6LSdBbV8YTfnCWafHk=");
  // Computed independently (Python hmac + base64) for a TURN REST style name.
  EXPECT_EQ(shared_secret_password("north-secret-0123", "1767225600:alice@example.org"),
            "NG899pc3dKmIDtQMd1+Nac+Ropw=");
}

TEST(MintCredential, NameCarriesExpiryAndUser) {
  const auto now = at(1'767'225'000) + 700ms;
  const auto c = mint_credential("north-secret-0123", "alice@example.org", 600s, now);
  // Whole seconds: the fraction of the current second is dropped, not rounded up.
  EXPECT_EQ(c.username, "1767225600:alice@example.org");
  EXPECT_EQ(c.password, "NG899pc3dKmIDtQMd1+Nac+Ropw=");
  EXPECT_EQ(c.valid_until, at(1'767'225'600));
  EXPECT_GT(c.valid_until, now);
}

TEST(CredentialStore, AcceptsWhatTheFrontEndMints) {
  const CredentialStore store({"north-secret-0123"}, {});
  const auto now = at(1'767'000'000);
  const auto c = mint_credential(store.minting_secret(), "alice@example.org", 3600s, now);
  const auto r = store.lookup(c.username, now + 10s);
  ASSERT_EQ(r.status, CredentialStatus::ok);
  ASSERT_EQ(r.passwords.size(), 1u);
  EXPECT_EQ(r.passwords[0], c.password);
  EXPECT_EQ(r.quota_user, "alice@example.org");
}

TEST(CredentialStore, ExpiredCredentialsAreRefused) {
  const CredentialStore store({"north-secret-0123"}, {});
  const auto r = store.lookup("1767225600:alice@example.org", at(1'767'225'601));
  EXPECT_EQ(r.status, CredentialStatus::expired);
  EXPECT_TRUE(r.passwords.empty());
  // The expiry second itself is already too late.
  EXPECT_EQ(store.lookup("1767225600:alice@example.org", at(1'767'225'600)).status,
            CredentialStatus::expired);
  EXPECT_EQ(store.lookup("1767225600:alice@example.org", at(1'767'225'599)).status,
            CredentialStatus::ok);
  EXPECT_EQ(store.lookup("0:bob@example.org", at(1)).status, CredentialStatus::expired);
}

TEST(CredentialStore, EverySecretGivesAPasswordForRotation) {
  const CredentialStore store({"new-secret-0123456", "old-secret-0123456"}, {});
  EXPECT_EQ(store.minting_secret(), "new-secret-0123456");
  const auto old = mint_credential("old-secret-0123456", "bob@example.org", 600s, at(1000));
  const auto r = store.lookup(old.username, at(1000));
  ASSERT_EQ(r.status, CredentialStatus::ok);
  ASSERT_EQ(r.passwords.size(), 2u);
  EXPECT_EQ(r.passwords[0], shared_secret_password("new-secret-0123456", old.username));
  EXPECT_EQ(r.passwords[1], old.password);
  // A credential signed with a secret nobody configured matches none of them.
  const auto forged = mint_credential("guessed-secret-xyz", "bob@example.org", 600s, at(1000));
  const auto f = store.lookup(forged.username, at(1000));
  for (const auto& p : f.passwords) EXPECT_NE(p, forged.password);
}

TEST(CredentialStore, StaticUsersByExactName) {
  const CredentialStore store({"north-secret-0123"},
                              {{"device-1", "pw-one"}, {"device-2", "pw-two"}});
  const auto r = store.lookup("device-2", at(1000));
  ASSERT_EQ(r.status, CredentialStatus::ok);
  EXPECT_EQ(r.passwords, std::vector<std::string>{"pw-two"});
  EXPECT_EQ(r.quota_user, "device-2");
  EXPECT_EQ(store.lookup("Device-2", at(1000)).status, CredentialStatus::unknown_user);
  EXPECT_EQ(store.lookup("device", at(1000)).status, CredentialStatus::unknown_user);
  EXPECT_EQ(store.lookup("", at(1000)).status, CredentialStatus::unknown_user);
}

TEST(CredentialStore, NamesThatAreNotTimeLimited) {
  const CredentialStore store({"north-secret-0123"}, {{"device-1", "pw"}});
  // No numeric prefix before ':' → looked up as a static user, which these are not.
  for (const char* name : {"alice@example.org", ":alice", "12a:alice", "-5:alice", " 5:alice",
                           "99999999999999999999999:alice"})
    EXPECT_EQ(store.lookup(name, at(1000)).status, CredentialStatus::unknown_user) << name;
  // Only the first ':' separates: the quota user keeps the rest whole.
  const auto r = store.lookup("5000:sip:odd:name", at(1000));
  EXPECT_EQ(r.status, CredentialStatus::ok);
  EXPECT_EQ(r.quota_user, "sip:odd:name");
}

TEST(CredentialStore, NeedsASecret) {
  EXPECT_THROW(CredentialStore({}, {}), std::invalid_argument);
}

class SecretFile : public ::testing::Test {
protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("parley-relay-secret-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

TEST_F(SecretFile, CreatedOnceWithOwnerOnlyMode) {
  const std::string first = load_or_create_secret(dir);
  EXPECT_GE(first.size(), 40u);  // 32 random bytes, base64url
  const auto file = dir / "relay" / "secret";
  ASSERT_TRUE(fs::exists(file));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A restart reads the same secret, so credentials minted before it stay valid.
  EXPECT_EQ(load_or_create_secret(dir), first);
  // No temporary files are left behind.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir / "relay")) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST_F(SecretFile, AnExistingSecretIsUsedAsWritten) {
  fs::create_directories(dir / "relay");
  std::ofstream(dir / "relay" / "secret") << "operator-chosen-secret\n";
  EXPECT_EQ(load_or_create_secret(dir), "operator-chosen-secret");
}

TEST_F(SecretFile, EmptyFileIsAnError) {
  fs::create_directories(dir / "relay");
  std::ofstream(dir / "relay" / "secret") << "\n";
  EXPECT_THROW(load_or_create_secret(dir), std::runtime_error);
}

TEST_F(SecretFile, RacingCreatorsAgree) {
  std::vector<std::future<std::string>> racers;
  for (int i = 0; i < 8; ++i)
    racers.push_back(std::async(std::launch::async, [this] { return load_or_create_secret(dir); }));
  std::set<std::string> seen;
  for (auto& r : racers) seen.insert(r.get());
  EXPECT_EQ(seen.size(), 1u);
}

TEST_F(SecretFile, DifferentDataDirectoriesGetDifferentSecrets) {
  const auto other = dir / "other";
  EXPECT_NE(load_or_create_secret(dir), load_or_create_secret(other));
}

}  // namespace
}  // namespace parley::relay
