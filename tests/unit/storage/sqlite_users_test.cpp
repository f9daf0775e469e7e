// Users in the SQLite store: field round trips, case-insensitive identity, partial updates,
// paging, passwords, limits and concurrent use.

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "test_support.hpp"

namespace parley::storage {
namespace {

using test::named;
using test::page;
using test::patch_of;
using test::TempDir;
using test::titled;

UserProfile full_profile() {
  UserProfile p;
  p.display_name = "Alice Example";
  p.email = "alice@example.org";
  p.title = "Engineer";
  p.department = "R&D";
  p.office = "Berlin 3.14";
  p.phones = {"+49 30 1234", "+49 170 5555", "+49 30 9999", "x42"};
  p.site = "berlin";
  return p;
}

class SqliteUsers : public ::testing::Test {
protected:
  TempDir dir_;
  std::unique_ptr<Store> store_ = open_sqlite_store(dir_.path() / "parley.db");
};

TEST_F(SqliteUsers, EveryFieldRoundTrips) {
  const UserProfile profile = full_profile();
  const User created = store_->create_user("alice@example.org", profile, false, "$argon2id$x");
  EXPECT_GT(created.id, 0);
  EXPECT_GT(created.created_at_ms, 0);
  EXPECT_EQ(created.updated_at_ms, created.created_at_ms);

  const auto found = store_->find_user("alice@example.org");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, created.id);
  EXPECT_EQ(found->sip_uri, "alice@example.org");
  EXPECT_EQ(found->profile, profile);
  EXPECT_EQ(found->profile.phones.other, "x42");
  EXPECT_FALSE(found->enabled);
  EXPECT_TRUE(found->has_password);
  EXPECT_EQ(found->created_at_ms, created.created_at_ms);
  EXPECT_EQ(found->updated_at_ms, created.updated_at_ms);
  EXPECT_EQ(store_->password_hash("alice@example.org"), "$argon2id$x");
  EXPECT_EQ(store_->count_users(), 1u);
}

TEST_F(SqliteUsers, UnknownUserIsNotFound) {
  EXPECT_FALSE(store_->find_user("nobody@example.org"));
  EXPECT_FALSE(store_->find_user(""));
  EXPECT_FALSE(store_->password_hash("nobody@example.org"));
  EXPECT_FALSE(store_->remove_user("nobody@example.org"));
  EXPECT_FALSE(store_->set_password_hash("nobody@example.org", "h"));
  EXPECT_FALSE(store_->update_user("nobody@example.org", patch_of(&UserPatch::title, "x")));
  EXPECT_EQ(store_->count_users(), 0u);
}

TEST_F(SqliteUsers, SipUriIsStoredLowerCaseAndMatchedCaseInsensitively) {
  const User u = store_->create_user("Alice@Example.ORG", {}, true, "");
  EXPECT_EQ(u.sip_uri, "alice@example.org");
  const auto found = store_->find_user("ALICE@example.org");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->sip_uri, "alice@example.org");
  EXPECT_EQ(found->id, u.id);
  EXPECT_TRUE(store_->update_user("aLiCe@EXAMPLE.org", patch_of(&UserPatch::title, "CEO")));
  EXPECT_EQ(store_->find_user("alice@example.org")->profile.title, "CEO");
  EXPECT_TRUE(store_->remove_user("ALICE@EXAMPLE.ORG"));
  EXPECT_FALSE(store_->find_user("alice@example.org"));
}

TEST_F(SqliteUsers, DuplicateSipUriIsAConflictWhateverTheCase) {
  store_->create_user("alice@example.org", full_profile(), true, "first");
  try {
    store_->create_user("ALICE@example.org", {}, false, "second");
    FAIL() << "expected Conflict";
  } catch (const Conflict& e) {
    EXPECT_STREQ(e.what(), "user alice@example.org already exists");
    EXPECT_EQ(e.status(), 409);
  }
  // The first user is untouched.
  EXPECT_EQ(store_->find_user("alice@example.org")->profile, full_profile());
  EXPECT_EQ(store_->password_hash("alice@example.org"), "first");
  EXPECT_EQ(store_->count_users(), 1u);
}

