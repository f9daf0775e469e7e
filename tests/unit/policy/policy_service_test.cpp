// PolicyService against the real SQLite store: what an administrator's changes do to the values
// in force, their audit trail, and the changes it refuses.

#include <memory>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "policy/policy_service.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "unit/storage/test_support.hpp"

namespace parley::policy {
namespace {

namespace json = boost::json;

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

class PolicyServiceTest : public ::testing::Test {
protected:
  PolicyServiceTest() {
    config_.mobility.session_expiration_interval = 100000;
    config_.mobility.session_short_expiration_interval = 1800;
    config_.discovery.exposed_web_url = ExposedWebUrl::internal;
    config_.webticket.token_lifetime_seconds = 7200;
    store_->create_user("bob@example.org", {}, true, "");
    store_->create_user("alice@example.org", {}, true, "");
    service_ = std::make_unique<PolicyService>(*store_, config_);
    service_->on_change([this](Kind k) { changes_.push_back(k); });
  }

  std::vector<storage::AuditRecord> audit() { return store_->list_audit(0, 100); }

  storage::test::TempDir dir_;
  std::unique_ptr<storage::Store> store_ = storage::open_sqlite_store(dir_.path() / "parley.db");
  Config config_;
  std::unique_ptr<PolicyService> service_;
  std::vector<Kind> changes_;
};

TEST_F(PolicyServiceTest, AFreshStoreHasOnlyTheGlobalPolicyAndDefaults) {
  const auto list = service_->policies(Kind::mobility);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].name, "global");
  EXPECT_TRUE(service_->assignments(Kind::mobility).empty());
  const auto r = service_->effective(Kind::mobility, "bob@example.org", "field-staff");
  for (const auto& [field, source] : r.source) EXPECT_EQ(source, "default") << field;
  EXPECT_TRUE(service_->mobility("bob@example.org", "").enable_mobility);
  EXPECT_FALSE(service_->push("").apns);
}

TEST_F(PolicyServiceTest, ServiceConfigStartsFromTheConfigFile) {
  const auto r = service_->effective(Kind::mcx, "", "");
  EXPECT_EQ(r.values.at("SessionExpirationInterval"), json::value(100000));
  EXPECT_EQ(r.source.at("SessionExpirationInterval"), "config file");
  EXPECT_EQ(r.source.at("SessionShortExpirationInterval"), "config file");
  EXPECT_EQ(r.values.at("ExposedWebURL"), json::value("Internal"));
  EXPECT_EQ(r.source.at("ExposedWebURL"), "config file");
  EXPECT_EQ(service_->mcx("").session_short_expiration_interval, 1800u);

  const auto ws = service_->effective(Kind::webservice, "", "");
  EXPECT_EQ(ws.values.at("TokenLifetimeSeconds"), json::value(7200));
  EXPECT_EQ(ws.source.at("TokenLifetimeSeconds"), "config file");
  EXPECT_EQ(ws.source.at("PendingGetWaitTimeOutInMinutes"), "default");
  EXPECT_EQ(service_->webservice("").token_lifetime_seconds, 7200u);
}

