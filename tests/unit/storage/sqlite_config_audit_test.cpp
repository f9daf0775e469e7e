// Service configuration and the administrative audit trail in the SQLite store; and that
// policies, configuration and audit survive a reopen and an upgrade from schema version 3.

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "policy_test_support.hpp"
#include "test_support.hpp"

namespace parley::storage {
namespace {

using test::assignment_of;
using test::audit_of;
using test::named;
using test::policy_of;
using test::RawDb;
using test::write_database_of_version;
using test::read_file;
using test::TempDir;

using Config = std::vector<std::pair<std::string, std::string>>;
using Ids = std::vector<std::int64_t>;

Ids ids_of(const std::vector<AuditRecord>& records) {
  Ids out;
  for (const auto& r : records) out.push_back(r.id);
  return out;
}

class SqliteConfigAudit : public ::testing::Test {
protected:
  TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "parley.db";
  std::unique_ptr<Store> store_ = open_sqlite_store(file_);
};

TEST_F(SqliteConfigAudit, ServiceConfigPutGetListRemove) {
  EXPECT_FALSE(store_->get_service_config("mcx", "global"));
  EXPECT_TRUE(store_->list_service_config("mcx").empty());

  store_->put_service_config("mcx", "site:field-staff", R"({"SessionExpirationInterval":600})",
                             audit_of("config.set", "mcx/site:field-staff"));
  store_->put_service_config("mcx", "global", R"({"SessionExpirationInterval":3600})",
                             audit_of("config.set", "mcx/global"));
  store_->put_service_config("push", "global", R"({"EnableApplePush":false})",
                             audit_of("config.set", "push/global"));
  EXPECT_EQ(store_->get_service_config("mcx", "global"), R"({"SessionExpirationInterval":3600})");
  EXPECT_EQ(store_->list_service_config("mcx"),
            (Config{{"global", R"({"SessionExpirationInterval":3600})"},
                    {"site:field-staff", R"({"SessionExpirationInterval":600})"}}));
  EXPECT_EQ(store_->list_service_config("push"),
            (Config{{"global", R"({"EnableApplePush":false})"}}));

  store_->put_service_config("mcx", "global", R"({"SessionExpirationInterval":7200})",
                             audit_of("config.set", "mcx/global"));
  EXPECT_EQ(store_->get_service_config("mcx", "global"), R"({"SessionExpirationInterval":7200})");

  // Empty settings remove the entry; removing an entry that is not there is no change.
  store_->put_service_config("mcx", "site:field-staff", "",
                             audit_of("config.set", "mcx/site:field-staff"));
  EXPECT_FALSE(store_->get_service_config("mcx", "site:field-staff"));
  EXPECT_EQ(store_->list_service_config("mcx").size(), 1u);
  store_->put_service_config("mcx", "site:field-staff", "",
                             audit_of("config.set", "mcx/site:field-staff"));
  EXPECT_EQ(store_->list_audit(0, 100).size(), 5u);
}

TEST_F(SqliteConfigAudit, ServiceConfigLimits) {
  const std::string largest(16 * 1024, 'x');
  EXPECT_NO_THROW(store_->put_service_config("mcx", "global", largest, audit_of("config.set", "")));
  EXPECT_THROW(
      store_->put_service_config("mcx", "global", largest + "x", audit_of("config.set", "")),
      ParameterValidationFailure);
  EXPECT_THROW(store_->put_service_config("mcx", "", "{}", audit_of("config.set", "")),
               ParameterValidationFailure);
  EXPECT_THROW(store_->put_service_config("m cx", "global", "{}", audit_of("config.set", "")),
               ParameterValidationFailure);
  EXPECT_EQ(store_->get_service_config("mcx", "global")->size(), largest.size());
  EXPECT_EQ(store_->list_audit(0, 100).size(), 1u);
}

TEST_F(SqliteConfigAudit, AuditListsNewestFirstInPages) {
  Ids appended;
  for (int i = 0; i < 5; ++i)
    appended.push_back(store_->append_audit(
        audit_of("session.end", "user u" + std::to_string(i), "", "", 1000 + i)));
  for (std::size_t i = 1; i < appended.size(); ++i) EXPECT_GT(appended[i], appended[i - 1]);

  const auto first = store_->list_audit(0, 2);
  EXPECT_EQ(ids_of(first), (Ids{appended[4], appended[3]}));
  EXPECT_EQ(first[0].target, "user u4");
  EXPECT_EQ(first[0].at_ms, 1004);
  const auto second = store_->list_audit(first.back().id, 2);
  EXPECT_EQ(ids_of(second), (Ids{appended[2], appended[1]}));
  const auto third = store_->list_audit(second.back().id, 2);
  EXPECT_EQ(ids_of(third), (Ids{appended[0]}));
  EXPECT_TRUE(store_->list_audit(third.back().id, 2).empty());
}

TEST_F(SqliteConfigAudit, AuditFieldsUpTo16KiBAreKeptWhole) {
  const std::string largest(16 * 1024, 'v');
  store_->append_audit(audit_of("config.set", "mcx/global", largest, largest));
  const auto audit = store_->list_audit(0, 10);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].new_value, largest);
  EXPECT_EQ(audit[0].old_value, largest);