TEST_F(SqliteUsers, UpdatingOneFieldLeavesTheOthers) {
  const User created = store_->create_user("alice@example.org", full_profile(), true, "h");
  std::this_thread::sleep_for(std::chrono::milliseconds(2));

  const auto updated =
      store_->update_user("alice@example.org", patch_of(&UserPatch::phone_mobile, ""));
  ASSERT_TRUE(updated);
  UserProfile expected = full_profile();
  expected.phones.mobile = "";
  EXPECT_EQ(updated->profile, expected);
  EXPECT_GT(updated->updated_at_ms, created.updated_at_ms);
  EXPECT_EQ(updated->created_at_ms, created.created_at_ms);

  const auto stored = store_->find_user("alice@example.org");
  EXPECT_EQ(stored->profile, expected);
  EXPECT_TRUE(stored->enabled);
  EXPECT_TRUE(stored->has_password);
  EXPECT_EQ(stored->updated_at_ms, updated->updated_at_ms);

  const auto disabled =
      store_->update_user("alice@example.org", patch_of(&UserPatch::enabled, false));
  EXPECT_FALSE(disabled->enabled);
  EXPECT_EQ(disabled->profile, expected);
  EXPECT_FALSE(store_->find_user("alice@example.org")->enabled);
}

TEST_F(SqliteUsers, UpdateThatChangesNothingKeepsUpdatedAt) {
  const User created = store_->create_user("alice@example.org", full_profile(), true, "");
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  UserPatch same;
  same.title = "Engineer";
  same.enabled = true;
  EXPECT_EQ(store_->update_user("alice@example.org", same)->updated_at_ms, created.updated_at_ms);
  EXPECT_EQ(store_->update_user("alice@example.org", UserPatch{})->updated_at_ms,
            created.updated_at_ms);
  EXPECT_EQ(store_->find_user("alice@example.org")->updated_at_ms, created.updated_at_ms);
}

TEST_F(SqliteUsers, UserPatchKnowsWhenItIsEmpty) {
  EXPECT_TRUE(UserPatch{}.empty());
  EXPECT_FALSE(patch_of(&UserPatch::enabled, false).empty());
  EXPECT_FALSE(patch_of(&UserPatch::phone_other, "").empty());
}

TEST_F(SqliteUsers, ListPagesInSipUriOrder) {
  for (const char* uri : {"dave@example.org", "Alice@example.org", "carol@example.org",
                          "bob@example.org", "erin@example.org"})
    store_->create_user(uri, {}, true, "");
  store_->update_user("carol@example.org", patch_of(&UserPatch::enabled, false));

  const auto names = [](const std::vector<User>& users) {
    std::vector<std::string> out;
    for (const auto& u : users) out.push_back(u.sip_uri);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(store_->list_users(page("", 2))), (V{"alice@example.org", "bob@example.org"}));
  EXPECT_EQ(names(store_->list_users(page("BOB@example.org", 2))),
            (V{"carol@example.org", "dave@example.org"}));
  EXPECT_EQ(names(store_->list_users(page("dave@example.org", 2))), (V{"erin@example.org"}));
  EXPECT_TRUE(store_->list_users(page("erin@example.org", 2)).empty());
  EXPECT_TRUE(store_->list_users(page("", 0)).empty());
  EXPECT_EQ(store_->list_users({}).size(), 5u);

  EXPECT_EQ(names(store_->list_users(page("", 10, false))), (V{"carol@example.org"}));
  EXPECT_EQ(names(store_->list_users(page("bob@example.org", 2, true))),
            (V{"dave@example.org", "erin@example.org"}));
}

