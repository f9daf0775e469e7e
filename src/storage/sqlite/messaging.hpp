#pragma once
// Conversations, messages and conversation logs in the SQLite store (`conversations`,
// `conversation_participants`, `messages`, `conversation_logs`), internal to parley_storage. Each
// function runs on a connection the caller has to itself (the store holds its lock); see Store
// for the contract.
//
// Limits (checked before anything is written):
// - conversation id: 1..64 bytes; thread id: up to 64 bytes (ParameterValidationFailure);
// - subject: at most 250 characters (ParameterValidationFailure);
// - importance: Normal, Urgent or Emergency; message format: Plain or Html;
// - participants, senders and owners: SIP URIs of 1..1024 bytes, kept lower-case;
// - message text: at most 64 KiB (EntityTooLarge); its plain rendering: at most 64 KiB
//   (ParameterValidationFailure).
// Lookups with an id or address beyond these limits find nothing.
//
// A participant's log entry that she deleted stays hidden: later messages still count in it, but
// it is not listed, found, marked read or marked missed.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/text.hpp"
#include "storage/sqlite/connection.hpp"
#include "storage/store.hpp"

namespace parley::storage::sqlite {

constexpr std::size_t kMaxConversationIdBytes = 64;
constexpr std::size_t kMaxSubjectChars = 250;
constexpr std::size_t kMaxMessageTextBytes = 64 * 1024;
constexpr std::size_t kMaxPreviewChars = 256;
constexpr std::size_t kWriteBackChunk = 1000;  // conversations per write-back transaction

// What stored messages have changed in their conversations' seq counters and history entries
// and is not yet written there. Appending writes the messages alone (one INSERT each): a burst of
// messages to many conversations would otherwise rewrite every one of their entries, and the
// index pages that order them, at each commit. write_back_logs() folds this into
// `conversations.next_seq` and `conversation_logs`; the store does it before anything reads or
// changes those, about once a second while messages flow, and when it closes. A crash loses
// only this summary, never a message: a `next_seq` not past the last stored seq says what was
// not written back, and repair_logs() rebuilds it from the messages at start. That presumes one
// store per database, as parleyd is (the CLI goes through its admin API, never the file).
struct PendingLogs {
  struct Entry {
    std::int64_t next_seq = 0;  // the seq the conversation's next message gets
    std::int64_t count = 0;     // its messages since the last write-back
    std::int64_t latest_ms = 0;
    std::string preview;        // of the newest of them
    std::string only_sender;    // who wrote them all; empty once several people did
    bool mixed = false;
  };
  // Looked up by a conversation id as a string_view, without building a string.
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> entries;
};

void create_conversation(Connection& db, const ConversationRecord& c,
                         const std::vector<std::string>& participants);
void add_participant(Connection& db, std::string_view conversation_id, std::string_view user);
// Stores the messages in one transaction and adds them to `pending` once it has committed.
std::vector<std::int64_t> append_messages(Connection& db, PendingLogs& pending,
                                          const std::vector<MessageRecord>& messages);
// Writes `pending` to the conversations and their history entries and empties it, in
// transactions of kWriteBackChunk conversations. On failure what is not written is kept.
void write_back_logs(Connection& db, PendingLogs& pending);
// Brings the seq counters and history entries of conversations up to their stored messages
// (after a crash lost what was pending). Returns how many conversations needed it.
std::size_t repair_logs(Connection& db);
void finish_call(Connection& db, std::string_view conversation_id, std::string_view type,
                 std::int64_t duration_ms, std::int64_t at_ms);
bool mark_missed(Connection& db, std::string_view owner, std::string_view conversation_id);
std::vector<ConversationLogRecord> list_conversation_logs(
    Connection& db, std::string_view owner, const std::optional<Store::LogCursor>& before,
    std::size_t limit);
std::optional<ConversationLogRecord> find_conversation_log(Connection& db, std::string_view owner,
                                                           std::string_view conversation_id);
std::vector<MessageRecord> list_messages(Connection& db, std::string_view conversation_id,
                                         std::int64_t after_seq, std::size_t limit);
bool mark_log_read(Connection& db, std::string_view owner, std::string_view conversation_id);
bool delete_conversation_log(Connection& db, std::string_view owner,
                             std::string_view conversation_id);
MissedCounts missed_counts(Connection& db, std::string_view owner);
std::size_t purge_messages_before(Connection& db, std::int64_t before_ms);

// The log entries of a user being removed; the caller holds the transaction that removes her.
// `sip_uri` is in stored form. Her conversations, and her messages in them, stay for the others.
void remove_user_conversation_logs(Connection& db, std::string_view sip_uri);

}  // namespace parley::storage::sqlite
