// Fuzz target: the TOML configuration loader and its validation (src/common/config.hpp).
#include "common/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    parley::parse_config(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.toml");
  } catch (const parley::ConfigError&) {
  }
  return 0;
}
