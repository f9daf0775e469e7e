// The sign-in audit trail in the SQLite store: round trips, newest-first paging, the per-account
// filter, truncation of what clients send, and the bound on the log's size.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/time.hpp"
#include "storage/sqlite/signins.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "test_support.hpp"

namespace parley::storage {
namespace {

using test::RawDb;
using test::TempDir;

SigninRecord attempt(std::string username, std::string sip_uri, std::string outcome) {
  SigninRecord r;
  r.at_ms = 1'790'000'000'000;
  r.username = std::move(username);
  r.sip_uri = std::move(sip_uri);
  r.outcome = std::move(outcome);
  r.client_address = "203.0.113.9";
  r.site = "external";
  r.user_agent = "ParleyTest/1.0";
  r.grant_type = "password";
  return r;
}

SigninQuery query(std::string sip_uri, std::int64_t before_id, std::size_t limit) {
  SigninQuery q;
  q.sip_uri = std::move(sip_uri);
  q.before_id = before_id;
  q.limit = limit;
  return q;
}

std::vector<std::int64_t> ids(const std::vector<SigninRecord>& records) {
  std::vector<std::int64_t> out;
  for (const auto& r : records) out.push_back(r.id);
  return out;
}

class SqliteSignins : public ::testing::Test {
protected:
  std::string count_rows() { return RawDb(file_).text("SELECT COUNT(*) FROM signins"); }

  TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "parley.db";
  std::unique_ptr<Store> store_ = open_sqlite_store(file_);
};

TEST_F(SqliteSignins, EveryFieldRoundTrips) {
  SigninRecord r;
  r.at_ms = 1'790'000'000'321;
  r.username = "DOMAIN\\Alice";
  r.sip_uri = "Alice@Example.org";
  r.outcome = "invalid_grant";
  r.client_address = "[2001:db8::7]:443";
  r.site = "internal";
  r.user_agent = "Parley-iOS/3.1 (iPhone15,2)";
  r.grant_type = "urn:microsoft.rtc:windows";
  const std::int64_t id = store_->append_signin(r);
  EXPECT_GT(id, 0);

  const auto all = store_->list_signins({});
  ASSERT_EQ(all.size(), 1u);
  const SigninRecord& got = all[0];
  EXPECT_EQ(got.id, id);
  EXPECT_EQ(got.at_ms, r.at_ms);
  EXPECT_EQ(got.username, "DOMAIN\\Alice");  // as submitted, case kept
  EXPECT_EQ(got.sip_uri, "alice@example.org");
  EXPECT_EQ(got.outcome, "invalid_grant");
  EXPECT_EQ(got.client_address, r.client_address);
  EXPECT_EQ(got.site, "internal");
  EXPECT_EQ(got.user_agent, r.user_agent);
  EXPECT_EQ(got.grant_type, r.grant_type);
}

TEST_F(SqliteSignins, AttemptWithoutATimeIsStampedNow) {
  SigninRecord r = attempt("nobody", "", "invalid_grant");
  r.at_ms = 0;
  const auto before = now_ms();
  store_->append_signin(r);
  const auto got = store_->list_signins({});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_GE(got[0].at_ms, before);
  EXPECT_LE(got[0].at_ms, now_ms());
  EXPECT_EQ(got[0].sip_uri, "");
}

TEST_F(SqliteSignins, PagesNewestFirstByBeforeId) {
  std::vector<std::int64_t> appended;
  for (int i = 0; i < 25; ++i)
    appended.push_back(store_->append_signin(attempt("u" + std::to_string(i), "", "success")));
  for (std::size_t i = 1; i < appended.size(); ++i) EXPECT_GT(appended[i], appended[i - 1]);

  std::vector<std::int64_t> seen;
  std::int64_t before = 0;
  std::vector<std::size_t> page_sizes;
  for (;;) {
    const auto page = store_->list_signins(query("", before, 10));
    if (page.empty()) break;
    page_sizes.push_back(page.size());
    for (const auto& r : page) seen.push_back(r.id);
    before = page.back().id;
  }
  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{10, 10, 5}));
  const std::vector<std::int64_t> newest_first(appended.rbegin(), appended.rend());
  EXPECT_EQ(seen, newest_first);
  EXPECT_EQ(store_->list_signins(query("", appended[0], 10)).size(), 0u);
  EXPECT_EQ(store_->list_signins(query("", -5, 10)).size(), 0u);
  EXPECT_EQ(store_->list_signins(query("", 0, 1))[0].username, "u24");
}

