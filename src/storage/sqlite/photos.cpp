#include "storage/sqlite/photos.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/time.hpp"
#include "storage/sqlite/input.hpp"

namespace parley::storage::sqlite {
namespace {

// ---- SQL. Statements are cached by the address of these constants. ----

constexpr char kFindPhoto[] =
    "SELECT p.content_type, p.bytes, p.updated_at_ms FROM photos p"
    " JOIN users u ON u.id = p.user_id WHERE u.sip_uri = ?";
// One statement resolves the user and writes, so a user removed meanwhile (by the CLI, in another
// process) leaves no photo behind: no row is written and we report NotFound.
constexpr char kPutPhoto[] =
    "INSERT INTO photos (user_id, content_type, bytes, updated_at_ms)"
    " SELECT id, ?2, ?3, ?4 FROM users WHERE sip_uri = ?1"
    " ON CONFLICT (user_id) DO UPDATE SET content_type = excluded.content_type,"
    " bytes = excluded.bytes, updated_at_ms = excluded.updated_at_ms";
constexpr char kRemovePhoto[] =
    "DELETE FROM photos WHERE user_id IN (SELECT id FROM users WHERE sip_uri = ?)";

}  // namespace

std::optional<Photo> find_photo(Connection& db, std::string_view sip_uri) {
  const auto uri = uri_for_lookup(sip_uri);
  if (!uri) return std::nullopt;
  Statement st = db.prepare(kFindPhoto);
  st.bind_text(1, *uri);
  if (!st.step()) return std::nullopt;
  Photo photo;
  photo.content_type = st.column_text(0);
  photo.bytes = st.column_blob(1);
  photo.updated_at_ms = st.column_int(2);
  return photo;
}

void put_photo(Connection& db, std::string_view sip_uri, const Photo& photo) {
  const std::string type = lower_ascii(photo.content_type);
  if (type != "image/jpeg" && type != "image/png")
    throw ParameterValidationFailure(fmt::format(
        "a photo must be image/jpeg or image/png, not \"{}\"", photo.content_type.substr(0, 64)));
  if (photo.bytes.empty()) throw ParameterValidationFailure("the photo is empty");
  if (photo.bytes.size() > kMaxPhotoBytes)
    throw EntityTooLarge(fmt::format("the photo is {} bytes; at most {} are allowed",
                                     photo.bytes.size(), kMaxPhotoBytes));
  const auto uri = uri_for_lookup(sip_uri);
  if (!uri) throw NotFound(fmt::format("no user {}", sip_uri.substr(0, kMaxSipUriBytes)));
  db.prepare(kPutPhoto)
      .bind_text(1, *uri)
      .bind_text(2, type)
      .bind_blob(3, photo.bytes)
      .bind_int(4, photo.updated_at_ms != 0 ? photo.updated_at_ms : now_ms())
      .run();
  if (db.changes() == 0) throw NotFound(fmt::format("no user {}", *uri));
}

bool remove_photo(Connection& db, std::string_view sip_uri) {
  const auto uri = uri_for_lookup(sip_uri);
  if (!uri) return false;
  db.prepare(kRemovePhoto).bind_text(1, *uri).run();
  return db.changes() > 0;
}

}  // namespace parley::storage::sqlite
