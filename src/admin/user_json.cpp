#include "admin/user_json.hpp"

#include "admin/json_body.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "common/time.hpp"

#include <algorithm>
#include <cctype>

namespace parley::admin {
namespace {

std::optional<std::string> phone_property(const boost::json::object& phones, std::string_view name) {
  auto v = string_property(phones, name, kMaxPhoneChars);
  if (v && !std::all_of(v->begin(), v->end(), [](unsigned char c) {
        return std::isdigit(c) || c == '+' || c == '-' || c == '(' || c == ')' || c == '.' ||
               c == ' ' || c == 'x' || c == ';';
      }))
    throw ParameterValidationFailure("\"phones." + std::string(name) +
                                     "\" may hold only digits, spaces and + - ( ) . x ;");
  return v;
}

}  // namespace

std::string normalize_sip_uri(std::string_view text) {
  std::string s(text);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.rfind("sip:", 0) == 0) s.erase(0, 4);
  if (s.empty()) throw ParameterValidationFailure("\"sipUri\" is required");
  if (s.size() > kMaxTextChars)
    throw ParameterValidationFailure("\"sipUri\" is longer than 256 characters");
  const auto at = s.find('@');
  if (at == std::string::npos || at == 0 || s.find('@', at + 1) != std::string::npos)
    throw ParameterValidationFailure("\"sipUri\" must look like user@domain");
  const std::string_view local = std::string_view(s).substr(0, at);
  if (local.size() > 64 || !std::all_of(local.begin(), local.end(), [](unsigned char c) {
        return std::islower(c) || std::isdigit(c) || c == '.' || c == '_' || c == '-' ||
               c == '+' || c == '\'';
      }))
    throw ParameterValidationFailure(
        "\"sipUri\": the user part may hold letters, digits and . _ - + ' (at most 64)");
  if (!is_dns_name(std::string_view(s).substr(at + 1)))
    throw ParameterValidationFailure("\"sipUri\": the domain is not a valid DNS name");
  return s;
}

boost::json::object user_to_json(const storage::User& u) {
  boost::json::object o;
  o["sipUri"] = u.sip_uri;
  o["displayName"] = u.profile.display_name;
  o["email"] = u.profile.email;
  o["title"] = u.profile.title;
  o["department"] = u.profile.department;
  o["office"] = u.profile.office;
  o["phones"] = boost::json::object{{"work", u.profile.phones.work},
                                    {"mobile", u.profile.phones.mobile},
                                    {"home", u.profile.phones.home},
                                    {"other", u.profile.phones.other}};
  o["site"] = u.profile.site;
  o["enabled"] = u.enabled;
  o["hasPassword"] = u.has_password;
  o["created"] = iso8601_utc(u.created_at_ms);
  o["updated"] = iso8601_utc(u.updated_at_ms);
  return o;
}

UserInput parse_user_input(const boost::json::object& o) {
  reject_unknown_properties(o, {"sipUri", "displayName", "email", "title", "department", "office",
                                "phones", "site", "enabled", "password", "hasPassword", "created",
                                "updated"});
  UserInput in;
  if (auto s = string_property(o, "sipUri", kMaxTextChars)) in.sip_uri = normalize_sip_uri(*s);
  auto& p = in.patch;
  p.display_name = string_property(o, "displayName", kMaxTextChars);
  p.email = string_property(o, "email", kMaxTextChars);
  if (p.email && !p.email->empty() && p.email->find('@') == std::string::npos)
    throw ParameterValidationFailure("\"email\" must be an e-mail address");
  p.title = string_property(o, "title", kMaxTextChars);
  p.department = string_property(o, "department", kMaxTextChars);
  p.office = string_property(o, "office", kMaxTextChars);
  p.site = string_property(o, "site", kMaxTextChars);
  p.enabled = bool_property(o, "enabled");
  if (const auto* phones = find_property(o, "phones"); phones && !phones->is_null()) {
    if (!phones->is_object()) throw ParameterValidationFailure("\"phones\" must be an object");
    const auto& po = phones->as_object();
    reject_unknown_properties(po, {"work", "mobile", "home", "other"});
    p.phone_work = phone_property(po, "work");
    p.phone_mobile = phone_property(po, "mobile");
    p.phone_home = phone_property(po, "home");
    p.phone_other = phone_property(po, "other");
  }
  if (auto* pw = find_property(o, "password"); pw && !pw->is_null()) {
    if (!pw->is_string()) throw ParameterValidationFailure("\"password\" must be a string");
    in.password = std::string(pw->as_string());
    check_password(*in.password);
  }
  return in;
}

void check_password(const std::string& password) {
  // Length in code points; bytes bound the argon2 input as well.
  std::size_t chars = 0;
  for (unsigned char c : password)
    if ((c & 0xC0) != 0x80) ++chars;
  if (chars < kMinPasswordChars || password.size() > 4 * kMaxPasswordChars ||
      chars > kMaxPasswordChars)
    throw ParameterValidationFailure("\"password\" must have 8 to 256 characters");
}

storage::UserProfile profile_from(const storage::UserPatch& p) {
  storage::UserProfile u;
  u.display_name = p.display_name.value_or("");
  u.email = p.email.value_or("");
  u.title = p.title.value_or("");
  u.department = p.department.value_or("");
  u.office = p.office.value_or("");
  u.site = p.site.value_or("");
  u.phones.work = p.phone_work.value_or("");
  u.phones.mobile = p.phone_mobile.value_or("");
  u.phones.home = p.phone_home.value_or("");
  u.phones.other = p.phone_other.value_or("");
  return u;
}

}  // namespace parley::admin
