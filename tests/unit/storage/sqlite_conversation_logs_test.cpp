// Conversation history in the SQLite store: paging newest first with a cursor, per-owner
// deletion, retention, what removing a user does to it, and that it survives a reopen and an
// upgrade from schema version 4.

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "messaging_test_support.hpp"
#include "storage/migrations.hpp"

namespace parley::storage {
namespace {

using test::conversation_of;
using test::ids_of;
using test::message_of;
using test::named;
using test::RawDb;
using test::write_database_of_version;
using test::read_file;
using test::SqliteMessaging;
using test::TempDir;

using Ids = std::vector<std::string>;

TEST_F(SqliteMessaging, HistoryIsPagedNewestFirstWithACursor) {
  // c1..c5 created at 1000..1004; c2 and c4 then get a message at the same instant, so the tie is
  // broken by conversation id.
  for (int i = 1; i <= 5; ++i) start("c" + std::to_string(i), 999 + i);
  store_->append_messages({message_of("c2", "alice@example.org", 5000, "x"),
                           message_of("c4", "alice@example.org", 5000, "y")});
  const Ids expected{"c4", "c2", "c5", "c3", "c1"};

  EXPECT_EQ(ids_of(store_->list_conversation_logs("bob@example.org", std::nullopt, 10)), expected);
  Ids paged;
  std::optional<Store::LogCursor> cursor;
  for (;;) {
    const auto page = store_->list_conversation_logs("bob@example.org", cursor, 2);
    if (page.empty()) break;
    ASSERT_LE(page.size(), 2u);
    for (const auto& log : page) paged.push_back(log.conversation_id);
    cursor = Store::LogCursor{page.back().updated_at_ms, page.back().conversation_id};
  }
  EXPECT_EQ(paged, expected);

  const auto first = store_->list_conversation_logs("bob@example.org", std::nullopt, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].preview, "y");
  EXPECT_EQ(first[0].participants, (Ids{"alice@example.org", "bob@example.org"}));
  EXPECT_TRUE(store_->list_conversation_logs("bob@example.org", std::nullopt, 0).empty());
  EXPECT_TRUE(store_->list_conversation_logs("carol@example.org", std::nullopt, 10).empty());
}

TEST_F(SqliteMessaging, DeletedEntriesAreHiddenFromTheirOwnerOnly) {
  start("c1", 1000);
  start("c2", 1001);
  EXPECT_TRUE(store_->delete_conversation_log("alice@example.org", "c2"));
  EXPECT_FALSE(store_->delete_conversation_log("alice@example.org", "c2"));
  EXPECT_FALSE(store_->delete_conversation_log("carol@example.org", "c1"));

  EXPECT_EQ(ids_of(store_->list_conversation_logs("alice@example.org", std::nullopt, 10)),
            (Ids{"c1"}));
  EXPECT_FALSE(store_->find_conversation_log("alice@example.org", "c2"));
  EXPECT_FALSE(store_->mark_log_read("alice@example.org", "c2"));
  EXPECT_EQ(ids_of(store_->list_conversation_logs("bob@example.org", std::nullopt, 10)),
            (Ids{"c2", "c1"}));

  // The conversation goes on for Bob; it stays out of Alice's history.
  store_->append_messages({message_of("c2", "bob@example.org", 3000, "still there?")});
  EXPECT_EQ(log_of("bob@example.org", "c2").message_count, 1);
  EXPECT_EQ(store_->list_messages("c2", 0, 10).size(), 1u);
  EXPECT_EQ(ids_of(store_->list_conversation_logs("alice@example.org", std::nullopt, 10)),
            (Ids{"c1"}));
}

TEST_F(SqliteMessaging, PurgeRemovesOldMessagesAndEntriesWithNothingLeft) {
  start("old", 1000);
  start("mixed", 1000);
  start("recent", 1000);
  store_->append_messages({message_of("old", "alice@example.org", 2000, "a"),
                           message_of("old", "bob@example.org", 2100, "b"),
                           message_of("mixed", "alice@example.org", 2200, "c"),
                           message_of("mixed", "alice@example.org", 9000, "d"),
                           message_of("recent", "alice@example.org", 9100, "e")});

  EXPECT_EQ(store_->purge_messages_before(5000), 3u);
  EXPECT_TRUE(store_->list_messages("old", 0, 10).empty());
  EXPECT_FALSE(store_->find_conversation_log("alice@example.org", "old"));
  EXPECT_FALSE(store_->find_conversation_log("bob@example.org", "old"));
  const auto mixed = store_->list_messages("mixed", 0, 10);
  ASSERT_EQ(mixed.size(), 1u);
  EXPECT_EQ(mixed[0].plain, "d");
  EXPECT_EQ(mixed[0].seq, 2);
  EXPECT_TRUE(store_->find_conversation_log("bob@example.org", "mixed"));
  EXPECT_EQ(ids_of(store_->list_conversation_logs("bob@example.org", std::nullopt, 10)),
            (Ids{"recent", "mixed"}));
  // Nobody can reach the emptied conversation any more, so it is gone too.
  RawDb raw(file_);
  EXPECT_EQ(raw.text("SELECT COUNT(*) FROM conversations WHERE id = 'old'"), "0");
  EXPECT_EQ(
      raw.text("SELECT COUNT(*) FROM conversation_participants WHERE conversation_id = 'old'"),
      "0");
  EXPECT_EQ(store_->purge_messages_before(5000), 0u);
}

TEST_F(SqliteMessaging, PurgeKeepsRecentConversationsWithoutMessages) {
  start("quiet", 9000);
  EXPECT_EQ(store_->purge_messages_before(5000), 0u);
  EXPECT_TRUE(store_->find_conversation_log("bob@example.org", "quiet"));
  EXPECT_EQ(store_->append_messages({message_of("quiet", "bob@example.org", 9500, "hi")}),
            (std::vector<std::int64_t>{1}));
}

TEST_F(SqliteMessaging, RemovingAUserRemovesHerHistoryButNotTheConversation) {
  store_->create_user("bob@example.org", named("Bob"), true, "");
  start("c1");
  store_->append_messages({message_of("c1", "bob@example.org", 2000, "bye")});
  ASSERT_TRUE(store_->remove_user("Bob@example.org"));

  EXPECT_FALSE(store_->find_conversation_log("bob@example.org", "c1"));
  EXPECT_TRUE(store_->list_conversation_logs("bob@example.org", std::nullopt, 10).empty());
  EXPECT_EQ(store_->missed_counts("bob@example.org").conversation_logs, 0);
  // Alice keeps her entry, the messages, and the record of who took part.
  const auto alice = log_of("alice@example.org", "c1");
  EXPECT_EQ(alice.preview, "bye");
  EXPECT_EQ(alice.participants, (Ids{"alice@example.org", "bob@example.org"}));
  EXPECT_EQ(store_->list_messages("c1", 0, 10).size(), 1u);
  store_->append_messages({message_of("c1", "alice@example.org", 3000, "bob?")});
  EXPECT_EQ(log_of("alice@example.org", "c1").message_count, 2);
}

TEST_F(SqliteMessaging, EverythingSurvivesAReopen) {
  start("c1");
  store_->append_messages({message_of("c1", "alice@example.org", 2000, "one"),
                           message_of("c1", "bob@example.org", 2001, "two")});
  ASSERT_TRUE(store_->mark_missed("bob@example.org", "c1"));
  store_->add_participant("c1", "carol@example.org");
  ASSERT_TRUE(store_->delete_conversation_log("alice@example.org", "c1"));
  reopen();

  const auto bob = log_of("bob@example.org", "c1");
  EXPECT_EQ(bob.status, "Missed");
  EXPECT_FALSE(bob.read);
  EXPECT_EQ(bob.preview, "two");
  EXPECT_EQ(bob.message_count, 2);
  EXPECT_EQ(bob.subject, "Lunch?");
  EXPECT_EQ(bob.participants.size(), 3u);
  EXPECT_FALSE(store_->find_conversation_log("alice@example.org", "c1"));
  EXPECT_EQ(store_->list_messages("c1", 0, 10).size(), 2u);
  // Seqs go on from where they were.
  EXPECT_EQ(store_->append_messages({message_of("c1", "carol@example.org", 3000, "three")}),
            (std::vector<std::int64_t>{3}));
}

// The details of SQLite's plan for `sql`, one line per step.
std::string query_plan(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    throw std::runtime_error("cannot open " + file.string());
  sqlite3_stmt* st = nullptr;
  std::string plan;
  if (sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &st, nullptr) == SQLITE_OK)
    while (sqlite3_step(st) == SQLITE_ROW)
      plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3)) + std::string("\n");
  sqlite3_finalize(st);
  sqlite3_close_v2(db);
  return plan;
}

