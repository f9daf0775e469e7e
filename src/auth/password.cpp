#include "auth/password.hpp"

#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <sodium.h>

#include "common/crypto.hpp"
#include "common/error.hpp"

namespace parley::auth {
namespace {

constexpr std::string_view kPrefix = "$argon2id$";

struct HashCost {
  unsigned long long opslimit;
  std::size_t memlimit;  // bytes
};

// Parses the unsigned number after `key` at the front of `text` and drops both from `text`.
std::optional<std::uint64_t> take_number(std::string_view& text, std::string_view key) {
  if (text.substr(0, key.size()) != key) return std::nullopt;
  text.remove_prefix(key.size());
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return value;
}

// The cost recorded in "$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>", or nullopt
// when the string does not have that shape or asks for more than the bounds above. libsodium
// checks the rest (version, salt and hash encoding) when it verifies.
std::optional<HashCost> parse_cost(std::string_view hash) {
  if (hash.size() >= crypto_pwhash_STRBYTES || hash.find('\0') != std::string_view::npos)
    return std::nullopt;
  if (hash.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  hash.remove_prefix(kPrefix.size());
  const auto version = take_number(hash, "v=");
  const auto memory_kib = take_number(hash, "$m=");
  const auto passes = take_number(hash, ",t=");
  if (!version || !memory_kib || !passes) return std::nullopt;
  if (*passes == 0 || *passes > kMaxOpslimit || *memory_kib > kMaxMemlimit / 1024)
    return std::nullopt;
  return HashCost{*passes, static_cast<std::size_t>(*memory_kib) * 1024};
}

void check_cost(const PasswordConfig& cost) {
  if (cost.opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN || cost.opslimit > kMaxOpslimit)
    throw std::invalid_argument(fmt::format("argon2id opslimit {} is outside {}..{}", cost.opslimit,
                                            crypto_pwhash_argon2id_OPSLIMIT_MIN, kMaxOpslimit));
  if (cost.memlimit < crypto_pwhash_argon2id_MEMLIMIT_MIN || cost.memlimit > kMaxMemlimit)
    throw std::invalid_argument(fmt::format("argon2id memlimit {} is outside {}..{} bytes",
                                            cost.memlimit, crypto_pwhash_argon2id_MEMLIMIT_MIN,
                                            kMaxMemlimit));
}

// libsodium wants a pointer even for an empty password; string_view may hold nullptr.
const char* data_of(std::string_view text) {
  return text.empty() ? "" : text.data();
}

}  // namespace

std::string hash_password(std::string_view password, const PasswordConfig& cost) {
  if (password.size() > kMaxPasswordBytes)
    throw ParameterValidationFailure(
        fmt::format("the password is {} bytes long; at most {} are allowed", password.size(),
                    kMaxPasswordBytes));
  check_cost(cost);
  init_crypto();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, data_of(password), password.size(), cost.opslimit, cost.memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("out of memory while hashing a password");
  return std::string(out);
}

bool verify_password(std::string_view stored_hash, std::string_view password) {
  if (password.size() > kMaxPasswordBytes || !parse_cost(stored_hash)) return false;
  init_crypto();
  const std::string terminated(stored_hash);
  return crypto_pwhash_str_verify(terminated.c_str(), data_of(password), password.size()) == 0;
}

bool password_needs_rehash(std::string_view stored_hash, const PasswordConfig& cost) {
  if (!parse_cost(stored_hash)) return true;
  init_crypto();
  const std::string terminated(stored_hash);
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), cost.opslimit, cost.memlimit) != 0;
}

}  // namespace parley::auth
