#pragma once
// The forms a user may type as her sign-in name (UCWA.md §2.1: "UPN/SIP or DOMAIN\user"), turned
// into the SIP URI the store keys users by ("alice@example.org": lower-case, no "sip:").

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::auth {

// Longest sign-in name considered, in bytes; anything longer names no account.
inline constexpr std::size_t kMaxUsernameBytes = 256;

// Accepts "alice@example.org", "sip:alice@example.org" (any case), a UPN of the same form, and
// "EXAMPLE\alice" — a NetBIOS domain, mapped to the first of `sip_domains` whose first label
// equals it ignoring case (EXAMPLE -> example.org). The user part may hold letters, digits and
// . _ - + ' (at most 64); the domain must be a DNS name. Returns nullopt for anything else,
// including a NetBIOS domain that matches no SIP domain.
std::optional<std::string> normalize_username(std::string_view username,
                                              const std::vector<std::string>& sip_domains);

}  // namespace parley::auth
