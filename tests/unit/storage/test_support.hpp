#pragma once
// Helpers for the storage tests: a private temporary directory and raw SQLite access to the file
// behind the store, for checks and tampering the Store interface does not offer.

#include <stdlib.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

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

}  // namespace parley::storage::test
