#include "storage/sqlite/sqlite_store.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <mutex>

#include <fmt/format.h>
#include <sqlite3.h>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "storage/sqlite/audit.hpp"
#include "storage/sqlite/connection.hpp"
#include "storage/sqlite/contacts.hpp"
#include "storage/sqlite/directory.hpp"
#include "storage/sqlite/input.hpp"
#include "storage/sqlite/messaging.hpp"
#include "storage/sqlite/photos.hpp"
#include "storage/sqlite/policies.hpp"
#include "storage/sqlite/push.hpp"
#include "storage/sqlite/schema.hpp"
#include "storage/sqlite/signins.hpp"
#include "storage/sqlite/tokens.hpp"
#include "storage/sqlite/user_row.hpp"

namespace parley::storage {
namespace {

using sqlite::Connection;
using sqlite::SqliteError;
using sqlite::Statement;
using sqlite::Transaction;
using sqlite::check_size;
using sqlite::lower_ascii;
using sqlite::read_user;
using sqlite::single_int;
using sqlite::uri_for_lookup;
using sqlite::uri_for_write;

constexpr std::size_t kMaxFieldBytes = 4096;
constexpr std::size_t kMaxPasswordHashBytes = 512;
constexpr std::size_t kMaxSettingKeyBytes = 256;
constexpr std::size_t kMaxSettingValueBytes = 1024 * 1024;
constexpr std::size_t kMaxImportRows = 10000;

// ---- SQL. Statements are cached by the address of these constants. ----

constexpr char kSelectOne[] = "SELECT 1";
constexpr char kFindUser[] = "SELECT " PARLEY_SQLITE_USER_COLUMNS " FROM users WHERE sip_uri = ?";
constexpr char kListUsers[] =
    "SELECT " PARLEY_SQLITE_USER_COLUMNS " FROM users WHERE sip_uri > ? ORDER BY sip_uri LIMIT ?";
constexpr char kListUsersByEnabled[] =
    "SELECT " PARLEY_SQLITE_USER_COLUMNS
    " FROM users WHERE sip_uri > ? AND enabled = ? ORDER BY sip_uri LIMIT ?";
constexpr char kCountUsers[] = "SELECT COUNT(*) FROM users";
constexpr char kInsertUser[] =
    "INSERT INTO users (sip_uri, display_name, email, title, department, office, phone_work, "
    "phone_mobile, phone_home, phone_other, site, enabled, password_hash, created_at_ms, "
    "updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
constexpr char kUpdateUser[] =
    "UPDATE users SET display_name = ?, email = ?, title = ?, department = ?, office = ?, "
    "phone_work = ?, phone_mobile = ?, phone_home = ?, phone_other = ?, site = ?, enabled = ?, "
    "updated_at_ms = ? WHERE id = ?";
constexpr char kDeleteUser[] = "DELETE FROM users WHERE sip_uri = ?";
constexpr char kSetPasswordHash[] =
    "UPDATE users SET password_hash = ?, updated_at_ms = ? WHERE sip_uri = ?";
constexpr char kGetPasswordHash[] = "SELECT password_hash FROM users WHERE sip_uri = ?";
constexpr char kGetSetting[] = "SELECT value FROM settings WHERE key = ?";
constexpr char kPutSetting[] =
    "INSERT INTO settings (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";

// ---- Input checks ----

void check_profile(const UserProfile& p) {
  check_size(p.display_name, kMaxFieldBytes, "displayName");
  check_size(p.email, kMaxFieldBytes, "email");
  check_size(p.title, kMaxFieldBytes, "title");
  check_size(p.department, kMaxFieldBytes, "department");
  check_size(p.office, kMaxFieldBytes, "office");
  check_size(p.site, kMaxFieldBytes, "site");
  check_size(p.phones.work, kMaxFieldBytes, "phones.work");
  check_size(p.phones.mobile, kMaxFieldBytes, "phones.mobile");
  check_size(p.phones.home, kMaxFieldBytes, "phones.home");
  check_size(p.phones.other, kMaxFieldBytes, "phones.other");
}

void check_password_hash(std::string_view hash) {
  check_size(hash, kMaxPasswordHashBytes, "the password hash");
}

// Applies the fields a patch holds to `profile`/`enabled`. Size checks happen on the result.
void apply_patch(const UserPatch& patch, UserProfile& profile, bool& enabled) {
  const auto set = [](const std::optional<std::string>& from, std::string& to) {
    if (from) to = *from;
  };
  set(patch.display_name, profile.display_name);
  set(patch.email, profile.email);
  set(patch.title, profile.title);
  set(patch.department, profile.department);
  set(patch.office, profile.office);
  set(patch.site, profile.site);
  set(patch.phone_work, profile.phones.work);
  set(patch.phone_mobile, profile.phones.mobile);
  set(patch.phone_home, profile.phones.home);
  set(patch.phone_other, profile.phones.other);
  if (patch.enabled) enabled = *patch.enabled;
}

// A change must move updated_at forward even when it lands in the same millisecond as the last
// one, or when the wall clock has stepped back: clients compare it to notice changes.
std::int64_t next_update_time(std::int64_t previous) {
  return std::max(now_ms(), previous + 1);
}

// ---- The store ----

class SqliteStore final : public Store {
public:
  explicit SqliteStore(const std::filesystem::path& file)
      : db_(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX) {
    sqlite::configure(db_);
    version_ = sqlite::migrate(db_);
    if (const std::size_t n = sqlite::repair_logs(db_))
      logger("store")->warn("database {}: brought the history of {} conversation(s) up to their "
                            "stored messages (the last stop was not clean)",
                            file.string(), n);
  }

