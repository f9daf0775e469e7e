// Bearer tokens in the SQLite store: field round trips, identity of the hash, the lifetime rules
// (revocation, expiry, removal and disabling of the user), size limits, and the upgrade of a
// database written before tokens existed.

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite/input.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "test_support.hpp"

namespace parley::storage {
namespace {

using test::named;
using test::patch_of;
using test::RawDb;
using test::read_file;
using test::TempDir;
using test::write_database_of_version;

// A distinct, well-formed SHA-256 hex string for each n.
std::string hash_of(unsigned n) {
  char text[65];
  std::snprintf(text, sizeof text, "%064x", n);
  return text;
}

TokenRecord token_for(std::string sip_uri, unsigned n, std::int64_t expires_at_ms = 2'000'000) {
  TokenRecord t;
  t.token_sha256 = hash_of(n);
  t.sip_uri = std::move(sip_uri);
  t.issued_at_ms = 1'000'000 + n;
  t.expires_at_ms = expires_at_ms;
  t.client_address = "198.51.100.7";
  t.user_agent = "ParleyTest/1.0";
  t.site = "external";
  t.grant_type = "password";
  return t;
}

std::vector<std::string> hashes(const std::vector<TokenRecord>& tokens) {
  std::vector<std::string> out;
  for (const auto& t : tokens) out.push_back(t.token_sha256);
  return out;
}

class SqliteTokens : public ::testing::Test {
protected:
  SqliteTokens() {
    store_->create_user("alice@example.org", named("Alice"), true, "");
    store_->create_user("bob@example.org", named("Bob"), true, "");
  }

  std::string count_rows() { return RawDb(file_).text("SELECT COUNT(*) FROM tokens"); }

  TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "parley.db";
  std::unique_ptr<Store> store_ = open_sqlite_store(file_);
};

TEST_F(SqliteTokens, EveryFieldRoundTrips) {
  TokenRecord t;
  t.token_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  t.sip_uri = "Alice@Example.ORG";
  t.issued_at_ms = 1'790'000'000'123;
  t.expires_at_ms = 1'790'028'800'123;
  t.client_address = "[2001:db8::1]:50123";
  t.user_agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Parley/2 \xE2\x80\x94 test";
  t.site = "internal";
  t.grant_type = "urn:microsoft.rtc:passive";
  store_->insert_token(t);

  const auto found = store_->find_token(t.token_sha256);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->token_sha256, t.token_sha256);
  EXPECT_EQ(found->sip_uri, "alice@example.org");  // the user's stored form
  EXPECT_EQ(found->issued_at_ms, t.issued_at_ms);
  EXPECT_EQ(found->expires_at_ms, t.expires_at_ms);
  EXPECT_EQ(found->client_address, t.client_address);
  EXPECT_EQ(found->user_agent, t.user_agent);
  EXPECT_EQ(found->site, "internal");
  EXPECT_EQ(found->grant_type, "urn:microsoft.rtc:passive");
  // Upper-case hex names the same token.
  const auto upper = store_->find_token(
      "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08");
  ASSERT_TRUE(upper);
  EXPECT_EQ(upper->token_sha256, t.token_sha256);
  EXPECT_FALSE(store_->find_token(hash_of(1)));
}

TEST_F(SqliteTokens, TokenOfAnUnknownUserIsNotFoundAndNotStored) {
  const std::string unknown[] = {"carol@example.org", "", std::string(2000, 'x')};
  for (const auto& uri : unknown) {
    try {
      store_->insert_token(token_for(uri, 1));
      FAIL() << "expected NotFound for '" << uri.substr(0, 40) << "'";
    } catch (const NotFound& e) {
      EXPECT_EQ(std::string(e.what()).rfind("no user", 0), 0u) << e.what();
      EXPECT_EQ(e.status(), 404);
    }
  }
  EXPECT_FALSE(store_->find_token(hash_of(1)));
  EXPECT_EQ(count_rows(), "0");
}

TEST_F(SqliteTokens, DuplicateHashIsAConflictAndKeepsTheFirst) {
  store_->insert_token(token_for("alice@example.org", 7));
  EXPECT_THROW(store_->insert_token(token_for("bob@example.org", 7)), Conflict);
  TokenRecord upper = token_for("alice@example.org", 0);
  upper.token_sha256 = "ABCDEF" + std::string(58, '0');
  store_->insert_token(upper);
  upper.token_sha256 = "abcdef" + std::string(58, '0');
  EXPECT_THROW(store_->insert_token(upper), Conflict);
  EXPECT_EQ(store_->find_token(hash_of(7))->sip_uri, "alice@example.org");
  EXPECT_EQ(count_rows(), "2");
}

TEST_F(SqliteTokens, MalformedHashIsRejectedOnInsertAndFindsNothing) {
  const std::string bad[] = {"", hash_of(1).substr(1), hash_of(1) + "0",
                             "g" + hash_of(1).substr(1), hash_of(1).substr(1) + " ",
                             std::string(100000, 'a')};
  for (const auto& hash : bad) {
    TokenRecord t = token_for("alice@example.org", 1);
    t.token_sha256 = hash;
    EXPECT_THROW(store_->insert_token(t), ParameterValidationFailure) << hash.substr(0, 70);
    EXPECT_FALSE(store_->find_token(hash));
    EXPECT_FALSE(store_->revoke_token(hash));
  }
  EXPECT_EQ(count_rows(), "0");
}

TEST_F(SqliteTokens, OverlongFieldsAreRejected) {
  const auto with = [](std::string TokenRecord::*field, std::size_t bytes) {
    TokenRecord t = token_for("alice@example.org", 1);
    t.*field = std::string(bytes, 'a');
    return t;
  };
  EXPECT_THROW(store_->insert_token(with(&TokenRecord::client_address, 65)),
               ParameterValidationFailure);
  EXPECT_THROW(store_->insert_token(with(&TokenRecord::site, 17)), ParameterValidationFailure);
  EXPECT_THROW(store_->insert_token(with(&TokenRecord::grant_type, 65)),
               ParameterValidationFailure);
  EXPECT_EQ(count_rows(), "0");

  TokenRecord at_limits = with(&TokenRecord::client_address, 64);
  at_limits.site = std::string(16, 's');
  at_limits.grant_type = std::string(64, 'g');
  store_->insert_token(at_limits);
  const auto found = store_->find_token(at_limits.token_sha256);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->client_address.size(), 64u);
  EXPECT_EQ(found->site.size(), 16u);
  EXPECT_EQ(found->grant_type.size(), 64u);
}

TEST_F(SqliteTokens, UserAgentIsCutTo512BytesOnACharacterBoundary) {
  struct Case {
    std::string user_agent;
    std::string kept;
  };
  const std::string e_acute = "\xC3\xA9";          // 2 bytes
  const std::string euro = "\xE2\x82\xAC";         // 3 bytes
  const std::string emoji = "\xF0\x9F\x93\xB1";    // 4 bytes
  const Case cases[] = {
      {std::string(512, 'a'), std::string(512, 'a')},
      {std::string(600, 'a'), std::string(512, 'a')},
      {std::string(511, 'a') + e_acute, std::string(511, 'a')},
      {std::string(510, 'a') + e_acute + "b", std::string(510, 'a') + e_acute},
      {std::string(510, 'a') + euro, std::string(510, 'a')},
      {std::string(509, 'a') + euro + "xyz", std::string(509, 'a') + euro},
      {std::string(509, 'a') + emoji, std::string(509, 'a')},
      {std::string(511, 'a') + emoji, std::string(511, 'a')},
  };
  unsigned n = 0;
  for (const auto& c : cases) {
    TokenRecord t = token_for("alice@example.org", ++n);
    t.user_agent = c.user_agent;
    store_->insert_token(t);
    EXPECT_EQ(store_->find_token(t.token_sha256)->user_agent, c.kept) << "case " << n;
  }
}