TEST_F(SqliteSignins, FiltersByAccountIgnoringCase) {
  const auto a1 = store_->append_signin(attempt("alice", "alice@example.org", "success"));
  store_->append_signin(attempt("bob", "bob@example.org", "success"));
  const auto a2 = store_->append_signin(attempt("ALICE", "ALICE@example.org", "invalid_grant"));
  store_->append_signin(attempt("mallory", "", "invalid_grant"));
  const auto a3 = store_->append_signin(attempt("alice", "alice@example.org", "throttled"));

  EXPECT_EQ(ids(store_->list_signins(query("Alice@Example.ORG", 0, 100))),
            (std::vector{a3, a2, a1}));
  EXPECT_EQ(ids(store_->list_signins(query("alice@example.org", a3, 1))), (std::vector{a2}));
  EXPECT_EQ(ids(store_->list_signins(query("alice@example.org", a2, 100))), (std::vector{a1}));
  EXPECT_TRUE(store_->list_signins(query("carol@example.org", 0, 100)).empty());
  EXPECT_TRUE(store_->list_signins(query(std::string(5000, 'a'), 0, 100)).empty());
  EXPECT_EQ(store_->list_signins(query("", 0, 100)).size(), 5u);
}

TEST_F(SqliteSignins, LimitIsClampedTo1Through1000) {
  RawDb(file_).exec(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1005) "
      "INSERT INTO signins (id, at_ms, username) SELECT i, i, 'u' FROM n");
  EXPECT_EQ(store_->list_signins(query("", 0, 0)).size(), 1u);
  EXPECT_EQ(store_->list_signins(query("", 0, 1000)).size(), 1000u);
  const auto capped = store_->list_signins(query("", 0, static_cast<std::size_t>(-1)));
  ASSERT_EQ(capped.size(), 1000u);
  EXPECT_EQ(capped.front().id, 1005);
  EXPECT_EQ(capped.back().id, 6);
}

TEST_F(SqliteSignins, FreeTextIsCutOnCharacterBoundaries) {
  const std::string e_acute = "\xC3\xA9";
  SigninRecord r = attempt(std::string(255, 'a') + e_acute + "tail", "alice@example.org", "x");
  r.user_agent = std::string(510, 'b') + "\xE2\x82\xAC" + "more";
  r.outcome = std::string(100, 'o');
  r.client_address = std::string(100, '1');
  r.site = std::string(100, 's');
  r.grant_type = std::string(100, 'g');
  store_->append_signin(r);
  SigninRecord fits = attempt(std::string(254, 'a') + e_acute, "alice@example.org", "x");
  store_->append_signin(fits);

  const auto got = store_->list_signins({});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].username, std::string(255, 'a'));
  EXPECT_EQ(got[1].user_agent, std::string(510, 'b'));
  EXPECT_EQ(got[1].outcome.size(), 64u);
  EXPECT_EQ(got[1].client_address.size(), 64u);
  EXPECT_EQ(got[1].site.size(), 16u);
  EXPECT_EQ(got[1].grant_type.size(), 64u);
  EXPECT_EQ(got[0].username, fits.username);  // exactly 256 bytes: kept whole
}

// The log keeps the newest million attempts. Writing a million rows would take minutes, so the
// test places rows at the ids the store would have reached and lets appends trim behind them.
TEST_F(SqliteSignins, KeepsTheNewestMillionAttemptsOnly) {
  static_assert(sqlite::kSigninLogRows == 1'000'000);
  RawDb(file_).exec(
      "INSERT INTO signins (id, at_ms, username) VALUES (1, 1, 'oldest'), (2, 2, 'x'), "
      "(1000, 3, 'x'), (1001, 4, 'first kept'), (1000500, 5, 'x')");

  // An id that is not a multiple of the trim interval trims nothing.
  EXPECT_EQ(store_->append_signin(attempt("a", "", "success")), 1'000'501);
  EXPECT_EQ(count_rows(), "6");

  RawDb(file_).exec("INSERT INTO signins (id, at_ms, username) VALUES (1000999, 6, 'x')");
  EXPECT_EQ(store_->append_signin(attempt("b", "", "success")), 1'001'000);
  // Ids 1001 .. 1,001,000 remain: exactly the newest million id values.
  RawDb raw(file_);
  EXPECT_EQ(raw.text("SELECT MIN(id) FROM signins"), "1001");
  EXPECT_EQ(raw.text("SELECT username FROM signins WHERE id = 1001"), "first kept");
  EXPECT_EQ(count_rows(), "5");
  const auto newest = store_->list_signins(query("", 0, 1));
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0].username, "b");
}

TEST_F(SqliteSignins, SurvivesReopening) {
  const auto id = store_->append_signin(attempt("alice", "alice@example.org", "success"));
  store_.reset();
  auto reopened = open_sqlite_store(file_);
  const auto got = reopened->list_signins(query("alice@example.org", 0, 10));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, id);
  EXPECT_GT(reopened->append_signin(attempt("bob", "", "success")), id);
}

}  // namespace
}  // namespace parley::storage
