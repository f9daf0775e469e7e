// Fuzz target: RFC 2397 data URIs (src/proto/ucwa/message_content.hpp). A parsed URI respects the
// size limit and its fields are normalized; text written by make_data_uri reads back unchanged.
#include "proto/ucwa/message_content.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::size_t kLimit = 1024;

  if (const auto uri = parley::proto::ucwa::parse_data_uri(input, kLimit)) {
    if (uri->data.size() > kLimit) std::abort();
    if (uri->media_type.empty() || uri->media_type.find('/') == std::string_view::npos) std::abort();
    for (char c : uri->media_type + uri->charset)
      if (c >= 'A' && c <= 'Z') std::abort();
  }

  // Any bytes survive the round trip through a data URI, base64 or not.
  const auto made = parley::proto::ucwa::make_data_uri("text/plain;charset=utf-8", input);
  const auto back = parley::proto::ucwa::parse_data_uri(made, size);
  if (!back || back->data != input || back->media_type != "text/plain" || back->charset != "utf-8")
    std::abort();
  if (size > 0 && parley::proto::ucwa::parse_data_uri(made, size - 1)) std::abort();
  return 0;
}