  ~SqliteStore() override {
    try {
      sqlite::write_back_logs(db_, pending_);
    } catch (const std::exception& e) {
      // Nothing is lost: the next start rebuilds it from the messages (repair_logs).
      logger("store")->warn("database {}: history entries not written back at close: {}",
                            db_.file().string(), e.what());
    }
  }

  void ping() override {
    std::lock_guard lock(mutex_);
    single_int(db_, kSelectOne);
  }

  std::optional<User> find_user(std::string_view sip_uri) override {
    const auto uri = uri_for_lookup(sip_uri);
    if (!uri) return std::nullopt;
    std::lock_guard lock(mutex_);
    return find_locked(*uri);
  }

  std::vector<User> list_users(const ListQuery& q) override {
    const std::string after = lower_ascii(q.after);
    const auto limit = static_cast<std::int64_t>(
        std::min<std::size_t>(q.limit, std::numeric_limits<std::int64_t>::max()));
    std::vector<User> users;
    if (limit == 0) return users;
    std::lock_guard lock(mutex_);
    Statement st = db_.prepare(q.enabled ? kListUsersByEnabled : kListUsers);
    int index = 1;
    st.bind_text(index++, after);
    if (q.enabled) st.bind_bool(index++, *q.enabled);
    st.bind_int(index, limit);
    while (st.step()) users.push_back(read_user(st));
    return users;
  }

  std::size_t count_users() override {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(single_int(db_, kCountUsers));
  }

  User create_user(std::string_view sip_uri, const UserProfile& profile, bool enabled,
                   std::string_view password_hash) override {
    const std::string uri = uri_for_write(sip_uri);
    check_profile(profile);
    check_password_hash(password_hash);
    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    User user = insert_locked(uri, profile, enabled, password_hash);
    tx.commit();
    return user;
  }

  std::optional<User> update_user(std::string_view sip_uri, const UserPatch& patch) override {
    const auto uri = uri_for_lookup(sip_uri);
    if (!uri) return std::nullopt;
    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    std::optional<User> user = find_locked(*uri);
    if (!user) return std::nullopt;
    UserProfile profile = user->profile;
    bool enabled = user->enabled;
    apply_patch(patch, profile, enabled);
    if (profile == user->profile && enabled == user->enabled) return user;
    check_profile(profile);
    update_locked(*user, profile, enabled);
    tx.commit();
    return user;
  }

  bool remove_user(std::string_view sip_uri) override {
    const auto uri = uri_for_lookup(sip_uri);
    if (!uri) return false;
    std::lock_guard lock(mutex_);
    sqlite::write_back_logs(db_, pending_);
    Transaction tx(db_);
    // Her tokens, search terms, photo and contact list go in the same statement, through
    // ON DELETE CASCADE (configure() turns foreign keys on for this connection). Her policy
    // assignments and conversation history are keyed by address, not by a foreign key, so they
    // go explicitly; the conversations she took part in stay for the others.
    db_.prepare(kDeleteUser).bind_text(1, *uri).run();
    if (db_.changes() == 0) return false;
    sqlite::remove_user_assignments(db_, *uri);
    sqlite::remove_user_conversation_logs(db_, *uri);
    sqlite::remove_user_push_registrations(db_, *uri);
    tx.commit();
    return true;
  }

