// Fuzz target: the CSV reader behind `parley user import` (src/cli/csv.hpp).
#include "cli/csv.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  parley::cli::CsvLimits limits;
  limits.max_records = 1000;
  limits.max_fields = 64;
  limits.max_field_bytes = 4096;
  const auto doc = parley::cli::parse_csv(text, limits);
  // Every record and error points at a line that exists, in file order.
  std::size_t lines = 1;
  for (char c : text) lines += (c == '\n' || c == '\r');
  std::size_t last = 0;
  for (const auto& r : doc.records) {
    if (r.line == 0 || r.line > lines || r.line < last || r.fields.size() > limits.max_fields) __builtin_trap();
    for (const auto& f : r.fields)
      if (f.size() > limits.max_field_bytes) __builtin_trap();
    last = r.line;
  }
  for (const auto& e : doc.errors)
    if (e.line == 0 || e.line > lines || e.message.empty()) __builtin_trap();
  return 0;
}
