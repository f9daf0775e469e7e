#include "storage/sqlite/messaging.hpp"

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <string>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sqlite3.h>

#include "common/error.hpp"
#include "common/time.hpp"
#include "storage/sqlite/input.hpp"

namespace parley::storage::sqlite {
namespace {

constexpr std::size_t kMaxThreadIdBytes = 64;

// ---- SQL. Statements are cached by the address of these constants. ----

constexpr char kInsertConversation[] =
    "INSERT INTO conversations (id, thread_id, subject, importance, initiator, created_at_ms,"
    " log_type) VALUES (?, ?, ?, ?, ?, ?, ?)";
constexpr char kFinishCall[] =
    "UPDATE conversations SET log_type = ?, duration_ms = ? WHERE id = ?";
constexpr char kTouchLogsAt[] =
    "UPDATE conversation_logs SET updated_at_ms = MAX(updated_at_ms, ?) WHERE conversation_id = ?";
constexpr char kInsertParticipant[] =
    "INSERT INTO conversation_participants (conversation_id, \"user\") VALUES (?, ?)"
    " ON CONFLICT DO NOTHING";
constexpr char kInsertLog[] =
    "INSERT INTO conversation_logs (owner, conversation_id, direction, status, preview,"
    " created_at_ms, updated_at_ms, message_count, read, deleted, first_seq)"
    " VALUES (?, ?, ?, 'Archived', ?, ?, ?, ?, ?, FALSE, ?)"
    " ON CONFLICT (owner, conversation_id) DO NOTHING";
constexpr char kLastSeq[] = "SELECT next_seq - 1 FROM conversations WHERE id = ?";
constexpr char kNextSeq[] = "SELECT next_seq FROM conversations WHERE id = ?";
constexpr char kSetNextSeq[] = "UPDATE conversations SET next_seq = MAX(next_seq, ?) WHERE id = ?";
// Conversations with stored messages that their seq counter (and so their history entries) do
// not cover yet: what a crash left unwritten. One index lookup per conversation.
constexpr char kStaleConversations[] =
    "SELECT id, next_seq FROM conversations c"
    " WHERE (SELECT MAX(seq) FROM messages m WHERE m.conversation_id = c.id) >= c.next_seq";
constexpr char kMessagesFrom[] =
    "SELECT seq, sender, at_ms, plain FROM messages WHERE conversation_id = ? AND seq >= ?"
    " ORDER BY seq";
constexpr char kInsertMessage[] =
    "INSERT INTO messages (conversation_id, seq, sender, at_ms, format, text, plain)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)";
// Every participant's entry at once. The sender has read what she sent, so her own entry keeps
// its read state; a Missed entry stays Missed. `?4` is who wrote all the messages being
// written back, or '' when several people did (then everyone has something unread).
constexpr char kTouchLogs[] =
    "UPDATE conversation_logs SET preview = ?1, updated_at_ms = MAX(updated_at_ms, ?2),"
    " message_count = message_count + ?3, read = CASE WHEN owner = ?4 THEN read ELSE FALSE END"
    " WHERE conversation_id = ?5";
constexpr char kMarkMissed[] =
    "UPDATE conversation_logs SET status = 'Missed', read = FALSE"
    " WHERE owner = ? AND conversation_id = ? AND NOT deleted";
constexpr char kMarkRead[] =
    "UPDATE conversation_logs SET read = TRUE"
    " WHERE owner = ? AND conversation_id = ? AND NOT deleted";
constexpr char kDeleteLog[] =
    "UPDATE conversation_logs SET deleted = TRUE"
    " WHERE owner = ? AND conversation_id = ? AND NOT deleted";

#define PARLEY_SQLITE_LOG_COLUMNS                                                           \
  "l.owner, l.conversation_id, c.thread_id, c.subject, c.importance, l.direction, l.status," \
  " l.preview, l.created_at_ms, l.updated_at_ms, l.message_count, l.read, l.first_seq,"      \
  " c.log_type, c.duration_ms"

// Both listings walk conversation_logs_by_owner backwards from the cursor: no sort.
constexpr char kListLogs[] =
    "SELECT " PARLEY_SQLITE_LOG_COLUMNS
    " FROM conversation_logs l JOIN conversations c ON c.id = l.conversation_id"
    " WHERE l.owner = ? AND l.deleted = FALSE"
    " ORDER BY l.updated_at_ms DESC, l.conversation_id DESC LIMIT ?";
constexpr char kListLogsBefore[] =
    "SELECT " PARLEY_SQLITE_LOG_COLUMNS
    " FROM conversation_logs l JOIN conversations c ON c.id = l.conversation_id"
    " WHERE l.owner = ? AND l.deleted = FALSE AND (l.updated_at_ms, l.conversation_id) < (?, ?)"
    " ORDER BY l.updated_at_ms DESC, l.conversation_id DESC LIMIT ?";
constexpr char kFindLog[] =
    "SELECT " PARLEY_SQLITE_LOG_COLUMNS
    " FROM conversation_logs l JOIN conversations c ON c.id = l.conversation_id"
    " WHERE l.owner = ? AND l.conversation_id = ? AND l.deleted = FALSE";
constexpr char kListParticipants[] =
    "SELECT \"user\" FROM conversation_participants WHERE conversation_id = ? ORDER BY \"user\"";
constexpr char kListMessages[] =
    "SELECT conversation_id, seq, sender, at_ms, format, text, plain FROM messages"
    " WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?";
constexpr char kMissedCounts[] =
    "SELECT COUNT(*), COALESCE(SUM(status = 'Missed'), 0),"
    " COALESCE(SUM(status = 'Missed' AND NOT read), 0)"
    " FROM conversation_logs WHERE owner = ? AND deleted = FALSE";
constexpr char kPurgeMessages[] = "DELETE FROM messages WHERE at_ms < ?";
constexpr char kPurgeLogs[] =
    "DELETE FROM conversation_logs WHERE updated_at_ms < ?1 AND NOT EXISTS"
    " (SELECT 1 FROM messages m WHERE m.conversation_id = conversation_logs.conversation_id)";
// A conversation nobody has in her history any more, with nothing left in it, is of no use to
// anyone; its participants go with it (ON DELETE CASCADE).
constexpr char kPurgeConversations[] =
    "DELETE FROM conversations WHERE created_at_ms < ?1"
    " AND NOT EXISTS (SELECT 1 FROM conversation_logs l WHERE l.conversation_id = conversations.id)"
    " AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id)";
constexpr char kDeleteUserLogs[] = "DELETE FROM conversation_logs WHERE owner = ?";

// ---- Input checks ----

// The first `max` characters of `text`.
std::string_view utf8_prefix(std::string_view text, std::size_t max) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == max) return text.substr(0, i);
    ++chars;
  }
  return text;
}