  bool set_password_hash(std::string_view sip_uri, std::string_view password_hash) override {
    const auto uri = uri_for_lookup(sip_uri);
    if (!uri) return false;
    check_password_hash(password_hash);
    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    const std::optional<User> user = find_locked(*uri);
    if (!user) return false;
    db_.prepare(kSetPasswordHash)
        .bind_text(1, password_hash)
        .bind_int(2, next_update_time(user->updated_at_ms))
        .bind_text(3, *uri)
        .run();
    tx.commit();
    return true;
  }

  std::optional<std::string> password_hash(std::string_view sip_uri) override {
    const auto uri = uri_for_lookup(sip_uri);
    if (!uri) return std::nullopt;
    std::lock_guard lock(mutex_);
    Statement st = db_.prepare(kGetPasswordHash);
    st.bind_text(1, *uri);
    if (!st.step()) return std::nullopt;
    return st.column_text(0);
  }

  std::vector<ImportOutcome> import_users(const std::vector<ImportRow>& rows) override {
    if (rows.size() > kMaxImportRows)
      throw ParameterValidationFailure(fmt::format(
          "an import holds at most {} users; this one has {}", kMaxImportRows, rows.size()));
    // Check every row before writing any, so a bad row cannot leave half a batch behind.
    std::vector<std::string> uris;
    uris.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      try {
        uris.push_back(uri_for_write(rows[i].sip_uri));
        check_profile(rows[i].profile);
        check_password_hash(rows[i].password_hash);
      } catch (const ParameterValidationFailure& e) {
        throw ParameterValidationFailure(fmt::format("import row {}: {}", i, e.what()));
      }
    }

    std::vector<ImportOutcome> outcomes;
    outcomes.reserve(rows.size());
    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const ImportRow& row = rows[i];
      std::optional<User> user = find_locked(uris[i]);
      if (!user) {
        insert_locked(uris[i], row.profile, row.enabled, row.password_hash);
        outcomes.push_back(ImportOutcome::created);
      } else if (user->profile == row.profile && user->enabled == row.enabled) {
        outcomes.push_back(ImportOutcome::unchanged);
      } else {
        update_locked(*user, row.profile, row.enabled);
        outcomes.push_back(ImportOutcome::updated);
      }
    }
    tx.commit();
    return outcomes;
  }

  std::optional<std::string> get_setting(std::string_view key) override {
    if (key.empty() || key.size() > kMaxSettingKeyBytes) return std::nullopt;
    std::lock_guard lock(mutex_);
    Statement st = db_.prepare(kGetSetting);
    st.bind_text(1, key);
    if (!st.step()) return std::nullopt;
    return st.column_text(0);
  }

  void put_setting(std::string_view key, std::string_view value) override {
    if (key.empty()) throw ParameterValidationFailure("the setting name is empty");
    check_size(key, kMaxSettingKeyBytes, "the setting name");
    check_size(value, kMaxSettingValueBytes, "the setting value");
    std::lock_guard lock(mutex_);
    db_.prepare(kPutSetting).bind_text(1, key).bind_text(2, value).run();
  }

  void insert_token(const TokenRecord& token) override {
    std::lock_guard lock(mutex_);
    sqlite::insert_token(db_, token);
  }

  std::optional<TokenRecord> find_token(std::string_view token_sha256) override {
    std::lock_guard lock(mutex_);
    return sqlite::find_token(db_, token_sha256);
  }

  std::vector<TokenRecord> list_tokens(std::string_view sip_uri) override {
    std::lock_guard lock(mutex_);
    return sqlite::list_tokens(db_, sip_uri);
  }

  std::size_t revoke_user_tokens(std::string_view sip_uri) override {
    std::lock_guard lock(mutex_);
    return sqlite::revoke_user_tokens(db_, sip_uri);
  }

  bool revoke_token(std::string_view token_sha256) override {
    std::lock_guard lock(mutex_);
    return sqlite::revoke_token(db_, token_sha256);
  }

  std::size_t purge_expired_tokens(std::int64_t now) override {
    std::lock_guard lock(mutex_);
    return sqlite::purge_expired_tokens(db_, now);
  }