TEST_F(PolicyServiceTest, SiteAndUserPoliciesLayerOverGlobalWithProvenance) {
  service_->set_policy(Kind::mobility, "global", obj(R"({"AllowSaveCallLogs": false})"), "admin");
  service_->create_policy(Kind::mobility, "fieldwork",
                          obj(R"({"RequireWIFIForIPVideo": true, "EnableOutsideVoice": false})"),
                          "admin");
  service_->create_policy(Kind::mobility, "contractor",
                          obj(R"({"enableoutsidevoice": true, "VoiceSettings": "cellular"})"),
                          "admin");
  service_->grant(Kind::mobility, "site", "field-staff", "fieldwork", "admin");
  service_->grant(Kind::mobility, "user", "sip:Bob@Example.org", "Contractor", "admin");

  const auto r = service_->effective(Kind::mobility, "bob@example.org", "field-staff");
  EXPECT_EQ(r.source.at("AllowSaveCallLogs"), "global");
  EXPECT_EQ(r.source.at("RequireWIFIForIPVideo"), "site field-staff (policy fieldwork)");
  EXPECT_EQ(r.values.at("EnableOutsideVoice"), json::value(true));
  EXPECT_EQ(r.source.at("EnableOutsideVoice"), "user bob@example.org (policy contractor)");
  EXPECT_EQ(r.values.at("VoiceSettings"), json::value("Cellular"));
  EXPECT_EQ(r.source.at("EncryptAppData"), "default");

  const auto bob = service_->mobility("sip:BOB@example.org", "field-staff");
  EXPECT_TRUE(bob.require_wifi_for_ip_video);
  EXPECT_EQ(media_allowed(bob, NetworkType::cellular, Modality::video), MediaDecision::audio_only);

  // Alice on the same site gets the site's policy, not Bob's.
  const auto alice = service_->mobility("alice@example.org", "field-staff");
  EXPECT_FALSE(alice.enable_outside_voice);
  EXPECT_EQ(alice.voice_settings, "VoIPAlways");
  // Elsewhere she has only the global policy.
  EXPECT_TRUE(service_->mobility("alice@example.org", "hq").enable_outside_voice);
  EXPECT_FALSE(service_->mobility("alice@example.org", "hq").allow_save_call_logs);

  const auto assigned = service_->assignments(Kind::mobility);
  ASSERT_EQ(assigned.size(), 2u);
  // Listing: global first, then by name.
  const auto list = service_->policies(Kind::mobility);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].name, "global");
  EXPECT_EQ(list[1].name, "contractor");
  EXPECT_EQ(list[2].name, "fieldwork");
  EXPECT_EQ(changes_.size(), 5u);
  EXPECT_EQ(changes_.back(), Kind::mobility);
}

TEST_F(PolicyServiceTest, SetPolicyMergesAndNullRemovesAndEverythingIsAudited) {
  service_->create_policy(Kind::mobility, "Contractor", obj(R"({"EnableMobility": false})"), "admin");
  service_->set_policy(Kind::mobility, "contractor",
                       obj(R"({"AllowSaveIMHistory": false, "EnableMobility": null})"), "ops");
  const auto p = service_->policy(Kind::mobility, "CONTRACTOR");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "Contractor");  // spelled as created
  EXPECT_EQ(json::parse(p->settings), json::parse(R"({"AllowSaveIMHistory": false})"));

  const auto log = audit();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].action, "policy.set");
  EXPECT_EQ(log[0].actor, "ops");
  EXPECT_EQ(log[0].target, "mobility/Contractor");
  EXPECT_EQ(json::parse(log[0].old_value), json::parse(R"({"EnableMobility": false})"));
  EXPECT_EQ(json::parse(log[0].new_value), json::parse(R"({"AllowSaveIMHistory": false})"));
  EXPECT_EQ(log[1].action, "policy.new");
  EXPECT_EQ(log[1].old_value, "");
}

TEST_F(PolicyServiceTest, RefusedChangesChangeNothing) {
  service_->create_policy(Kind::mobility, "contractor", {}, "admin");
  const auto before = audit().size();
  EXPECT_THROW(service_->create_policy(Kind::mobility, "CONTRACTOR", {}, "admin"), Conflict);
  EXPECT_THROW(service_->create_policy(Kind::mobility, "Global", {}, "admin"), Conflict);
  EXPECT_THROW(service_->create_policy(Kind::mobility, "has space", {}, "admin"),
               ParameterValidationFailure);
  EXPECT_THROW(service_->create_policy(Kind::mobility, std::string(65, 'a'), {}, "admin"),
               ParameterValidationFailure);
  EXPECT_THROW(service_->create_policy(Kind::mobility, "x", obj(R"({"EnableMobility": "no"})"),
                                       "admin"),
               ParameterValidationFailure);
  EXPECT_THROW(service_->create_policy(Kind::mcx, "x", {}, "admin"), ParameterValidationFailure);
  EXPECT_THROW(service_->set_policy(Kind::mobility, "nobody", {}, "admin"), NotFound);
  EXPECT_THROW(service_->set_policy(Kind::mobility, "contractor", obj(R"({"Bogus": 1})"), "admin"),
               ParameterValidationFailure);
  EXPECT_THROW(service_->remove_policy(Kind::mobility, "global", "admin"), Forbidden);
  EXPECT_THROW(service_->remove_policy(Kind::mobility, "nobody", "admin"), NotFound);
  EXPECT_THROW(service_->grant(Kind::mobility, "user", "bob@example.org", "nobody", "admin"),
               NotFound);
  EXPECT_THROW(service_->grant(Kind::mobility, "user", "bob", "contractor", "admin"),
               ParameterValidationFailure);
  EXPECT_THROW(service_->grant(Kind::mobility, "group", "staff", "contractor", "admin"),
               ParameterValidationFailure);
  EXPECT_THROW(service_->grant(Kind::mobility, "site", "bad/site", "contractor", "admin"),
               ParameterValidationFailure);
  EXPECT_EQ(audit().size(), before);
  EXPECT_EQ(service_->policies(Kind::mobility).size(), 2u);
  EXPECT_TRUE(service_->assignments(Kind::mobility).empty());
  EXPECT_EQ(changes_.size(), 1u);  // only the first, successful creation was announced
}

