// Bulk import (one transaction, idempotent, passwords of existing users kept) and settings.

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "test_support.hpp"

namespace parley::storage {
namespace {

using test::RawDb;
using test::TempDir;
using Row = Store::ImportRow;
using Outcomes = std::vector<ImportOutcome>;

UserProfile named(const std::string& display_name, const std::string& office) {
  UserProfile p = test::named(display_name);
  p.office = office;
  return p;
}
using test::named;

class SqliteImport : public ::testing::Test {
protected:
  std::filesystem::path file() const { return dir_.path() / "parley.db"; }
  TempDir dir_;
  std::unique_ptr<Store> store_ = open_sqlite_store(file());
};

TEST_F(SqliteImport, CreatesUpdatesAndLeavesAlone) {
  store_->create_user("bob@example.org", named("Bob", "old office"), true, "bob-hash");
  store_->create_user("carol@example.org", named("Carol"), true, "");
  const User carol_before = *store_->find_user("carol@example.org");
  std::this_thread::sleep_for(std::chrono::milliseconds(2));

  const std::vector<Row> rows = {
      {"Alice@example.org", named("Alice"), true, "alice-hash"},
      {"bob@example.org", named("Bob", "new office"), false, "ignored-hash"},
      {"CAROL@example.org", named("Carol"), true, "ignored-too"},
  };
  EXPECT_EQ(store_->import_users(rows),
            (Outcomes{ImportOutcome::created, ImportOutcome::updated, ImportOutcome::unchanged}));

  const auto alice = store_->find_user("alice@example.org");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->profile, named("Alice"));
  EXPECT_EQ(store_->password_hash("alice@example.org"), "alice-hash");

  const auto bob = store_->find_user("bob@example.org");
  EXPECT_EQ(bob->profile.office, "new office");
  EXPECT_FALSE(bob->enabled);
  EXPECT_EQ(store_->password_hash("bob@example.org"), "bob-hash");  // never touched

  const auto carol = store_->find_user("carol@example.org");
  EXPECT_EQ(carol->updated_at_ms, carol_before.updated_at_ms);
  EXPECT_EQ(store_->password_hash("carol@example.org"), "");
}

TEST_F(SqliteImport, SecondIdenticalImportChangesNothing) {
  const std::vector<Row> rows = {
      {"alice@example.org", named("Alice"), true, "a"},
      {"bob@example.org", named("Bob"), false, ""},
  };
  EXPECT_EQ(store_->import_users(rows), (Outcomes{ImportOutcome::created, ImportOutcome::created}));
  const auto before = store_->list_users({});
  std::this_thread::sleep_for(std::chrono::milliseconds(2));

  EXPECT_EQ(store_->import_users(rows),
            (Outcomes{ImportOutcome::unchanged, ImportOutcome::unchanged}));
  const auto after = store_->list_users({});
  ASSERT_EQ(after.size(), 2u);
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].updated_at_ms, before[i].updated_at_ms);
    EXPECT_EQ(after[i].profile, before[i].profile);
  }
  EXPECT_EQ(store_->password_hash("alice@example.org"), "a");
}

TEST_F(SqliteImport, ExistingUsersKeepTheirPasswordEvenWhenUpdated) {
  store_->create_user("alice@example.org", named("Alice"), true, "original");
  EXPECT_EQ(store_->import_users({{"alice@example.org", named("Alice B."), true, "replacement"}}),
            Outcomes{ImportOutcome::updated});
  EXPECT_EQ(store_->password_hash("alice@example.org"), "original");
  store_->set_password_hash("alice@example.org", "");
  EXPECT_EQ(store_->import_users({{"alice@example.org", named("Alice C."), true, "again"}}),
            Outcomes{ImportOutcome::updated});
  EXPECT_EQ(store_->password_hash("alice@example.org"), "");
}

TEST_F(SqliteImport, AnInvalidRowRejectsTheWholeBatchBeforeWriting) {
  const std::vector<Row> rows = {
      {"alice@example.org", named("Alice"), true, ""},
      {"", named("Nobody"), true, ""},
  };
  try {
    store_->import_users(rows);
    FAIL() << "expected ParameterValidationFailure";
  } catch (const ParameterValidationFailure& e) {
    EXPECT_NE(std::string(e.what()).find("row 1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(store_->count_users(), 0u);
  EXPECT_THROW(store_->import_users(std::vector<Row>(10001)), ParameterValidationFailure);
}

// A failure inside SQLite half-way through the batch rolls everything back, and the store stays
// usable afterwards. A trigger stands in for a full disk.
TEST_F(SqliteImport, SqliteFailureMidBatchRollsBackEverything) {
  store_->create_user("zed@example.org", named("Zed"), true, "");
  RawDb(file()).exec(
      "CREATE TRIGGER refuse_mallory BEFORE INSERT ON users "
      "WHEN NEW.sip_uri = 'mallory@example.org' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
  const std::vector<Row> rows = {
      {"alice@example.org", named("Alice"), true, ""},
      {"zed@example.org", named("Zed the Second"), true, ""},
      {"mallory@example.org", named("Mallory"), true, ""},
  };
  try {
    store_->import_users(rows);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("disk on fire"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(store_->find_user("alice@example.org"));
  EXPECT_EQ(store_->find_user("zed@example.org")->profile.display_name, "Zed");
  EXPECT_EQ(store_->count_users(), 1u);

  EXPECT_EQ(store_->import_users({rows[0]}), Outcomes{ImportOutcome::created});
}

TEST_F(SqliteImport, EmptyImportIsFine) {
  EXPECT_TRUE(store_->import_users({}).empty());
}

TEST_F(SqliteImport, SettingsRoundTrip) {
  EXPECT_FALSE(store_->get_setting("admin.credential_sha256"));
  store_->put_setting("admin.credential_sha256", "abc");
  EXPECT_EQ(store_->get_setting("admin.credential_sha256"), "abc");
  store_->put_setting("admin.credential_sha256", "def");
  EXPECT_EQ(store_->get_setting("admin.credential_sha256"), "def");
  store_->put_setting("empty", "");
  EXPECT_EQ(store_->get_setting("empty"), "");
  EXPECT_FALSE(store_->get_setting("Admin.Credential_SHA256"));  // names are exact

  const std::string binaryish("a\0b\xff", 4);
  store_->put_setting("binaryish", binaryish);
  EXPECT_EQ(store_->get_setting("binaryish"), binaryish);

  EXPECT_THROW(store_->put_setting("", "x"), ParameterValidationFailure);
  EXPECT_THROW(store_->put_setting(std::string(257, 'k'), "x"), ParameterValidationFailure);
  EXPECT_THROW(store_->put_setting("big", std::string(1024 * 1024 + 1, 'v')),
               ParameterValidationFailure);
  EXPECT_FALSE(store_->get_setting("big"));
}

}  // namespace
}  // namespace parley::storage
