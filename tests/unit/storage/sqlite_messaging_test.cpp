// Conversations and messages in the SQLite store: creation with a history entry for everyone,
// batched appends (seqs, previews, counts, unread), all-or-nothing batches, input limits,
// message paging, read and missed state, and joining a conversation later.

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "messaging_test_support.hpp"
#include "storage/sqlite/messaging.hpp"

namespace parley::storage {
namespace {

using test::conversation_of;
using test::message_of;
using test::RawDb;
using test::SqliteMessaging;
using test::TempDir;

TEST_F(SqliteMessaging, CreatingGivesEveryParticipantHerOwnEntry) {
  store_->create_conversation(conversation_of("c1", "Alice@Example.org", "Lunch?", 1234),
                              {"alice@example.org", "BOB@example.org", "carol@example.org"});

  const auto alice = log_of("alice@example.org", "c1");
  EXPECT_EQ(alice.owner, "alice@example.org");
  EXPECT_EQ(alice.direction, "Outgoing");
  EXPECT_TRUE(alice.read);
  EXPECT_EQ(alice.status, "Archived");
  EXPECT_EQ(alice.type, "MessageLog");
  EXPECT_EQ(alice.subject, "Lunch?");
  EXPECT_EQ(alice.thread_id, "thread-c1");
  EXPECT_EQ(alice.importance, "Normal");
  EXPECT_EQ(alice.created_at_ms, 1234);
  EXPECT_EQ(alice.updated_at_ms, 1234);
  EXPECT_EQ(alice.message_count, 0);
  const std::vector<std::string> everyone{"alice@example.org", "bob@example.org",
                                          "carol@example.org"};
  EXPECT_EQ(alice.participants, everyone);

  for (const char* other : {"bob@example.org", "Carol@example.org"}) {
    const auto log = log_of(other, "c1");
    EXPECT_EQ(log.direction, "Incoming") << other;
    EXPECT_FALSE(log.read) << other;
    EXPECT_EQ(log.participants, alice.participants) << other;
  }
  EXPECT_FALSE(store_->find_conversation_log("dave@example.org", "c1"));
}

TEST_F(SqliteMessaging, TheInitiatorTakesPartEvenWhenNotListed) {
  store_->create_conversation(conversation_of("c1", "alice@example.org"), {"bob@example.org"});
  EXPECT_EQ(log_of("alice@example.org", "c1").direction, "Outgoing");
  EXPECT_EQ(log_of("bob@example.org", "c1").participants.size(), 2u);
}

TEST_F(SqliteMessaging, ASecondConversationWithTheSameIdIsAConflict) {
  start("c1");
  EXPECT_THROW(store_->create_conversation(conversation_of("c1", "carol@example.org"),
                                           {"dave@example.org"}),
               Conflict);
  EXPECT_FALSE(store_->find_conversation_log("dave@example.org", "c1"));
  EXPECT_EQ(log_of("alice@example.org", "c1").subject, "Lunch?");
}

TEST_F(SqliteMessaging, ConversationLimitsAreRefused) {
  auto long_subject = conversation_of("c1", "alice@example.org", std::string(251, 's'));
  EXPECT_THROW(store_->create_conversation(long_subject, {}), ParameterValidationFailure);
  // 250 characters of two bytes each are fine: the limit counts characters.
  std::string accents;
  for (int i = 0; i < 250; ++i) accents += "\xc3\xa9";
  EXPECT_NO_THROW(
      store_->create_conversation(conversation_of("c2", "alice@example.org", accents), {}));
  EXPECT_THROW(
      store_->create_conversation(conversation_of(std::string(65, 'x'), "alice@example.org"), {}),
      ParameterValidationFailure);
  EXPECT_THROW(store_->create_conversation(conversation_of("", "alice@example.org"), {}),
               ParameterValidationFailure);
  auto loud = conversation_of("c3", "alice@example.org");
  loud.importance = "Shouting";
  EXPECT_THROW(store_->create_conversation(loud, {}), ParameterValidationFailure);
  EXPECT_FALSE(store_->find_conversation_log("alice@example.org", "c3"));
}

TEST_F(SqliteMessaging, ABatchAcrossConversationsAssignsSeqsAndUpdatesEveryEntry) {
  start("c1");
  store_->create_conversation(conversation_of("c2", "carol@example.org", "", 1000),
                              {"alice@example.org"});
  const auto seqs = store_->append_messages({
      message_of("c1", "alice@example.org", 2000, "hi bob"),
      message_of("c2", "carol@example.org", 2100, "hi alice"),
      message_of("c1", "alice@example.org", 2200, "lunch at noon?"),
      message_of("c2", "carol@example.org", 2300, "are you there?"),
      message_of("c1", "alice@example.org", 2400, "my treat"),
  });
  EXPECT_EQ(seqs, (std::vector<std::int64_t>{1, 1, 2, 2, 3}));
  // The next batch continues where this one stopped.
  EXPECT_EQ(store_->append_messages({message_of("c2", "alice@example.org", 2500, "yes")}),
            (std::vector<std::int64_t>{3}));

  const auto bob = log_of("bob@example.org", "c1");
  EXPECT_EQ(bob.preview, "my treat");
  EXPECT_EQ(bob.message_count, 3);
  EXPECT_EQ(bob.updated_at_ms, 2400);
  EXPECT_FALSE(bob.read);
  const auto alice_c2 = log_of("alice@example.org", "c2");
  EXPECT_EQ(alice_c2.preview, "yes");
  EXPECT_EQ(alice_c2.message_count, 3);
  EXPECT_EQ(alice_c2.updated_at_ms, 2500);
}

TEST_F(SqliteMessaging, TheSendersOwnEntryStaysReadAndOthersBecomeUnread) {
  start("c1");
  ASSERT_TRUE(store_->mark_log_read("bob@example.org", "c1"));
  store_->append_messages({message_of("c1", "alice@example.org", 2000, "hi")});
  EXPECT_TRUE(log_of("alice@example.org", "c1").read);
  EXPECT_FALSE(log_of("bob@example.org", "c1").read);

  // Bob answers: his entry keeps its (unread) state, Alice now has something to read.
  store_->append_messages({message_of("c1", "bob@example.org", 2100, "hello")});
  EXPECT_FALSE(log_of("alice@example.org", "c1").read);
  EXPECT_FALSE(log_of("bob@example.org", "c1").read);
  ASSERT_TRUE(store_->mark_log_read("bob@example.org", "c1"));
  EXPECT_TRUE(log_of("bob@example.org", "c1").read);
  EXPECT_FALSE(log_of("alice@example.org", "c1").read);
}

TEST_F(SqliteMessaging, ABatchWithTwoSendersLeavesBothUnread) {
  start("c1");
  ASSERT_TRUE(store_->mark_log_read("bob@example.org", "c1"));
  store_->append_messages({message_of("c1", "alice@example.org", 2000, "hi"),
                           message_of("c1", "bob@example.org", 2001, "hi yourself")});
  EXPECT_FALSE(log_of("alice@example.org", "c1").read);
  EXPECT_FALSE(log_of("bob@example.org", "c1").read);
  EXPECT_EQ(log_of("alice@example.org", "c1").preview, "hi yourself");
}

TEST_F(SqliteMessaging, AMissingConversationRollsBackTheWholeBatch) {
  start("c1");
  EXPECT_THROW(store_->append_messages({message_of("c1", "alice@example.org", 2000, "first"),
                                        message_of("nope", "alice@example.org", 2001, "lost")}),
               NotFound);
  EXPECT_TRUE(store_->list_messages("c1", 0, 10).empty());
  const auto bob = log_of("bob@example.org", "c1");
  EXPECT_EQ(bob.message_count, 0);
  EXPECT_EQ(bob.preview, "");
  // No seq was used up either.
  EXPECT_EQ(store_->append_messages({message_of("c1", "alice@example.org", 2002, "again")}),
            (std::vector<std::int64_t>{1}));
}

TEST_F(SqliteMessaging, MessageLimitsRefuseTheBatchBeforeWriting) {
  start("c1");
  auto big = message_of("c1", "alice@example.org", 2000, "");
  big.text = std::string(64 * 1024 + 1, 'x');
  big.plain = "x";
  EXPECT_THROW(store_->append_messages({message_of("c1", "alice@example.org", 1999, "ok"), big}),
               EntityTooLarge);
  auto big_plain = message_of("c1", "alice@example.org", 2000, std::string(64 * 1024 + 1, 'x'));
  big_plain.text = "x";
  EXPECT_THROW(store_->append_messages({big_plain}), ParameterValidationFailure);
  auto odd = message_of("c1", "alice@example.org", 2000, "x");
  odd.format = "Markdown";
  EXPECT_THROW(store_->append_messages({odd}), ParameterValidationFailure);
  EXPECT_TRUE(store_->list_messages("c1", 0, 10).empty());

  // Exactly 64 KiB is stored, and the preview keeps 256 characters of it.
  auto largest = message_of("c1", "alice@example.org", 2000, std::string(64 * 1024, 'y'));
  EXPECT_EQ(store_->append_messages({largest}), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(store_->list_messages("c1", 0, 1).at(0).text.size(), 64u * 1024);
  EXPECT_EQ(log_of("bob@example.org", "c1").preview, std::string(256, 'y'));
}

TEST_F(SqliteMessaging, ThePreviewIsCutOnACharacterBoundary) {
  start("c1");
  std::string text;
  for (int i = 0; i < 300; ++i) text += "\xe2\x82\xac";  // the euro sign, three bytes
  store_->append_messages({message_of("c1", "alice@example.org", 2000, text)});
  EXPECT_EQ(log_of("bob@example.org", "c1").preview, text.substr(0, 256 * 3));
}

TEST_F(SqliteMessaging, MessagesArePagedOldestFirst) {
  start("c1");
  std::vector<MessageRecord> batch;
  for (int i = 1; i <= 7; ++i)
    batch.push_back(message_of("c1", i % 2 ? "alice@example.org" : "Bob@Example.org", 2000 + i,
                               "m" + std::to_string(i)));
  batch[2].format = "Html";
  batch[2].text = "<b>m3</b>";
  store_->append_messages(batch);

  const auto first = store_->list_messages("c1", 0, 3);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].seq, 1);
  EXPECT_EQ(first[0].plain, "m1");
  EXPECT_EQ(first[0].at_ms, 2001);
  EXPECT_EQ(first[1].sender, "bob@example.org");
  EXPECT_EQ(first[2].format, "Html");
  EXPECT_EQ(first[2].text, "<b>m3</b>");
  EXPECT_EQ(first[2].plain, "m3");
  EXPECT_EQ(first[2].conversation_id, "c1");
  const auto second = store_->list_messages("c1", first.back().seq, 3);
  ASSERT_EQ(second.size(), 3u);
  EXPECT_EQ(second[0].seq, 4);
  const auto last = store_->list_messages("c1", second.back().seq, 3);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].plain, "m7");
  EXPECT_TRUE(store_->list_messages("c1", 7, 3).empty());
  EXPECT_TRUE(store_->list_messages("nope", 0, 3).empty());
}

