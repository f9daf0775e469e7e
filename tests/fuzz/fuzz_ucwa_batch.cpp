// Fuzz target: the UCWA batch codec (src/api/batch.hpp). Input: a Content-Type line, '\n', then
// the body; without a newline the whole input is the body, sent with a fixed boundary "b".
#include "api/batch.hpp"
#include "common/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto nl = text.find('\n');
  const bool has_type = nl != std::string_view::npos && nl < 120 && text.starts_with("multipart/");
  const std::string_view content_type = has_type ? text.substr(0, nl) : "multipart/batching; boundary=b";
  const std::string_view body = has_type ? text.substr(nl + 1) : text;

  // Only the documented errors may escape, and only with their documented statuses.
  const auto expected = [](const parley::ApiError& e) {
    if (e.status() != 400 && e.status() != 413) __builtin_trap();
  };
  try {
    const auto parts = parley::api::parse_batch(content_type, body);
    if (parts.empty() || parts.size() > parley::api::kMaxBatchParts) __builtin_trap();
    // Whatever was accepted must survive being echoed back as responses: every body comes
    // out of a serialise/parse round trip unchanged and in order.
    std::vector<parley::http::Response> echoed;
    for (const auto& p : parts) {
      if (p.method.empty() || p.target.empty()) __builtin_trap();
      parley::http::Response r;
      r.status = 200;
      r.headers.set("Content-Type", "text/plain");
      r.body = p.body;
      echoed.push_back(std::move(r));
    }
    std::string boundary = "echo";
    for (const auto& p : parts)
      while (p.body.find(boundary) != std::string::npos) boundary += "x";
    const std::string out = parley::api::serialize_batch(echoed, boundary);
    const auto back =
        parley::api::parse_batch_responses("multipart/batching; boundary=\"" + boundary + "\"", out);
    if (back.size() != parts.size()) __builtin_trap();
    for (std::size_t i = 0; i < parts.size(); ++i)
      if (back[i].status != 200 || back[i].body != parts[i].body) __builtin_trap();
  } catch (const parley::ApiError& e) {
    expected(e);
  }
  try {
    (void)parley::api::parse_batch_responses(content_type, body);
  } catch (const parley::ApiError& e) {
    expected(e);
  }
  return 0;
}
