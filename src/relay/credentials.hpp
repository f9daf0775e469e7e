#pragma once
// Relay credentials. Two kinds are accepted:
//  - long-term users named in [edge] users (tests, fixed devices);
//  - time-limited credentials minted by the front end with a secret shared with the edge
//    (username "<unix expiry>:<user>", password base64(HMAC-SHA1(secret, username))): the edge
//    needs no store lookup and the credential dies on its own at the expiry in its name.
// Several secrets verify at once so that a secret can be rotated without cutting calls.

#include "common/config.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::relay {

struct MintedCredential {
  std::string username;
  std::string password;
  std::chrono::system_clock::time_point valid_until;
};

// The front end's side: a credential for `user` valid for `lifetime` from `now`, signed with
// `secret` (the first configured one).
MintedCredential mint_credential(std::string_view secret, std::string_view user,
                                 std::chrono::seconds lifetime,
                                 std::chrono::system_clock::time_point now);

// base64(HMAC-SHA1(secret, username)).
std::string shared_secret_password(std::string_view secret, std::string_view username);

enum class CredentialStatus { ok, unknown_user, expired };

struct CredentialLookup {
  CredentialStatus status = CredentialStatus::unknown_user;
  // Passwords that would be right for this username: one for a static user, one per configured
  // secret for a time-limited name. The caller tries each against MESSAGE-INTEGRITY.
  std::vector<std::string> passwords;
  // The user the quota is counted against ("alice@example.org" for "1767225600:alice@...").
  std::string quota_user;
};

class CredentialStore {
 public:
  CredentialStore(std::vector<std::string> secrets, std::vector<RelayUser> users);
  CredentialLookup lookup(std::string_view username,
                          std::chrono::system_clock::time_point now) const;
  // The secret new credentials are minted with.
  const std::string& minting_secret() const { return secrets_.front(); }

 private:
  std::vector<std::string> secrets_;
  std::vector<RelayUser> users_;
};

// Reads `<data_dir>/relay/secret`, creating it (0600, 32 random bytes, base64url) on first use;
// used when [edge] shared_secrets is empty so that one machine works without configuration.
std::string load_or_create_secret(const std::filesystem::path& data_dir);

}  // namespace parley::relay
