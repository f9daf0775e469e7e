// Fuzz target: the web-ticket form parser (src/auth/form.hpp) and the sign-in name forms
// (src/auth/username.hpp). Input: a Content-Type line, '\n', then the body.
#include "auth/form.hpp"
#include "auth/username.hpp"

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace {

// Percent-encodes every byte that is not unreserved, so that parsing it again must give back
// exactly the same field.
std::string encode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto nl = text.find('\n');
  const std::string_view content_type = nl == std::string_view::npos ? text : text.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);

  const parley::auth::FormLimits limits;
  const auto form = parley::auth::parse_form(content_type, body, limits);
  if (!form.ok()) {
    if (!form.fields.empty() || parley::auth::describe(form.error).empty()) __builtin_trap();
    return 0;
  }
  if (body.size() > limits.max_body_bytes || form.fields.size() > limits.max_fields) __builtin_trap();
  std::set<std::string> names;
  std::string reencoded;
  for (const auto& f : form.fields) {
    for (const auto* s : {&f.name, &f.value})
      if (s->size() > limits.max_field_bytes || s->find('\0') != std::string::npos ||
          !parley::auth::is_valid_utf8(*s))
        __builtin_trap();
    if (f.name.empty() || !names.insert(f.name).second) __builtin_trap();
    if (!reencoded.empty()) reencoded += '&';
    reencoded += encode(f.name) + "=" + encode(f.value);

    // Whatever a user name normalises to is lower-case user@domain without "sip:".
    if (auto sip = parley::auth::normalize_username(f.value, {"example.org", "contoso.com"})) {
      if (sip->find('@') == std::string::npos || sip->starts_with("sip:") || sip->size() > 256) __builtin_trap();
      for (char c : *sip)
        if (c >= 'A' && c <= 'Z') __builtin_trap();
    }
  }
  // Encoding the fields again and parsing gives the same fields (if it still fits the body limit).
  if (reencoded.size() <= limits.max_body_bytes) {
    const auto again = parley::auth::parse_form("application/x-www-form-urlencoded", reencoded, limits);
    if (!again.ok() || again.fields.size() != form.fields.size()) __builtin_trap();
    for (std::size_t i = 0; i < again.fields.size(); ++i)
      if (again.fields[i].name != form.fields[i].name || again.fields[i].value != form.fields[i].value)
        __builtin_trap();
  }
  return 0;
}
