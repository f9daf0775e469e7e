#pragma once
// Writing small files that must never be seen half-written or with looser permissions than
// intended (keys, credentials, the endpoints file).

#include <filesystem>
#include <string_view>

namespace parley {

// Writes `content` to a temporary file created with `mode` (never readable by others meanwhile),
// flushes it to disk and renames it over `file`. Throws std::runtime_error.
void write_file_atomic(const std::filesystem::path& file, std::string_view content, unsigned mode);

}  // namespace parley
