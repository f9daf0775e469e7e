// Fuzz target: UCWA request bodies (src/proto/ucwa/body.hpp). Input: a Content-Type line, '\n',
// then the body; without a newline the whole input is the body, read as application/json.
#include "common/error.hpp"
#include "proto/ucwa/body.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using parley::proto::ucwa::Body;

// Every accessor either answers within its limits or throws ParameterValidationFailure; whatever
// the input, nothing else may escape.
void exercise(const Body& body, std::string_view name) {
  const auto expect_validation = [](const parley::ApiError& e) {
    if (e.status() != 400 || e.subcode() != "ParameterValidationFailure") __builtin_trap();
  };
  try {
    if (auto s = body.string(name, 16)) {
      if (parley::proto::ucwa::utf8_length(*s) > 16) __builtin_trap();
    }
  } catch (const parley::ApiError& e) { expect_validation(e); }
  try {
    if (auto n = body.integer(name, -100, 100)) {
      if (*n < -100 || *n > 100) __builtin_trap();
    }
  } catch (const parley::ApiError& e) { expect_validation(e); }
  try {
    (void)body.boolean(name);
  } catch (const parley::ApiError& e) { expect_validation(e); }
  try {
    if (auto v = body.strings(name, 4, 8)) {
      if (v->size() > 4) __builtin_trap();
      for (const auto& s : *v)
        if (parley::proto::ucwa::utf8_length(s) > 8) __builtin_trap();
    }
  } catch (const parley::ApiError& e) { expect_validation(e); }
  try {
    const auto s = body.required_string(name, 32);
    if (s.empty() || !body.has(name)) __builtin_trap();
  } catch (const parley::ApiError& e) { expect_validation(e); }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto nl = text.find('\n');
  const bool has_type = nl != std::string_view::npos && nl < 80 && text.substr(0, 1) != "{";
  const std::string_view content_type = has_type ? text.substr(0, nl) : "application/json";
  const std::string_view json = has_type ? text.substr(nl + 1) : text;

  try {
    const auto body = Body::parse_json_request(content_type, json, 4096);
    if (json.size() > 4096) __builtin_trap();
    // Names the handlers read, in both spellings, plus every name actually present in the body
    // (upper-cased, so case-insensitive lookup is what finds it).
    for (std::string_view name : {"signInAs", "SupportedModalities", "inactiveTimeout", "userAgent",
                                  "culture", "endpointId", "includeInContactCard", "uris"})
      exercise(body, name);
    for (const auto& kv : body.object()) {
      std::string upper(kv.key().data(), kv.key().size());
      for (auto& c : upper)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      if (!body.has(upper)) __builtin_trap();
      exercise(body, upper);
    }
  } catch (const parley::ApiError&) {
  }
  return 0;
}