bool valid_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxConversationIdBytes;
}

void check_id(std::string_view id) {
  if (id.empty()) throw ParameterValidationFailure("the conversation id is empty");
  check_size(id, kMaxConversationIdBytes, "the conversation id");
}

void check_conversation(const ConversationRecord& c) {
  check_id(c.id);
  check_one_of(c.type, {"MessageLog", "AudioLog", "VideoLog"}, "the conversation log type");
  check_size(c.thread_id, kMaxThreadIdBytes, "the thread id");
  if (const std::size_t chars = utf8_length(c.subject); chars > kMaxSubjectChars)
    throw ParameterValidationFailure(fmt::format(
        "the subject is {} characters long; at most {} are allowed", chars, kMaxSubjectChars));
  check_one_of(c.importance, {"Normal", "Urgent", "Emergency"}, "the importance");
}

void check_message(const MessageRecord& m) {
  check_id(m.conversation_id);
  if (m.text.size() > kMaxMessageTextBytes)
    throw EntityTooLarge(fmt::format("the message is {} bytes long; at most {} are allowed",
                                     m.text.size(), kMaxMessageTextBytes));
  check_size(m.plain, kMaxMessageTextBytes, "the plain text of the message");
  check_one_of(m.format, {"Plain", "Html"}, "the message format");
}