  std::int64_t append_signin(const SigninRecord& record) override {
    std::lock_guard lock(mutex_);
    return sqlite::append_signin(db_, record);
  }

  std::vector<SigninRecord> list_signins(const SigninQuery& q) override {
    std::lock_guard lock(mutex_);
    return sqlite::list_signins(db_, q);
  }

  std::vector<User> search_directory(std::string_view query, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    return sqlite::search_directory(db_, query, limit);
  }

  std::vector<ContactGroup> list_groups(std::string_view owner) override {
    std::lock_guard lock(mutex_);
    return sqlite::list_groups(db_, owner);
  }

  ContactGroup create_group(std::string_view owner, std::string_view name) override {
    std::lock_guard lock(mutex_);
    return sqlite::create_group(db_, owner, name);
  }

  bool rename_group(std::string_view owner, std::int64_t group_id,
                    std::string_view name) override {
    std::lock_guard lock(mutex_);
    return sqlite::rename_group(db_, owner, group_id, name);
  }

  bool remove_group(std::string_view owner, std::int64_t group_id) override {
    std::lock_guard lock(mutex_);
    return sqlite::remove_group(db_, owner, group_id);
  }

  std::vector<GroupMembership> list_memberships(std::string_view owner) override {
    std::lock_guard lock(mutex_);
    return sqlite::list_memberships(db_, owner);
  }

  bool add_membership(std::string_view owner, std::string_view contact_uri,
                      std::int64_t group_id) override {
    std::lock_guard lock(mutex_);
    return sqlite::add_membership(db_, owner, contact_uri, group_id);
  }

  bool remove_membership(std::string_view owner, std::string_view contact_uri,
                         std::int64_t group_id) override {
    std::lock_guard lock(mutex_);
    return sqlite::remove_membership(db_, owner, contact_uri, group_id);
  }

  std::size_t remove_contact(std::string_view owner, std::string_view contact_uri) override {
    std::lock_guard lock(mutex_);
    return sqlite::remove_contact(db_, owner, contact_uri);
  }

  std::optional<Photo> find_photo(std::string_view sip_uri) override {
    std::lock_guard lock(mutex_);
    return sqlite::find_photo(db_, sip_uri);
  }

  void put_photo(std::string_view sip_uri, const Photo& photo) override {
    std::lock_guard lock(mutex_);
    sqlite::put_photo(db_, sip_uri, photo);
  }

  bool remove_photo(std::string_view sip_uri) override {
    std::lock_guard lock(mutex_);
    return sqlite::remove_photo(db_, sip_uri);
  }

  std::vector<NamedPolicy> list_policies(std::string_view kind) override {
    std::lock_guard lock(mutex_);
    return sqlite::list_policies(db_, kind);
  }

  std::optional<NamedPolicy> find_policy(std::string_view kind, std::string_view name) override {
    std::lock_guard lock(mutex_);
    return sqlite::find_policy(db_, kind, name);
  }

  void put_policy(const NamedPolicy& policy, bool create_only, const AuditRecord& audit) override {
    std::lock_guard lock(mutex_);
    sqlite::put_policy(db_, policy, create_only, audit);
  }

  bool remove_policy(std::string_view kind, std::string_view name,
                     const AuditRecord& audit) override {
    std::lock_guard lock(mutex_);
    return sqlite::remove_policy(db_, kind, name, audit);
  }

  void assign_policy(const PolicyAssignment& assignment, const AuditRecord& audit) override {
    std::lock_guard lock(mutex_);
    sqlite::assign_policy(db_, assignment, audit);
  }

  std::vector<PolicyAssignment> list_assignments(std::string_view kind) override {
    std::lock_guard lock(mutex_);
    return sqlite::list_assignments(db_, kind);
  }

  std::optional<std::string> get_service_config(std::string_view kind,
                                                std::string_view scope) override {
    std::lock_guard lock(mutex_);
    return sqlite::get_service_config(db_, kind, scope);
  }

  std::vector<std::pair<std::string, std::string>> list_service_config(
      std::string_view kind) override {
    std::lock_guard lock(mutex_);
    return sqlite::list_service_config(db_, kind);
  }

  void put_service_config(std::string_view kind, std::string_view scope, std::string_view settings,
                          const AuditRecord& audit) override {
    std::lock_guard lock(mutex_);
    sqlite::put_service_config(db_, kind, scope, settings, audit);
  }

