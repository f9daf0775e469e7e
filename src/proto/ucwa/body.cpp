#include "proto/ucwa/body.hpp"

#include "common/crypto.hpp"

#include "common/error.hpp"
#include "common/text.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/system/system_error.hpp>

#include <cmath>
#include <limits>
#include <set>
#include <utility>

namespace parley::proto::ucwa {
namespace {

using boost::json::error_code;
using json_view = boost::json::string_view;

[[noreturn]] void deserialization_failure(const std::string& why) {
  throw BadRequest("The request body is not a valid JSON object: " + why, "DeserializationFailure");
}

// A second, allocation-light pass over text that boost::json::parse already accepted: the value
// it builds keeps only one of two equal keys, so duplicates (which clients could use to smuggle a
// second value past a proxy's view of the first) are only visible in the token stream. Keys are
// compared ASCII-case-insensitively because lookups are.
class DuplicateKeyFinder {
public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  std::string duplicate;  // the offending key, once found

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t, error_code&) { return true; }
  bool on_object_begin(error_code&) {
    open_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, error_code&) {
    open_.pop_back();
    return true;
  }
  bool on_string_part(json_view, std::size_t, error_code&) { return true; }
  bool on_string(json_view, std::size_t, error_code&) { return true; }
  bool on_key_part(json_view s, std::size_t, error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json_view s, std::size_t, error_code& ec) {
    key_.append(s.data(), s.size());
    std::string folded = lower(key_);
    key_.clear();
    if (!open_.back().insert(folded).second) {
      duplicate = std::move(folded);
      ec = boost::json::error::syntax;
      return false;
    }
    return true;
  }
  bool on_number_part(json_view, error_code&) { return true; }
  bool on_int64(std::int64_t, json_view, error_code&) { return true; }
  bool on_uint64(std::uint64_t, json_view, error_code&) { return true; }
  bool on_double(double, json_view, error_code&) { return true; }
  bool on_bool(bool, error_code&) { return true; }
  bool on_null(error_code&) { return true; }
  bool on_comment_part(json_view, error_code&) { return true; }
  bool on_comment(json_view, error_code&) { return true; }

private:
  std::vector<std::set<std::string>> open_;
  std::string key_;
};

bool json_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool blank(std::string_view text) {
  for (char c : text)
    if (!json_space(c)) return false;
  return true;
}

std::string quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

[[noreturn]] void invalid(std::string_view name, const std::string& why) {
  throw ParameterValidationFailure("Parameter " + quoted(name) + " " + why + ".");
}

void check_length(std::string_view name, const boost::json::string& s, std::size_t max_chars) {
  if (utf8_length(std::string_view(s.data(), s.size())) > max_chars)
    invalid(name, "is longer than " + std::to_string(max_chars) + " characters");
}

}  // namespace

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

Body Body::parse(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes)
    throw EntityTooLarge("The request body is larger than " + std::to_string(max_bytes) + " bytes.");
  Body body;
  if (blank(text)) return body;

  boost::json::parse_options options;
  options.max_depth = kMaxDepth;
  boost::json::value value;
  try {
    error_code ec;
    value = boost::json::parse(json_view(text.data(), text.size()), ec, {}, options);
    if (ec) deserialization_failure(ec.message());
  } catch (const boost::system::system_error& e) {
    deserialization_failure(e.code().message());
  }
  if (!value.is_object()) deserialization_failure("the top level is not an object");

  boost::json::basic_parser<DuplicateKeyFinder> keys(options);
  error_code ec;
  keys.write_some(false, text.data(), text.size(), ec);
  if (!keys.handler().duplicate.empty())
    deserialization_failure("property '" + keys.handler().duplicate + "' appears more than once");

  body.object_ = std::move(value.as_object());
  return body;
}