TEST_F(SqliteMessaging, MarkingReadIsPerOwner) {
  start("c1");
  EXPECT_TRUE(store_->mark_log_read("BOB@example.org", "c1"));
  EXPECT_TRUE(log_of("bob@example.org", "c1").read);
  EXPECT_FALSE(store_->mark_log_read("carol@example.org", "c1"));
  EXPECT_FALSE(store_->mark_log_read("bob@example.org", "c2"));
}

TEST_F(SqliteMessaging, MissedEntriesAreCountedAndStayMissed) {
  start("c1", 1000);
  start("c2", 1001);
  start("c3", 1002);
  EXPECT_TRUE(store_->mark_missed("bob@example.org", "c1"));
  EXPECT_TRUE(store_->mark_missed("bob@example.org", "c2"));
  EXPECT_FALSE(store_->mark_missed("carol@example.org", "c1"));
  ASSERT_TRUE(store_->mark_log_read("bob@example.org", "c2"));

  auto counts = store_->missed_counts("bob@example.org");
  EXPECT_EQ(counts.conversation_logs, 3);
  EXPECT_EQ(counts.missed_conversations, 2);
  EXPECT_EQ(counts.unread_missed_conversations, 1);
  EXPECT_EQ(log_of("bob@example.org", "c1").status, "Missed");
  EXPECT_EQ(log_of("alice@example.org", "c1").status, "Archived");

  // A later message does not turn a missed conversation into an answered one, but it is unread.
  store_->append_messages({message_of("c2", "alice@example.org", 3000, "call me")});
  EXPECT_EQ(log_of("bob@example.org", "c2").status, "Missed");
  counts = store_->missed_counts("bob@example.org");
  EXPECT_EQ(counts.unread_missed_conversations, 2);

  // Deleted entries count nowhere.
  ASSERT_TRUE(store_->delete_conversation_log("bob@example.org", "c1"));
  counts = store_->missed_counts("bob@example.org");
  EXPECT_EQ(counts.conversation_logs, 2);
  EXPECT_EQ(counts.missed_conversations, 1);
  EXPECT_EQ(store_->missed_counts("alice@example.org").missed_conversations, 0);
  EXPECT_EQ(store_->missed_counts("nobody@example.org").conversation_logs, 0);
}

