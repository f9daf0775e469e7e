// Interop with a real third-party TURN client: coturn's turnutils_uclient and turnutils_peer
// (Debian package coturn, installed by scripts/setup) against Parley's Edge running in this
// process on loopback. Over UDP, TCP and TLS; long-term and shared-secret credentials; channels
// and Send indications; RFC 6062 TCP relaying; IPv6 on ::1; a wrong password rejected.
//
// uclient sends -n messages per client through the relay to the peer (an echo) and prints a
// summary; a run passes when it reports 0 lost packets and as many received as sent.

#include "relay/credentials.hpp"
#include "relay/edge.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using parley::relay::Edge;
using parley::relay::EdgeOptions;

constexpr const char* kUclient = "/usr/bin/turnutils_uclient";
constexpr const char* kPeer = "/usr/bin/turnutils_peer";

struct Output {
  int exit_code = -1;  // -1: killed (timeout) or did not run
  std::string text;    // stdout and stderr interleaved
};

// Runs argv with stdout+stderr captured, killing it after `timeout`.
Output run(const std::vector<std::string>& argv, std::chrono::seconds timeout = 30s) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  Output out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool killed = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
    pollfd p{pipefd[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 200))) <= 0) continue;
    char buf[4096];
    const auto n = ::read(pipefd[0], buf, sizeof buf);
    if (n <= 0) break;
    out.text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  out.exit_code = !killed && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (killed) out.text += "\n[killed after timeout]\n";
  return out;
}

// A background child process (turnutils_peer), killed on destruction.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

 private:
  pid_t pid_ = -1;
};

// A UDP port on `host` that was free a moment ago (turnutils_peer takes a port number).
std::uint16_t free_udp_port(const char* host) {
  const bool v6 = std::strchr(host, ':') != nullptr;
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  sockaddr_storage sa{};
  socklen_t len = 0;
  if (v6) {
    auto& in = reinterpret_cast<sockaddr_in6&>(sa);
    in.sin6_family = AF_INET6;
    inet_pton(AF_INET6, host, &in.sin6_addr);
    len = sizeof in;
  } else {
    auto& in = reinterpret_cast<sockaddr_in&>(sa);
    in.sin_family = AF_INET;
    inet_pton(AF_INET, host, &in.sin_addr);
    len = sizeof in;
  }
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  const std::uint16_t port = v6 ? ntohs(reinterpret_cast<sockaddr_in6&>(sa).sin6_port)
                                 : ntohs(reinterpret_cast<sockaddr_in&>(sa).sin_port);
  ::close(fd);
  return port;
}

// A throwaway self-signed server certificate (uclient does not verify it without -E).
SSL_CTX* make_tls_context() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

struct Summary {
  long sent = -1, received = -1, lost = -1;
};

// uclient's closing lines: "Total lost packets N (..%)" and the last progress line
// "tot_send_msgs=N, tot_recv_msgs=M" (it prints running totals; the last one is final).
Summary parse_summary(const std::string& text) {
  Summary s;
  std::smatch m;
  if (std::regex_search(text, m, std::regex(R"(Total lost packets (\d+))"))) s.lost = std::stol(m[1]);
  const std::regex totals(R"(tot_send_msgs=(\d+), tot_recv_msgs=(\d+))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), totals);
       it != std::sregex_iterator(); ++it) {
    s.sent = std::stol((*it)[1]);
    s.received = std::stol((*it)[2]);
  }
  return s;
}

class RelayInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Not a skip: the setup script installs coturn, so its absence is a broken machine.
    ASSERT_EQ(::access(kUclient, X_OK), 0)
        << kUclient << " is missing: install Debian's coturn package (scripts/setup does)";
    ASSERT_EQ(::access(kPeer, X_OK), 0)
        << kPeer << " is missing: install Debian's coturn package (scripts/setup does)";
  }

  void SetUp() override {
    tls_ = make_tls_context();
    EdgeOptions o;
    o.realm = "example.org";
    o.secrets = {"interop-secret"};
    o.config.udp = {{"127.0.0.1", 0}, {"::1", 0}};
    o.config.tcp = {{"127.0.0.1", 0}, {"::1", 0}};
    o.config.tls = {{"127.0.0.1", 0}};
    o.config.threads = 2;
    o.config.users = {{"alice", "alice-pw"}};
    o.config.allowed_peers = {"127.0.0.0/8", "::1/128"};
    o.config.max_bandwidth_bytes_per_second = 0;  // the load is tiny, but never drop here
    o.tls = tls_;
    edge_ = std::make_unique<Edge>(std::move(o));
    edge_->start();
    peer_port_ = free_udp_port("127.0.0.1");
    peer_ = std::make_unique<Child>(
        std::vector<std::string>{kPeer, "-L", "127.0.0.1", "-L", "::1", "-p", std::to_string(peer_port_)});
    std::this_thread::sleep_for(300ms);  // let the peer bind
  }

  void TearDown() override {
    peer_.reset();
    if (edge_) edge_->stop();
    edge_.reset();
    SSL_CTX_free(tls_);
  }

  static std::uint16_t port_of(const std::vector<parley::stun::Endpoint>& list,
                               parley::stun::Family f) {
    for (const auto& e : list)
      if (e.family == f) return e.port;
    return 0;
  }

  // Runs uclient with `flags` against the edge, peer on 127.0.0.1 (or ::1), and checks the
  // summary: everything sent came back and nothing was lost.
  void expect_clean_run(std::vector<std::string> flags, std::uint16_t server_port,
                        const char* server = "127.0.0.1", const char* peer = "127.0.0.1") {
    std::vector<std::string> argv{kUclient, "-p", std::to_string(server_port), "-e", peer, "-r",
                                  std::to_string(peer_port_), "-n", "20", "-m", "2", "-l", "120",
                                  "-z", "5"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    if (std::getenv("RELAY_INTEROP_VERBOSE")) argv.push_back("-v");  // to debug a failure
    argv.push_back(server);
    const auto out = run(argv);
    if (std::getenv("RELAY_INTEROP_VERBOSE")) std::fprintf(stderr, "%s\n", out.text.c_str());
    const auto s = parse_summary(out.text);
    EXPECT_EQ(out.exit_code, 0) << out.text;
    EXPECT_EQ(s.lost, 0) << out.text;
    EXPECT_GT(s.sent, 0) << out.text;
    EXPECT_EQ(s.received, s.sent) << out.text;
  }

  std::unique_ptr<Edge> edge_;
  SSL_CTX* tls_ = nullptr;
  std::uint16_t peer_port_ = 0;
  std::unique_ptr<Child> peer_;
  const std::vector<std::string> alice_{"-u", "alice", "-w", "alice-pw"};
};

