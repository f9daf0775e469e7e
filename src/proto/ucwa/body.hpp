#pragma once
// Reading UCWA request bodies (UCWA.md §0): a JSON object whose property names match
// case-insensitively ("UserAgent" == "userAgent"), with `_links` and `_embedded` ignored, a size
// and nesting limit, and typed accessors that name the offending property in their errors.
// Codec only: no I/O.

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::proto::ucwa {

inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;
inline constexpr unsigned kMaxDepth = 16;

class Body {
public:
  // An empty or all-whitespace body is an empty object. Throws parley::BadRequest with subcode
  // DeserializationFailure when the text is not a JSON object, is nested deeper than kMaxDepth,
  // has the same property twice (case-insensitively), or is larger than `max_bytes`
  // (parley::EntityTooLarge).
  static Body parse(std::string_view text, std::size_t max_bytes = kMaxBodyBytes);

  // For handlers that accept JSON only: checks the Content-Type (application/json,
  // application/vnd.microsoft.com.ucwa+json, with parameters; any type, or none, is accepted
  // when the body is empty) and parses. Throws parley::UnsupportedMediaType (415) for anything else.
  static Body parse_json_request(std::string_view content_type, std::string_view text,
                                 std::size_t max_bytes = kMaxBodyBytes);

  bool has(std::string_view name) const;  // present, even if null

  // Each accessor returns nullopt when the property is absent or null, and throws
  // parley::ParameterValidationFailure naming the property when it has the wrong type or breaks
  // a limit. Strings must be valid UTF-8 (Boost.JSON guarantees it) and at most `max_chars`
  // characters (code points).
  std::optional<std::string> string(std::string_view name, std::size_t max_chars) const;
  std::optional<std::int64_t> integer(std::string_view name, std::int64_t min,
                                      std::int64_t max) const;
  std::optional<bool> boolean(std::string_view name) const;
  // An array of strings; at most `max_items`, each at most `max_chars`.
  std::optional<std::vector<std::string>> strings(std::string_view name, std::size_t max_items,
                                                  std::size_t max_chars) const;

  // A required non-empty string: throws ParameterValidationFailure when absent, empty or too long.
  std::string required_string(std::string_view name, std::size_t max_chars) const;

  const boost::json::object& object() const { return object_; }

private:
  const boost::json::value* find(std::string_view name) const;
  boost::json::object object_;
};

// PUT rules (UCWA.md §0): every PUT-able resource carries one property with a random GUID name
// and this value; a PUT must send it back, with If-Match naming the current etag.
inline constexpr char kPutPropertyValue[] = "please pass this in a PUT request";
// The GUID-shaped property name, random per server process.
const std::string& put_property_name();
// Throws 428 PreconditionRequired without If-Match, 412 PreconditionFailed when it names another
// etag than `current_etag` (given unquoted; "*" matches anything), and
// ParameterValidationFailure when the body lacks the PUT property.
void check_put(std::string_view if_match, std::string_view current_etag, const Body& body);

// Counts UTF-8 code points (the text is assumed valid).
std::size_t utf8_length(std::string_view s);

}  // namespace parley::proto::ucwa
