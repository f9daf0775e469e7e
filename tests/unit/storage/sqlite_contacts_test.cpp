// Contact lists in the SQLite store: built-in and own groups, memberships, the limits, and what
// removing a user takes with her.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "test_support.hpp"

namespace parley::storage {
namespace {

using test::named;
using test::RawDb;
using test::TempDir;

std::vector<std::string> names(const std::vector<ContactGroup>& groups) {
  std::vector<std::string> out;
  for (const ContactGroup& g : groups) out.push_back(g.name);
  return out;
}

using Names = std::vector<std::string>;

GroupMembership member(std::string uri, std::int64_t group_id) {
  GroupMembership m;
  m.contact_uri = std::move(uri);
  m.group_id = group_id;
  return m;
}

// Memberships without their timestamps, for comparing with expectations.
std::vector<GroupMembership> without_times(std::vector<GroupMembership> memberships) {
  for (GroupMembership& m : memberships) m.added_at_ms = 0;
  return memberships;
}

template <class F>
std::string subcode_of(F&& call) {
  try {
    call();
  } catch (const ApiError& e) {
    return e.code() + "/" + e.subcode();
  }
  return "no error";
}

class SqliteContacts : public ::testing::Test {
protected:
  void SetUp() override {
    store_->create_user("alice@x.org", named("Alice"), true, "");
    store_->create_user("bob@x.org", named("Bob"), true, "");
  }

  std::int64_t group_id(std::string_view owner, std::string_view kind) {
    for (const ContactGroup& g : store_->list_groups(owner))
      if (g.kind == kind) return g.id;
    ADD_FAILURE() << "no " << kind << " group";
    return 0;
  }

  TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "parley.db";
  std::unique_ptr<Store> store_ = open_sqlite_store(file_);
};

TEST_F(SqliteContacts, ListingCreatesTheBuiltInGroupsOnce) {
  const auto first = store_->list_groups("alice@x.org");
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].kind, "pinned");
  EXPECT_EQ(first[0].name, "Favorites");
  EXPECT_EQ(first[1].kind, "default");
  EXPECT_EQ(first[1].name, "Other Contacts");
  EXPECT_NE(first[0].id, first[1].id);
  EXPECT_EQ(store_->list_groups("ALICE@x.org"), first);
  // Each user has her own.
  const auto bobs = store_->list_groups("bob@x.org");
  ASSERT_EQ(bobs.size(), 2u);
  EXPECT_NE(bobs[0].id, first[0].id);
  EXPECT_TRUE(store_->list_groups("nobody@x.org").empty());
}

TEST_F(SqliteContacts, OwnGroupsFollowTheBuiltInOnesByName) {
  // Creating a group before ever listing still yields the built-ins.
  const ContactGroup team = store_->create_group("alice@x.org", "team");
  EXPECT_EQ(team.kind, "user");
  EXPECT_EQ(team.name, "team");
  EXPECT_GT(team.id, 0);
  store_->create_group("alice@x.org", "Family");
  store_->create_group("alice@x.org", "Abc");
  EXPECT_EQ(names(store_->list_groups("alice@x.org")),
            (Names{"Favorites", "Other Contacts", "Abc", "Family", "team"}));
  EXPECT_EQ(store_->list_groups("alice@x.org")[4], team);
  EXPECT_EQ(store_->list_groups("bob@x.org").size(), 2u);
}

TEST_F(SqliteContacts, GroupNamesAreUniquePerOwnerIgnoringCase) {
  store_->create_group("alice@x.org", "Team");
  EXPECT_THROW(store_->create_group("alice@x.org", "TEAM"), Conflict);
  EXPECT_THROW(store_->create_group("alice@x.org", "favorites"), Conflict);
  EXPECT_NO_THROW(store_->create_group("bob@x.org", "team"));
  EXPECT_EQ(store_->list_groups("alice@x.org").size(), 3u);
}

TEST_F(SqliteContacts, GroupNamesAreChecked) {
  EXPECT_THROW(store_->create_group("alice@x.org", ""), ParameterValidationFailure);
  EXPECT_THROW(store_->create_group("alice@x.org", "   "), ParameterValidationFailure);
  EXPECT_THROW(store_->create_group("alice@x.org", "a\nb"), ParameterValidationFailure);
  EXPECT_THROW(store_->create_group("alice@x.org", std::string(257, 'g')),
               ParameterValidationFailure);
  EXPECT_NO_THROW(store_->create_group("alice@x.org", std::string(256, 'g')));
  std::string wide;
  for (int i = 0; i < 256; ++i) wide += "\xc3\xa9";  // 256 characters, 512 bytes
  EXPECT_NO_THROW(store_->create_group("alice@x.org", wide));
  EXPECT_THROW(store_->create_group("nobody@x.org", "Team"), NotFound);
}

