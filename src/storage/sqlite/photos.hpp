#pragma once
// User photos in the SQLite store (`photos`), internal to parley_storage. Each function runs on a
// connection the caller has to itself (the store holds its lock); see Store for the contract.
//
// A photo is 1 byte..512 KiB (EntityTooLarge beyond, ParameterValidationFailure when empty) of
// "image/jpeg" or "image/png" (the type compares case-insensitively and is kept lower-case;
// ParameterValidationFailure for any other). put_photo stamps updated_at_ms with the caller's
// value, or with the current time when the caller leaves it 0; NotFound when there is no user.

#include <cstddef>
#include <optional>
#include <string_view>

#include "storage/sqlite/connection.hpp"
#include "storage/store.hpp"

namespace parley::storage::sqlite {

constexpr std::size_t kMaxPhotoBytes = 512 * 1024;

std::optional<Photo> find_photo(Connection& db, std::string_view sip_uri);
void put_photo(Connection& db, std::string_view sip_uri, const Photo& photo);
bool remove_photo(Connection& db, std::string_view sip_uri);

}  // namespace parley::storage::sqlite