Body Body::parse_json_request(std::string_view content_type, std::string_view text, std::size_t max_bytes) {
  const auto media = trim(content_type.substr(0, content_type.find(';')));
  // An empty body carries no media, whatever type a client library labels it with (libcurl and
  // some SDKs send application/x-www-form-urlencoded for an empty POST).
  if (blank(text)) return Body{};
  if (media.empty()) {
    throw UnsupportedMediaType("A request body needs a Content-Type.");
  } else if (!iequals(media, "application/json") &&
             !iequals(media, "application/vnd.microsoft.com.ucwa+json")) {
    throw UnsupportedMediaType("Content-Type " + printable_ascii(media, 100) + " is not supported here.");
  }
  return parse(text, max_bytes);
}

const boost::json::value* Body::find(std::string_view name) const {
  for (const auto& kv : object_) {
    const auto key = kv.key();
    if (iequals(std::string_view(key.data(), key.size()), name)) return &kv.value();
  }
  return nullptr;
}

bool Body::has(std::string_view name) const { return find(name) != nullptr; }

std::optional<std::string> Body::string(std::string_view name, std::size_t max_chars) const {
  const auto* v = find(name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) invalid(name, "must be a string");
  const auto& s = v->get_string();
  check_length(name, s, max_chars);
  return std::string(s.data(), s.size());
}

std::optional<std::int64_t> Body::integer(std::string_view name, std::int64_t min, std::int64_t max) const {
  const auto* v = find(name);
  if (!v || v->is_null()) return std::nullopt;
  const auto out_of_range = [&] {
    invalid(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  };
  std::int64_t n = 0;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64()) {
    if (v->get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) out_of_range();
    n = static_cast<std::int64_t>(v->get_uint64());
  } else if (v->is_double()) {
    const double d = v->get_double();
    if (!std::isfinite(d) || std::trunc(d) != d) invalid(name, "must be a whole number");
    // 2^63 is exactly representable; anything at or beyond it cannot be an int64.
    if (d >= 9223372036854775808.0 || d < -9223372036854775808.0) out_of_range();
    n = static_cast<std::int64_t>(d);
  } else {
    invalid(name, "must be a number");
  }
  if (n < min || n > max) out_of_range();
  return n;
}

std::optional<bool> Body::boolean(std::string_view name) const {
  const auto* v = find(name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_bool()) invalid(name, "must be true or false");
  return v->get_bool();
}

std::optional<std::vector<std::string>> Body::strings(std::string_view name, std::size_t max_items,
                                                      std::size_t max_chars) const {
  const auto* v = find(name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_array()) invalid(name, "must be an array of strings");
  const auto& items = v->get_array();
  if (items.size() > max_items) invalid(name, "has more than " + std::to_string(max_items) + " items");
  std::vector<std::string> out;
  out.reserve(items.size());
  for (const auto& item : items) {
    if (!item.is_string()) invalid(name, "must be an array of strings");
    check_length(name, item.get_string(), max_chars);
    out.emplace_back(item.get_string().data(), item.get_string().size());
  }
  return out;
}

std::string Body::required_string(std::string_view name, std::size_t max_chars) const {
  auto s = string(name, max_chars);
  if (!s || s->empty()) invalid(name, "is required");
  return std::move(*s);
}

const std::string& put_property_name() {
  static const std::string name = [] {
    const std::string h = hex_encode(random_token(16)).substr(0, 32);
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
           "-" + h.substr(20, 12);
  }();
  return name;
}

void check_put(std::string_view if_match, std::string_view current_etag, const Body& body) {
  if_match = trim(if_match);
  if (if_match.empty())
    throw ApiError(428, "PreconditionRequired", "PreconditionRequired",
                   "PUT needs If-Match with the resource's etag");
  std::string_view tag = if_match;
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"') tag = tag.substr(1, tag.size() - 2);
  if (if_match != "*" && tag != current_etag)
    throw ApiError(412, "PreConditionFailed", "PreconditionFailed",
                   "the resource changed since it was read; GET it again");
  if (!body.has(put_property_name()))
    throw ParameterValidationFailure("the representation lacks its PUT property; GET it first");
}

}  // namespace parley::proto::ucwa
