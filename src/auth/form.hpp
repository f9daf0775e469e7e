#pragma once
// Strict application/x-www-form-urlencoded bodies, as the web-ticket service receives them
// (UCWA.md §2.1; WHATWG URL "application/x-www-form-urlencoded parsing"). Every way a body can be
// wrong is a FormError, which the service answers with the OAuth error invalid_request. Pure
// functions: no I/O, no exceptions for bad input.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::auth {

enum class FormError {
  none,
  wrong_content_type,  // not application/x-www-form-urlencoded (or a charset other than UTF-8)
  body_too_large,
  too_many_fields,
  field_too_long,      // a decoded name or value over the limit
  empty_name,          // "=value"
  duplicate_field,
  bad_percent_encoding,
  nul_byte,
  not_utf8,
};

// Why the body was refused, in a few words (for logs and tests; never echoes the input).
std::string_view describe(FormError e);

struct FormLimits {
  std::size_t max_body_bytes = 8 * 1024;
  std::size_t max_fields = 32;
  std::size_t max_field_bytes = 1024;  // each name and each value, after decoding
};

struct FormField {
  std::string name;
  std::string value;
};

// The fields of a body in the order sent, or the first thing found wrong with it.
struct ParsedForm {
  FormError error = FormError::none;
  std::vector<FormField> fields;  // empty when error != none

  bool ok() const { return error == FormError::none; }
  // The value of field `name` (exact, case-sensitive as OAuth parameter names are), or nullopt.
  std::optional<std::string_view> get(std::string_view name) const;
};

// True for "application/x-www-form-urlencoded", in any case, optionally with a
// "charset=UTF-8" parameter (quoted or not, any case). Any other parameter is refused.
bool is_form_content_type(std::string_view content_type);

// Checks the Content-Type, then decodes the body: '&' separates fields (empty pieces are
// skipped), the first '=' separates name from value (a piece without '=' has an empty value),
// '+' is a space, %XX a byte. Decoded names and values must be UTF-8 without NUL, and no name
// may appear twice.
ParsedForm parse_form(std::string_view content_type, std::string_view body,
                      const FormLimits& limits = {});

// True when `s` is well-formed UTF-8: no overlong forms, surrogates or code points above
// U+10FFFF.
bool is_valid_utf8(std::string_view s);

}  // namespace parley::auth
