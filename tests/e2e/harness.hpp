#pragma once
// End-to-end harness: starts the real parleyd binary with a temporary data directory on
// ephemeral loopback ports, finds where it listens from its endpoints file, and stops it with a
// signal. Also runs the real `parley` CLI and speaks raw HTTP/1.1 for malformed-input cases.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace parley::e2e {

namespace fs = std::filesystem;

// A directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

struct CommandResult {
  int exit_code = -1;  // -1: killed by a signal or could not run
  std::string out;
  std::string err;
};

// Runs a program to completion (bounded by `timeout`), feeding `input` to its stdin.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = "",
                          const fs::path& cwd = {},
                          std::chrono::seconds timeout = std::chrono::seconds(60));

std::string read_file(const fs::path& p);

class Parleyd {
public:
  // The config file written for the test: the data dir, loopback ephemeral ports on every
  // listener, cheap argon2 cost; `extra_toml` is appended (tables for [limits] etc. go there).
  static std::string test_config(const fs::path& data_dir, const std::string& extra_toml = "",
                                 const std::string& top_level = "");

  Parleyd() = default;
  ~Parleyd();
  Parleyd(const Parleyd&) = delete;
  Parleyd& operator=(const Parleyd&) = delete;

  // Starts parleyd with these arguments (e.g. {"--config", file}) in `cwd`, and waits until the
  // endpoints file in `data_dir` names this process. Throws std::runtime_error with the server's
  // output if it exits or does not come up within 30 s.
  void start(const std::vector<std::string>& args, const fs::path& data_dir, const fs::path& cwd = {});
  // Convenience: write test_config() to <dir>/parleyd.toml and start with it; data in <dir>/data.
  void start_with_test_config(const fs::path& dir, const std::string& extra_toml = "",
                              const std::string& top_level = "");

  // Sends `signo` and waits (bounded) for exit. Returns the exit status, or -signal.
  int stop(int signo = 15, std::chrono::seconds timeout = std::chrono::seconds(20));
  bool running() const { return pid_ > 0; }
  int pid() const { return pid_; }

  std::string output() const;  // everything it printed so far (stdout and stderr)
  const fs::path& data_dir() const { return data_dir_; }
  fs::path ca_file() const { return data_dir_ / "pki" / "ca.pem"; }
  std::string admin_credential() const;

  std::string internal_https, internal_http, external_https, external_http;
  // Where the relay listens ("127.0.0.1:3478"); empty when this server runs no edge.
  std::vector<std::string> edge_udp, edge_tcp, edge_tls;
  std::uint16_t port_of(const std::string& url) const;

private:
  int pid_ = -1;
  fs::path data_dir_;
  fs::path log_file_;
};

// Sends raw bytes to 127.0.0.1:port over plain TCP and returns everything the server sends back
// until it closes the connection (or `timeout`).
std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

struct Reply {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(std::string_view name) const;  // case-insensitive, "" when absent
};

// One HTTPS (or HTTP) request with libcurl, trusting `ca_file`. `bearer` adds an Authorization
// header. Throws std::runtime_error when the server cannot be reached.
// `timeout` (default 30 s) ends the request from the client's side: curl closes the connection.
// `max_receive_rate` (bytes/s, 0: no limit) makes a slow reader of the response.
Reply http_request(const std::string& method, const std::string& url, const fs::path& ca_file,
                   const std::string& body = "", const std::string& bearer = "",
                   const std::vector<std::string>& extra_headers = {},
                   std::chrono::milliseconds timeout = std::chrono::seconds(30),
                   std::size_t max_receive_rate = 0);

// Path of the built binaries (set by CMake).
std::string parleyd_binary();
std::string parley_binary();

// The administration CLI against `server`'s data directory: parley --data-dir <dir> <args...>.
CommandResult run_parley(const Parleyd& server, const std::vector<std::string>& args,
                         const std::string& input = "");

}  // namespace parley::e2e