TEST_F(SqliteMessaging, AJoiningParticipantsEntryStartsWhereSheJoined) {
  start("c1");
  store_->append_messages({message_of("c1", "alice@example.org", 2000, "one"),
                           message_of("c1", "bob@example.org", 2001, "two")});
  store_->add_participant("c1", "Carol@example.org");

  // What was said before she joined is not hers to read.
  const auto carol = log_of("carol@example.org", "c1");
  EXPECT_EQ(carol.direction, "Incoming");
  EXPECT_TRUE(carol.read);
  EXPECT_EQ(carol.message_count, 0);
  EXPECT_EQ(carol.preview, "");
  EXPECT_EQ(carol.first_seq, 3);
  EXPECT_EQ(log_of("alice@example.org", "c1").first_seq, 1);
  const std::vector<std::string> everyone{"alice@example.org", "bob@example.org",
                                          "carol@example.org"};
  EXPECT_EQ(carol.participants, everyone);
  EXPECT_EQ(log_of("alice@example.org", "c1").participants, everyone);

  // Her entry follows the conversation from now on.
  store_->append_messages({message_of("c1", "alice@example.org", 3000, "welcome carol")});
  EXPECT_EQ(log_of("carol@example.org", "c1").preview, "welcome carol");
  EXPECT_EQ(log_of("carol@example.org", "c1").message_count, 1);
  EXPECT_FALSE(log_of("carol@example.org", "c1").read);

  // Adding her again changes nothing, not even her read state.
  ASSERT_TRUE(store_->mark_log_read("carol@example.org", "c1"));
  store_->add_participant("c1", "carol@example.org");
  EXPECT_TRUE(log_of("carol@example.org", "c1").read);
  EXPECT_EQ(log_of("carol@example.org", "c1").participants.size(), 3u);

  EXPECT_THROW(store_->add_participant("nope", "carol@example.org"), NotFound);
  EXPECT_FALSE(store_->find_conversation_log("carol@example.org", "nope"));
}

