#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace parley::e2e {

std::string parleyd_binary() { return PARLEYD_BINARY; }
std::string parley_binary() { return PARLEY_BINARY; }

TempDir::TempDir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = fs::temp_directory_path() / ("parley-test-" + std::to_string(rd()));
    if (fs::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

// Waits for `pid` up to `timeout`; returns the raw status or nullopt on timeout.
std::optional<int> wait_for(int pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const int r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return std::nullopt;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

std::vector<char*> to_argv(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input,
                          const fs::path& cwd, std::chrono::seconds timeout) {
  TempDir io;
  const auto in_file = io.path() / "in", out_file = io.path() / "out", err_file = io.path() / "err";
  { std::ofstream(in_file, std::ios::binary) << input; }
  auto args = to_argv(argv);
  const int pid = ::fork();
  if (pid == 0) {
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) _exit(127);
    const int in = ::open(in_file.c_str(), O_RDONLY);
    const int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(args[0], args.data());
    _exit(127);
  }
  CommandResult r;
  auto status = wait_for(pid, timeout);
  if (!status) {
    ::kill(pid, SIGKILL);
    int s = 0;
    ::waitpid(pid, &s, 0);
    r.err = "timed out\n";
  } else {
    r.exit_code = decode_status(*status);
  }
  r.out = read_file(out_file);
  r.err += read_file(err_file);
  return r;
}

std::string Parleyd::test_config(const fs::path& data_dir, const std::string& extra_toml,
                                 const std::string& top_level) {
  // Every test server runs its relay on loopback ephemeral ports, so tests run side by side; a
  // test's own [edge] table gets the same listeners unless it names its own.
  const std::string edge_listeners =
      "udp = [\"127.0.0.1:0\"]\ntcp = [\"127.0.0.1:0\"]\ntls = [\"127.0.0.1:0\"]\n";
  std::string extra = extra_toml;
  const auto edge_table = extra.find("[edge]\n");
  if (edge_table == std::string::npos) extra += "\n[edge]\n" + edge_listeners;
  else if (extra.find("udp =") == std::string::npos)
    extra.insert(edge_table + std::string("[edge]\n").size(), edge_listeners);
  std::ostringstream c;
  c << "data_dir = \"" << data_dir.string() << "\"\n"
    << "threads = 2\n"
    << top_level << "\n"
    << "[sites.internal]\nhttps = \"127.0.0.1:0\"\nhttp = \"\"\n"
    << "[sites.external]\nhttps = \"127.0.0.1:0\"\nhttp = \"127.0.0.1:0\"\n"
    << "[passwords]\nopslimit = 1\nmemlimit = 8192\n"
    << extra << "\n";
  return c.str();
}

Parleyd::~Parleyd() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int s = 0;
    ::waitpid(pid_, &s, 0);
  }
}

void Parleyd::start(const std::vector<std::string>& args, const fs::path& data_dir, const fs::path& cwd) {
  data_dir_ = data_dir;
  log_file_ = fs::path(data_dir).parent_path() / ("parleyd-" + std::to_string(::time(nullptr)) + "-" +
                                                   std::to_string(std::random_device{}()) + ".log");
  fs::create_directories(log_file_.parent_path());
  std::vector<std::string> full{parleyd_binary()};
  full.insert(full.end(), args.begin(), args.end());
  auto argv = to_argv(full);
  const fs::path endpoints = data_dir / "parleyd.endpoints.json";
  const int pid = ::fork();
  if (pid == 0) {
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) _exit(127);
    const int out = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("parleyd exited with " + std::to_string(decode_status(status)) +
                               " during start:\n" + read_file(log_file_));
    }
    if (fs::exists(endpoints)) {
      boost::system::error_code ec;
      auto v = boost::json::parse(read_file(endpoints), ec);
      if (!ec && v.is_object() && v.as_object().contains("pid") &&
          v.at("pid").to_number<int>() == pid_) {
        auto url = [&](const char* site, const char* scheme) -> std::string {
          const auto& s = v.at(site).at(scheme);
          return s.is_string() ? std::string(s.as_string()) : std::string();
        };
        internal_https = url("internal", "https");
        internal_http = url("internal", "http");
        external_https = url("external", "https");
        external_http = url("external", "http");
        edge_udp.clear();
        edge_tcp.clear();
        edge_tls.clear();
        if (const auto* edge = v.as_object().if_contains("edge")) {
          auto list = [&](const char* transport, std::vector<std::string>& out) {
            for (const auto& a : edge->at(transport).as_array()) out.emplace_back(a.as_string());
          };
          list("udp", edge_udp);
          list("tcp", edge_tcp);
          list("tls", edge_tls);
        }
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("parleyd did not come up within 30 s:\n" + read_file(log_file_));
}

void Parleyd::start_with_test_config(const fs::path& dir, const std::string& extra_toml,
                                     const std::string& top_level) {
  const auto data = dir / "data";
  const auto config = dir / "parleyd.toml";
  fs::create_directories(dir);
  { std::ofstream(config) << test_config(data, extra_toml, top_level); }
  start({"--config", config.string()}, data);
}

int Parleyd::stop(int signo, std::chrono::seconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signo);
  auto status = wait_for(pid_, timeout);
  if (!status) {
    ::kill(pid_, SIGKILL);
    int s = 0;
    ::waitpid(pid_, &s, 0);
    pid_ = -1;
    throw std::runtime_error("parleyd did not stop within the timeout:\n" + output());
  }
  pid_ = -1;
  return decode_status(*status);
}

std::string Parleyd::output() const { return read_file(log_file_); }

std::string Parleyd::admin_credential() const {
  std::string token = read_file(data_dir_ / "admin.credential");
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

std::uint16_t Parleyd::port_of(const std::string& url) const {
  const auto colon = url.rfind(':');
  return static_cast<std::uint16_t>(std::stoi(url.substr(colon + 1)));
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("connect to port " + std::to_string(port) + " failed");
  }
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early (e.g. after answering 413)
    sent += static_cast<std::size_t>(n);
  }
  std::string reply;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[8192];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return reply;
}

CommandResult run_parley(const Parleyd& server, const std::vector<std::string>& args,
                         const std::string& input) {
  std::vector<std::string> argv{parley_binary(), "--data-dir", server.data_dir().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, input);
}

}  // namespace parley::e2e
