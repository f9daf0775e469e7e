// Fuzz target: what the web client's file server decides from request text (src/web): which file
// names may be looked up, whether an Accept header asks for HTML, and a file's content type. A
// name it accepts can never leave the served directory; nothing crashes or hangs on any input.
#include "web/static_site.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (parley::web::is_safe_name(input)) {
    if (input.empty() || input.size() > 128 || input.front() == '.') std::abort();
    // Letters, digits, '.', '-' and '_' only: no separator, escape or drive letter gets through.
    for (const char c : input) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_';
      if (!ok) std::abort();
    }
  }
  (void)parley::web::accepts_html(input);
  if (parley::web::content_type_for(input).empty()) std::abort();
  return 0;
}
