#pragma once
// Thin RAII wrappers over the SQLite C API, internal to parley_storage: a connection that caches
// its prepared statements, a statement handle that hands its statement back clean, and a
// transaction that rolls back unless committed. Not thread-safe: the store serialises access.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace parley::storage::sqlite {

// A failed SQLite call. what() carries the database file and SQLite's own message; code() is the
// extended result code, so that callers can tell a UNIQUE violation from a full disk.
class SqliteError : public StoreError {
public:
  SqliteError(const std::string& message, int code) : StoreError(message), code_(code) {}
  int code() const noexcept { return code_; }

private:
  int code_;
};

class Connection;

// One use of a cached prepared statement. Parameters are 1-based, columns 0-based, as in SQLite.
class Statement {
public:
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind_text(int index, std::string_view value);
  // Without a copy: `value` must stay as it is until the statement is reset (its destruction).
  Statement& bind_text_in_place(int index, std::string_view value);
  Statement& bind_int(int index, std::int64_t value);
  Statement& bind_bool(int index, bool value);
  // Bytes that need not be text (photos): stored as a BLOB, read back with column_blob.
  Statement& bind_blob(int index, std::string_view bytes);

  // True when a row is ready to read, false when the statement has finished.
  bool step();
  // Runs a statement that returns no rows.
  void run();

  std::string column_text(int column) const;
  std::int64_t column_int(int column) const;
  std::string column_blob(int column) const;
  bool column_bool(int column) const { return column_int(column) != 0; }

private:
  friend class Connection;
  Statement(const Connection& connection, sqlite3_stmt* stmt, bool* in_use)
      : connection_(connection), stmt_(stmt), in_use_(in_use) {}

  Statement& bind_text_as(int index, std::string_view value, void (*lifetime)(void*));
  const Connection& connection_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
};

class Connection {
public:
  // `flags` are sqlite3_open_v2 flags. Throws SqliteError when the file cannot be opened.
  Connection(const std::filesystem::path& file, int flags);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one or more statements that take no parameters (pragmas, migrations).
  void exec(const std::string& sql);
  // The statement for `sql`, prepared once and cached by the address of the text: pass string
  // constants only. A statement cannot be in use twice at once.
  Statement prepare(const char* sql);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const;
  void set_busy_timeout(int milliseconds);

  // Throws SqliteError describing the connection's last error, prefixed with `what`.
  [[noreturn]] void fail(std::string_view what) const;
  const std::filesystem::path& file() const noexcept { return file_; }

private:
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };

  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, Cached> cache_;
};

// BEGIN IMMEDIATE takes the write lock up front, so a read-then-write cannot fail halfway with
// SQLITE_BUSY once it has started. The destructor rolls back unless commit() succeeded.
class Transaction {
public:
  explicit Transaction(Connection& connection);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  void commit();

private:
  Connection& connection_;
  bool open_ = true;
};

}  // namespace parley::storage::sqlite
