// Named policies and their assignments in the SQLite store: CRUD, case-insensitive names, the
// global policy's protection, and an audit record with every change and none with a refusal.

#include <filesystem>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.hpp"
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
using test::TempDir;

using Names = std::vector<std::string>;
// scope, key, name
using Rows = std::vector<std::tuple<std::string, std::string, std::string>>;

class SqlitePolicies : public ::testing::Test {
protected:
  Names policy_names(std::string_view kind = "mobility") {
    Names out;
    for (const auto& p : store_->list_policies(kind)) out.push_back(p.name);
    return out;
  }
  Rows assignments(std::string_view kind = "mobility") {
    Rows out;
    for (const auto& a : store_->list_assignments(kind)) {
      EXPECT_EQ(a.kind, kind);
      out.emplace_back(a.scope, a.key, a.name);
    }
    return out;
  }
  std::size_t audit_count() { return store_->list_audit(0, 1000).size(); }

  TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "parley.db";
  std::unique_ptr<Store> store_ = open_sqlite_store(file_);
};

TEST_F(SqlitePolicies, TheGlobalMobilityPolicyExistsFromTheStart) {
  const auto global = store_->find_policy("mobility", "global");
  ASSERT_TRUE(global);
  EXPECT_EQ(global->kind, "mobility");
  EXPECT_EQ(global->name, "global");
  EXPECT_EQ(global->settings, "{}");
  EXPECT_EQ(policy_names(), Names{"global"});
  EXPECT_TRUE(store_->list_policies("mcx").empty());
  EXPECT_EQ(audit_count(), 0u);
}

TEST_F(SqlitePolicies, CreateReadReplaceRemove) {
  store_->put_policy(policy_of("contractor", R"({"EnableMobility":false})"), true,
                     audit_of("policy.new", "mobility/contractor"));
  store_->put_policy(policy_of("Auditors", R"({"EnableOutsideVoice":false})"), true,
                     audit_of("policy.new", "mobility/Auditors"));
  auto found = store_->find_policy("mobility", "contractor");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->settings, R"({"EnableMobility":false})");
  EXPECT_GT(found->updated_at_ms, 0);
  // The global policy first, then by name, whatever the case.
  EXPECT_EQ(policy_names(), (Names{"global", "Auditors", "contractor"}));

  NamedPolicy replacement = policy_of("contractor", R"({"EnableMobility":true})");
  replacement.updated_at_ms = 1234;
  store_->put_policy(replacement, false, audit_of("policy.set", "mobility/contractor"));
  found = store_->find_policy("mobility", "contractor");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->settings, R"({"EnableMobility":true})");
  EXPECT_EQ(found->updated_at_ms, 1234);

  // The global policy's settings can be changed, just not removed.
  store_->put_policy(policy_of("global", R"({"VoiceSettings":"Cellular"})"), false,
                     audit_of("policy.set", "mobility/global"));
  EXPECT_EQ(store_->find_policy("mobility", "global")->settings, R"({"VoiceSettings":"Cellular"})");

  EXPECT_TRUE(store_->remove_policy("mobility", "contractor",
                                    audit_of("policy.remove", "mobility/contractor")));
  EXPECT_FALSE(store_->find_policy("mobility", "contractor"));
  EXPECT_FALSE(store_->remove_policy("mobility", "contractor",
                                     audit_of("policy.remove", "mobility/contractor")));
  EXPECT_EQ(policy_names(), (Names{"global", "Auditors"}));
  // Five changes, five entries: the refused second removal left none.
  EXPECT_EQ(audit_count(), 5u);
}

TEST_F(SqlitePolicies, NamesCompareCaseInsensitivelyAndKeepTheirFirstSpelling) {
  store_->put_policy(policy_of("Field-Staff", "{}"), true, audit_of("policy.new", "x"));
  const auto found = store_->find_policy("MOBILITY", "field-STAFF");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "Field-Staff");
  EXPECT_EQ(found->kind, "mobility");

  store_->put_policy(policy_of("FIELD-STAFF", R"({"a":1})"), false, audit_of("policy.set", "x"));
  EXPECT_EQ(policy_names(), (Names{"global", "Field-Staff"}));
  EXPECT_EQ(store_->find_policy("mobility", "field-staff")->settings, R"({"a":1})");

  EXPECT_THROW(
      store_->put_policy(policy_of("field-staff", "{}"), true, audit_of("policy.new", "x")),
               Conflict);
  EXPECT_TRUE(store_->remove_policy("mobility", "FIELD-staff", audit_of("policy.remove", "x")));
  EXPECT_EQ(policy_names(), Names{"global"});
}

