// The Edge as a user meets it: parleyd runs the relay beside the front end, a phone asks the UCWA
// API for relay credentials, and a real third-party TURN client (coturn's turnutils_uclient)
// relays media through parleyd's own edge with them. The relay's counters show on /metrics.
#include "ucwa_client.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>

namespace parley::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kUclient = "/usr/bin/turnutils_uclient";
constexpr const char* kPeer = "/usr/bin/turnutils_peer";

std::string str(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

// turnutils_peer (a UDP echo) on 127.0.0.1, killed on destruction.
class EchoPeer {
 public:
  EchoPeer() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof in;
    ::bind(fd, reinterpret_cast<sockaddr*>(&in), len);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&in), &len);
    port_ = ntohs(in.sin_port);
    ::close(fd);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      const std::string port = std::to_string(port_);
      ::execl(kPeer, kPeer, "-L", "127.0.0.1", "-p", port.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    std::this_thread::sleep_for(300ms);  // let it bind
  }
  ~EchoPeer() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

std::uint16_t port_of(const std::string& address) {
  return static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

// The value of a metric line "name value" in the exposition text, -1 when absent.
double metric(const std::string& text, const std::string& name) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex("\n" + name + " ([0-9.e+]+)\n")))
    return std::stod(m[1]);
  return -1;
}

TEST(EdgeInParleyd, UcwaCredentialsCarryMediaThroughTheEdge) {
  ASSERT_EQ(::access(kUclient, X_OK), 0) << "install Debian's coturn package (scripts/setup does)";
  TempDir dir;
  Parleyd server;
  server.start_with_test_config(dir.path(), "[edge]\nallowed_peers = [\"127.0.0.0/8\"]\n");
  ASSERT_EQ(server.edge_udp.size(), 1u);
  ASSERT_EQ(server.edge_tcp.size(), 1u);
  EXPECT_NE(server.output().find("edge self-test: relayed address"), std::string::npos)
      << server.output();
  add_user(server, "alice@example.org");
  UcwaApp app(server, sign_in(server, "alice@example.org"));

  const auto token = app.get(app.href() + "/mediaRelayAccessToken");
  ASSERT_EQ(token.status, 200) << token.body;
  const auto o = parse_json(token.body).as_object();
  const std::string user = str(o.at("userName")), password = str(o.at("password"));
  // The listeners took any free port: clients are told the ones they got.
  const auto& relay = o.at("_embedded").at("mediaRelay").as_array().at(0).as_object();
  EXPECT_EQ(relay.at("udpPort").to_number<int>(), port_of(server.edge_udp[0]));
  EXPECT_EQ(relay.at("tcpPort").to_number<int>(), port_of(server.edge_tcp[0]));
  EXPECT_EQ(relay.at("tlsPort").to_number<int>(), port_of(server.edge_tls[0]));

  EchoPeer peer;
  for (const auto& [transport, address] :
       {std::pair<std::string, std::string>{"udp", server.edge_udp[0]}, {"tcp", server.edge_tcp[0]}}) {
    std::vector<std::string> argv{kUclient, "-u", user, "-w", password, "-e", "127.0.0.1", "-r",
                                  std::to_string(peer.port()), "-p",
                                  std::to_string(port_of(address)), "-n", "20", "-m", "2", "-l",
                                  "120", "-z", "5"};
    if (transport == "tcp") argv.push_back("-t");
    argv.push_back("127.0.0.1");
    const auto out = run_command(argv, "", {}, 60s);
    const std::string text = out.out + out.err;
    EXPECT_EQ(out.exit_code, 0) << transport << "\n" << text;
    EXPECT_NE(text.find("Total lost packets 0 "), std::string::npos) << transport << "\n" << text;
  }

  // A password that is not the one the front end minted relays nothing.
  const auto wrong = run_command({kUclient, "-u", user, "-w", "not-the-password", "-e", "127.0.0.1",
                                  "-r", std::to_string(peer.port()), "-p",
                                  std::to_string(port_of(server.edge_udp[0])), "-n", "5", "-m",
                                  "1", "127.0.0.1"},
                                 "", {}, 60s);
  EXPECT_EQ((wrong.out + wrong.err).find("Total lost packets 0 "), std::string::npos);

  const auto m = http_request("GET", server.internal_https + "/metrics", server.ca_file());
  ASSERT_EQ(m.status, 200);
  EXPECT_GE(metric(m.body, "parley_relay_allocations_total"), 4);  // self-test + 2 + 2
  EXPECT_GT(metric(m.body, "parley_relay_packets_total"), 0);
  EXPECT_GE(metric(m.body, "parley_relay_auth_failures_total"), 1);
  // Live allocations: those uclient left to expire (it does not always delete them).
  EXPECT_GE(metric(m.body, "parley_relay_allocations"), 0);
  EXPECT_LT(metric(m.body, "parley_relay_allocations"), metric(m.body, "parley_relay_allocations_total"));
}

}  // namespace
}  // namespace parley::e2e
