#include "storage/sqlite/input.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "common/error.hpp"

namespace parley::storage::sqlite {

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

void check_size(std::string_view value, std::size_t max, std::string_view what) {
  if (value.size() > max)
    throw ParameterValidationFailure(
        fmt::format("{} is {} bytes long; at most {} are allowed", what, value.size(), max));
}

std::string uri_for_write(std::string_view sip_uri) {
  if (sip_uri.empty()) throw ParameterValidationFailure("the SIP URI is empty");
  check_size(sip_uri, kMaxSipUriBytes, "the SIP URI");
  return lower_ascii(sip_uri);
}

std::optional<std::string> uri_for_lookup(std::string_view sip_uri) {
  if (sip_uri.empty() || sip_uri.size() > kMaxSipUriBytes) return std::nullopt;
  return lower_ascii(sip_uri);
}

std::string_view truncate_utf8(std::string_view text, std::size_t max) {
  if (text.size() <= max) return text;
  // Cut before the byte at `max` unless that byte starts a character: step back over
  // continuation bytes (10xxxxxx) so the cut lands on a character boundary. A longer run of them
  // than UTF-8 allows (three) is not UTF-8 anyway: then cut at `max`.
  std::size_t cut = max;
  for (int i = 0; i < 3 && cut > 0; ++i) {
    if ((static_cast<unsigned char>(text[cut]) & 0xC0) != 0x80) break;
    --cut;
  }
  if ((static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) cut = max;
  return text.substr(0, cut);
}

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void check_one_of(std::string_view value, std::initializer_list<std::string_view> allowed,
                  std::string_view what) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
  throw ParameterValidationFailure(fmt::format("{} \"{}\" is not one of {}", what, value.substr(0, 64),
                                               fmt::join(allowed, ", ")));
}

}  // namespace parley::storage::sqlite
