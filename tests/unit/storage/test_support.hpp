#pragma once
// Helpers for the storage tests: a private temporary directory and raw SQLite access to the file
// behind the store, for checks and tampering the Store interface does not offer.

#include <stdlib.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include "storage/store.hpp"

namespace parley::storage::test {

class TempDir {
public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "parley-storage-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

// Builders for the structs the tests fill in part (designated initialisers would trip
// -Wmissing-field-initializers).
inline UserProfile named(std::string display_name) {
  UserProfile p;
  p.display_name = std::move(display_name);
  return p;
}
inline UserProfile titled(std::string title) {
  UserProfile p;
  p.title = std::move(title);
  return p;
}
template <class T, class V>
UserPatch patch_of(std::optional<T> UserPatch::*field, V value) {
  UserPatch patch;
  patch.*field = T(std::move(value));
  return patch;
}
inline ListQuery page(std::string after, std::size_t limit,
                      std::optional<bool> enabled = std::nullopt) {
  ListQuery q;
  q.after = std::move(after);
  q.limit = limit;
  q.enabled = enabled;
  return q;
}

inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A plain connection for the test to run SQL through.
class RawDb {
public:
  explicit RawDb(const std::filesystem::path& file) {
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
      throw std::runtime_error("cannot open " + file.string());
    sqlite3_busy_timeout(db_, 5000);
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  ~RawDb() { sqlite3_close_v2(db_); }

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error != nullptr ? error : "unknown error";
      sqlite3_free(error);
      throw std::runtime_error(sql + ": " + message);
    }
  }
  // The first column of the first row as text ("" when there is no row).
  std::string text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr)
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
  }

private:
  sqlite3* db_ = nullptr;
};

#ifdef PARLEY_MIGRATIONS_DIR
// Writes at `file` the database that a build knowing only migrations 1 to `version` made: the
// bookkeeping table, those scripts in order, and their rows in schema_migrations (named as the
// scripts are, "0005_messaging.sql" -> 'messaging'). Tests then add rows of that era and open it.
inline void write_database_of_version(const std::filesystem::path& file, int version) {
  sqlite3* db = nullptr;
  if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) throw std::runtime_error("cannot create " + file.string());
  sqlite3_close(db);
  std::vector<std::filesystem::path> scripts;
  for (const auto& entry : std::filesystem::directory_iterator(PARLEY_MIGRATIONS_DIR))
    if (entry.path().extension() == ".sql") scripts.push_back(entry.path());
  std::sort(scripts.begin(), scripts.end());
  if (static_cast<int>(scripts.size()) < version) throw std::runtime_error("no such schema version");
  RawDb raw(file);
  raw.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL,"
      " applied_at_ms BIGINT NOT NULL)");
  raw.exec("BEGIN IMMEDIATE");
  for (int v = 1; v <= version; ++v) {
    const auto& script = scripts[static_cast<std::size_t>(v - 1)];
    raw.exec(read_file(script));
    const std::string stem = script.stem().string();
    raw.exec("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (" + std::to_string(v) +
             ", '" + stem.substr(stem.find('_') + 1) + "', " + std::to_string(1700000000000 + v - 1) + ")");
  }
  raw.exec("COMMIT");
}
#endif

}  // namespace parley::storage::test