void insert_log(Connection& db, std::string_view owner, std::string_view conversation_id,
                std::string_view direction, std::string_view preview, std::int64_t at_ms,
                std::int64_t message_count, bool read, std::int64_t first_seq = 1) {
  db.prepare(kInsertLog)
      .bind_text(1, owner)
      .bind_text(2, conversation_id)
      .bind_text(3, direction)
      .bind_text(4, preview)
      .bind_int(5, at_ms)
      .bind_int(6, at_ms)
      .bind_int(7, message_count)
      .bind_bool(8, read)
      .bind_int(9, first_seq)
      .run();
}

std::vector<std::string> participants_of(Connection& db, std::string_view conversation_id) {
  std::vector<std::string> out;
  Statement st = db.prepare(kListParticipants);
  st.bind_text(1, conversation_id);
  while (st.step()) out.push_back(st.column_text(0));
  return out;
}

// Reads a row of PARLEY_SQLITE_LOG_COLUMNS; participants are filled in afterwards, once the
// listing statement is done with (a statement cannot be in use twice).
ConversationLogRecord read_log(const Statement& st) {
  ConversationLogRecord r;
  r.owner = st.column_text(0);
  r.conversation_id = st.column_text(1);
  r.thread_id = st.column_text(2);
  r.subject = st.column_text(3);
  r.importance = st.column_text(4);
  r.direction = st.column_text(5);
  r.status = st.column_text(6);
  r.preview = st.column_text(7);
  r.created_at_ms = st.column_int(8);
  r.updated_at_ms = st.column_int(9);
  r.message_count = st.column_int(10);
  r.read = st.column_bool(11);
  r.first_seq = st.column_int(12);
  r.type = st.column_text(13);
  r.duration_ms = st.column_int(14);
  return r;
}