TEST_F(SqlitePolicies, CreateOnlyConflictChangesNothingAndIsNotAudited) {
  store_->put_policy(policy_of("contractor", R"({"v":1})"), true, audit_of("policy.new", "c"));
  EXPECT_THROW(store_->put_policy(policy_of("Contractor", R"({"v":2})"), true,
                                  audit_of("policy.new", "refused")),
               Conflict);
  EXPECT_EQ(store_->find_policy("mobility", "contractor")->settings, R"({"v":1})");
  EXPECT_THROW(store_->put_policy(policy_of("global", "{}"), true, audit_of("policy.new", "g")),
               Conflict);
  const auto audit = store_->list_audit(0, 10);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].target, "c");
}

TEST_F(SqlitePolicies, TheGlobalPolicyCannotBeRemovedOrAssigned) {
  EXPECT_THROW(store_->remove_policy("mobility", "Global", audit_of("policy.remove", "g")),
               Forbidden);
  EXPECT_THROW(store_->assign_policy(assignment_of("site", "hq", "GLOBAL"),
                                     audit_of("policy.grant", "site hq")),
               Forbidden);
  store_->create_user("bob@x.org", named("Bob"), true, "");
  EXPECT_THROW(store_->assign_policy(assignment_of("user", "bob@x.org", "global"),
                                     audit_of("policy.grant", "user bob")),
               Forbidden);
  EXPECT_TRUE(store_->find_policy("mobility", "global"));
  EXPECT_TRUE(assignments().empty());
  EXPECT_EQ(audit_count(), 0u);
}

TEST_F(SqlitePolicies, AssigningAMissingPolicyOrToAMissingUserIsNotFound) {
  EXPECT_THROW(store_->assign_policy(assignment_of("site", "hq", "nope"),
                                     audit_of("policy.grant", "site hq")),
               NotFound);
  store_->put_policy(policy_of("contractor", "{}"), true, audit_of("policy.new", "c"));
  EXPECT_THROW(store_->assign_policy(assignment_of("user", "ghost@x.org", "contractor"),
                                     audit_of("policy.grant", "user ghost")),
               NotFound);
  // The policy of another kind with that name does not count.
  EXPECT_THROW(store_->assign_policy(assignment_of("site", "hq", "contractor", "push"),
                                     audit_of("policy.grant", "site hq")),
               NotFound);
  EXPECT_TRUE(assignments().empty());
  EXPECT_EQ(audit_count(), 1u);
}

TEST_F(SqlitePolicies, AssignReassignAndUnassign) {
  store_->create_user("bob@x.org", named("Bob"), true, "");
  store_->put_policy(policy_of("Contractor", "{}"), true, audit_of("policy.new", "c"));
  store_->put_policy(policy_of("fieldwork", "{}"), true, audit_of("policy.new", "f"));

  store_->assign_policy(assignment_of("site", "field-staff", "contractor"),
                        audit_of("policy.grant", "site field-staff"));
  // A user's address is stored lower-case; the policy name as the policy spells it.
  store_->assign_policy(assignment_of("user", "BOB@X.org", "CONTRACTOR"),
                        audit_of("policy.grant", "user bob"));
  EXPECT_EQ(assignments(), (Rows{{"site", "field-staff", "Contractor"},
                                 {"user", "bob@x.org", "Contractor"}}));
  EXPECT_TRUE(assignments("push").empty());

  // One policy of a kind per scope: assigning again replaces.
  store_->assign_policy(assignment_of("user", "bob@x.org", "fieldwork"),
                        audit_of("policy.grant", "user bob"));
  EXPECT_EQ(assignments(), (Rows{{"site", "field-staff", "Contractor"},
                                 {"user", "bob@x.org", "fieldwork"}}));

  // An empty name removes the assignment; removing one that is not there changes nothing.
  store_->assign_policy(assignment_of("site", "field-staff", ""),
                        audit_of("policy.grant", "site field-staff"));
  EXPECT_EQ(assignments(), (Rows{{"user", "bob@x.org", "fieldwork"}}));
  const std::size_t before = audit_count();
  store_->assign_policy(assignment_of("site", "field-staff", ""),
                        audit_of("policy.grant", "site field-staff"));
  EXPECT_EQ(audit_count(), before);

  EXPECT_THROW(store_->assign_policy(assignment_of("group", "x", "fieldwork"),
                                     audit_of("policy.grant", "group x")),
               ParameterValidationFailure);
  EXPECT_THROW(store_->assign_policy(assignment_of("site", "", "fieldwork"),
                                     audit_of("policy.grant", "site")),
               ParameterValidationFailure);
}

