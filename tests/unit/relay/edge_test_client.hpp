#pragma once
// A small blocking STUN/TURN client for the Edge's tests, built on the codec: UDP or TCP,
// long-term authentication with the nonce dance, and a plain UDP/TCP peer.

#include "proto/stun/stun.hpp"
#include "relay/edge.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace parley::relay::test {

namespace attr = stun::attr;
using stun::Class;
using stun::Method;

inline socklen_t to_sa(const stun::Endpoint& e, sockaddr_storage& sa) {
  sa = {};
  if (e.family == stun::Family::ipv4) {
    auto& in = reinterpret_cast<sockaddr_in&>(sa);
    in.sin_family = AF_INET;
    std::memcpy(&in.sin_addr, e.ip.data(), 4);
    in.sin_port = htons(e.port);
    return sizeof(sockaddr_in);
  }
  auto& in = reinterpret_cast<sockaddr_in6&>(sa);
  in.sin6_family = AF_INET6;
  std::memcpy(&in.sin6_addr, e.ip.data(), 16);
  in.sin6_port = htons(e.port);
  return sizeof(sockaddr_in6);
}

inline stun::Endpoint from_sa(const sockaddr_storage& sa) {
  stun::Endpoint e;
  if (sa.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(sa);
    std::memcpy(e.ip.data(), &in.sin_addr, 4);
    e.port = ntohs(in.sin_port);
  } else {
    const auto& in = reinterpret_cast<const sockaddr_in6&>(sa);
    e.family = stun::Family::ipv6;
    std::memcpy(e.ip.data(), &in.sin6_addr, 16);
    e.port = ntohs(in.sin6_port);
  }
  return e;
}

inline stun::Endpoint ep(const char* ip, std::uint16_t port) {
  stun::Endpoint e;
  e.port = port;
  if (std::strchr(ip, ':')) {
    e.family = stun::Family::ipv6;
    inet_pton(AF_INET6, ip, e.ip.data());
  } else {
    inet_pton(AF_INET, ip, e.ip.data());
  }
  return e;
}

inline bool wait_readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) > 0;
}

// A received message, owning its bytes.
struct Frame {
  std::vector<std::uint8_t> bytes;
  bool is_channel_data() const { return !bytes.empty() && (bytes[0] & 0xC0) == 0x40; }
  stun::MessageView view() const {
    auto m = stun::MessageView::parse(bytes);
    if (!m) throw std::runtime_error("not a STUN message");
    return *m;
  }
  Class cls() const { return view().message_class(); }
  int error() const {
    const auto m = view();
    const auto a = m.find(attr::error_code);
    if (!a) return 0;
    const auto e = stun::decode_error_code(*a);
    return e ? e->code : -1;
  }
  std::optional<stun::Endpoint> xor_address(std::uint16_t type) const {
    const auto m = view();
    const auto a = m.find(type);
    if (!a) return std::nullopt;
    return stun::decode_xor_address(*a, m.transaction_id());
  }
  std::optional<std::uint32_t> u32(std::uint16_t type) const {
    const auto m = view();
    const auto a = m.find(type);
    if (!a) return std::nullopt;
    return stun::decode_u32(*a);
  }
  std::string text(std::uint16_t type) const {
    const auto m = view();
    const auto a = m.find(type);
    return a ? std::string(stun::as_text(*a)) : std::string();
  }
};

using Build = std::function<void(stun::MessageWriter&)>;

