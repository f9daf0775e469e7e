#include "cli/password_input.hpp"

#include "cli/text.hpp"

#include <csignal>
#include <termios.h>
#include <unistd.h>

namespace parley::cli {
namespace {

// The terminal state to put back if the user presses Ctrl-C while echo is off. A signal handler
// may only touch lock-free statics and async-signal-safe calls (tcsetattr, raise are).
termios g_saved_termios{};
volatile std::sig_atomic_t g_echo_off = 0;

extern "C" void restore_terminal_and_reraise(int signo) {
  if (g_echo_off) tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  std::signal(signo, SIG_DFL);
  std::raise(signo);
}

class EchoOff {
public:
  EchoOff() {
    if (tcgetattr(STDIN_FILENO, &g_saved_termios) != 0) return;
    termios quiet = g_saved_termios;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    struct sigaction sa{};
    sa.sa_handler = restore_terminal_and_reraise;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
    g_echo_off = 1;
    active_ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
    g_echo_off = 0;
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

private:
  bool active_ = false;
  struct sigaction old_int_{};
  struct sigaction old_term_{};
};

std::string prompt_once(std::istream& in, std::ostream& err, std::string_view prompt) {
  err << prompt << std::flush;
  std::string line;
  {
    const EchoOff quiet;
    line = read_secret_line(in);
  }
  err << '\n';  // the user's Enter was not echoed
  return line;
}

}  // namespace

std::string read_secret_line(std::istream& in, std::size_t max_bytes) {
  std::string line;
  bool got_any = false;
  for (int ch = in.get(); ch != std::char_traits<char>::eof(); ch = in.get()) {
    got_any = true;
    if (ch == '\n') break;
    if (line.size() == max_bytes) {
      wipe(line);
      throw InputError("the password line is longer than " + std::to_string(max_bytes) + " bytes");
    }
    line.push_back(static_cast<char>(ch));
  }
  if (!got_any) throw InputError("no password on standard input (expected one line)");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string read_password(std::istream& in, std::ostream& err, bool terminal, std::string_view prompt,
                          bool confirm) {
  std::string password = terminal ? prompt_once(in, err, prompt) : read_secret_line(in);
  if (password.empty()) throw InputError("the password is empty");
  if (terminal && confirm) {
    std::string again = prompt_once(in, err, "Repeat the password: ");
    const bool same = again == password;
    wipe(again);
    if (!same) {
      wipe(password);
      throw InputError("the two passwords differ; nothing was changed");
    }
  }
  return password;
}

}  // namespace parley::cli
