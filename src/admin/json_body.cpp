#include "admin/json_body.hpp"
#include "common/text.hpp"

#include "common/error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

namespace parley::admin {
namespace {


// Counts code points and checks that the text is well-formed UTF-8 (no overlongs, surrogates).
std::optional<std::size_t> utf8_length(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n;
    std::uint32_t cp;
    if (c < 0x80) { n = 1; cp = c; }
    else if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
    else return std::nullopt;
    if (i + n > s.size()) return std::nullopt;
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return std::nullopt;
    i += n;
    ++count;
  }
  return count;
}

}  // namespace

boost::json::object parse_json_object(const http::Request& req) {
  const std::string_view type = req.headers.get("Content-Type");
  const std::string_view media = type.substr(0, type.find(';'));
  std::string m(media);
  std::erase_if(m, [](char c) { return c == ' ' || c == '\t'; });
  for (auto& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (m != "application/json" && m != "application/vnd.microsoft.com.ucwa+json")
    throw UnsupportedMediaType("the request body must be application/json");
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(req.body, ec);
  if (ec) throw BadRequest("the request body is not valid JSON: " + ec.message(), "DeserializationFailure");
  if (!v.is_object()) throw BadRequest("the request body must be a JSON object", "DeserializationFailure");
  return std::move(v.as_object());
}

const boost::json::value* find_property(const boost::json::object& o, std::string_view name) {
  for (const auto& kv : o)
    if (iequals(kv.key(), name)) return &kv.value();
  return nullptr;
}

std::optional<std::string> string_property(const boost::json::object& o, std::string_view name,
                                           std::size_t max_chars) {
  const auto* v = find_property(o, name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string())
    throw ParameterValidationFailure("\"" + std::string(name) + "\" must be a string");
  std::string s(v->as_string());
  const auto len = utf8_length(s);
  if (!len) throw ParameterValidationFailure("\"" + std::string(name) + "\" is not valid UTF-8");
  if (*len > max_chars)
    throw ParameterValidationFailure("\"" + std::string(name) + "\" is longer than " +
                                     std::to_string(max_chars) + " characters");
  if (std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
    throw ParameterValidationFailure("\"" + std::string(name) + "\" contains control characters");
  return s;
}

std::optional<bool> bool_property(const boost::json::object& o, std::string_view name) {
  const auto* v = find_property(o, name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_bool()) throw ParameterValidationFailure("\"" + std::string(name) + "\" must be true or false");
  return v->as_bool();
}

void reject_unknown_properties(const boost::json::object& o,
                               std::initializer_list<std::string_view> allowed) {
  for (const auto& kv : o) {
    const bool known = std::any_of(allowed.begin(), allowed.end(),
                                   [&](std::string_view a) { return iequals(a, kv.key()); });
    if (!known)
      throw ParameterValidationFailure("unknown property \"" + std::string(kv.key()) + "\"");
  }
}

http::Response json_response(int status, const boost::json::value& v) {
  return http::Response::json(status, boost::json::serialize(v));
}

}  // namespace parley::admin