std::int64_t sql_limit(std::size_t limit) {
  return static_cast<std::int64_t>(
      std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

bool update_own_log(Connection& db, const char* sql, std::string_view owner,
                    std::string_view conversation_id) {
  const auto uri = uri_for_lookup(owner);
  if (!uri || !valid_id(conversation_id)) return false;
  db.prepare(sql).bind_text(1, *uri).bind_text(2, conversation_id).run();
  return db.changes() > 0;
}

// The messages of one conversation within a batch.
struct BatchGroup {
  std::string_view conversation_id;
  std::int64_t count = 0;
  std::int64_t next_seq = 0;  // its first seq; one past its last once stored
  std::size_t last = 0;       // index of its last message in the batch
  std::int64_t latest_ms = 0;
  std::string only_sender;    // empty when more than one person wrote
  bool mixed = false;
};

}  // namespace

void create_conversation(Connection& db, const ConversationRecord& c,
                         const std::vector<std::string>& participants) {
  check_conversation(c);
  const std::string initiator = uri_for_write(c.initiator);
  // The initiator takes part whether or not the caller listed her; each address once.
  std::vector<std::string> everyone{initiator};
  for (const std::string& p : participants) {
    std::string uri = uri_for_write(p);
    if (std::find(everyone.begin(), everyone.end(), uri) == everyone.end())
      everyone.push_back(std::move(uri));
  }
  const std::int64_t created = c.created_at_ms != 0 ? c.created_at_ms : now_ms();

  Transaction tx(db);
  try {
    db.prepare(kInsertConversation)
        .bind_text(1, c.id)
        .bind_text(2, c.thread_id)
        .bind_text(3, c.subject)
        .bind_text(4, c.importance)
        .bind_text(5, initiator)
        .bind_int(6, created)
        .bind_text(7, c.type)
        .run();
  } catch (const SqliteError& e) {
    if (e.code() == SQLITE_CONSTRAINT_PRIMARYKEY || e.code() == SQLITE_CONSTRAINT_UNIQUE)
      throw Conflict(fmt::format("conversation {} already exists", c.id));
    throw;
  }
  for (const std::string& uri : everyone) {
    db.prepare(kInsertParticipant).bind_text(1, c.id).bind_text(2, uri).run();
    const bool outgoing = uri == initiator;
    insert_log(db, uri, c.id, outgoing ? "Outgoing" : "Incoming", "", created, 0, outgoing);
  }
  tx.commit();
}

void add_participant(Connection& db, std::string_view conversation_id, std::string_view user) {
  check_id(conversation_id);
  const std::string uri = uri_for_write(user);
  Transaction tx(db);
  std::int64_t last_seq = 0;
  {
    Statement st = db.prepare(kLastSeq);
    st.bind_text(1, conversation_id);
    if (!st.step())
      throw NotFound(fmt::format("there is no conversation {}", conversation_id));
    last_seq = st.column_int(0);
  }
  db.prepare(kInsertParticipant).bind_text(1, conversation_id).bind_text(2, uri).run();
  if (db.changes() == 0) return;  // she is in it already
  // What was said before she joined was not said to her: her entry starts empty and covers the
  // conversation from the next message on.
  insert_log(db, uri, conversation_id, "Incoming", "", now_ms(), 0, true, last_seq + 1);
  tx.commit();
}

std::vector<std::int64_t> append_messages(Connection& db, PendingLogs& pending,
                                          const std::vector<MessageRecord>& messages) {
  std::vector<std::int64_t> seqs;
  if (messages.empty()) return seqs;
  // Everything is checked and grouped before the transaction starts: a refused batch writes
  // nothing, and the write lock is held only for the writes.
  std::vector<std::string> senders;
  std::vector<std::size_t> group_of;
  std::vector<BatchGroup> groups;
  std::unordered_map<std::string_view, std::size_t> group_index;
  senders.reserve(messages.size());
  group_of.reserve(messages.size());
  const std::int64_t now = now_ms();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const MessageRecord& m = messages[i];
    check_message(m);
    senders.push_back(uri_for_write(m.sender));
    const auto [it, inserted] = group_index.try_emplace(m.conversation_id, groups.size());
    if (inserted) {
      BatchGroup g;
      g.conversation_id = m.conversation_id;
      g.only_sender = senders.back();
      groups.push_back(std::move(g));
    }
    BatchGroup& g = groups[it->second];
    ++g.count;
    g.last = i;
    g.latest_ms = std::max(g.latest_ms, m.at_ms != 0 ? m.at_ms : now);
    if (!g.mixed && g.only_sender != senders.back()) {
      g.mixed = true;
      g.only_sender.clear();
    }
    group_of.push_back(it->second);
  }

  Transaction tx(db);
  for (BatchGroup& g : groups) {
    if (const auto it = pending.entries.find(g.conversation_id);
        it != pending.entries.end()) {
      g.next_seq = it->second.next_seq;
      continue;
    }
    Statement st = db.prepare(kNextSeq);
    st.bind_text(1, g.conversation_id);
    if (!st.step())
      throw NotFound(fmt::format("there is no conversation {}", g.conversation_id));
    g.next_seq = st.column_int(0);
  }
  seqs.reserve(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const MessageRecord& m = messages[i];
    const std::int64_t seq = groups[group_of[i]].next_seq++;
    // The batch outlives the statement (reset at the end of this line): SQLite need not copy.
    db.prepare(kInsertMessage)
        .bind_text_in_place(1, m.conversation_id)
        .bind_int(2, seq)
        .bind_text_in_place(3, senders[i])
        .bind_int(4, m.at_ms != 0 ? m.at_ms : now)
        .bind_text_in_place(5, m.format)
        .bind_text_in_place(6, m.text)
        .bind_text_in_place(7, m.plain)
        .run();
    seqs.push_back(seq);
  }
  tx.commit();
  // Stored: what the batch changes in the history entries waits with the rest.
  for (const BatchGroup& g : groups) {
    auto found = pending.entries.find(g.conversation_id);
    if (found == pending.entries.end()) found = pending.entries.try_emplace(std::string(g.conversation_id)).first;
    PendingLogs::Entry& e = found->second;
    if (e.count == 0) {
      e.only_sender = g.only_sender;
      e.mixed = g.mixed;
    } else if (!e.mixed && (g.mixed || e.only_sender != g.only_sender)) {
      e.mixed = true;
      e.only_sender.clear();
    }
    e.next_seq = g.next_seq;  // one past the batch's last
    e.count += g.count;
    e.latest_ms = std::max(e.latest_ms, g.latest_ms);
    e.preview = utf8_prefix(messages[g.last].plain, kMaxPreviewChars);
  }
  return seqs;
}