using parley::stun::Family;

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST_F(RelayInterop, UdpChannelsLongTerm) {
  expect_clean_run(alice_, port_of(edge_->udp_endpoints(), Family::ipv4));
}

TEST_F(RelayInterop, UdpSendIndicationsLongTerm) {
  expect_clean_run(alice_ + std::vector<std::string>{"-s"},
                   port_of(edge_->udp_endpoints(), Family::ipv4));
}

TEST_F(RelayInterop, UdpSharedSecret) {
  expect_clean_run({"-u", "bob@example.org", "-W", "interop-secret"},
                   port_of(edge_->udp_endpoints(), Family::ipv4));
}

TEST_F(RelayInterop, UdpDontFragment) {
  expect_clean_run(alice_ + std::vector<std::string>{"-g"},
                   port_of(edge_->udp_endpoints(), Family::ipv4));
}

TEST_F(RelayInterop, TcpChannels) {
  expect_clean_run(alice_ + std::vector<std::string>{"-t"},
                   port_of(edge_->tcp_endpoints(), Family::ipv4));
}

TEST_F(RelayInterop, TcpSendIndicationsSharedSecret) {
  expect_clean_run({"-t", "-s", "-u", "carol", "-W", "interop-secret"},
                   port_of(edge_->tcp_endpoints(), Family::ipv4));
}

TEST_F(RelayInterop, UdpClientToClient) {
  // -y: the clients talk to each other's relayed addresses, so both directions cross the relay.
  expect_clean_run(alice_ + std::vector<std::string>{"-y"},
                   port_of(edge_->udp_endpoints(), Family::ipv4));
}

// uclient probes several TLS client contexts in turn; the legacy ones are refused by OpenSSL 3
// (it logs "tlsv1 alert internal error" for them) before a TLS 1.2/1.3 one connects.
TEST_F(RelayInterop, TlsChannels) {
  expect_clean_run(alice_ + std::vector<std::string>{"-t", "-S"},
                   port_of(edge_->tls_endpoints(), Family::ipv4));
}

TEST_F(RelayInterop, TlsSendIndications) {
  expect_clean_run(alice_ + std::vector<std::string>{"-t", "-S", "-s"},
                   port_of(edge_->tls_endpoints(), Family::ipv4));
}

TEST_F(RelayInterop, Rfc6062TcpRelay) {
  // -T: TCP allocations, client to client (Connect / ConnectionAttempt / ConnectionBind).
  expect_clean_run(alice_ + std::vector<std::string>{"-T"},
                   port_of(edge_->tcp_endpoints(), Family::ipv4));
  EXPECT_GT(edge_->counters().allocations_total, 0u);
}

TEST_F(RelayInterop, Ipv6OnLoopback) {
  expect_clean_run(alice_ + std::vector<std::string>{"-x"},
                   port_of(edge_->udp_endpoints(), Family::ipv6), "::1", "::1");
}

TEST_F(RelayInterop, WrongPasswordIsRejected) {
  const auto port = port_of(edge_->udp_endpoints(), Family::ipv4);
  const auto out = run({kUclient, "-p", std::to_string(port), "-e", "127.0.0.1", "-r",
                        std::to_string(peer_port_), "-n", "5", "-u", "alice", "-w", "wrong",
                        "127.0.0.1"},
                       20s);
  const auto s = parse_summary(out.text);
  // uclient either exits non-zero or never gets to relay anything.
  EXPECT_TRUE(out.exit_code != 0 || s.received <= 0) << out.text;
  EXPECT_EQ(edge_->counters().allocations_total, 0u);
  EXPECT_GT(edge_->counters().auth_failures, 0u);
}

}  // namespace