  EXPECT_THROW(store_->append_audit(audit_of("config.set", "mcx/global", largest + "v")),
               ParameterValidationFailure);
  AuditRecord r = audit_of("config.set", std::string(16 * 1024 + 1, 't'));
  EXPECT_THROW(store_->append_audit(r), ParameterValidationFailure);
  EXPECT_EQ(store_->list_audit(0, 10).size(), 1u);
}

TEST_F(SqliteConfigAudit, TheLogKeepsTheNewest100000Entries) {
  // Fill the log to its bound behind the store's back, as 100,000 appends would.
  RawDb(file_).exec(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)"
      " INSERT INTO audit_log (id, at_ms, actor, action) SELECT i, i, 'admin', 'old' FROM n");
  const std::int64_t id = store_->append_audit(audit_of("session.end", "newest"));
  EXPECT_EQ(id, 100001);
  RawDb raw(file_);
  EXPECT_EQ(raw.text("SELECT COUNT(*) FROM audit_log"), "100000");
  EXPECT_EQ(raw.text("SELECT MIN(id) FROM audit_log"), "2");
  EXPECT_EQ(store_->list_audit(0, 1)[0].target, "newest");
}

TEST_F(SqliteConfigAudit, ReopeningKeepsEverything) {
  store_->create_user("bob@x.org", named("Bob"), true, "");
  store_->put_policy(policy_of("Contractor", R"({"EnableMobility":false})"), true,
                     audit_of("policy.new", "mobility/Contractor"));
  store_->put_policy(policy_of("global", R"({"EnableOutsideVoice":false})"), false,
                     audit_of("policy.set", "mobility/global"));
  store_->assign_policy(assignment_of("user", "bob@x.org", "contractor"),
                        audit_of("policy.grant", "user bob@x.org"));
  store_->put_service_config("mcx", "global", R"({"a":1})", audit_of("config.set", "mcx/global"));
  store_.reset();

  store_ = open_sqlite_store(file_);
  EXPECT_EQ(store_->find_policy("mobility", "contractor")->name, "Contractor");
  EXPECT_EQ(store_->find_policy("mobility", "contractor")->settings, R"({"EnableMobility":false})");
  // The migration's global row is not put back over the administrator's settings.
  EXPECT_EQ(store_->find_policy("mobility", "global")->settings, R"({"EnableOutsideVoice":false})");
  const auto assigned = store_->list_assignments("mobility");
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].key, "bob@x.org");
  EXPECT_EQ(assigned[0].name, "Contractor");
  EXPECT_EQ(store_->get_service_config("mcx", "global"), R"({"a":1})");
  const auto audit = store_->list_audit(0, 10);
  ASSERT_EQ(audit.size(), 4u);
  EXPECT_EQ(audit[0].action, "config.set");
  EXPECT_EQ(audit[3].action, "policy.new");
  // Ids go on from where they were.
  EXPECT_GT(store_->append_audit(audit_of("session.end", "x")), audit[0].id);
}

// A database written by a build that knew migrations 0001 to 0003, made the way that build made
// it: it gains the policy tables, the global mobility policy, and keeps its users.
TEST(SqlitePolicyMigration, AVersion3DatabaseIsUpgraded) {
  TempDir dir;
  const auto file = dir.path() / "parley.db";
  write_database_of_version(file, 3);
  {
    RawDb raw(file);
    raw.exec(
        "INSERT INTO users (sip_uri, display_name, enabled, created_at_ms, updated_at_ms)"
        " VALUES ('bob@example.org', 'Bob', TRUE, 5, 6)");
  }

  auto store = open_sqlite_store(file);
  EXPECT_EQ(store->schema_version(), newest_schema_version());
  EXPECT_GE(store->schema_version(), 4);
  EXPECT_EQ(store->find_user("bob@example.org")->updated_at_ms, 6);
  const auto global = store->find_policy("mobility", "global");
  ASSERT_TRUE(global);
  EXPECT_EQ(global->settings, "{}");
  EXPECT_TRUE(store->list_audit(0, 10).empty());

  store->put_policy(policy_of("contractor", "{}"), true, audit_of("policy.new", "c"));
  store->assign_policy(assignment_of("user", "bob@example.org", "contractor"),
                       audit_of("policy.grant", "user bob@example.org"));
  EXPECT_EQ(store->list_assignments("mobility").size(), 1u);
  EXPECT_EQ(store->list_audit(0, 10).size(), 2u);
  RawDb raw(file);
  EXPECT_EQ(raw.text("SELECT name FROM schema_migrations WHERE version = 4"), "policies_audit");
}

}  // namespace
}  // namespace parley::storage
