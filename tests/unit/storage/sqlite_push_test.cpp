// Push registrations in the SQLite store: one per (owner, device), re-registration replacing it
// in place, the limits a registration is held to, delivery health, what removing a user does to
// them, an iPhone's PushKit token beside its alert token, and the upgrades of schema version 7
// and 8 databases.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "test_support.hpp"

namespace parley::storage {
namespace {

using test::named;
using test::RawDb;
using test::write_database_of_version;
using test::read_file;
using test::TempDir;

PushRegistration registration_of(std::string id, std::string owner, std::string endpoint_id,
                                 std::string token, std::int64_t at_ms = 1000) {
  PushRegistration r;
  r.id = std::move(id);
  r.owner = std::move(owner);
  r.endpoint_id = std::move(endpoint_id);
  r.provider = "apns";
  r.token = std::move(token);
  r.app_id = "org.example.parley";
  r.locale = "en-US";
  r.device_name = "Alice's phone";
  r.created_at_ms = at_ms;
  r.updated_at_ms = at_ms;
  return r;
}

std::vector<std::string> ids_of(const std::vector<PushRegistration>& all) {
  std::vector<std::string> out;
  for (const auto& r : all) out.push_back(r.id);
  return out;
}

class SqlitePush : public ::testing::Test {
protected:
  void SetUp() override { store_ = open_sqlite_store(file_); }
  std::string rows() { return RawDb(file_).text("SELECT COUNT(*) FROM push_registrations"); }

  TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "parley.db";
  std::unique_ptr<Store> store_;
};

TEST_F(SqlitePush, ARegistrationIsFoundByIdByDeviceAndInItsOwnersList) {
  PushRegistration in = registration_of("r1", "Alice@Example.ORG", "endpoint-1", "a1b2c3");
  in.voip = true;
  in.environment = "development";
  const PushRegistration stored = store_->put_push_registration(in);
  EXPECT_EQ(stored.id, "r1");
  EXPECT_EQ(stored.owner, "alice@example.org");
  EXPECT_EQ(stored.created_at_ms, 1000);

  const auto found = store_->find_push_registration("r1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->owner, "alice@example.org");
  EXPECT_EQ(found->endpoint_id, "endpoint-1");
  EXPECT_EQ(found->provider, "apns");
  EXPECT_EQ(found->token, "a1b2c3");
  EXPECT_EQ(found->app_id, "org.example.parley");
  EXPECT_EQ(found->environment, "development");
  EXPECT_TRUE(found->voip);
  EXPECT_EQ(found->locale, "en-US");
  EXPECT_EQ(found->device_name, "Alice's phone");
  EXPECT_EQ(found->last_attempt_ms, 0);
  EXPECT_EQ(found->last_error, "");

  const auto of = store_->find_push_registration_of("ALICE@example.org", "endpoint-1");
  ASSERT_TRUE(of);
  EXPECT_EQ(of->id, "r1");
  EXPECT_FALSE(store_->find_push_registration_of("alice@example.org", "endpoint-2"));
  EXPECT_FALSE(store_->find_push_registration_of("bob@example.org", "endpoint-1"));
  EXPECT_FALSE(store_->find_push_registration("r2"));
  EXPECT_FALSE(store_->find_push_registration(""));

  EXPECT_EQ(ids_of(store_->list_push_registrations("alice@EXAMPLE.org")),
            (std::vector<std::string>{"r1"}));
  EXPECT_TRUE(store_->list_push_registrations("bob@example.org").empty());
}

TEST_F(SqlitePush, WebPushKeysAreKept) {
  PushRegistration in = registration_of("w1", "alice@example.org", "browser", "https://push.example/x");
  in.provider = "webpush";
  in.p256dh = "BPublicKey";
  in.auth = "secret";
  store_->put_push_registration(in);
  const auto found = store_->find_push_registration("w1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->provider, "webpush");
  EXPECT_EQ(found->p256dh, "BPublicKey");
  EXPECT_EQ(found->auth, "secret");
}

TEST_F(SqlitePush, RegisteringTheSameDeviceAgainReplacesItInPlace) {
  store_->put_push_registration(registration_of("r1", "alice@example.org", "phone", "old", 1000));
  ASSERT_TRUE(store_->record_push_attempt("r1", 1500, true, 200, ""));
  ASSERT_TRUE(store_->record_push_attempt("r1", 1600, false, 410, "Unregistered"));

  PushRegistration again = registration_of("r2", "ALICE@example.org", "phone", "new", 5000);
  again.updated_at_ms = 6000;
  again.device_name = "Renamed";
  again.provider = "fcm";
  const PushRegistration stored = store_->put_push_registration(again);

  EXPECT_EQ(stored.id, "r1");
  EXPECT_EQ(stored.created_at_ms, 1000);
  EXPECT_EQ(stored.updated_at_ms, 6000);
  EXPECT_EQ(stored.token, "new");
  EXPECT_EQ(stored.provider, "fcm");
  EXPECT_EQ(stored.device_name, "Renamed");
  EXPECT_EQ(stored.last_attempt_ms, 0);
  EXPECT_EQ(stored.last_success_ms, 0);
  EXPECT_EQ(stored.last_status, 0);
  EXPECT_EQ(stored.last_error, "");

  EXPECT_EQ(rows(), "1");
  EXPECT_FALSE(store_->find_push_registration("r2"));
  const auto found = store_->find_push_registration("r1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->token, "new");
  EXPECT_EQ(found->last_error, "");
  EXPECT_EQ(found->last_status, 0);
}

TEST_F(SqlitePush, AnIphoneKeepsItsPushKitTokenBesideItsAlertTokenUntilItRegistersWithout) {
  PushRegistration in = registration_of("r1", "alice@example.org", "phone", "a1e7");
  in.voip_token = "b0b0";
  EXPECT_EQ(store_->put_push_registration(in).voip_token, "b0b0");
  auto found = store_->find_push_registration_of("alice@example.org", "phone");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->token, "a1e7");
  EXPECT_EQ(found->voip_token, "b0b0");
  EXPECT_FALSE(found->voip);
  EXPECT_EQ(store_->list_push_registrations("alice@example.org").at(0).voip_token, "b0b0");

  // A new PushKit token replaces the old one; a re-registration without one clears it.
  in.voip_token = "c0c0";
  EXPECT_EQ(store_->put_push_registration(in).voip_token, "c0c0");
  in.voip_token.clear();
  EXPECT_EQ(store_->put_push_registration(in).voip_token, "");
  EXPECT_EQ(store_->find_push_registration("r1")->voip_token, "");
  EXPECT_EQ(store_->find_push_registration("r1")->token, "a1e7");
  EXPECT_EQ(rows(), "1");
}

TEST_F(SqlitePush, TwoDevicesAreTwoRegistrationsListedOldestFirst) {
  store_->put_push_registration(registration_of("tablet", "alice@example.org", "e2", "t2", 2000));
  store_->put_push_registration(registration_of("phone", "alice@example.org", "e1", "t1", 1000));
  store_->put_push_registration(registration_of("bobs", "bob@example.org", "e1", "t3", 500));

  EXPECT_EQ(ids_of(store_->list_push_registrations("alice@example.org")),
            (std::vector<std::string>{"phone", "tablet"}));
  EXPECT_EQ(ids_of(store_->list_push_registrations("bob@example.org")),
            (std::vector<std::string>{"bobs"}));
  EXPECT_EQ(rows(), "3");
}

TEST_F(SqlitePush, FieldsOutOfTheirLimitsAreRefusedAndNothingIsWritten) {
  struct Case {
    std::string field;  // what the message must name
    std::function<void(PushRegistration&)> spoil;
  };
  const std::string e_acute = "\xC3\xA9";
  const std::vector<Case> cases = {
      {"id", [](PushRegistration& r) { r.id.clear(); }},
      {"id", [](PushRegistration& r) { r.id = std::string(65, 'x'); }},
      {"endpoint id", [](PushRegistration& r) { r.endpoint_id.clear(); }},
      {"endpoint id", [](PushRegistration& r) { r.endpoint_id = std::string(257, 'e'); }},
      {"SIP URI", [](PushRegistration& r) { r.owner.clear(); }},
      {"provider", [](PushRegistration& r) { r.provider = "gcm"; }},
      {"provider", [](PushRegistration& r) { r.provider = "APNS"; }},
      {"token", [](PushRegistration& r) { r.token.clear(); }},
      {"token", [](PushRegistration& r) { r.token = std::string(4097, 'f'); }},
      {"VoIP push token", [](PushRegistration& r) { r.voip_token = std::string(4097, 'f'); }},
      {"VoIP push token",
       [](PushRegistration& r) {
         r.provider = "fcm";
         r.voip_token = "b0b0";
       }},
      {"VoIP push token",
       [](PushRegistration& r) {
         r.voip = true;
         r.voip_token = "b0b0";
       }},
      {"p256dh", [](PushRegistration& r) { r.p256dh = std::string(257, 'k'); }},
      {"auth", [](PushRegistration& r) { r.auth = std::string(257, 'k'); }},
      {"app id", [](PushRegistration& r) { r.app_id = std::string(256, 'a'); }},
      {"environment", [](PushRegistration& r) { r.environment = "sandbox"; }},
      {"locale", [](PushRegistration& r) { r.locale = std::string(36, 'l'); }},
      {"device name",
       [&](PushRegistration& r) {
         r.device_name.clear();
         for (int i = 0; i < 101; ++i) r.device_name += e_acute;
       }},
  };
  for (const Case& c : cases) {
    PushRegistration r = registration_of("r1", "alice@example.org", "phone", "t");
    c.spoil(r);
    try {
      store_->put_push_registration(r);
      ADD_FAILURE() << "accepted a bad " << c.field;
    } catch (const ParameterValidationFailure& e) {
      EXPECT_NE(std::string(e.what()).find(c.field), std::string::npos)
          << "message \"" << e.what() << "\" does not name " << c.field;
    }
    EXPECT_EQ(rows(), "0") << c.field;
  }

  // Right at the limits is fine; names are counted in characters, not bytes.
  PushRegistration edge = registration_of(std::string(64, 'i'), "alice@example.org",
                                          std::string(256, 'e'), std::string(4096, 'f'));
  edge.p256dh = std::string(256, 'k');
  edge.auth = std::string(256, 'k');
  edge.app_id = std::string(255, 'a');
  edge.locale = std::string(35, 'l');
  edge.device_name.clear();
  for (int i = 0; i < 100; ++i) edge.device_name += e_acute;
  edge.voip_token = std::string(4096, 'f');
  EXPECT_EQ(store_->put_push_registration(edge).token.size(), 4096U);
  EXPECT_EQ(store_->find_push_registration(edge.id)->voip_token.size(), 4096U);
  EXPECT_EQ(rows(), "1");
}

TEST_F(SqlitePush, ARefusedReplacementLeavesTheRegistrationAsItWas) {
  store_->put_push_registration(registration_of("r1", "alice@example.org", "phone", "good"));
  PushRegistration bad = registration_of("r1", "alice@example.org", "phone", "better");
  bad.environment = "staging";
  EXPECT_THROW(store_->put_push_registration(bad), ParameterValidationFailure);
  EXPECT_EQ(store_->find_push_registration("r1")->token, "good");
}

TEST_F(SqlitePush, AnIdThatBelongsToAnotherDeviceIsAConflict) {
  store_->put_push_registration(registration_of("r1", "alice@example.org", "phone", "t1"));
  EXPECT_THROW(
      store_->put_push_registration(registration_of("r1", "alice@example.org", "tablet", "t2")),
      Conflict);
  EXPECT_THROW(
      store_->put_push_registration(registration_of("r1", "bob@example.org", "phone", "t3")),
      Conflict);
  EXPECT_EQ(rows(), "1");
  EXPECT_EQ(store_->find_push_registration("r1")->token, "t1");
  EXPECT_FALSE(store_->find_push_registration_of("alice@example.org", "tablet"));
}

TEST_F(SqlitePush, AnOwnerHasAtMostAHundredRegistrations) {
  for (int i = 0; i < 100; ++i)
    store_->put_push_registration(registration_of("r" + std::to_string(i), "alice@example.org",
                                                  "device-" + std::to_string(i), "t", 1000 + i));
  EXPECT_THROW(store_->put_push_registration(
                   registration_of("r100", "alice@example.org", "device-100", "t")),
               Conflict);
  EXPECT_EQ(store_->list_push_registrations("alice@example.org").size(), 100U);
  EXPECT_FALSE(store_->find_push_registration("r100"));

  // Re-registering one of her devices does not add one; someone else is not affected.
  EXPECT_EQ(store_->put_push_registration(
                      registration_of("other", "alice@example.org", "device-7", "fresh"))
                .id,
            "r7");
  EXPECT_NO_THROW(store_->put_push_registration(
      registration_of("b1", "bob@example.org", "device-0", "t")));
  EXPECT_EQ(rows(), "101");
}

TEST_F(SqlitePush, DeletingARegistrationRemovesOnlyThatOne) {
  store_->put_push_registration(registration_of("r1", "alice@example.org", "phone", "t1", 1000));
  store_->put_push_registration(registration_of("r2", "alice@example.org", "tablet", "t2", 2000));
  EXPECT_TRUE(store_->delete_push_registration("r1"));
  EXPECT_FALSE(store_->find_push_registration("r1"));
  EXPECT_FALSE(store_->delete_push_registration("r1"));
  EXPECT_FALSE(store_->delete_push_registration(""));
  EXPECT_EQ(ids_of(store_->list_push_registrations("alice@example.org")),
            (std::vector<std::string>{"r2"}));

  // The device can register again afresh, under a new id.
  store_->put_push_registration(registration_of("r3", "alice@example.org", "phone", "t3", 3000));
  EXPECT_EQ(ids_of(store_->list_push_registrations("alice@example.org")),
            (std::vector<std::string>{"r2", "r3"}));
}

TEST_F(SqlitePush, DeliveryAttemptsKeepTheDevicesHealth) {
  store_->put_push_registration(registration_of("r1", "alice@example.org", "phone", "t1"));
  store_->put_push_registration(registration_of("r2", "alice@example.org", "tablet", "t2"));

  ASSERT_TRUE(store_->record_push_attempt("r1", 2000, false, 429, "TooManyRequests"));
  auto r = store_->find_push_registration("r1");
  EXPECT_EQ(r->last_attempt_ms, 2000);
  EXPECT_EQ(r->last_success_ms, 0);
  EXPECT_EQ(r->last_status, 429);
  EXPECT_EQ(r->last_error, "TooManyRequests");

  ASSERT_TRUE(store_->record_push_attempt("r1", 3000, true, 200, "ignored"));
  r = store_->find_push_registration("r1");
  EXPECT_EQ(r->last_attempt_ms, 3000);
  EXPECT_EQ(r->last_success_ms, 3000);
  EXPECT_EQ(r->last_status, 200);
  EXPECT_EQ(r->last_error, "");

  // No answer at all: the last success stays what it was.
  ASSERT_TRUE(store_->record_push_attempt("r1", 4000, false, 0, "timed out"));
  r = store_->find_push_registration("r1");
  EXPECT_EQ(r->last_attempt_ms, 4000);
  EXPECT_EQ(r->last_success_ms, 3000);
  EXPECT_EQ(r->last_status, 0);
  EXPECT_EQ(r->last_error, "timed out");

  // The other device is untouched; an unknown one is reported as such.
  EXPECT_EQ(store_->find_push_registration("r2")->last_attempt_ms, 0);
  EXPECT_FALSE(store_->record_push_attempt("nope", 5000, true, 200, ""));
  EXPECT_FALSE(store_->record_push_attempt("", 5000, true, 200, ""));
}

TEST_F(SqlitePush, RemovingAUserRemovesHerRegistrationsOnly) {
  store_->create_user("alice@example.org", named("Alice"), true, "");
  store_->create_user("bob@example.org", named("Bob"), true, "");
  store_->put_push_registration(registration_of("a1", "alice@example.org", "phone", "t1"));
  store_->put_push_registration(registration_of("a2", "alice@example.org", "tablet", "t2"));
  store_->put_push_registration(registration_of("b1", "bob@example.org", "phone", "t3"));

  ASSERT_TRUE(store_->remove_user("Alice@example.org"));
  EXPECT_TRUE(store_->list_push_registrations("alice@example.org").empty());
  EXPECT_FALSE(store_->find_push_registration("a1"));
  EXPECT_EQ(ids_of(store_->list_push_registrations("bob@example.org")),
            (std::vector<std::string>{"b1"}));
  EXPECT_EQ(rows(), "1");
}

TEST_F(SqlitePush, RegistrationsSurviveAReopen) {
  store_->put_push_registration(registration_of("r1", "alice@example.org", "phone", "t1"));
  store_->record_push_attempt("r1", 2000, false, 410, "Unregistered");
  store_.reset();
  store_ = open_sqlite_store(file_);
  const auto r = store_->find_push_registration("r1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->token, "t1");
  EXPECT_EQ(r->last_error, "Unregistered");
}

// A database written by a build that knew migrations 0001 to 0007: it gains the push table and
// keeps what it had.
TEST(SqlitePushMigration, AVersion7DatabaseIsUpgraded) {
  TempDir dir;
  const auto file = dir.path() / "parley.db";
  write_database_of_version(file, 7);
  {
    RawDb raw(file);
    raw.exec(
        "INSERT INTO users (sip_uri, display_name, enabled, created_at_ms, updated_at_ms)"
        " VALUES ('bob@example.org', 'Bob', TRUE, 5, 6)");
  }

  auto store = open_sqlite_store(file);
  EXPECT_EQ(store->schema_version(), newest_schema_version());
  EXPECT_GE(store->schema_version(), 8);
  EXPECT_EQ(store->find_user("bob@example.org")->updated_at_ms, 6);
  EXPECT_TRUE(store->list_push_registrations("bob@example.org").empty());

  store->put_push_registration(registration_of("r1", "bob@example.org", "phone", "t1"));
  EXPECT_EQ(ids_of(store->list_push_registrations("bob@example.org")),
            (std::vector<std::string>{"r1"}));
  RawDb raw(file);
  EXPECT_EQ(raw.text("SELECT name FROM schema_migrations WHERE version = 8"),
            "push_registrations");
}

// A database of version 8 with a registration: 0009 gives it an empty VoIP token, and the column
// then keeps one.
TEST(SqlitePushMigration, AVersion8DatabaseGainsTheVoipTokenColumn) {
  TempDir dir;
  const auto file = dir.path() / "parley.db";
  write_database_of_version(file, 8);
  {
    RawDb raw(file);
    raw.exec(
        "INSERT INTO push_registrations (id, owner, endpoint_id, provider, token, voip,"
        " created_at_ms, updated_at_ms) VALUES ('r1', 'bob@example.org', 'phone', 'apns',"
        " 'a1e7', TRUE, 5, 6)");
  }

  auto store = open_sqlite_store(file);
  EXPECT_EQ(store->schema_version(), newest_schema_version());
  EXPECT_GE(store->schema_version(), 9);
  const auto old = store->find_push_registration("r1");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->token, "a1e7");
  EXPECT_TRUE(old->voip);
  EXPECT_EQ(old->voip_token, "");

  PushRegistration both = *old;
  both.voip = false;
  both.voip_token = "b0b0";
  store->put_push_registration(both);
  EXPECT_EQ(store->find_push_registration("r1")->voip_token, "b0b0");
  RawDb raw(file);
  EXPECT_EQ(raw.text("SELECT name FROM schema_migrations WHERE version = 9"), "push_voip_token");
  EXPECT_EQ(raw.text("SELECT voip_token FROM push_registrations WHERE id = 'r1'"), "b0b0");
}

}  // namespace
}  // namespace parley::storage