TEST_F(SqliteUsers, PasswordHashCanBeSetAndCleared) {
  const User created = store_->create_user("alice@example.org", {}, true, "");
  EXPECT_FALSE(created.has_password);
  EXPECT_EQ(store_->password_hash("alice@example.org"), "");

  EXPECT_TRUE(store_->set_password_hash("Alice@example.org", "$argon2id$new"));
  EXPECT_EQ(store_->password_hash("alice@example.org"), "$argon2id$new");
  EXPECT_TRUE(store_->find_user("alice@example.org")->has_password);

  EXPECT_TRUE(store_->set_password_hash("alice@example.org", ""));
  EXPECT_FALSE(store_->find_user("alice@example.org")->has_password);
}

TEST_F(SqliteUsers, RemovedUserIsGoneAndItsUriReusable) {
  store_->create_user("alice@example.org", full_profile(), true, "h");
  EXPECT_TRUE(store_->remove_user("alice@example.org"));
  EXPECT_FALSE(store_->remove_user("alice@example.org"));
  EXPECT_EQ(store_->count_users(), 0u);
  const User again = store_->create_user("alice@example.org", {}, true, "");
  EXPECT_FALSE(again.has_password);
  EXPECT_EQ(store_->find_user("alice@example.org")->profile, UserProfile{});
}

TEST_F(SqliteUsers, OversizedOrEmptyInputIsRejectedWithoutWriting) {
  EXPECT_THROW(store_->create_user("", {}, true, ""), ParameterValidationFailure);
  EXPECT_THROW(store_->create_user(std::string(1025, 'a'), {}, true, ""),
               ParameterValidationFailure);
  UserProfile big;
  big.office = std::string(4097, 'o');
  EXPECT_THROW(store_->create_user("alice@example.org", big, true, ""), ParameterValidationFailure);
  EXPECT_THROW(store_->create_user("alice@example.org", {}, true, std::string(513, 'h')),
               ParameterValidationFailure);
  EXPECT_EQ(store_->count_users(), 0u);

  store_->create_user("alice@example.org", {}, true, "");
  EXPECT_THROW(store_->update_user("alice@example.org",
                                   patch_of(&UserPatch::display_name, std::string(5000, 'd'))),
               ParameterValidationFailure);
  EXPECT_EQ(store_->find_user("alice@example.org")->profile.display_name, "");
  EXPECT_FALSE(store_->find_user(std::string(100000, 'a')));
}

TEST_F(SqliteUsers, ValuesAreBoundNotSpliced) {
  const std::string nasty = "x'); DROP TABLE users; --@example.org";
  UserProfile p;
  p.display_name = "O'Brien \"quoted\" \xE2\x9C\x93";
  store_->create_user(nasty, p, true, "");
  const auto found = store_->find_user(nasty);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->profile.display_name, p.display_name);
  EXPECT_EQ(store_->count_users(), 1u);
}

TEST_F(SqliteUsers, FourThreadsAtOnceAllSucceed) {
  constexpr int kThreads = 4;
  constexpr int kUsersEach = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < kUsersEach; ++i) {
          const std::string uri =
              "user" + std::to_string(t) + "-" + std::to_string(i) + "@example.org";
          store_->create_user(uri, {}, true, "");
          if (!store_->find_user(uri)) ++failures;
          store_->update_user(uri, patch_of(&UserPatch::title, "t" + std::to_string(i)));
          store_->set_password_hash(uri, "h");
          store_->list_users(page("", 10));
          store_->put_setting("thread" + std::to_string(t), std::to_string(i));
          store_->import_users({{uri, titled("t" + std::to_string(i)), true, ""}});
          store_->count_users();
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->count_users(), static_cast<std::size_t>(kThreads * kUsersEach));
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(store_->get_setting("thread" + std::to_string(t)), std::to_string(kUsersEach - 1));
  EXPECT_EQ(store_->find_user("user3-7@example.org")->profile.title, "t7");
}

}  // namespace
}  // namespace parley::storage
