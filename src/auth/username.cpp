#include "auth/username.hpp"

#include "common/text.hpp"

#include <algorithm>

namespace parley::auth {
namespace {

constexpr std::size_t kMaxLocalPart = 64;
constexpr std::size_t kMaxNetbiosName = 15;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// `local` is already lower-case.
bool valid_local_part(std::string_view local) {
  return !local.empty() && local.size() <= kMaxLocalPart &&
         std::all_of(local.begin(), local.end(), [](char c) {
           return is_alnum(c) || c == '.' || c == '_' || c == '-' || c == '+' || c == '\'';
         });
}


std::optional<std::string> from_netbios(std::string_view netbios, std::string_view user,
                                        const std::vector<std::string>& sip_domains) {
  if (netbios.empty() || netbios.size() > kMaxNetbiosName || !valid_local_part(user)) return std::nullopt;
  for (const auto& d : sip_domains) {
    const std::string domain = lower(d);
    if (domain.substr(0, domain.find('.')) == netbios) return std::string(user) + "@" + domain;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> normalize_username(std::string_view username,
                                              const std::vector<std::string>& sip_domains) {
  if (username.empty() || username.size() > kMaxUsernameBytes) return std::nullopt;
  std::string s = lower(username);
  std::string_view v = s;

  if (const auto backslash = v.find('\\'); backslash != std::string_view::npos)
    return from_netbios(v.substr(0, backslash), v.substr(backslash + 1), sip_domains);

  if (v.starts_with("sip:")) v.remove_prefix(4);
  const auto at = v.find('@');
  if (at == std::string_view::npos || v.find('@', at + 1) != std::string_view::npos) return std::nullopt;
  const std::string_view local = v.substr(0, at);
  const std::string_view domain = v.substr(at + 1);
  if (!valid_local_part(local) || !is_dns_name(domain)) return std::nullopt;
  return std::string(v);
}

}  // namespace parley::auth