namespace {

// Writes one conversation's pending summary: its seq counter, then its history entries.
void touch_logs(Connection& db, std::string_view conversation_id, const PendingLogs::Entry& e) {
  db.prepare(kSetNextSeq).bind_int(1, e.next_seq).bind_text(2, conversation_id).run();
  if (e.count == 0) return;
  db.prepare(kTouchLogs)
      .bind_text(1, e.preview)
      .bind_int(2, e.latest_ms)
      .bind_int(3, e.count)
      .bind_text(4, e.mixed ? std::string_view() : std::string_view(e.only_sender))
      .bind_text(5, conversation_id)
      .run();
}

}  // namespace

void write_back_logs(Connection& db, PendingLogs& pending) {
  // In transactions of at most kWriteBackChunk conversations: a second of messages to tens of
  // thousands of conversations must not hold the writer (and every message behind it) in one
  // long transaction. Each chunk leaves the map once committed; a crash in between is what
  // repair_logs() is for.
  while (!pending.entries.empty()) {
    Transaction tx(db);
    auto it = pending.entries.begin();
    for (std::size_t n = 0; n < kWriteBackChunk && it != pending.entries.end(); ++n, ++it)
      touch_logs(db, it->first, it->second);
    tx.commit();
    pending.entries.erase(pending.entries.begin(), it);
  }
}

std::size_t repair_logs(Connection& db) {
  std::vector<std::pair<std::string, std::int64_t>> stale;
  {
    Statement st = db.prepare(kStaleConversations);
    while (st.step()) stale.emplace_back(st.column_text(0), st.column_int(1));
  }
  if (stale.empty()) return 0;
  Transaction tx(db);
  for (const auto& [id, from] : stale) {
    PendingLogs::Entry e;
    {
      Statement st = db.prepare(kMessagesFrom);
      st.bind_text(1, id).bind_int(2, from);
      while (st.step()) {
        std::string sender = st.column_text(1);
        if (e.count == 0) e.only_sender = sender;
        else if (!e.mixed && sender != e.only_sender) e.mixed = true;
        e.next_seq = st.column_int(0) + 1;
        e.latest_ms = std::max(e.latest_ms, st.column_int(2));
        const std::string plain = st.column_text(3);
        e.preview = utf8_prefix(plain, kMaxPreviewChars);
        ++e.count;
      }
    }
    touch_logs(db, id, e);
  }
  tx.commit();
  return stale.size();
}

void finish_call(Connection& db, std::string_view conversation_id, std::string_view type,
                 std::int64_t duration_ms, std::int64_t at_ms) {
  check_id(conversation_id);
  check_one_of(type, {"AudioLog", "VideoLog"}, "the call log type");
  if (duration_ms < 0) throw ParameterValidationFailure("a call cannot last less than nothing");
  Transaction tx(db);
  Statement update = db.prepare(kFinishCall);
  update.bind_text(1, type).bind_int(2, duration_ms).bind_text(3, conversation_id).run();
  if (db.changes() == 0) throw NotFound(fmt::format("no conversation {}", conversation_id));
  db.prepare(kTouchLogsAt).bind_int(1, at_ms).bind_text(2, conversation_id).run();
  tx.commit();
}

