#pragma once
// Small cryptographic helpers shared by every layer: randomness and SHA-256 from libsodium, and
// the text encodings tokens travel in.

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

// `bytes` random bytes, base64url without padding (URL- and header-safe).
std::string random_token(std::size_t bytes = 32);
// A random identifier an administrator may type (`parley session end <id>`): random_token(bytes)
// that starts with a letter or a digit, never with '-' (a command line reads that as an option).
// The default, 11 bytes, makes 15 characters: short enough for std::string to hold without an
// allocation (ids are copied and compared on every request), and 88 random bits, so that two
// alike never happen. Ids are names, not secrets: access always takes the owner's token.
std::string random_id(std::size_t bytes = 11);
// Lower-case hex SHA-256 of the input: how bearer tokens and credentials are stored.
std::string sha256_hex(std::string_view data);
// The same in a buffer of the caller's, for lookups that should not allocate.
using Sha256Hex = std::array<char, 64>;
Sha256Hex sha256_hex_array(std::string_view data);
std::string base64url_encode(std::string_view data);
// base64url (RFC 4648 §5) back to bytes; nullopt for anything else: a foreign character, an
// impossible length, or stray bits in the last character (so each byte string has one spelling).
// '=' padding is accepted only with `padding_allowed`, and only as much as completes the text.
std::optional<std::string> base64url_decode(std::string_view text, bool padding_allowed = false);
// Standard base64 with padding (RFC 4648 §4), e.g. for data: URIs.
std::string base64_encode(std::string_view data);
std::string hex_encode(std::string_view data);
// Lower-case hex of `data` into `out`, which has room for 2 * data.size() characters.
void hex_encode_to(std::string_view data, char* out);
// Constant-time comparison of two strings of possibly different length.
bool constant_time_equal(std::string_view a, std::string_view b);
// Calls sodium_init() once; safe from any thread. Throws std::runtime_error if it fails.
void init_crypto();

}  // namespace parley
