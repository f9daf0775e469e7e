#pragma once
// Input checks shared by the SQLite store's tables, internal to parley_storage. Writes that break
// a limit throw ParameterValidationFailure; lookups that break one simply find nothing.

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace parley::storage::sqlite {

constexpr std::size_t kMaxSipUriBytes = 1024;

// SIP URIs compare case-insensitively. Only ASCII letters fold: the domain part is ASCII (IDNA)
// and the user part of a SIP URI is, in practice, too.
std::string lower_ascii(std::string_view text);

// Throws ParameterValidationFailure naming `what` when `value` is longer than `max` bytes.
void check_size(std::string_view value, std::size_t max, std::string_view what);

// Characters, not bytes: subjects, previews, locales and device names are counted the way a
// person reads them.
std::size_t utf8_length(std::string_view text);

// Throws ParameterValidationFailure naming `what` and the allowed values unless `value` is one.
void check_one_of(std::string_view value, std::initializer_list<std::string_view> allowed,
                  std::string_view what);

// The stored form of a SIP URI that is about to be written.
std::string uri_for_write(std::string_view sip_uri);
// The stored form of a SIP URI to look up; nullopt when no stored user can have it.
std::optional<std::string> uri_for_lookup(std::string_view sip_uri);

// The longest prefix of `text` of at most `max` bytes that does not end inside a UTF-8 sequence,
// for free text (user agents, submitted user names) that is kept but need not be kept whole.
std::string_view truncate_utf8(std::string_view text, std::size_t max);

}  // namespace parley::storage::sqlite
