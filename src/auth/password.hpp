#pragma once
// Password hashing with argon2id (libsodium's crypto_pwhash_str). The hash is a self-describing
// string ("$argon2id$v=19$m=65536,t=2,p=1$salt$hash") that carries its own salt and cost, so it is
// the only thing the store keeps. Hashing is deliberately slow: run it on the blocking pool.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/config.hpp"

namespace parley::auth {

// Longest password accepted, in bytes. The admin API allows 256 characters (up to 1024 bytes of
// UTF-8); the margin keeps hashing cost bounded without rejecting anything the API lets through.
inline constexpr std::size_t kMaxPasswordBytes = 4096;

// The most expensive cost hash_password() produces and verify_password() will attempt. A stored
// hash comes from the database, and a corrupted or planted one asking for "m=4194304,t=4000"
// would otherwise make one sign-in attempt allocate gigabytes and run for minutes.
inline constexpr unsigned long long kMaxOpslimit = 32;
inline constexpr std::size_t kMaxMemlimit = std::size_t{4} * 1024 * 1024 * 1024;

// Hashes with a fresh random salt at the given cost. Throws ParameterValidationFailure when the
// password is longer than kMaxPasswordBytes, std::invalid_argument when the cost is outside what
// argon2id (and verify_password) accepts, std::runtime_error when memory runs out.
std::string hash_password(std::string_view password, const PasswordConfig& cost);

// True only when `stored_hash` is an argon2id hash of `password`. An empty, malformed or
// unreasonably expensive hash gives false; never throws on bad input.
bool verify_password(std::string_view stored_hash, std::string_view password);

// True when the hash was made with a different cost (or is not an argon2id hash), so that it
// should be replaced by hash_password() the next time the user signs in successfully.
bool password_needs_rehash(std::string_view stored_hash, const PasswordConfig& cost);

}  // namespace parley::auth
