// Fuzz target: the request-target parser and query-string decoding (src/http/target.hpp), and
// the Accept-Encoding parser (src/http/compression.hpp). Also checks that a lookup of one query
// parameter agrees with the whole list.
#include "common/error.hpp"
#include "http/compression.hpp"
#include "http/target.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  parley::http::accepts_gzip(text);
  try {
    auto t = parley::http::parse_target(text);
    // What the router will see must be free of the things the parser promises to refuse.
    for (const auto& seg : t.segments)
      if (seg.empty() || seg == "." || seg == ".." || seg.find('\0') != std::string::npos) __builtin_trap();
    // Looking up one name must agree with the whole list: the same first value, and a refusal
    // exactly when the list refuses the query.
    std::vector<std::pair<std::string, std::string>> all;
    bool refused = false;
    try {
      all = parley::http::parse_query(t.query);
    } catch (const parley::BadRequest&) {
      refused = true;
    }
    for (const std::string_view name : {"sipuri", "operationId", "a", ""}) {
      bool present = false;
      std::string value;
      try {
        value = parley::http::query_param(t.query, name, &present);
      } catch (const parley::BadRequest&) {
        if (!refused) __builtin_trap();
        continue;
      }
      if (refused) __builtin_trap();
      const auto first = std::find_if(all.begin(), all.end(), [&](const auto& kv) { return kv.first == name; });
      if (present != (first != all.end()) || (present && value != first->second)) __builtin_trap();
    }
  } catch (const parley::BadRequest&) {
  }
  return 0;
}
