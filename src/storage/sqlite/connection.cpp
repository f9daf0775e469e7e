#include "storage/sqlite/connection.hpp"

#include <climits>
#include <stdexcept>

#include <fmt/format.h>
#include <sqlite3.h>

namespace parley::storage::sqlite {

Statement::~Statement() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

Statement& Statement::bind_text(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies the bytes, so the caller's buffer may go away before step().
  return bind_text_as(index, value, SQLITE_TRANSIENT);
}

Statement& Statement::bind_text_in_place(int index, std::string_view value) {
  return bind_text_as(index, value, SQLITE_STATIC);
}

Statement& Statement::bind_text_as(int index, std::string_view value, void (*lifetime)(void*)) {
  if (value.size() > static_cast<std::size_t>(INT_MAX))
    throw StoreError(fmt::format("database {}: a value of {} bytes is too large to store",
                                 connection_.file().string(), value.size()));
  // An empty view may have a null data(); SQLite would store NULL for it, so pass "" instead.
  const char* data = value.empty() ? "" : value.data();
  if (sqlite3_bind_text(stmt_, index, data, static_cast<int>(value.size()), lifetime) != SQLITE_OK)
    connection_.fail("bind parameter");
  return *this;
}

Statement& Statement::bind_int(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) connection_.fail("bind parameter");
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX))
    throw StoreError(fmt::format("database {}: a value of {} bytes is too large to store",
                                 connection_.file().string(), bytes.size()));
  // A zero-length blob with a null pointer would be stored as NULL; keep it a blob.
  if (sqlite3_bind_blob(stmt_, index, bytes.empty() ? "" : bytes.data(),
                        static_cast<int>(bytes.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    connection_.fail("bind parameter");
  return *this;
}

Statement& Statement::bind_bool(int index, bool value) {
  return bind_int(index, value ? 1 : 0);
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  connection_.fail(sqlite3_sql(stmt_));
}

void Statement::run() {
  while (step()) {
  }
}

std::string Statement::column_text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string Statement::column_blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  if (data == nullptr) return {};
  return std::string(static_cast<const char*>(data),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::int64_t Statement::column_int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

Connection::Connection(const std::filesystem::path& file, int flags) : file_(file) {
  // SQLite counts every allocation under one process-wide mutex unless told not to; nothing
  // here reads those counts. This must precede SQLite's initialisation (the first open), and
  // is harmless when something in the process initialised SQLite earlier (the call then fails).
  static const int no_memory_statistics = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)no_memory_statistics;
  const int rc = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr);
  if (db_ != nullptr) sqlite3_extended_result_codes(db_, 1);
  if (rc != SQLITE_OK) {
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    throw SqliteError(fmt::format("cannot open database {}: {}", file.string(), message), rc);
  }
}

Connection::~Connection() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close_v2(db_);
}

void Connection::exec(const std::string& sql) {
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) fail("exec");
}

Statement Connection::prepare(const char* sql) {
  Cached& cached = cache_[sql];
  if (cached.in_use) throw std::logic_error(fmt::format("statement already in use: {}", sql));
  if (cached.stmt == nullptr && sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                                   &cached.stmt, nullptr) != SQLITE_OK) {
    cache_.erase(sql);
    fail(fmt::format("prepare \"{}\"", sql));
  }
  cached.in_use = true;
  return Statement(*this, cached.stmt, &cached.in_use);
}

std::int64_t Connection::changes() const {
  return sqlite3_changes64(db_);
}

void Connection::set_busy_timeout(int milliseconds) {
  if (sqlite3_busy_timeout(db_, milliseconds) != SQLITE_OK) fail("set busy timeout");
}

void Connection::fail(std::string_view what) const {
  throw SqliteError(fmt::format("database {}: {}: {}", file_.string(), what, sqlite3_errmsg(db_)),
                    sqlite3_extended_errcode(db_));
}

Transaction::Transaction(Connection& connection) : connection_(connection) {
  connection_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    connection_.exec("ROLLBACK");
  } catch (const StoreError&) {
    // SQLite may already have rolled back by itself (e.g. after SQLITE_FULL); nothing to undo.
  }
}

void Transaction::commit() {
  connection_.exec("COMMIT");
  open_ = false;
}

}  // namespace parley::storage::sqlite
