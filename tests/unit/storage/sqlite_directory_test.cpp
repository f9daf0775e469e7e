// Address-book search in the SQLite store: each way a user is found, the ranking, who is left
// out, and an index that follows every write of a user, including ones made before it existed.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "test_support.hpp"

namespace parley::storage {
namespace {

using test::named;
using test::patch_of;
using test::RawDb;
using test::write_database_of_version;
using test::read_file;
using test::TempDir;

UserProfile person(std::string name, std::string email = "", std::string work_phone = "") {
  UserProfile p = named(std::move(name));
  p.email = std::move(email);
  p.phones.work = std::move(work_phone);
  return p;
}

std::vector<std::string> uris(const std::vector<User>& users) {
  std::vector<std::string> out;
  for (const User& u : users) out.push_back(u.sip_uri);
  return out;
}

using Uris = std::vector<std::string>;

class SqliteDirectory : public ::testing::Test {
protected:
  std::vector<std::string> find(std::string_view query, std::size_t limit = 50) {
    return uris(store_->search_directory(query, limit));
  }

  TempDir dir_;
  std::unique_ptr<Store> store_ = open_sqlite_store(dir_.path() / "parley.db");
};

TEST_F(SqliteDirectory, FindsByEachKindOfMatch) {
  store_->create_user("u1@example.org", person("Alice Smith", "a.smith@corp.example",
                                               "+1 (425) 555-0100"),
                      true, "");
  store_->create_user("bob@example.org", person("Bob Jones", "bjones@corp.example"), true, "");

  EXPECT_EQ(find("alice"), Uris{"u1@example.org"});          // start of the display name
  EXPECT_EQ(find("alice sm"), Uris{"u1@example.org"});       // more of it, blank included
  EXPECT_EQ(find("SMI"), Uris{"u1@example.org"});            // a later word, any case
  EXPECT_EQ(find("a.smith@"), Uris{"u1@example.org"});       // email
  EXPECT_EQ(find("u1"), Uris{"u1@example.org"});             // SIP user part
  EXPECT_EQ(find("u1@example.org"), Uris{"u1@example.org"});  // whole SIP URI
  EXPECT_EQ(find("+1 (425) 555"), Uris{"u1@example.org"});   // phone, punctuation ignored
  EXPECT_EQ(find("1425555-01"), Uris{"u1@example.org"});
  EXPECT_EQ(find("bob"), Uris{"bob@example.org"});
  EXPECT_EQ(find("jones"), Uris{"bob@example.org"});
  EXPECT_EQ(find("corp"), Uris{});                           // not the start of anything
  EXPECT_EQ(find("mith"), Uris{});                           // inside a word is no match
  EXPECT_EQ(find("555"), Uris{});                            // phone digits count from the start
  EXPECT_EQ(find("example.org"), Uris{});
}

TEST_F(SqliteDirectory, RanksNamePrefixThenWordThenAddress) {
  store_->create_user("zoe@x.org", person("Zoe", "annz@x.org"), true, "");
  store_->create_user("mary@x.org", person("Mary Ann"), true, "");
  store_->create_user("ab@x.org", person("annette Black"), true, "");
  store_->create_user("ay@x.org", person("Annabel Young"), true, "");
  // Ties by display name, case-insensitively: Annabel before annette.
  EXPECT_EQ(find("ann"), (Uris{"ay@x.org", "ab@x.org", "mary@x.org", "zoe@x.org"}));
}

TEST_F(SqliteDirectory, ExactAddressRanksFirst) {
  store_->create_user("fan@x.org", person("Ann@x.org fan"), true, "");
  store_->create_user("aa@x.org", person("Aa", "ann@x.org.au"), true, "");
  store_->create_user("ann@x.org", person("Zz Top"), true, "");
  store_->create_user("mail@x.org", person("Zz Zz", "Ann@X.org"), true, "");
  EXPECT_EQ(find("ANN@x.org"), (Uris{"ann@x.org", "mail@x.org", "fan@x.org", "aa@x.org"}));
}

TEST_F(SqliteDirectory, PhoneMatchesRankLast) {
  store_->create_user("club@x.org", person("555 Club"), true, "");
  store_->create_user("amy@x.org", person("Amy", "", "555-1234"), true, "");
  UserProfile home = person("Aaron");
  home.phones.home = "(555) 77";
  store_->create_user("aaron@x.org", home, true, "");
  EXPECT_EQ(find("555"), (Uris{"club@x.org", "aaron@x.org", "amy@x.org"}));
  // Two digits are no phone query; they still find text that starts with them.
  EXPECT_EQ(find("55"), Uris{"club@x.org"});
  // A letter makes it text: no phone number starts with "555 c".
  EXPECT_EQ(find("555 c"), Uris{"club@x.org"});
}

TEST_F(SqliteDirectory, DisabledUsersAreNotFound) {
  store_->create_user("alice@x.org", person("Alice"), false, "");
  store_->create_user("alina@x.org", person("Alina"), true, "");
  EXPECT_EQ(find("ali"), Uris{"alina@x.org"});
  store_->update_user("alice@x.org", patch_of(&UserPatch::enabled, true));
  EXPECT_EQ(find("ali"), (Uris{"alice@x.org", "alina@x.org"}));
  store_->update_user("alina@x.org", patch_of(&UserPatch::enabled, false));
  EXPECT_EQ(find("ali"), Uris{"alice@x.org"});
}

TEST_F(SqliteDirectory, ReturnsAtMostLimitBestFirst) {
  for (const char* name : {"Sam E", "Sam B", "Sam D", "Sam A", "Sam C"})
    store_->create_user(std::string(name).substr(4) + "@x.org", person(name), true, "");
  EXPECT_EQ(find("sam", 3), (Uris{"a@x.org", "b@x.org", "c@x.org"}));
  EXPECT_EQ(find("sam", 1), Uris{"a@x.org"});
  EXPECT_EQ(find("sam", 0), Uris{});
  EXPECT_EQ(find("sam").size(), 5u);
}

TEST_F(SqliteDirectory, EmptyQueryFindsNobodyAndLongOneIsRefused) {
  store_->create_user("alice@x.org", person("Alice"), true, "");
  EXPECT_EQ(find(""), Uris{});
  EXPECT_EQ(find("   "), Uris{});
  EXPECT_EQ(find("  alice "), Uris{"alice@x.org"});
  // 256 characters are allowed, counted as characters, not bytes.
  std::string wide;
  for (int i = 0; i < 256; ++i) wide += "\xc3\xa9";  // é
  EXPECT_EQ(find(wide), Uris{});
  EXPECT_THROW(find(wide + "e"), ParameterValidationFailure);
  EXPECT_THROW(find(std::string(257, 'a')), ParameterValidationFailure);
}

TEST_F(SqliteDirectory, NonAsciiNamesMatchAsWritten) {
  store_->create_user("emile@x.org", person("Émile Zola"), true, "");
  EXPECT_EQ(find("Émi"), Uris{"emile@x.org"});
  EXPECT_EQ(find("zol"), Uris{"emile@x.org"});
}

TEST_F(SqliteDirectory, UpdatesReindex) {
  store_->create_user("u1@x.org", person("Alice Smith", "alice@corp.example", "+1 425 555 0100"),
                      true, "");
  ASSERT_EQ(find("alice"), Uris{"u1@x.org"});

  UserPatch patch;
  patch.display_name = "Beatrice Jones";
  patch.phone_work = "+44 20 7946 0000";
  store_->update_user("u1@x.org", patch);
  EXPECT_EQ(find("smith"), Uris{});
  EXPECT_EQ(find("bea"), Uris{"u1@x.org"});
  EXPECT_EQ(find("jon"), Uris{"u1@x.org"});
  EXPECT_EQ(find("1425"), Uris{});
  EXPECT_EQ(find("4420"), Uris{"u1@x.org"});
  // Fields the patch left alone stay searchable.
  EXPECT_EQ(find("alice"), Uris{"u1@x.org"});
  store_->update_user("u1@x.org", patch_of(&UserPatch::email, std::string("bj@corp.example")));
  EXPECT_EQ(find("alice"), Uris{});
  EXPECT_EQ(find("bj@"), Uris{"u1@x.org"});
}

TEST_F(SqliteDirectory, ImportIndexesCreatedAndUpdatedUsers) {
  store_->create_user("old@x.org", person("Oldname"), true, "");
  std::vector<Store::ImportRow> rows(2);
  rows[0].sip_uri = "new@x.org";
  rows[0].profile = person("Newcomer Person", "", "030 1234");
  rows[1].sip_uri = "old@x.org";
  rows[1].profile = person("Renamed");
  store_->import_users(rows);
  EXPECT_EQ(find("newc"), Uris{"new@x.org"});
  EXPECT_EQ(find("person"), Uris{"new@x.org"});
  EXPECT_EQ(find("0301"), Uris{"new@x.org"});
  EXPECT_EQ(find("oldn"), Uris{});
  EXPECT_EQ(find("renamed"), Uris{"old@x.org"});
}

TEST_F(SqliteDirectory, RemovedUsersVanishWithTheirTerms) {
  store_->create_user("alice@x.org", person("Alice", "alice@corp", "123456"), true, "");
  store_->create_user("alina@x.org", person("Alina"), true, "");
  ASSERT_TRUE(store_->remove_user("alice@x.org"));
  EXPECT_EQ(find("ali"), Uris{"alina@x.org"});
  EXPECT_EQ(find("123"), Uris{});
  RawDb raw(dir_.path() / "parley.db");
  EXPECT_EQ(raw.text("SELECT COUNT(*) FROM directory_terms WHERE user_id NOT IN "
                     "(SELECT id FROM users)"),
            "0");
}

// A database written by a build that knew migrations 0001 and 0002 only, made the way that build
// made it. Its users must be searchable right after the upgrade, without being written again.
TEST(SqliteDirectoryMigration, UsersOfAVersion2DatabaseAreSearchable) {
  TempDir dir;
  const auto file = dir.path() / "parley.db";
  write_database_of_version(file, 2);
  {
    RawDb raw(file);
    raw.exec(
        "INSERT INTO users (sip_uri, display_name, email, phone_mobile, enabled, created_at_ms, "
        "updated_at_ms) VALUES "
        "('alice@example.org', 'Alice  Smith', 'Alice.S@Corp.example', '+49 (170) 555-01', TRUE, "
        "5, 6), "
        "('bob@example.org', 'Bob Smith', '', '', FALSE, 5, 6)");
  }

  auto store = open_sqlite_store(file);
  EXPECT_EQ(store->schema_version(), newest_schema_version());
  const auto find = [&](std::string_view q) { return uris(store->search_directory(q, 10)); };
  EXPECT_EQ(find("alice smith"), Uris{"alice@example.org"});
  EXPECT_EQ(find("smi"), Uris{"alice@example.org"});  // Bob is disabled
  EXPECT_EQ(find("alice.s@corp"), Uris{"alice@example.org"});
  EXPECT_EQ(find("4917055501"), Uris{"alice@example.org"});
  EXPECT_EQ(find("alice@example.org"), Uris{"alice@example.org"});
  store->update_user("bob@example.org", patch_of(&UserPatch::enabled, true));
  EXPECT_EQ(find("smi"), (Uris{"alice@example.org", "bob@example.org"}));

  // The users were not rewritten to get there.
  EXPECT_EQ(store->find_user("alice@example.org")->updated_at_ms, 6);
  RawDb raw(file);
  EXPECT_EQ(raw.text("SELECT name FROM schema_migrations WHERE version = 3"), "contacts_photos");
}

}  // namespace
}  // namespace parley::storage
