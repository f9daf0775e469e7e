#include "storage/sqlite/schema.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include <fmt/format.h>
#include <sqlite3.h>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite/directory.hpp"

namespace parley::storage::sqlite {

std::int64_t single_int(Connection& db, const char* sql) {
  Statement st = db.prepare(sql);
  if (!st.step()) db.fail(sql);
  return st.column_int(0);
}

namespace {

// Long enough to ride out another process's checkpoint or a CLI write, short enough that a
// stuck lock surfaces as an error instead of a hung request.
constexpr int kBusyTimeoutMs = 5000;

// Migration bookkeeping lives outside the numbered migrations: it must exist before the first.
constexpr char kCreateMigrationsTable[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER NOT NULL PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at_ms BIGINT NOT NULL)";
constexpr char kCurrentVersion[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
constexpr char kRecordMigration[] =
    "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)";
constexpr char kHasMigrationsTable[] =
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
constexpr char kCountTables[] =
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
    "ESCAPE '\\'";

// Reads the schema version through a read-only connection, so that a database this build must
// refuse is not touched at all (a read-write close could checkpoint a leftover WAL into it).
std::int64_t read_schema_version(const std::filesystem::path& file) {
  Connection db(file, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
  db.set_busy_timeout(kBusyTimeoutMs);
  if (single_int(db, kHasMigrationsTable) == 0) {
    if (single_int(db, kCountTables) != 0)
      throw StoreError(fmt::format(
          "database {} is not a Parley database (it has tables but no schema_migrations)",
          file.string()));
    return 0;
  }
  return single_int(db, kCurrentVersion);
}

[[noreturn]] void refuse_newer(const std::filesystem::path& file, std::int64_t found) {
  throw StoreError(fmt::format(
      "database {} has schema version {}, but this parleyd knows only up to {}; use a newer "
      "parleyd",
      file.string(), found, newest_schema_version()));
}

}  // namespace

// SQLite would create a missing file with the process umask (usually 0644); the database holds
// password hashes, so create it ourselves, readable by its owner only.
void create_private_file(const std::filesystem::path& file) {
  const std::filesystem::path parent = file.has_parent_path() ? file.parent_path() : ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(parent, ec))
    throw StoreError(fmt::format("cannot open database {}: directory {} does not exist",
                                 file.string(), parent.string()));
  if (std::filesystem::is_directory(file, ec))
    throw StoreError(fmt::format("cannot open database {}: it is a directory", file.string()));
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  if (errno == EEXIST) return;
  throw StoreError(
      fmt::format("cannot create database {}: {}", file.string(), std::strerror(errno)));
}

void refuse_newer_schema(const std::filesystem::path& file) {
  const std::int64_t found = read_schema_version(file);
  if (found > newest_schema_version()) refuse_newer(file, found);
}

void configure(Connection& db) {
  db.set_busy_timeout(kBusyTimeoutMs);
  {
    Statement st = db.prepare("PRAGMA journal_mode = WAL");
    if (!st.step() || st.column_text(0) != "wal")
      throw StoreError(
          fmt::format("database {}: could not switch to WAL journaling", db.file().string()));
  }
  // FULL: with WAL, each commit fsyncs the log, so an acknowledged write survives power loss.
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA foreign_keys = ON");
  // Copy the log into the database every 8000 pages (32 MiB) rather than SQLite's 1000: pages
  // that every commit touches (index pages of busy conversations) are copied once per
  // checkpoint, so fewer checkpoints copy far fewer pages. Measured with bench/run im.
  db.exec("PRAGMA wal_autocheckpoint = 8000");
  // 32 MiB of page cache instead of 2: the index pages of every active conversation stay in
  // memory instead of being read back from the log and the file on each append.
  db.exec("PRAGMA cache_size = -32768");
}

namespace {

// Steps a migration needs that SQL alone cannot do, run right after its script in the same
// transaction: 0003 introduced the search index, whose terms are computed here.
struct AfterMigration {
  int version;
  void (*run)(Connection&);
};
constexpr AfterMigration kAfterMigrations[] = {
    {3, index_all_users},
};

}  // namespace

int migrate(Connection& db) {
  {
    Transaction tx(db);
    db.exec(kCreateMigrationsTable);
    tx.commit();
  }
  const std::int64_t found = single_int(db, kCurrentVersion);
  if (found > newest_schema_version()) refuse_newer(db.file(), found);
  int version = static_cast<int>(found);
  for (const Migration& m : migrations()) {
    if (m.version <= version) continue;
    Transaction tx(db);
    // Another process may have migrated between our read and our write lock.
    const std::int64_t current = single_int(db, kCurrentVersion);
    if (current > newest_schema_version()) refuse_newer(db.file(), current);
    if (current >= m.version) {
      version = static_cast<int>(current);
      continue;
    }
    db.exec(std::string(m.sql));
    for (const AfterMigration& step : kAfterMigrations)
      if (step.version == m.version) step.run(db);
    db.prepare(kRecordMigration)
        .bind_int(1, m.version)
        .bind_text(2, m.name)
        .bind_int(3, now_ms())
        .run();
    tx.commit();
    version = m.version;
    logger("store")->info("database {}: applied migration {:04}_{}", db.file().string(), m.version,
                          m.name);
  }
  return version;
}

}  // namespace parley::storage::sqlite