bool mark_missed(Connection& db, std::string_view owner, std::string_view conversation_id) {
  return update_own_log(db, kMarkMissed, owner, conversation_id);
}

bool mark_log_read(Connection& db, std::string_view owner, std::string_view conversation_id) {
  return update_own_log(db, kMarkRead, owner, conversation_id);
}

bool delete_conversation_log(Connection& db, std::string_view owner,
                             std::string_view conversation_id) {
  return update_own_log(db, kDeleteLog, owner, conversation_id);
}

std::vector<ConversationLogRecord> list_conversation_logs(
    Connection& db, std::string_view owner, const std::optional<Store::LogCursor>& before,
    std::size_t limit) {
  std::vector<ConversationLogRecord> out;
  const auto uri = uri_for_lookup(owner);
  if (!uri || limit == 0) return out;
  {
    Statement st = db.prepare(before ? kListLogsBefore : kListLogs);
    int index = 1;
    st.bind_text(index++, *uri);
    if (before) {
      st.bind_int(index++, before->updated_at_ms);
      st.bind_text(index++, before->conversation_id);
    }
    st.bind_int(index, sql_limit(limit));
    while (st.step()) out.push_back(read_log(st));
  }
  for (ConversationLogRecord& r : out) r.participants = participants_of(db, r.conversation_id);
  return out;
}

std::optional<ConversationLogRecord> find_conversation_log(Connection& db, std::string_view owner,
                                                           std::string_view conversation_id) {
  const auto uri = uri_for_lookup(owner);
  if (!uri || !valid_id(conversation_id)) return std::nullopt;
  std::optional<ConversationLogRecord> r;
  {
    Statement st = db.prepare(kFindLog);
    st.bind_text(1, *uri).bind_text(2, conversation_id);
    if (!st.step()) return std::nullopt;
    r = read_log(st);
  }
  r->participants = participants_of(db, conversation_id);
  return r;
}

std::vector<MessageRecord> list_messages(Connection& db, std::string_view conversation_id,
                                         std::int64_t after_seq, std::size_t limit) {
  std::vector<MessageRecord> out;
  if (!valid_id(conversation_id) || limit == 0) return out;
  Statement st = db.prepare(kListMessages);
  st.bind_text(1, conversation_id).bind_int(2, after_seq).bind_int(3, sql_limit(limit));
  while (st.step()) {
    MessageRecord m;
    m.conversation_id = st.column_text(0);
    m.seq = st.column_int(1);
    m.sender = st.column_text(2);
    m.at_ms = st.column_int(3);
    m.format = st.column_text(4);
    m.text = st.column_text(5);
    m.plain = st.column_text(6);
    out.push_back(std::move(m));
  }
  return out;
}

MissedCounts missed_counts(Connection& db, std::string_view owner) {
  MissedCounts counts;
  const auto uri = uri_for_lookup(owner);
  if (!uri) return counts;
  Statement st = db.prepare(kMissedCounts);
  st.bind_text(1, *uri);
  if (!st.step()) db.fail(kMissedCounts);
  counts.conversation_logs = st.column_int(0);
  counts.missed_conversations = st.column_int(1);
  counts.unread_missed_conversations = st.column_int(2);
  return counts;
}

std::size_t purge_messages_before(Connection& db, std::int64_t before_ms) {
  Transaction tx(db);
  db.prepare(kPurgeMessages).bind_int(1, before_ms).run();
  const auto purged = static_cast<std::size_t>(db.changes());
  db.prepare(kPurgeLogs).bind_int(1, before_ms).run();
  db.prepare(kPurgeConversations).bind_int(1, before_ms).run();
  tx.commit();
  return purged;
}

void remove_user_conversation_logs(Connection& db, std::string_view sip_uri) {
  db.prepare(kDeleteUserLogs).bind_text(1, sip_uri).run();
}

}  // namespace parley::storage::sqlite
