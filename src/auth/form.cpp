#include "auth/form.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <cstdint>

namespace parley::auth {
namespace {

constexpr std::string_view kFormType = "application/x-www-form-urlencoded";


int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes one name or value into `out`. The limit is checked while decoding, so a long piece
// is refused without first building a long string.
FormError decode(std::string_view in, std::size_t max_bytes, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%') {
      if (in.size() - i < 3) return FormError::bad_percent_encoding;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return FormError::bad_percent_encoding;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return FormError::nul_byte;
    if (out.size() == max_bytes) return FormError::field_too_long;
    out.push_back(c);
  }
  if (!is_valid_utf8(out)) return FormError::not_utf8;
  return FormError::none;
}

}  // namespace

std::string_view describe(FormError e) {
  switch (e) {
    case FormError::none: return "no error";
    case FormError::wrong_content_type: return "Content-Type must be application/x-www-form-urlencoded";
    case FormError::body_too_large: return "the body is too large";
    case FormError::too_many_fields: return "too many fields";
    case FormError::field_too_long: return "a field name or value is too long";
    case FormError::empty_name: return "a field has no name";
    case FormError::duplicate_field: return "a field appears twice";
    case FormError::bad_percent_encoding: return "bad percent-encoding";
    case FormError::nul_byte: return "a field holds a NUL byte";
    case FormError::not_utf8: return "a field is not UTF-8";
  }
  return "unknown error";
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<std::uint8_t>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
      cp = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      cp = b0 & 0x0Fu;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      cp = b0 & 0x07u;
    } else {
      return false;  // a continuation byte first, C0/C1 (overlong two-byte), or F5..FF
    }
    if (s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<std::uint8_t>(s[i + k]);
      if ((b & 0xC0u) != 0x80u) return false;
      cp = (cp << 6) | (b & 0x3Fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;  // overlong
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;                              // surrogate
    if (cp > 0x10FFFF) return false;
    i += len;
  }
  return true;
}

bool is_form_content_type(std::string_view content_type) {
  const auto semi = content_type.find(';');
  if (!iequals(trim(content_type.substr(0, semi)), kFormType)) return false;
  if (semi == std::string_view::npos) return true;
  std::string_view params = content_type.substr(semi + 1);
  while (true) {
    const auto next = params.find(';');
    const std::string_view param = trim(params.substr(0, next));
    if (!param.empty()) {
      const auto eq = param.find('=');
      if (eq == std::string_view::npos || !iequals(trim(param.substr(0, eq)), "charset"))
        return false;
      std::string_view value = trim(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      if (!iequals(value, "utf-8") && !iequals(value, "utf8")) return false;
    }
    if (next == std::string_view::npos) return true;
    params.remove_prefix(next + 1);
  }
}

std::optional<std::string_view> ParsedForm::get(std::string_view name) const {
  for (const auto& f : fields)
    if (f.name == name) return std::string_view(f.value);
  return std::nullopt;
}

ParsedForm parse_form(std::string_view content_type, std::string_view body, const FormLimits& limits) {
  ParsedForm result;
  auto fail = [&result](FormError e) {
    result.fields.clear();
    result.error = e;
    return result;
  };
  if (!is_form_content_type(content_type)) return fail(FormError::wrong_content_type);
  if (body.size() > limits.max_body_bytes) return fail(FormError::body_too_large);

  std::string name;
  std::string value;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const std::string_view piece = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (piece.empty()) continue;
    if (result.fields.size() == limits.max_fields) return fail(FormError::too_many_fields);
    const auto eq = piece.find('=');
    const std::string_view raw_name = piece.substr(0, eq);
    const std::string_view raw_value = eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1);
    if (raw_name.empty()) return fail(FormError::empty_name);
    if (auto e = decode(raw_name, limits.max_field_bytes, name); e != FormError::none) return fail(e);
    if (auto e = decode(raw_value, limits.max_field_bytes, value); e != FormError::none) return fail(e);
    // At most max_fields names to compare against, so a linear scan stays cheap.
    for (const auto& f : result.fields)
      if (f.name == name) return fail(FormError::duplicate_field);
    result.fields.push_back({name, value});
  }
  return result;
}

}  // namespace parley::auth
