#pragma once
// The admin API's user representation (docs/admin-api.md) and its validation.

#include "storage/store.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace parley::admin {

constexpr std::size_t kMaxTextChars = 256;
constexpr std::size_t kMaxPhoneChars = 64;
constexpr std::size_t kMinPasswordChars = 8;
constexpr std::size_t kMaxPasswordChars = 256;

// "sip:Alice@Example.org" -> "alice@example.org". Throws ParameterValidationFailure.
std::string normalize_sip_uri(std::string_view text);

boost::json::object user_to_json(const storage::User& u);

// What a create, update or import row carries. Absent properties stay absent.
struct UserInput {
  std::optional<std::string> sip_uri;
  storage::UserPatch patch;
  std::optional<std::string> password;
};

// Validates every property (unknown names, types, lengths, characters). Throws
// ParameterValidationFailure naming the property.
UserInput parse_user_input(const boost::json::object& o);

// The profile a new user gets from an input (absent fields empty).
storage::UserProfile profile_from(const storage::UserPatch& p);

// Throws ParameterValidationFailure unless the password has an acceptable length.
void check_password(const std::string& password);

}  // namespace parley::admin
