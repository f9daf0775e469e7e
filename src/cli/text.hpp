#pragma once
// Small text helpers the CLI needs in several places: case-insensitive comparison, trimming,
// UTF-8 checks, and making server-supplied text safe to print on a terminal.

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::cli {

bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view s);
std::string_view trim(std::string_view s);  // spaces and tabs at both ends

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool valid_utf8(std::string_view s);

// Number of code points: a good-enough column width for aligning tables of names.
std::size_t display_width(std::string_view s);

// Replaces control characters (C0, DEL, and the C1 range) with '?', so that text from the
// server or a file cannot move the cursor or change the terminal's state when printed.
std::string printable(std::string_view s);

// Overwrites a secret's bytes before the string is released.
void wipe(std::string& secret) noexcept;

// Wipes a secret when the scope ends, however it ends.
class WipeOnExit {
public:
  explicit WipeOnExit(std::string& secret) : secret_(secret) {}
  ~WipeOnExit() { wipe(secret_); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

private:
  std::string& secret_;
};

}  // namespace parley::cli
