// Fuzz target: what discovery reads from a request (src/discovery/negotiation.hpp): the Accept
// header, the originalDomain/sipuri query parameters and SIP URIs; and the XML escaping of what
// it writes back (src/discovery/documents.hpp).
#include "common/error.hpp"
#include "discovery/documents.hpp"
#include "discovery/negotiation.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

const std::vector<std::string> kServed = {"example.org", "example.com"};

bool query_safe(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-._~:@%=").find(c) != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parley::discovery;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  choose_format(text, size % 2 == 0);
  if (auto d = domain_of_sip_uri(text)) {
    if (!parley::is_dns_name(*d)) __builtin_trap();
  }
  try {
    const auto d = resolve_domain(text, kServed);
    // Whatever was asked, the answer is about a served domain, and its links carry only
    // query-safe characters.
    if (std::find(kServed.begin(), kServed.end(), d.domain) == kServed.end()) __builtin_trap();
    const auto q = d.link_query();
    if (!std::all_of(q.begin(), q.end(), query_safe)) __builtin_trap();
  } catch (const parley::ApiError&) {
  }
  // Escaped text never opens markup or closes an attribute.
  const auto escaped = xml_escape(text);
  if (escaped.find_first_of("<>\"'") != std::string::npos) __builtin_trap();
  return 0;
}