TEST_F(PolicyServiceTest, RemovingAPolicyDropsItsAssignments) {
  service_->create_policy(Kind::mobility, "contractor", obj(R"({"EnableMobility": false})"), "admin");
  service_->grant(Kind::mobility, "user", "bob@example.org", "contractor", "admin");
  EXPECT_FALSE(service_->mobility("bob@example.org", "").enable_mobility);
  service_->remove_policy(Kind::mobility, "Contractor", "admin");
  EXPECT_TRUE(service_->mobility("bob@example.org", "").enable_mobility);
  EXPECT_TRUE(service_->assignments(Kind::mobility).empty());
  EXPECT_FALSE(service_->policy(Kind::mobility, "contractor"));
  const auto log = audit();
  EXPECT_EQ(log[0].action, "policy.remove");
  EXPECT_EQ(log[0].target, "mobility/contractor");
  EXPECT_EQ(log[0].new_value, "");
}

TEST_F(PolicyServiceTest, GrantAndRevokeAreAuditedWithTheOldAndNewPolicy) {
  service_->create_policy(Kind::mobility, "a", {}, "admin");
  service_->create_policy(Kind::mobility, "b", {}, "admin");
  service_->grant(Kind::mobility, "user", "bob@example.org", "a", "admin");
  service_->grant(Kind::mobility, "user", "bob@example.org", "b", "admin");
  auto log = audit();
  EXPECT_EQ(log[0].action, "policy.grant");
  EXPECT_EQ(log[0].target, "user bob@example.org");
  EXPECT_EQ(log[0].old_value, "\"a\"");
  EXPECT_EQ(log[0].new_value, "\"b\"");
  const auto assigned = service_->assignments(Kind::mobility);
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].name, "b");

  service_->grant(Kind::mobility, "user", "bob@example.org", "", "admin");
  EXPECT_TRUE(service_->assignments(Kind::mobility).empty());
  log = audit();
  EXPECT_EQ(log[0].old_value, "\"b\"");
  EXPECT_EQ(log[0].new_value, "");
  // Revoking again is not a change.
  const auto before = log.size();
  service_->grant(Kind::mobility, "user", "bob@example.org", "", "admin");
  EXPECT_EQ(audit().size(), before);
}