  std::int64_t append_audit(const AuditRecord& record) override {
    std::lock_guard lock(mutex_);
    return sqlite::append_audit(db_, record);
  }

  std::vector<AuditRecord> list_audit(std::int64_t before_id, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    return sqlite::list_audit(db_, before_id, limit);
  }

  void create_conversation(const ConversationRecord& c,
                           const std::vector<std::string>& participants) override {
    std::lock_guard lock(mutex_);
    sqlite::create_conversation(db_, c, participants);
  }

  // Joins her from the next message on: what is pending belongs to the messages before.
  void add_participant(std::string_view conversation_id, std::string_view user) override {
    std::lock_guard lock(mutex_);
    sqlite::write_back_logs(db_, pending_);
    sqlite::add_participant(db_, conversation_id, user);
  }

  std::vector<std::int64_t> append_messages(const std::vector<MessageRecord>& messages) override {
    std::lock_guard lock(mutex_);
    auto seqs = sqlite::append_messages(db_, pending_, messages);
    const auto now = std::chrono::steady_clock::now();
    if (now - written_back_ >= kWriteBackEvery) {
      written_back_ = now;
      // The messages are stored whatever happens here: failing now must not fail the append
      // (the writer would store them again); what stays pending is written back later.
      try {
        sqlite::write_back_logs(db_, pending_);
      } catch (const std::exception& e) {
        logger("store")->warn("database {}: history entries not written back yet: {}",
                              db_.file().string(), e.what());
      }
    }
    return seqs;
  }

  void finish_call(std::string_view conversation_id, std::string_view type,
                   std::int64_t duration_ms, std::int64_t at_ms) override {
    std::lock_guard lock(mutex_);
    sqlite::write_back_logs(db_, pending_);
    sqlite::finish_call(db_, conversation_id, type, duration_ms, at_ms);
  }

  bool mark_missed(std::string_view owner, std::string_view conversation_id) override {
    std::lock_guard lock(mutex_);
    sqlite::write_back_logs(db_, pending_);
    return sqlite::mark_missed(db_, owner, conversation_id);
  }

  std::vector<ConversationLogRecord> list_conversation_logs(
      std::string_view owner, const std::optional<LogCursor>& before, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    sqlite::write_back_logs(db_, pending_);
    return sqlite::list_conversation_logs(db_, owner, before, limit);
  }

  std::optional<ConversationLogRecord> find_conversation_log(
      std::string_view owner, std::string_view conversation_id) override {
    std::lock_guard lock(mutex_);
    sqlite::write_back_logs(db_, pending_);
    return sqlite::find_conversation_log(db_, owner, conversation_id);
  }

  std::vector<MessageRecord> list_messages(std::string_view conversation_id,
                                           std::int64_t after_seq, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    return sqlite::list_messages(db_, conversation_id, after_seq, limit);
  }

  bool mark_log_read(std::string_view owner, std::string_view conversation_id) override {
    std::lock_guard lock(mutex_);
    sqlite::write_back_logs(db_, pending_);
    return sqlite::mark_log_read(db_, owner, conversation_id);
  }

  bool delete_conversation_log(std::string_view owner, std::string_view conversation_id) override {
    std::lock_guard lock(mutex_);
    sqlite::write_back_logs(db_, pending_);
    return sqlite::delete_conversation_log(db_, owner, conversation_id);
  }

  MissedCounts missed_counts(std::string_view owner) override {
    std::lock_guard lock(mutex_);
    sqlite::write_back_logs(db_, pending_);
    return sqlite::missed_counts(db_, owner);
  }

  std::size_t purge_messages_before(std::int64_t before_ms) override {
    std::lock_guard lock(mutex_);
    sqlite::write_back_logs(db_, pending_);
    return sqlite::purge_messages_before(db_, before_ms);
  }

  PushRegistration put_push_registration(const PushRegistration& r) override {
    std::lock_guard lock(mutex_);
    return sqlite::put_push_registration(db_, r);
  }

  std::optional<PushRegistration> find_push_registration(std::string_view id) override {
    std::lock_guard lock(mutex_);
    return sqlite::find_push_registration(db_, id);
  }

  std::optional<PushRegistration> find_push_registration_of(
      std::string_view owner, std::string_view endpoint_id) override {
    std::lock_guard lock(mutex_);
    return sqlite::find_push_registration_of(db_, owner, endpoint_id);
  }