TEST_F(SqliteMessaging, AnAppendedBatchIsVisibleToOtherConnections) {
  start("c1");
  std::vector<MessageRecord> batch;
  for (int i = 0; i < 64; ++i)
    batch.push_back(message_of("c1", "alice@example.org", 2000 + i, "m"));
  store_->append_messages(batch);
  // Committed on return: another connection (the CLI, say) sees all of it.
  RawDb raw(file_);
  EXPECT_EQ(raw.text("SELECT COUNT(*) FROM messages WHERE conversation_id = 'c1'"), "64");
  EXPECT_EQ(raw.text("SELECT MAX(seq) FROM messages WHERE conversation_id = 'c1'"), "64");
}

// Appending stores only the messages; their effect on the conversation's seq counter and on
// everyone's history entry is written back before anything reads those, and at close.
TEST_F(SqliteMessaging, HistoryEntriesAreWrittenBackBeforeTheyAreReadAndAtClose) {
  start("c1");
  start("c2");
  store_->append_messages({message_of("c1", "alice@example.org", 2000, "first"),
                           message_of("c1", "alice@example.org", 2001, "second")});
  {
    RawDb raw(file_);
    EXPECT_EQ(raw.text("SELECT message_count FROM conversation_logs"
                       " WHERE owner = 'bob@example.org' AND conversation_id = 'c1'"), "0");
  }
  const auto bob = log_of("bob@example.org", "c1");
  EXPECT_EQ(bob.message_count, 2);
  EXPECT_EQ(bob.preview, "second");
  EXPECT_EQ(bob.updated_at_ms, 2001);
  EXPECT_FALSE(bob.read);
  EXPECT_TRUE(log_of("alice@example.org", "c1").read);  // she wrote them

  // Bob answers, then the store closes before anyone looks.
  store_->append_messages({message_of("c2", "bob@example.org", 3000, "on my way")});
  store_.reset();
  RawDb raw(file_);
  EXPECT_EQ(raw.text("SELECT next_seq FROM conversations WHERE id = 'c1'"), "3");
  EXPECT_EQ(raw.text("SELECT next_seq FROM conversations WHERE id = 'c2'"), "2");
  EXPECT_EQ(raw.text("SELECT preview FROM conversation_logs"
                     " WHERE owner = 'alice@example.org' AND conversation_id = 'c2'"), "on my way");
  EXPECT_EQ(raw.text("SELECT read FROM conversation_logs"
                     " WHERE owner = 'alice@example.org' AND conversation_id = 'c2'"), "0");
}

