// Fuzz target: the request-target parser and query-string decoding (src/http/target.hpp), and
// the Accept-Encoding parser (src/http/compression.hpp).
#include "common/error.hpp"
#include "http/compression.hpp"
#include "http/target.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  parley::http::accepts_gzip(text);
  try {
    auto t = parley::http::parse_target(text);
    // What the router will see must be free of the things the parser promises to refuse.
    for (const auto& seg : t.segments)
      if (seg.empty() || seg == "." || seg == ".." || seg.find('\0') != std::string::npos) __builtin_trap();
    parley::http::query_param(t.query, "sipuri");
  } catch (const parley::BadRequest&) {
  }
  return 0;
}