TEST_F(PolicyServiceTest, ServiceConfigAtGlobalAndSiteScopes) {
  service_->set_service_config(Kind::mcx, "global", obj(R"({"SessionExpirationInterval": 200000})"),
                               "admin");
  service_->set_service_config(Kind::mcx, "Site:field-staff",
                               obj(R"({"sessionshortexpirationinterval": 600})"), "admin");
  const auto r = service_->effective(Kind::mcx, "anyone@example.org", "field-staff");
  EXPECT_EQ(r.values.at("SessionExpirationInterval"), json::value(200000));
  EXPECT_EQ(r.source.at("SessionExpirationInterval"), "global");
  EXPECT_EQ(r.values.at("SessionShortExpirationInterval"), json::value(600));
  EXPECT_EQ(r.source.at("SessionShortExpirationInterval"), "site field-staff");
  EXPECT_EQ(r.source.at("ExposedWebURL"), "config file");
  EXPECT_EQ(service_->mcx("hq").session_short_expiration_interval, 1800u);
  EXPECT_EQ(service_->service_config(Kind::mcx, "site:field-staff"),
            obj(R"({"SessionShortExpirationInterval": 600})"));
  EXPECT_TRUE(service_->service_config(Kind::mcx, "site:hq").empty());

  const auto log = audit();
  EXPECT_EQ(log[0].action, "config.set");
  EXPECT_EQ(log[0].target, "mcx/site:field-staff");
  EXPECT_EQ(changes_, (std::vector<Kind>{Kind::mcx, Kind::mcx}));

  // null removes the setting; an empty scope is removed from the store.
  service_->set_service_config(Kind::mcx, "site:field-staff",
                               obj(R"({"SessionShortExpirationInterval": null})"), "admin");
  EXPECT_TRUE(service_->service_config(Kind::mcx, "site:field-staff").empty());
  EXPECT_EQ(service_->mcx("field-staff").session_short_expiration_interval, 1800u);

  service_->set_service_config(Kind::push, "global", obj(R"({"EnableWebPush": true})"), "admin");
  EXPECT_TRUE(service_->push("anywhere").web_push);
  EXPECT_EQ(changes_.back(), Kind::push);
}

TEST_F(PolicyServiceTest, InconsistentServiceConfigIsRefusedAtEveryScopeItReaches) {
  // Short above the config file's long interval (100000).
  EXPECT_THROW(service_->set_service_config(
                   Kind::mcx, "global", obj(R"({"SessionShortExpirationInterval": 100000})"), "admin"),
               ParameterValidationFailure);
  service_->set_service_config(Kind::mcx, "site:field-staff",
                               obj(R"({"SessionShortExpirationInterval": 50000})"), "admin");
  // Fine globally (40000 > 1800), but field-staff's short interval of 50000 would exceed it.
  try {
    service_->set_service_config(Kind::mcx, "global",
                                 obj(R"({"SessionExpirationInterval": 40000})"), "admin");
    FAIL() << "accepted";
  } catch (const ParameterValidationFailure& e) {
    EXPECT_NE(std::string(e.what()).find("site:field-staff"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("50000"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(service_->service_config(Kind::mcx, "global").empty());
  EXPECT_EQ(service_->mcx("field-staff").session_expiration_interval, 100000u);

  EXPECT_THROW(service_->set_service_config(Kind::webservice, "global",
                                            obj(R"({"MinValidityPeriodHours": 5000})"), "admin"),
               ParameterValidationFailure);
  EXPECT_THROW(service_->set_service_config(Kind::mcx, "tenant:x", {}, "admin"),
               ParameterValidationFailure);
  EXPECT_THROW(service_->set_service_config(Kind::mcx, "site:", {}, "admin"),
               ParameterValidationFailure);
  EXPECT_THROW(service_->set_service_config(Kind::mobility, "global", {}, "admin"),
               ParameterValidationFailure);
  EXPECT_EQ(changes_.size(), 1u);
}

TEST_F(PolicyServiceTest, ANewServiceSeesWhatWasStored) {
  service_->create_policy(Kind::mobility, "contractor", obj(R"({"EnableMobility": false})"), "admin");
  service_->grant(Kind::mobility, "site", "field-staff", "contractor", "admin");
  service_->set_service_config(Kind::webservice, "global",
                               obj(R"({"PendingGetWaitTimeOutInMinutes": 5})"), "admin");
  PolicyService reopened(*store_, config_);
  EXPECT_FALSE(reopened.mobility("bob@example.org", "field-staff").enable_mobility);
  EXPECT_EQ(reopened.webservice("").pending_get_wait_timeout_minutes, 5u);
  EXPECT_EQ(reopened.webservice("").token_lifetime_seconds, 7200u);
}

}  // namespace
}  // namespace parley::policy