TEST_F(SqliteMessaging, ListingAndAppendingUseTheirIndexes) {
  const std::string page = query_plan(
      file_,
      "SELECT l.conversation_id, l.preview FROM conversation_logs l"
      " JOIN conversations c ON c.id = l.conversation_id"
      " WHERE l.owner = 'a' AND l.deleted = FALSE"
      " AND (l.updated_at_ms, l.conversation_id) < (5, 'x')"
      " ORDER BY l.updated_at_ms DESC, l.conversation_id DESC LIMIT 10");
  EXPECT_NE(page.find("conversation_logs_by_owner (owner=? AND deleted=? AND"), std::string::npos)
      << page;
  EXPECT_EQ(page.find("TEMP B-TREE"), std::string::npos) << page;
  const std::string touch = query_plan(
      file_, "UPDATE conversation_logs SET read = FALSE WHERE conversation_id = 'c'");
  EXPECT_NE(touch.find("conversation_logs_by_conversation"), std::string::npos) << touch;
}

// A database written by a build that knew migrations 0001 to 0004: it gains the messaging tables
// and keeps its users.
TEST(SqliteMessagingMigration, AVersion4DatabaseIsUpgraded) {
  TempDir dir;
  const auto file = dir.path() / "parley.db";
  write_database_of_version(file, 4);
  {
    RawDb raw(file);
    raw.exec(
        "INSERT INTO users (sip_uri, display_name, enabled, created_at_ms, updated_at_ms)"
        " VALUES ('bob@example.org', 'Bob', TRUE, 5, 6)");
  }

  auto store = open_sqlite_store(file);
  EXPECT_EQ(store->schema_version(), newest_schema_version());
  EXPECT_GE(store->schema_version(), 5);
  EXPECT_EQ(store->find_user("bob@example.org")->updated_at_ms, 6);
  EXPECT_TRUE(store->list_conversation_logs("bob@example.org", std::nullopt, 10).empty());

  store->create_conversation(conversation_of("c1", "bob@example.org"), {"alice@example.org"});
  EXPECT_EQ(store->append_messages({message_of("c1", "bob@example.org", 2000, "hi")}),
            (std::vector<std::int64_t>{1}));
  EXPECT_EQ(store->find_conversation_log("alice@example.org", "c1")->preview, "hi");
  RawDb raw(file);
  EXPECT_EQ(raw.text("SELECT name FROM schema_migrations WHERE version = 5"), "messaging");
}

}  // namespace
}  // namespace parley::storage
