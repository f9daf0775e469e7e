#pragma once
// Reading a password for --password-stdin. Passwords never come from arguments (they would sit
// in shell history and in `ps`): from a pipe the CLI reads one line; from a terminal it prompts
// with echo switched off, and asks twice when setting a new password.

#include <cstddef>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace parley::cli {

// The input could not give a password (nothing there, a line too long, the entries differ).
class InputError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::size_t kMaxPasswordLineBytes = 4096;

// One line without its trailing "\n" or "\r\n". Throws InputError when the stream is already at
// its end or the line is longer than `max_bytes`.
std::string read_secret_line(std::istream& in, std::size_t max_bytes = kMaxPasswordLineBytes);

// `terminal` says that `in` is the process's standard input and a terminal: then `prompt` goes
// to `err` and echo is off while typing (restored on Ctrl-C too). Throws InputError for an
// empty password or, with `confirm`, two entries that differ.
std::string read_password(std::istream& in, std::ostream& err, bool terminal, std::string_view prompt,
                          bool confirm);

}  // namespace parley::cli
