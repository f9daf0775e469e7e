// Opening the SQLite store: file creation, migrations, refusal of files it must not touch, and
// durability of a committed write across kill -9.

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "test_support.hpp"

namespace parley::storage {
namespace {

using test::named;
using test::RawDb;
using test::read_file;
using test::TempDir;

TEST(SqliteOpen, CreatesTheFileReadableByItsOwnerOnly) {
  TempDir dir;
  const auto file = dir.path() / "parley.db";
  auto store = open_sqlite_store(file);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NO_THROW(store->ping());
}

TEST(SqliteOpen, MissingDirectoryIsAStoreErrorNamingIt) {
  TempDir dir;
  const auto file = dir.path() / "no-such-dir" / "parley.db";
  try {
    open_sqlite_store(file);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(file.parent_path()));
}

TEST(SqliteOpen, DirectoryInsteadOfAFileIsAStoreError) {
  TempDir dir;
  try {
    open_sqlite_store(dir.path());
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}

TEST(SqliteOpen, RunsInWalModeAtTheNewestSchemaVersion) {
  TempDir dir;
  const auto file = dir.path() / "parley.db";
  auto store = open_sqlite_store(file);
  EXPECT_EQ(store->schema_version(), newest_schema_version());
  EXPECT_GE(store->schema_version(), 1);
  RawDb raw(file);
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.text("SELECT COUNT(*) FROM schema_migrations"),
            std::to_string(newest_schema_version()));
}

TEST(SqliteOpen, EmbeddedMigrationsAreTheSqlFilesInOrder) {
  const auto all = migrations();
  ASSERT_FALSE(all.empty());
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].version, static_cast<int>(i) + 1);
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "%04d_", all[i].version);
    const auto source =
        std::filesystem::path(PARLEY_MIGRATIONS_DIR) / (prefix + std::string(all[i].name) + ".sql");
    ASSERT_TRUE(std::filesystem::exists(source)) << source;
    EXPECT_EQ(all[i].sql, read_file(source)) << source;
  }
  EXPECT_EQ(all.front().name, "initial");
}

TEST(SqliteOpen, ReopeningKeepsDataAndDoesNotReapplyMigrations) {
  TempDir dir;
  const auto file = dir.path() / "parley.db";
  std::string applied_at;
  {
    auto store = open_sqlite_store(file);
    store->create_user("alice@example.org", named("Alice"), true, "");
    store->put_setting("ca.serial", "42");
    applied_at = RawDb(file).text("SELECT applied_at_ms FROM schema_migrations WHERE version = 1");
  }
  auto store = open_sqlite_store(file);
  EXPECT_EQ(store->schema_version(), newest_schema_version());
  const auto alice = store->find_user("alice@example.org");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->profile.display_name, "Alice");
  EXPECT_EQ(store->get_setting("ca.serial"), "42");
  RawDb raw(file);
  EXPECT_EQ(raw.text("SELECT COUNT(*) FROM schema_migrations"),
            std::to_string(newest_schema_version()));
  EXPECT_EQ(raw.text("SELECT applied_at_ms FROM schema_migrations WHERE version = 1"), applied_at);
}

TEST(SqliteOpen, NewerSchemaIsRefusedAndTheFileLeftUntouched) {
  TempDir dir;
  const auto file = dir.path() / "parley.db";
  open_sqlite_store(file)->create_user("alice@example.org", {}, true, "");
  const int newer = newest_schema_version() + 6;
  RawDb(file).exec("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (" +
                   std::to_string(newer) + ", 'from_the_future', 0)");
  const std::string before = read_file(file);

  try {
    open_sqlite_store(file);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    const std::string expected = "database " + file.string() + " has schema version " +
                                 std::to_string(newer) + ", but this parleyd knows only up to " +
                                 std::to_string(newest_schema_version()) + "; use a newer parleyd";
    EXPECT_EQ(e.what(), expected);
  }
  EXPECT_EQ(read_file(file), before);
  RawDb raw(file);
  EXPECT_EQ(raw.text("SELECT MAX(version) FROM schema_migrations"), std::to_string(newer));
  EXPECT_EQ(raw.text("SELECT COUNT(*) FROM users"), "1");
}

// A version that does not fit in an int must not wrap around into an "older" one.
TEST(SqliteOpen, HugeSchemaVersionIsRefusedToo) {
  TempDir dir;
  const auto file = dir.path() / "parley.db";
  open_sqlite_store(file);
  RawDb(file).exec(
      "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (4294967297, 'x', 0)");
  try {
    open_sqlite_store(file);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("has schema version 4294967297"), std::string::npos)
        << e.what();
  }
}

TEST(SqliteOpen, FileThatIsNotADatabaseIsRefusedAndLeftUntouched) {
  TempDir dir;
  const auto file = dir.path() / "parley.db";
  const std::string garbage(4096, 'x');
  std::ofstream(file, std::ios::binary) << garbage;
  EXPECT_THROW(open_sqlite_store(file), StoreError);
  EXPECT_EQ(read_file(file), garbage);
}

TEST(SqliteOpen, ForeignSqliteDatabaseIsRefusedAndLeftUntouched) {
  TempDir dir;
  const auto file = dir.path() / "other.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE photos (id INTEGER PRIMARY KEY)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  const std::string before = read_file(file);
  try {
    open_sqlite_store(file);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("not a Parley database"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file(file), before);
}

// The store's promise is that a call that returned has reached the disk: a child process writes
// and then dies by SIGKILL without closing anything; the parent must find the write.
TEST(SqliteOpen, CommittedWritesSurviveKill9) {
  TempDir dir;
  const auto file = dir.path() / "parley.db";
  open_sqlite_store(file);  // create and migrate before forking

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child must never return into the test runner, whatever happens.
    try {
      auto store = open_sqlite_store(file);
      store->create_user("bob@example.org", named("Bob"), true, "h");
      store->put_setting("admin.credential", "abc");
      ::kill(::getpid(), SIGKILL);
    } catch (const std::exception&) {
    }
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);

  auto store = open_sqlite_store(file);
  const auto bob = store->find_user("bob@example.org");
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->profile.display_name, "Bob");
  EXPECT_TRUE(bob->has_password);
  EXPECT_EQ(store->get_setting("admin.credential"), "abc");
}

}  // namespace
}  // namespace parley::storage