TEST_F(SqlitePolicies, RemovingAPolicyRemovesItsAssignmentsOnly) {
  store_->create_user("bob@x.org", named("Bob"), true, "");
  store_->put_policy(policy_of("contractor", "{}"), true, audit_of("policy.new", "c"));
  store_->put_policy(policy_of("fieldwork", "{}"), true, audit_of("policy.new", "f"));
  store_->put_policy(policy_of("contractor", "{}", "other"), true, audit_of("policy.new", "o"));
  store_->assign_policy(assignment_of("site", "hq", "contractor"), audit_of("policy.grant", "1"));
  store_->assign_policy(assignment_of("user", "bob@x.org", "contractor"),
                        audit_of("policy.grant", "2"));
  store_->assign_policy(assignment_of("site", "lab", "fieldwork"), audit_of("policy.grant", "3"));
  store_->assign_policy(assignment_of("site", "hq", "contractor", "other"),
                        audit_of("policy.grant", "4"));

  EXPECT_TRUE(store_->remove_policy("mobility", "Contractor", audit_of("policy.remove", "c")));
  EXPECT_EQ(assignments(), (Rows{{"site", "lab", "fieldwork"}}));
  EXPECT_EQ(assignments("other"), (Rows{{"site", "hq", "contractor"}}));

  // Created again, the policy does not inherit its old assignments.
  store_->put_policy(policy_of("contractor", "{}"), true, audit_of("policy.new", "c"));
  EXPECT_EQ(assignments(), (Rows{{"site", "lab", "fieldwork"}}));
}

TEST_F(SqlitePolicies, RemovingAUserRemovesHerAssignments) {
  store_->create_user("bob@x.org", named("Bob"), true, "");
  store_->create_user("carol@x.org", named("Carol"), true, "");
  store_->put_policy(policy_of("contractor", "{}"), true, audit_of("policy.new", "c"));
  store_->assign_policy(assignment_of("user", "bob@x.org", "contractor"),
                        audit_of("policy.grant", "1"));
  store_->assign_policy(assignment_of("user", "carol@x.org", "contractor"),
                        audit_of("policy.grant", "2"));
  // A site that happens to be spelled like her address is not hers.
  store_->assign_policy(assignment_of("site", "bob@x.org", "contractor"),
                        audit_of("policy.grant", "3"));

  EXPECT_TRUE(store_->remove_user("Bob@x.org"));
  EXPECT_EQ(assignments(), (Rows{{"site", "bob@x.org", "contractor"},
                                 {"user", "carol@x.org", "contractor"}}));
  // A new Bob starts without the old one's policy.
  store_->create_user("bob@x.org", named("Bob"), true, "");
  EXPECT_EQ(assignments().size(), 2u);
  EXPECT_FALSE(store_->remove_user("nobody@x.org"));
}

TEST_F(SqlitePolicies, NamesKindsAndSizesAreChecked) {
  const auto put = [&](std::string name, std::string settings) {
    store_->put_policy(policy_of(std::move(name), std::move(settings)), false,
                       audit_of("policy.set", "x"));
  };
  EXPECT_NO_THROW(put(std::string(64, 'a'), "{}"));
  EXPECT_NO_THROW(put("A.b_c-9", "{}"));
  EXPECT_THROW(put(std::string(65, 'a'), "{}"), ParameterValidationFailure);
  EXPECT_THROW(put("", "{}"), ParameterValidationFailure);
  EXPECT_THROW(put("two words", "{}"), ParameterValidationFailure);
  EXPECT_THROW(put("sl/ash", "{}"), ParameterValidationFailure);
  EXPECT_THROW(put("caf\xc3\xa9", "{}"), ParameterValidationFailure);
  EXPECT_THROW(put("ok", ""), ParameterValidationFailure);
  const std::string largest = "{\"x\":\"" + std::string(16 * 1024 - 8, 'v') + "\"}";
  ASSERT_EQ(largest.size(), 16u * 1024u);
  EXPECT_NO_THROW(put("big", largest));
  EXPECT_THROW(put("bigger", largest + " "), ParameterValidationFailure);
  EXPECT_THROW(store_->put_policy(policy_of("ok", "{}", "no kind"), false, audit_of("a", "b")),
               ParameterValidationFailure);
  EXPECT_EQ(policy_names(), (Names{"global", "A.b_c-9", std::string(64, 'a'), "big"}));
  EXPECT_EQ(audit_count(), 3u);

  // Lookups of what cannot be stored find nothing instead of throwing.
  EXPECT_FALSE(store_->find_policy("mobility", "two words"));
  EXPECT_FALSE(store_->find_policy("mobility", std::string(65, 'a')));
  EXPECT_FALSE(store_->remove_policy("mobility", "", audit_of("policy.remove", "x")));
  EXPECT_TRUE(store_->list_policies("").empty());
}