class Client {
 public:
  enum class Kind { udp, tcp };
  Client(const stun::Endpoint& server, Kind kind = Kind::udp) : kind_(kind), server_(server) {
    const int domain = server.family == stun::Family::ipv4 ? AF_INET : AF_INET6;
    fd_ = ::socket(domain, kind == Kind::udp ? SOCK_DGRAM : SOCK_STREAM, 0);
    sockaddr_storage sa{};
    const auto len = to_sa(server, sa);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), len) != 0)
      throw std::runtime_error("connect failed");
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  std::string username, password, realm = "example.org", nonce;
  bool sha256 = false;
  bool use_userhash = false;
  int fd() const { return fd_; }

  stun::Endpoint local() const {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    return from_sa(sa);
  }

  void send_bytes(stun::Bytes b) {
    if (::send(fd_, b.data(), b.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(b.size()))
      throw std::runtime_error("send failed");
  }

  // Next frame from the server (responses, indications, ChannelData), or nullopt on timeout.
  std::optional<Frame> receive(int ms = 2000) {
    if (!queue_.empty()) {
      auto f = std::move(queue_.front());
      queue_.pop_front();
      return f;
    }
    return read_frame(ms);
  }

  // Sends one request and waits for its answer (other frames are queued for receive()).
  Frame transact(Method method, const Build& build, bool authenticate, int ms = 3000) {
    const auto tid = stun::random_transaction_id();
    std::vector<std::uint8_t> out(4096);
    stun::MessageWriter w(out, method, Class::request, tid);
    if (build) build(w);
    if (authenticate) {
      if (use_userhash) {
        const auto h = stun::userhash(username, realm);
        w.add(attr::userhash, h);
      } else {
        w.add_text(attr::username, username);
      }
      w.add_text(attr::realm, realm);
      w.add_text(attr::nonce, nonce);
      if (sha256) {
        static constexpr std::uint8_t kSha[] = {0, 2, 0, 0};
        w.add(attr::password_algorithm, kSha);
        const auto k = stun::long_term_key_sha256(username, realm, password);
        w.add_integrity_sha256(k);
      } else {
        const auto k = stun::long_term_key_md5(username, realm, password);
        w.add_integrity(k);
      }
    }
    w.add_fingerprint();
    const auto bytes = w.finish();
    last_request_.assign(bytes.begin(), bytes.end());
    send_bytes(last_request_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      auto f = read_frame(50);
      if (!f) continue;
      if (!f->is_channel_data()) {
        const auto m = f->view();
        if (m.transaction_id() == tid &&
            (m.message_class() == Class::success || m.message_class() == Class::error))
          return *f;
      }
      queue_.push_back(std::move(*f));
    }
    throw std::runtime_error("no answer");
  }

  void resend_last() { send_bytes(last_request_); }

  // Authenticated request with the nonce dance: an unauthenticated try gets 401 with a nonce
  // (or a 438 refreshes it), then the request is repeated with credentials.
  Frame request(Method method, const Build& build = {}) {
    if (nonce.empty()) {
      auto first = transact(method, build, false);
      if (first.error() != 401) return first;
      nonce = first.text(attr::nonce);
      realm = first.text(attr::realm);
    }
    auto r = transact(method, build, true);
    if (r.error() == 438) {
      nonce = r.text(attr::nonce);
      r = transact(method, build, true);
    }
    return r;
  }

  Frame allocate(const Build& extra = {}, std::uint8_t transport = 17) {
    return request(Method::allocate, [&](stun::MessageWriter& w) {
      w.add_requested_transport(transport);
      if (extra) extra(w);
    });
  }
  Frame create_permission(const stun::Endpoint& peer) {
    return request(Method::create_permission,
                   [&](stun::MessageWriter& w) { w.add_xor_address(attr::xor_peer_address, peer); });
  }
  Frame channel_bind(std::uint16_t channel, const stun::Endpoint& peer) {
    return request(Method::channel_bind, [&](stun::MessageWriter& w) {
      w.add_channel_number(channel);
      w.add_xor_address(attr::xor_peer_address, peer);
    });
  }
  Frame refresh(std::uint32_t lifetime) {
    return request(Method::refresh,
                   [&](stun::MessageWriter& w) { w.add_u32(attr::lifetime, lifetime); });
  }
  void send_indication(const stun::Endpoint& peer, std::string_view data) {
    std::vector<std::uint8_t> out(4096);
    stun::MessageWriter w(out, Method::send, Class::indication, stun::random_transaction_id());
    w.add_xor_address(attr::xor_peer_address, peer);
    w.add(attr::data, {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()});
    send_bytes(w.finish());
  }
  void send_channel_data(std::uint16_t channel, std::string_view data) {
    std::vector<std::uint8_t> out(4 + data.size() + 3, 0);
    stun::write_channel_data_header(out, channel, static_cast<std::uint16_t>(data.size()));
    std::memcpy(out.data() + 4, data.data(), data.size());
    std::size_t size = 4 + data.size();
    if (kind_ == Kind::tcp)
      while (size % 4) ++size;
    send_bytes({out.data(), size});
  }

 private:
  std::optional<Frame> read_frame(int ms) {
    if (kind_ == Kind::udp) {
      if (!wait_readable(fd_, ms)) return std::nullopt;
      Frame f;
      f.bytes.resize(70000);
      const auto n = ::recv(fd_, f.bytes.data(), f.bytes.size(), 0);
      if (n <= 0) return std::nullopt;
      f.bytes.resize(static_cast<std::size_t>(n));
      return f;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      const auto size = stun::stream_frame_size(stream_);
      if (!size) throw std::runtime_error("bad stream framing from the server");
      if (*size > 0 && *size <= stream_.size()) {
        Frame f;
        f.bytes.assign(stream_.begin(), stream_.begin() + static_cast<std::ptrdiff_t>(*size));
        stream_.erase(stream_.begin(), stream_.begin() + static_cast<std::ptrdiff_t>(*size));
        raw_frame_sizes_.push_back(*size);
        return f;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !wait_readable(fd_, static_cast<int>(left.count())))
        return std::nullopt;
      std::uint8_t buf[65536];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return std::nullopt;
      stream_.insert(stream_.end(), buf, buf + n);
    }
  }

  Kind kind_;
  stun::Endpoint server_;
  int fd_ = -1;
  std::vector<std::uint8_t> stream_;
  std::deque<Frame> queue_;
  std::vector<std::uint8_t> last_request_;

 public:
  std::vector<std::size_t> raw_frame_sizes_;  // stream framing as received (with padding)
};

// A plain UDP socket standing in for a peer.
class UdpPeer {
 public:
  explicit UdpPeer(const char* ip = "127.0.0.1") {
    const auto at = ep(ip, 0);
    fd_ = ::socket(at.family == stun::Family::ipv4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
    sockaddr_storage sa{};
    const auto len = to_sa(at, sa);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), len);
    socklen_t l = sizeof sa;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &l);
    address = from_sa(sa);
  }
  ~UdpPeer() { ::close(fd_); }
  stun::Endpoint address;
  std::optional<std::pair<std::string, stun::Endpoint>> receive(int ms = 2000) {
    if (!wait_readable(fd_, ms)) return std::nullopt;
    char buf[70000];
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    const auto n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&sa), &len);
    if (n < 0) return std::nullopt;
    return std::make_pair(std::string(buf, static_cast<std::size_t>(n)), from_sa(sa));
  }
  void send_to(const stun::Endpoint& to, std::string_view data) {
    sockaddr_storage sa{};
    const auto len = to_sa(to, sa);
    ::sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&sa), len);
  }

 private:
  int fd_ = -1;
};

}  // namespace parley::relay::test
