// RFC 6062 TCP allocations on the Edge: Connect to a TCP echo peer, ConnectionBind on a new
// data connection and bytes piped both ways; a peer connecting in gets a ConnectionAttempt.

#include "edge_test_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace parley::relay::test {
namespace {

using namespace std::chrono_literals;

EdgeOptions tcp_options() {
  EdgeOptions o;
  o.realm = "example.org";
  o.secrets = {"shared-secret-1"};
  o.config.udp = {{"127.0.0.1", 0}};
  o.config.tcp = {{"127.0.0.1", 0}};
  o.config.tls = {};
  o.config.threads = 3;  // data and control connections land on different threads
  o.config.users = {{"alice", "alice-pw"}};
  o.config.allowed_peers = {"127.0.0.0/8", "::1/128"};
  return o;
}

// A TCP server on 127.0.0.1 that echoes everything on each connection it accepts.
class EchoPeer {
 public:
  EchoPeer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage sa{};
    const auto len = to_sa(ep("127.0.0.1", 0), sa);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), len);
    ::listen(fd_, 8);
    socklen_t l = sizeof sa;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &l);
    address = from_sa(sa);
    thread_ = std::thread([this] {
      while (!stop_) {
        if (!wait_readable(fd_, 100)) continue;
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) continue;
        char buf[4096];
        for (;;) {
          const auto n = ::recv(c, buf, sizeof buf, 0);
          if (n <= 0) break;
          ::send(c, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
        }
        ::close(c);
      }
    });
  }
  ~EchoPeer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  stun::Endpoint address;

 private:
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string read_some(int fd, std::size_t want, int ms = 2000) {
  std::string out;
  while (out.size() < want && wait_readable(fd, ms)) {
    char buf[4096];
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

TEST(EdgeTcpAllocation, ConnectAndConnectionBindPipeBytesToPeer) {
  Edge edge(tcp_options());
  edge.start();
  EchoPeer echo;
  Client control(edge.tcp_endpoints().front(), Client::Kind::tcp);
  control.username = "alice";
  control.password = "alice-pw";
  const auto alloc = control.allocate({}, 6);
  ASSERT_EQ(alloc.cls(), Class::success) << alloc.error();

  const auto connect = control.request(Method::connect, [&](stun::MessageWriter& w) {
    w.add_xor_address(attr::xor_peer_address, echo.address);
  });
  ASSERT_EQ(connect.cls(), Class::success) << connect.error();
  const auto id = connect.u32(attr::connection_id);
  ASSERT_TRUE(id);
  EXPECT_EQ(edge.counters().tcp_connections, 1u);

  // A second Connect to the same peer is refused.
  const auto again = control.request(Method::connect, [&](stun::MessageWriter& w) {
    w.add_xor_address(attr::xor_peer_address, echo.address);
  });
  EXPECT_EQ(again.error(), 446);

  // Several data connections may be needed until one lands on another thread; one is enough
  // to show the piping, whichever thread it is on.
  Client data(edge.tcp_endpoints().front(), Client::Kind::tcp);
  data.username = "alice";
  data.password = "alice-pw";
  data.nonce = control.nonce;
  const auto bind = data.request(Method::connection_bind, [&](stun::MessageWriter& w) {
    w.add_u32(attr::connection_id, *id);
  });
  ASSERT_EQ(bind.cls(), Class::success) << bind.error();
  const std::string payload = "raw bytes through the relay";
  data.send_bytes({reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()});
  EXPECT_EQ(read_some(data.fd(), payload.size()), payload);

  // The id was used up.
  Client data2(edge.tcp_endpoints().front(), Client::Kind::tcp);
  data2.username = "alice";
  data2.password = "alice-pw";
  const auto reuse = data2.request(Method::connection_bind, [&](stun::MessageWriter& w) {
    w.add_u32(attr::connection_id, *id);
  });
  EXPECT_EQ(reuse.error(), 400);
  edge.stop();
}

TEST(EdgeTcpAllocation, ConnectFailuresAndRefusals) {
  auto o = tcp_options();
  Edge edge(o);
  edge.start();
  Client control(edge.tcp_endpoints().front(), Client::Kind::tcp);
  control.username = "alice";
  control.password = "alice-pw";
  ASSERT_EQ(control.allocate({}, 6).cls(), Class::success);
  // Nobody listens on port 1 of loopback: the connect fails.
  const auto refused = control.request(Method::connect, [&](stun::MessageWriter& w) {
    w.add_xor_address(attr::xor_peer_address, ep("127.0.0.1", 1));
  });
  EXPECT_EQ(refused.error(), 447);
  const auto forbidden = control.request(Method::connect, [&](stun::MessageWriter& w) {
    w.add_xor_address(attr::xor_peer_address, ep("10.1.2.3", 80));
  });
  EXPECT_EQ(forbidden.error(), 403);
  // A TCP allocation takes no channels.
  EXPECT_EQ(control.channel_bind(0x4000, ep("127.0.0.1", 9)).error(), 400);
  edge.stop();
}

TEST(EdgeTcpAllocation, PeerConnectingInIsAnnouncedAsConnectionAttempt) {
  Edge edge(tcp_options());
  edge.start();
  Client control(edge.tcp_endpoints().front(), Client::Kind::tcp);
  control.username = "alice";
  control.password = "alice-pw";
  const auto alloc = control.allocate({}, 6);
  ASSERT_EQ(alloc.cls(), Class::success);
  const auto relayed = *alloc.xor_address(attr::xor_relayed_address);
  ASSERT_EQ(control.create_permission(ep("127.0.0.1", 0)).cls(), Class::success);

  const int peer = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_storage sa{};
  const auto len = to_sa(relayed, sa);
  ASSERT_EQ(::connect(peer, reinterpret_cast<sockaddr*>(&sa), len), 0);
  const auto attempt = control.receive(2000);
  ASSERT_TRUE(attempt);
  ASSERT_FALSE(attempt->is_channel_data());
  EXPECT_EQ(attempt->view().method(), Method::connection_attempt);
  const auto id = attempt->u32(attr::connection_id);
  ASSERT_TRUE(id);

  Client data(edge.tcp_endpoints().front(), Client::Kind::tcp);
  data.username = "alice";
  data.password = "alice-pw";
  const auto bind = data.request(Method::connection_bind, [&](stun::MessageWriter& w) {
    w.add_u32(attr::connection_id, *id);
  });
  ASSERT_EQ(bind.cls(), Class::success) << bind.error();
  ::send(peer, "ping", 4, MSG_NOSIGNAL);
  EXPECT_EQ(read_some(data.fd(), 4), "ping");
  data.send_bytes({reinterpret_cast<const std::uint8_t*>("pong"), 4});
  EXPECT_EQ(read_some(peer, 4), "pong");
  ::close(peer);
  edge.stop();
}

}  // namespace
}  // namespace parley::relay::test