TEST_F(SqliteContacts, AtMost64GroupsCountingTheBuiltIns) {
  for (int i = 0; i < 62; ++i) store_->create_group("alice@x.org", "g" + std::to_string(i));
  EXPECT_EQ(store_->list_groups("alice@x.org").size(), 64u);
  EXPECT_EQ(subcode_of([&] { store_->create_group("alice@x.org", "one more"); }),
            "Forbidden/LimitExceeded");
  EXPECT_EQ(store_->list_groups("alice@x.org").size(), 64u);
  // Removing one makes room again.
  store_->remove_group("alice@x.org", store_->list_groups("alice@x.org")[2].id);
  EXPECT_NO_THROW(store_->create_group("alice@x.org", "one more"));
}

TEST_F(SqliteContacts, RenamingAGroup) {
  const auto team = store_->create_group("alice@x.org", "Team");
  store_->create_group("alice@x.org", "Family");
  EXPECT_TRUE(store_->rename_group("alice@x.org", team.id, "Zebras"));
  EXPECT_EQ(names(store_->list_groups("alice@x.org")),
            (Names{"Favorites", "Other Contacts", "Family", "Zebras"}));
  EXPECT_TRUE(store_->rename_group("alice@x.org", team.id, "ZEBRAS"));  // its own name, recased
  EXPECT_THROW(store_->rename_group("alice@x.org", team.id, "family"), Conflict);
  EXPECT_THROW(store_->rename_group("alice@x.org", team.id, ""), ParameterValidationFailure);
  EXPECT_FALSE(store_->rename_group("bob@x.org", team.id, "Mine"));  // not Bob's
  EXPECT_FALSE(store_->rename_group("alice@x.org", team.id + 100, "Nope"));
  EXPECT_EQ(names(store_->list_groups("alice@x.org")),
            (Names{"Favorites", "Other Contacts", "Family", "ZEBRAS"}));
}

TEST_F(SqliteContacts, BuiltInGroupsCannotBeRenamedOrRemoved) {
  const auto pinned = group_id("alice@x.org", "pinned");
  const auto other = group_id("alice@x.org", "default");
  EXPECT_EQ(subcode_of([&] { store_->rename_group("alice@x.org", pinned, "Best"); }), "Forbidden/");
  EXPECT_EQ(subcode_of([&] { store_->remove_group("alice@x.org", other); }), "Forbidden/");
  EXPECT_EQ(names(store_->list_groups("alice@x.org")), (Names{"Favorites", "Other Contacts"}));
}

TEST_F(SqliteContacts, RemovingAGroupRemovesItsMemberships) {
  const auto team = store_->create_group("alice@x.org", "Team");
  const auto other = group_id("alice@x.org", "default");
  store_->add_membership("alice@x.org", "carol@y.org", team.id);
  store_->add_membership("alice@x.org", "carol@y.org", other);
  store_->add_membership("alice@x.org", "dave@y.org", team.id);
  EXPECT_FALSE(store_->remove_group("bob@x.org", team.id));
  EXPECT_TRUE(store_->remove_group("alice@x.org", team.id));
  EXPECT_FALSE(store_->remove_group("alice@x.org", team.id));
  EXPECT_EQ(without_times(store_->list_memberships("alice@x.org")),
            (std::vector{member("carol@y.org", other)}));
}

TEST_F(SqliteContacts, MembershipsAddListAndRemove) {
  const auto team = store_->create_group("alice@x.org", "Team");
  const auto pinned = group_id("alice@x.org", "pinned");
  EXPECT_TRUE(store_->add_membership("alice@x.org", "dave@y.org", team.id));
  EXPECT_TRUE(store_->add_membership("alice@x.org", "sip:Carol@Y.org", pinned));
  EXPECT_TRUE(store_->add_membership("alice@x.org", "carol@y.org", team.id));
  EXPECT_FALSE(store_->add_membership("alice@x.org", "CAROL@y.org", team.id));  // already there

  const auto listed = store_->list_memberships("alice@x.org");
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_GT(listed[0].added_at_ms, 0);
  // By contact, then by group id (the pinned group was made first).
  EXPECT_EQ(without_times(listed),
            (std::vector{member("carol@y.org", pinned), member("carol@y.org", team.id),
                         member("dave@y.org", team.id)}));
  EXPECT_TRUE(store_->list_memberships("bob@x.org").empty());

  EXPECT_TRUE(store_->remove_membership("alice@x.org", "carol@y.org", team.id));
  EXPECT_FALSE(store_->remove_membership("alice@x.org", "carol@y.org", team.id));
  EXPECT_FALSE(store_->remove_membership("bob@x.org", "carol@y.org", pinned));
  EXPECT_EQ(without_times(store_->list_memberships("alice@x.org")),
            (std::vector{member("carol@y.org", pinned), member("dave@y.org", team.id)}));
}

TEST_F(SqliteContacts, AddingToAGroupThatIsNotTheOwnersIsNotFound) {
  const auto alices = store_->create_group("alice@x.org", "Team");
  EXPECT_THROW(store_->add_membership("bob@x.org", "carol@y.org", alices.id), NotFound);
  EXPECT_THROW(store_->add_membership("alice@x.org", "carol@y.org", alices.id + 100), NotFound);
  EXPECT_THROW(store_->add_membership("nobody@x.org", "carol@y.org", alices.id), NotFound);
  EXPECT_THROW(store_->add_membership("alice@x.org", "", alices.id), ParameterValidationFailure);
  EXPECT_THROW(store_->add_membership("alice@x.org", "sip:", alices.id),
               ParameterValidationFailure);
  EXPECT_TRUE(store_->list_memberships("bob@x.org").empty());
  EXPECT_TRUE(store_->list_memberships("alice@x.org").empty());
}