  std::vector<PushRegistration> list_push_registrations(std::string_view owner) override {
    std::lock_guard lock(mutex_);
    return sqlite::list_push_registrations(db_, owner);
  }

  bool delete_push_registration(std::string_view id) override {
    std::lock_guard lock(mutex_);
    return sqlite::delete_push_registration(db_, id);
  }

  bool record_push_attempt(std::string_view id, std::int64_t at_ms, bool success,
                           std::int64_t status, std::string_view error) override {
    std::lock_guard lock(mutex_);
    return sqlite::record_push_attempt(db_, id, at_ms, success, status, error);
  }

  int schema_version() override {
    std::lock_guard lock(mutex_);
    return version_;
  }

private:
  std::optional<User> find_locked(const std::string& uri) {
    Statement st = db_.prepare(kFindUser);
    st.bind_text(1, uri);
    if (!st.step()) return std::nullopt;
    return read_user(st);
  }

  // Callers hold a transaction, so the user never exists without her search terms.
  User insert_locked(const std::string& uri, const UserProfile& p, bool enabled,
                     std::string_view password_hash) {
    const std::int64_t now = now_ms();
    User u;
    try {
      Statement st = db_.prepare(kInsertUser);
      st.bind_text(1, uri)
          .bind_text(2, p.display_name)
          .bind_text(3, p.email)
          .bind_text(4, p.title)
          .bind_text(5, p.department)
          .bind_text(6, p.office)
          .bind_text(7, p.phones.work)
          .bind_text(8, p.phones.mobile)
          .bind_text(9, p.phones.home)
          .bind_text(10, p.phones.other)
          .bind_text(11, p.site)
          .bind_bool(12, enabled)
          .bind_text(13, password_hash)
          .bind_int(14, now)
          .bind_int(15, now);
      if (!st.step()) db_.fail("insert user returned no id");
      u.id = st.column_int(0);
      st.run();
    } catch (const SqliteError& e) {
      if (e.code() == SQLITE_CONSTRAINT_UNIQUE)
        throw Conflict(fmt::format("user {} already exists", uri));
      throw;
    }
    u.sip_uri = uri;
    u.profile = p;
    u.enabled = enabled;
    u.has_password = !password_hash.empty();
    u.created_at_ms = now;
    u.updated_at_ms = now;
    sqlite::index_user(db_, u.id, uri, p);
    return u;
  }

  // Callers hold a transaction: the search terms change with the row, and disabling a user and
  // killing her tokens happen together, so no request can still authenticate as her once the
  // change is visible (DESIGN.md §3). This covers every way of disabling, including the CLI
  // writing to the file while parleyd runs.
  void update_locked(User& user, const UserProfile& p, bool enabled) {
    const std::int64_t updated = next_update_time(user.updated_at_ms);
    if (user.enabled && !enabled) sqlite::revoke_tokens_of_user_id(db_, user.id);
    db_.prepare(kUpdateUser)
        .bind_text(1, p.display_name)
        .bind_text(2, p.email)
        .bind_text(3, p.title)
        .bind_text(4, p.department)
        .bind_text(5, p.office)
        .bind_text(6, p.phones.work)
        .bind_text(7, p.phones.mobile)
        .bind_text(8, p.phones.home)
        .bind_text(9, p.phones.other)
        .bind_text(10, p.site)
        .bind_bool(11, enabled)
        .bind_int(12, updated)
        .bind_int(13, user.id)
        .run();
    sqlite::index_user(db_, user.id, user.sip_uri, p);
    user.profile = p;
    user.enabled = enabled;
    user.updated_at_ms = updated;
  }

  // One connection serves every thread; SQLite itself serialises writers anyway, and this keeps
  // the cached statements and transactions simple. Reads could move to a pool of read-only
  // connections later if profiling asks for it.
  std::mutex mutex_;
  Connection db_;
  int version_ = 0;
  // Appended messages' effect on their history entries, written back at most this long after
  // (and before anything reads or changes those entries); see sqlite::PendingLogs.
  static constexpr auto kWriteBackEvery = std::chrono::seconds(1);
  sqlite::PendingLogs pending_;
  std::chrono::steady_clock::time_point written_back_ = std::chrono::steady_clock::now();
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& db_file) {
  sqlite::create_private_file(db_file);
  sqlite::refuse_newer_schema(db_file);
  return std::make_unique<SqliteStore>(db_file);
}

}  // namespace parley::storage
