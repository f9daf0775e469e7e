#pragma once
// Opening the SQLite store: the file, the connection's settings and the schema migrations.
// Internal to parley_storage (sqlite_store.cpp).

#include <cstdint>
#include <filesystem>

#include "storage/sqlite/connection.hpp"

namespace parley::storage::sqlite {

// Creates the database file readable by its owner only (SQLite would use the umask); an
// existing file is left alone. Throws StoreError when the directory is missing or the path is
// a directory.
void create_private_file(const std::filesystem::path& file);

// Throws StoreError when the file is not a Parley database or carries a schema newer than this
// build knows. Reads through a read-only connection, so a refused file is not touched at all.
void refuse_newer_schema(const std::filesystem::path& file);

// WAL with synchronous=FULL, foreign keys, busy timeout, checkpoint interval and page cache.
void configure(Connection& db);

// Applies every migration newer than the database, each in its own transaction. Returns the
// version the database is at afterwards.
int migrate(Connection& db);

// The single integer `sql` answers; fails (SqliteError) when it answers no row.
std::int64_t single_int(Connection& db, const char* sql);

}  // namespace parley::storage::sqlite
