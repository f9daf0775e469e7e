// User photos in the SQLite store: byte-exact round trips, replacement, and the limits.

#include <string>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "test_support.hpp"

namespace parley::storage {
namespace {

using test::named;
using test::TempDir;

Photo photo_of(std::string type, std::string bytes, std::int64_t updated_at_ms = 0) {
  Photo p;
  p.content_type = std::move(type);
  p.bytes = std::move(bytes);
  p.updated_at_ms = updated_at_ms;
  return p;
}

class SqlitePhotos : public ::testing::Test {
protected:
  void SetUp() override { store_->create_user("alice@x.org", named("Alice"), true, ""); }

  TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "parley.db";
  std::unique_ptr<Store> store_ = open_sqlite_store(file_);
};

TEST_F(SqlitePhotos, BytesRoundTripExactly) {
  // Every byte value, NUL and invalid UTF-8 included: a JPEG is not text.
  std::string bytes;
  for (int i = 0; i < 512; ++i) bytes.push_back(static_cast<char>(i % 256));
  store_->put_photo("Alice@X.org", photo_of("image/jpeg", bytes, 1234));
  store_.reset();
  store_ = open_sqlite_store(file_);
  const auto found = store_->find_photo("alice@x.org");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->content_type, "image/jpeg");
  EXPECT_EQ(found->bytes, bytes);
  EXPECT_EQ(found->updated_at_ms, 1234);
}

TEST_F(SqlitePhotos, PuttingAgainReplaces) {
  store_->put_photo("alice@x.org", photo_of("image/jpeg", "first", 10));
  store_->put_photo("alice@x.org", photo_of("IMAGE/PNG", "second"));
  const auto found = store_->find_photo("alice@x.org");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->content_type, "image/png");
  EXPECT_EQ(found->bytes, "second");
  EXPECT_GT(found->updated_at_ms, 10);  // stamped with the current time when left 0
}

TEST_F(SqlitePhotos, RemovingAPhoto) {
  EXPECT_FALSE(store_->find_photo("alice@x.org"));
  EXPECT_FALSE(store_->remove_photo("alice@x.org"));
  store_->put_photo("alice@x.org", photo_of("image/png", "p"));
  EXPECT_TRUE(store_->remove_photo("ALICE@x.org"));
  EXPECT_FALSE(store_->find_photo("alice@x.org"));
  EXPECT_FALSE(store_->remove_photo("alice@x.org"));
  EXPECT_FALSE(store_->remove_photo("nobody@x.org"));
}

TEST_F(SqlitePhotos, SizeLimitIs512KiB) {
  const std::string largest(512 * 1024, 'p');
  EXPECT_NO_THROW(store_->put_photo("alice@x.org", photo_of("image/png", largest)));
  EXPECT_THROW(store_->put_photo("alice@x.org", photo_of("image/jpeg", largest + "j")),
               EntityTooLarge);
  // The refused photo did not replace the stored one.
  const auto found = store_->find_photo("alice@x.org");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->content_type, "image/png");
  EXPECT_EQ(found->bytes.size(), 512u * 1024u);
}

TEST_F(SqlitePhotos, OnlyJpegAndPngOfKnownUsers) {
  EXPECT_THROW(store_->put_photo("alice@x.org", photo_of("image/gif", "GIF89a")),
               ParameterValidationFailure);
  EXPECT_THROW(store_->put_photo("alice@x.org", photo_of("image/jpeg; q=1", "x")),
               ParameterValidationFailure);
  EXPECT_THROW(store_->put_photo("alice@x.org", photo_of("", "x")), ParameterValidationFailure);
  EXPECT_THROW(store_->put_photo("alice@x.org", photo_of("image/png", "")),
               ParameterValidationFailure);
  EXPECT_FALSE(store_->find_photo("alice@x.org"));
  EXPECT_THROW(store_->put_photo("nobody@x.org", photo_of("image/png", "p")), NotFound);
  EXPECT_FALSE(store_->find_photo("nobody@x.org"));
}

}  // namespace
}  // namespace parley::storage