TEST_F(SqlitePolicies, AnOverlongAuditRecordRefusesTheChangeItDescribes) {
  AuditRecord too_long = audit_of("policy.new", "mobility/c", std::string(16 * 1024 + 1, 'n'));
  EXPECT_THROW(store_->put_policy(policy_of("c", "{}"), true, too_long),
               ParameterValidationFailure);
  EXPECT_FALSE(store_->find_policy("mobility", "c"));
  too_long = audit_of("policy.new", "mobility/c");
  too_long.actor = std::string(16 * 1024 + 1, 'a');
  EXPECT_THROW(store_->put_policy(policy_of("c", "{}"), true, too_long),
               ParameterValidationFailure);
  EXPECT_FALSE(store_->find_policy("mobility", "c"));
  EXPECT_EQ(audit_count(), 0u);
}

// Either the change and its audit record are both stored or neither is: when writing the record
// fails, the change it describes is rolled back with it.
TEST_F(SqlitePolicies, AChangeWhoseAuditRecordCannotBeWrittenIsNotStored) {
  store_->create_user("bob@x.org", named("Bob"), true, "");
  store_->put_policy(policy_of("contractor", R"({"v":1})"), true, audit_of("policy.new", "c"));
  RawDb(file_).exec(
      "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log"
      " BEGIN SELECT RAISE(ABORT, 'audit refused'); END");

  EXPECT_THROW(store_->put_policy(policy_of("contractor", R"({"v":2})"), false,
                                  audit_of("policy.set", "c")),
               StoreError);
  EXPECT_THROW(store_->put_policy(policy_of("fresh", "{}"), true, audit_of("policy.new", "f")),
               StoreError);
  EXPECT_THROW(store_->assign_policy(assignment_of("user", "bob@x.org", "contractor"),
                                     audit_of("policy.grant", "b")),
               StoreError);
  EXPECT_THROW(store_->remove_policy("mobility", "contractor", audit_of("policy.remove", "c")),
               StoreError);
  EXPECT_THROW(
      store_->put_service_config("mcx", "global", R"({"x":1})", audit_of("config.set", "m")),
               StoreError);

  EXPECT_EQ(store_->find_policy("mobility", "contractor")->settings, R"({"v":1})");
  EXPECT_FALSE(store_->find_policy("mobility", "fresh"));
  EXPECT_TRUE(assignments().empty());
  EXPECT_FALSE(store_->get_service_config("mcx", "global"));
  EXPECT_EQ(audit_count(), 1u);
}

TEST_F(SqlitePolicies, EveryChangeIsAuditedAsGiven) {
  store_->create_user("bob@x.org", named("Bob"), true, "");
  const std::int64_t start = store_->find_user("bob@x.org")->created_at_ms;
  store_->put_policy(policy_of("contractor", R"({"v":1})"), true,
                     audit_of("policy.new", "mobility/contractor", R"({"v":1})"));
  store_->put_policy(policy_of("contractor", R"({"v":2})"), false,
                     audit_of("policy.set", "mobility/contractor", R"({"v":2})", R"({"v":1})", 77));
  store_->assign_policy(assignment_of("user", "bob@x.org", "contractor"),
                        audit_of("policy.grant", "user bob@x.org", "contractor"));
  store_->remove_policy("mobility", "contractor",
                        audit_of("policy.remove", "mobility/contractor", "", R"({"v":2})"));

  const auto audit = store_->list_audit(0, 100);
  ASSERT_EQ(audit.size(), 4u);
  EXPECT_EQ(audit[0].action, "policy.remove");
  EXPECT_EQ(audit[0].old_value, R"({"v":2})");
  EXPECT_EQ(audit[0].new_value, "");
  EXPECT_EQ(audit[1].action, "policy.grant");
  EXPECT_EQ(audit[1].target, "user bob@x.org");
  EXPECT_EQ(audit[2].action, "policy.set");
  EXPECT_EQ(audit[2].at_ms, 77);  // a time the caller gives is kept
  EXPECT_EQ(audit[2].old_value, R"({"v":1})");
  EXPECT_EQ(audit[2].new_value, R"({"v":2})");
  EXPECT_EQ(audit[3].action, "policy.new");
  EXPECT_EQ(audit[3].actor, "admin");
  EXPECT_GE(audit[3].at_ms, start);  // 0 is stamped with the current time
  EXPECT_GT(audit[0].id, audit[1].id);
  EXPECT_GT(audit[1].id, audit[2].id);
  EXPECT_GT(audit[2].id, audit[3].id);
}

}  // namespace
}  // namespace parley::storage