// More conversations than one write-back transaction takes: every one of them is written.
TEST_F(SqliteMessaging, AWriteBackOfManyConversationsIsDoneInChunksAndMissesNone) {
  const std::size_t n = sqlite::kWriteBackChunk + 7;
  std::vector<MessageRecord> batch;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string id = "c" + std::to_string(i);
    start(id);
    batch.push_back(message_of(id, "alice@example.org", 2000, "hello " + id));
  }
  store_->append_messages(batch);
  store_.reset();  // written back at close
  RawDb raw(file_);
  EXPECT_EQ(raw.text("SELECT COUNT(*) FROM conversations WHERE next_seq = 2"), std::to_string(n));
  EXPECT_EQ(raw.text("SELECT COUNT(*) FROM conversation_logs WHERE message_count = 1"),
            std::to_string(2 * n));
}

// kill -9 before the write-back: the files hold the messages but not their effect on the history
// entries. The next start rebuilds it from the messages, and numbering goes on after the last.
TEST_F(SqliteMessaging, AfterACrashHistoryEntriesAreRebuiltFromTheMessages) {
  start("c1");
  start("c2");
  start("quiet");
  store_->append_messages({message_of("c1", "alice@example.org", 2000, "one"),
                           message_of("c1", "bob@example.org", 2001, "two"),
                           message_of("c2", "alice@example.org", 2002, "only alice")});
  // What a crash leaves on disk: the database and its log as they are, copied while the store
  // is still open (it is between transactions, so the copy is consistent).
  TempDir crashed;
  const auto copy = crashed.path() / "parley.db";
  std::filesystem::copy_file(file_, copy);
  std::filesystem::copy_file(file_.string() + "-wal", copy.string() + "-wal");

  auto after = open_sqlite_store(copy);
  const auto bob1 = after->find_conversation_log("bob@example.org", "c1");
  ASSERT_TRUE(bob1);
  EXPECT_EQ(bob1->message_count, 2);
  EXPECT_EQ(bob1->preview, "two");
  EXPECT_EQ(bob1->updated_at_ms, 2001);
  EXPECT_FALSE(bob1->read);
  EXPECT_FALSE(after->find_conversation_log("alice@example.org", "c1")->read);  // bob wrote too
  const auto bob2 = after->find_conversation_log("bob@example.org", "c2");
  ASSERT_TRUE(bob2);
  EXPECT_EQ(bob2->message_count, 1);
  EXPECT_EQ(bob2->preview, "only alice");
  EXPECT_FALSE(bob2->read);
  EXPECT_TRUE(after->find_conversation_log("alice@example.org", "c2")->read);  // all hers
  EXPECT_EQ(after->find_conversation_log("bob@example.org", "quiet")->message_count, 0);
  // The next message is number 3, not a second number 1.
  const auto seqs = after->append_messages({message_of("c1", "alice@example.org", 2003, "three")});
  ASSERT_EQ(seqs.size(), 1u);
  EXPECT_EQ(seqs[0], 3);
  EXPECT_EQ(after->list_messages("c1", 0, 10).size(), 3u);
}

TEST_F(SqliteMessaging, ACallLogKeepsItsTypeAndHowLongItLasted) {
  auto call = conversation_of("call1", "alice@example.org", "", 1000);
  call.type = "VideoLog";
  store_->create_conversation(call, {"bob@example.org"});
  EXPECT_EQ(log_of("bob@example.org", "call1").type, "VideoLog");
  EXPECT_EQ(log_of("bob@example.org", "call1").duration_ms, 0);

  // The video was turned off for good: the call is logged as what it was at the end.
  store_->finish_call("call1", "AudioLog", 95000, 97000);
  for (const char* who : {"alice@example.org", "bob@example.org"}) {
    const auto log = log_of(who, "call1");
    EXPECT_EQ(log.type, "AudioLog") << who;
    EXPECT_EQ(log.duration_ms, 95000) << who;
    EXPECT_EQ(log.updated_at_ms, 97000) << who;  // it moves to the top of both histories
    EXPECT_EQ(log.message_count, 0) << who;
  }
  // A missed call is a missed entry like a missed conversation.
  EXPECT_TRUE(store_->mark_missed("bob@example.org", "call1"));
  EXPECT_EQ(store_->missed_counts("bob@example.org").missed_conversations, 1);

  EXPECT_THROW(store_->finish_call("nope", "AudioLog", 1, 2), NotFound);
  EXPECT_THROW(store_->finish_call("call1", "MessageLog", 1, 2), ParameterValidationFailure);
  EXPECT_THROW(store_->finish_call("call1", "AudioLog", -5, 2), ParameterValidationFailure);
  auto bad = conversation_of("call2", "alice@example.org");
  bad.type = "FaxLog";
  EXPECT_THROW(store_->create_conversation(bad, {"bob@example.org"}), ParameterValidationFailure);
  EXPECT_FALSE(store_->find_conversation_log("alice@example.org", "call2"));
}

}  // namespace
}  // namespace parley::storage