TEST(Utf8Truncation, CutsBeforeAnIncompleteSequenceOnly) {
  using sqlite::truncate_utf8;
  EXPECT_EQ(truncate_utf8("abc", 5), "abc");
  EXPECT_EQ(truncate_utf8("abc", 0), "");
  EXPECT_EQ(truncate_utf8("a\xC3\xA9", 2), "a");
  EXPECT_EQ(truncate_utf8("a\xC3\xA9", 3), "a\xC3\xA9");
  EXPECT_EQ(truncate_utf8("\xF0\x9F\x93\xB1z", 3), "");
  EXPECT_EQ(truncate_utf8("\xF0\x9F\x93\xB1z", 4), "\xF0\x9F\x93\xB1");
  // Not UTF-8 (a run of continuation bytes): cut at the limit rather than lose everything.
  EXPECT_EQ(truncate_utf8("ab\x80\x80\x80\x80\x80", 6), "ab\x80\x80\x80\x80");
}

TEST_F(SqliteTokens, ListsOneUsersTokensNewestFirst) {
  store_->insert_token(token_for("alice@example.org", 1));
  store_->insert_token(token_for("bob@example.org", 2));
  store_->insert_token(token_for("alice@example.org", 3));
  EXPECT_EQ(hashes(store_->list_tokens("ALICE@example.org")),
            (std::vector<std::string>{hash_of(3), hash_of(1)}));
  EXPECT_EQ(hashes(store_->list_tokens("bob@example.org")), (std::vector{hash_of(2)}));
  EXPECT_TRUE(store_->list_tokens("carol@example.org").empty());
  EXPECT_TRUE(store_->list_tokens("").empty());
}

TEST_F(SqliteTokens, RevokingOneTokenLeavesTheOthers) {
  store_->insert_token(token_for("alice@example.org", 1));
  store_->insert_token(token_for("alice@example.org", 2));
  EXPECT_TRUE(store_->revoke_token(hash_of(1)));
  EXPECT_FALSE(store_->find_token(hash_of(1)));
  EXPECT_TRUE(store_->find_token(hash_of(2)));
  EXPECT_FALSE(store_->revoke_token(hash_of(1)));  // already gone
  EXPECT_FALSE(store_->revoke_token(hash_of(9)));  // never existed
}

TEST_F(SqliteTokens, RevokingAUsersTokensLeavesOtherUsersTokens) {
  for (unsigned n = 1; n <= 3; ++n) store_->insert_token(token_for("alice@example.org", n));
  store_->insert_token(token_for("bob@example.org", 4));
  EXPECT_EQ(store_->revoke_user_tokens("Alice@Example.org"), 3u);
  EXPECT_TRUE(store_->list_tokens("alice@example.org").empty());
  EXPECT_FALSE(store_->find_token(hash_of(2)));
  EXPECT_TRUE(store_->find_token(hash_of(4)));
  EXPECT_EQ(store_->revoke_user_tokens("alice@example.org"), 0u);
  EXPECT_EQ(store_->revoke_user_tokens("carol@example.org"), 0u);
  EXPECT_EQ(store_->revoke_user_tokens(""), 0u);
  // The user herself stays; she can be issued a new token.
  ASSERT_TRUE(store_->find_user("alice@example.org"));
  store_->insert_token(token_for("alice@example.org", 5));
  EXPECT_EQ(store_->list_tokens("alice@example.org").size(), 1u);
}

TEST_F(SqliteTokens, RemovingAUserRemovesHerTokens) {
  store_->insert_token(token_for("alice@example.org", 1));
  store_->insert_token(token_for("alice@example.org", 2));
  store_->insert_token(token_for("bob@example.org", 3));
  ASSERT_TRUE(store_->remove_user("alice@example.org"));
  EXPECT_FALSE(store_->find_token(hash_of(1)));
  EXPECT_FALSE(store_->find_token(hash_of(2)));
  EXPECT_TRUE(store_->find_token(hash_of(3)));
  EXPECT_EQ(count_rows(), "1");
  // A new user with the same address does not inherit the old tokens.
  store_->create_user("alice@example.org", named("Another Alice"), true, "");
  EXPECT_TRUE(store_->list_tokens("alice@example.org").empty());
}