TEST_F(SqliteContacts, RemovingAContactTakesItOutOfEveryGroup) {
  const auto team = store_->create_group("alice@x.org", "Team");
  const auto pinned = group_id("alice@x.org", "pinned");
  store_->add_membership("alice@x.org", "carol@y.org", team.id);
  store_->add_membership("alice@x.org", "carol@y.org", pinned);
  store_->add_membership("alice@x.org", "dave@y.org", pinned);
  EXPECT_EQ(store_->remove_contact("alice@x.org", "sip:CAROL@y.org"), 2u);
  EXPECT_EQ(store_->remove_contact("alice@x.org", "carol@y.org"), 0u);
  EXPECT_EQ(store_->remove_contact("bob@x.org", "dave@y.org"), 0u);
  EXPECT_EQ(without_times(store_->list_memberships("alice@x.org")),
            (std::vector{member("dave@y.org", pinned)}));
}

TEST_F(SqliteContacts, AtMost1000DistinctContacts) {
  const auto pinned = group_id("alice@x.org", "pinned");
  const auto other = group_id("alice@x.org", "default");
  // 999 contacts written directly: a thousand separate durable writes would be slow for a test.
  RawDb raw(file_);
  raw.exec(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 999) "
      "INSERT INTO group_memberships (owner_id, contact_uri, group_id, added_at_ms) "
      "SELECT (SELECT id FROM users WHERE sip_uri = 'alice@x.org'), 'c' || i || '@y.org', " +
      std::to_string(other) + ", 1 FROM n");
  EXPECT_TRUE(store_->add_membership("alice@x.org", "last@y.org", other));
  EXPECT_EQ(subcode_of([&] { store_->add_membership("alice@x.org", "extra@y.org", pinned); }),
            "Forbidden/LimitExceeded");
  // A contact already on the list may join another group.
  EXPECT_TRUE(store_->add_membership("alice@x.org", "c7@y.org", pinned));
  EXPECT_EQ(store_->list_memberships("alice@x.org").size(), 1001u);
  // Bob's list is his own.
  EXPECT_TRUE(store_->add_membership("bob@x.org", "extra@y.org", group_id("bob@x.org", "pinned")));
  // Making room lets the next one in.
  EXPECT_EQ(store_->remove_contact("alice@x.org", "c7@y.org"), 2u);
  EXPECT_TRUE(store_->add_membership("alice@x.org", "extra@y.org", pinned));
}

TEST_F(SqliteContacts, RemovingAUserTakesHerListAndPhotoAlong) {
  const auto team = store_->create_group("alice@x.org", "Team");
  store_->add_membership("alice@x.org", "bob@x.org", team.id);
  store_->add_membership("bob@x.org", "alice@x.org", group_id("bob@x.org", "pinned"));
  Photo photo;
  photo.content_type = "image/png";
  photo.bytes = "png";
  store_->put_photo("alice@x.org", photo);

  ASSERT_TRUE(store_->remove_user("alice@x.org"));
  RawDb raw(file_);
  EXPECT_EQ(raw.text("SELECT COUNT(*) FROM contact_groups WHERE owner_id NOT IN "
                     "(SELECT id FROM users)"),
            "0");
  EXPECT_EQ(raw.text("SELECT COUNT(*) FROM group_memberships WHERE owner_id NOT IN "
                     "(SELECT id FROM users)"),
            "0");
  EXPECT_EQ(raw.text("SELECT COUNT(*) FROM photos"), "0");
  // Others keep her on their lists: a contact is an address, not an account.
  EXPECT_EQ(store_->list_memberships("bob@x.org").size(), 1u);

  // Someone new under the same address starts with an empty list and no photo.
  store_->create_user("alice@x.org", named("Alice Again"), true, "");
  EXPECT_EQ(names(store_->list_groups("alice@x.org")), (Names{"Favorites", "Other Contacts"}));
  EXPECT_TRUE(store_->list_memberships("alice@x.org").empty());
  EXPECT_FALSE(store_->find_photo("alice@x.org"));
}

TEST_F(SqliteContacts, ListsSurviveReopening) {
  const auto team = store_->create_group("alice@x.org", "Team");
  store_->add_membership("alice@x.org", "carol@y.org", team.id);
  const auto groups = store_->list_groups("alice@x.org");
  store_.reset();
  store_ = open_sqlite_store(file_);
  EXPECT_EQ(store_->list_groups("alice@x.org"), groups);
  EXPECT_EQ(without_times(store_->list_memberships("alice@x.org")),
            (std::vector{member("carol@y.org", team.id)}));
}

}  // namespace
}  // namespace parley::storage