TEST_F(SqliteTokens, DisablingAUserRevokesHerTokens) {
  store_->insert_token(token_for("alice@example.org", 1));
  store_->insert_token(token_for("bob@example.org", 2));
  // A change that leaves her enabled keeps them.
  store_->update_user("alice@example.org", patch_of(&UserPatch::title, "CTO"));
  EXPECT_TRUE(store_->find_token(hash_of(1)));

  store_->update_user("alice@example.org", patch_of(&UserPatch::enabled, false));
  EXPECT_FALSE(store_->find_token(hash_of(1)));
  EXPECT_TRUE(store_->find_token(hash_of(2)));
  // Enabling her again does not bring them back.
  store_->update_user("alice@example.org", patch_of(&UserPatch::enabled, true));
  EXPECT_FALSE(store_->find_token(hash_of(1)));

  // A bulk import that disables Bob does the same.
  store_->import_users({{"bob@example.org", named("Bob"), false, ""}});
  EXPECT_FALSE(store_->find_token(hash_of(2)));
  EXPECT_EQ(count_rows(), "0");
}

TEST_F(SqliteTokens, PurgeDeletesOnlyTokensExpiredBeforeNow) {
  store_->insert_token(token_for("alice@example.org", 1, 100));
  store_->insert_token(token_for("alice@example.org", 2, 200));
  store_->insert_token(token_for("bob@example.org", 3, 300));
  EXPECT_EQ(store_->purge_expired_tokens(200), 1u);  // expiring exactly now is not yet expired
  EXPECT_FALSE(store_->find_token(hash_of(1)));
  EXPECT_TRUE(store_->find_token(hash_of(2)));
  EXPECT_EQ(store_->purge_expired_tokens(200), 0u);
  EXPECT_EQ(store_->purge_expired_tokens(301), 2u);
  EXPECT_EQ(count_rows(), "0");
}

TEST_F(SqliteTokens, TokensSurviveReopening) {
  store_->insert_token(token_for("alice@example.org", 1));
  store_.reset();
  auto reopened = open_sqlite_store(file_);
  const auto found = reopened->find_token(hash_of(1));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->sip_uri, "alice@example.org");
  EXPECT_EQ(found->grant_type, "password");
}

// A database written by a build that knew only migration 0001, made the way that build made it:
// the bookkeeping table, the 0001 script, and its row in schema_migrations.
TEST(SqliteMigration, UpgradesAVersion1DatabaseKeepingItsUsers) {
  TempDir dir;
  const auto file = dir.path() / "parley.db";
  write_database_of_version(file, 1);
  {
    RawDb raw(file);
    raw.exec(
        "INSERT INTO users (sip_uri, display_name, enabled, password_hash, created_at_ms, "
        "updated_at_ms) VALUES ('alice@example.org', 'Alice', TRUE, '$argon2id$h', 5, 6)");
    ASSERT_EQ(raw.text("SELECT COUNT(*) FROM sqlite_master WHERE name = 'tokens'"), "0");
  }

  auto store = open_sqlite_store(file);
  EXPECT_EQ(store->schema_version(), newest_schema_version());
  EXPECT_GE(store->schema_version(), 2);
  const auto alice = store->find_user("alice@example.org");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->profile.display_name, "Alice");
  EXPECT_TRUE(alice->has_password);
  EXPECT_EQ(alice->created_at_ms, 5);
  EXPECT_EQ(alice->updated_at_ms, 6);
  EXPECT_EQ(store->password_hash("alice@example.org"), "$argon2id$h");

  // The new tables work, including the cascade from a user created before they existed.
  store->insert_token(token_for("alice@example.org", 1));
  EXPECT_TRUE(store->find_token(hash_of(1)));
  SigninRecord attempt;
  attempt.username = "alice";
  attempt.outcome = "success";
  EXPECT_GT(store->append_signin(attempt), 0);
  ASSERT_TRUE(store->remove_user("alice@example.org"));
  EXPECT_FALSE(store->find_token(hash_of(1)));

  RawDb raw(file);
  EXPECT_EQ(raw.text("SELECT applied_at_ms FROM schema_migrations WHERE version = 1"),
            "1700000000000");
  EXPECT_EQ(raw.text("SELECT name FROM schema_migrations WHERE version = 2"), "tokens_and_signins");
}

}  // namespace
}  // namespace parley::storage
