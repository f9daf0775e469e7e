// The UDP packet path of a shard: listener sockets (SO_REUSEPORT, one per shard per address),
// relay sockets, recvmmsg/sendmmsg batching into preallocated buffers, the bandwidth cap and
// the once-a-second sweep. Nothing here allocates per packet: received datagrams stay in the
// shard's slots, ChannelData headers are written in place in the headroom before the payload,
// and sends are queued as iovecs pointing into those slots until the batch is flushed.

#include "relay/edge_internal.hpp"

#include <openssl/rand.h>

#include <boost/asio/post.hpp>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

namespace parley::relay::detail {
namespace {

std::uint64_t random_u64() {
  std::uint64_t v = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v);
  return v;
}

// A bound non-blocking UDP socket, or -errno.
int bind_udp(const stun::Endpoint& at, bool reuse_port) {
  const int domain = at.family == stun::Family::ipv4 ? AF_INET : AF_INET6;
  const int fd = ::socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  const int one = 1;
  if (reuse_port) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  // An IPv6 wildcard must not take the IPv4 port too: "0.0.0.0" and "::" listen side by side.
  if (domain == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  sockaddr_storage sa{};
  const socklen_t len = to_sockaddr(at, sa);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), len) != 0) {
    const int e = errno;
    ::close(fd);
    return -e;
  }
  return fd;
}

void set_dont_fragment(int fd, stun::Family f) {
  if (f == stun::Family::ipv4) {
    const int v = IP_PMTUDISC_DO;
    ::setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof v);
  } else {
    const int v = 1;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &v, sizeof v);
  }
}

}  // namespace

Shard::Shard(Shared& s, std::size_t i) : shared(s), index(i) {
  recv_buffers_.resize(kBatch * kSlot);
  out_buffers_.resize(kBatch * kSlot);
  sends_.reserve(2 * kBatch);
  allocations_.reserve(1024);
  udp_allocations_.reserve(1024);
}

Shard::~Shard() = default;

void Shard::open_udp(const stun::Endpoint& at) {
  const int fd = bind_udp(at, true);
  if (fd < 0)
    throw std::runtime_error("edge: cannot bind UDP " + to_string(at) + ": " + std::strerror(-fd));
  auto l = std::make_unique<UdpListener>(io);
  l->socket.assign(at.family == stun::Family::ipv4 ? asio::ip::udp::v4() : asio::ip::udp::v6(), fd);
  l->local = from_asio(l->socket.local_endpoint().address(), l->socket.local_endpoint().port());
  l->wildcard = is_wildcard(at);
  if (l->wildcard) {
    // The relay binds to the address the client reached, which a wildcard socket learns only
    // from the packet's destination.
    const int one = 1;
    if (at.family == stun::Family::ipv4)
      ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    else
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
  }
  udp_.push_back(std::move(l));
}

void Shard::start() {
  for (std::size_t i = 0; i < udp_.size(); ++i) arm_listener(i);
  sweep_timer_.expires_after(std::chrono::seconds(1));
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) sweep();
  });
}

void Shard::shutdown() {
  boost::system::error_code ec;
  sweep_timer_.cancel();
  for (auto& l : udp_) l->socket.close(ec);
  const auto all = allocations_;
  for (const auto& a : all) {
    if (auto c = a->control.lock()) c->close();
    release(a);
  }
}

void Shard::arm_listener(std::size_t i) {
  udp_[i]->socket.async_wait(asio::socket_base::wait_read, [this, i](boost::system::error_code ec) {
    if (!ec) drain_listener(i);
  });
}

void Shard::drain_listener(std::size_t i) {
  auto& l = *udp_[i];
  const int fd = l.socket.native_handle();
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  std::array<sockaddr_storage, kBatch> from{};
  std::array<std::array<std::uint8_t, 64>, kBatch> control{};
  // Bounded rounds so one busy socket cannot starve the shard's other work.
  for (int round = 0; round < 16; ++round) {
    for (std::size_t k = 0; k < kBatch; ++k) {
      iov[k] = {recv_slot(k) + kHeadroom, kSlot - kHeadroom};
      msgs[k].msg_hdr = {};
      msgs[k].msg_hdr.msg_name = &from[k];
      msgs[k].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
      if (l.wildcard) {
        msgs[k].msg_hdr.msg_control = control[k].data();
        msgs[k].msg_hdr.msg_controllen = control[k].size();
      }
    }
    const int n = ::recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) break;
    now = Clock::now();
    for (int k = 0; k < n; ++k) {
      Transport t;
      t.shard = this;
      t.udp_listener = static_cast<int>(i);
      t.client = from_sockaddr(from[static_cast<std::size_t>(k)]);
      t.local = l.local;
      if (l.wildcard) {
        for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[k].msg_hdr); c; c = CMSG_NXTHDR(&msgs[k].msg_hdr, c)) {
          if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            in_pktinfo info{};
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            std::memcpy(t.local.ip.data(), &info.ipi_addr, 4);
          } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            in6_pktinfo info{};
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            std::memcpy(t.local.ip.data(), &info.ipi6_addr, 16);
          }
        }
      }
      const stun::Bytes bytes(iov[static_cast<std::size_t>(k)].iov_base == nullptr
                                  ? nullptr
                                  : static_cast<const std::uint8_t*>(
                                        iov[static_cast<std::size_t>(k)].iov_base),
                              msgs[static_cast<std::size_t>(k)].msg_len);
      if (bytes.size() >= 4 && (bytes[0] & 0xC0) == 0x40)
        handle_channel_data(t, bytes, nullptr);
      else if (stun::looks_like_stun(bytes))
        handle_stun(t, bytes);
    }
    flush_sends();
    if (static_cast<std::size_t>(n) < kBatch) break;
  }
  arm_listener(i);
}

void Shard::arm_relay(const std::shared_ptr<Allocation>& a, RelaySocket* r) {
  r->socket.async_wait(asio::socket_base::wait_read,
                       [this, a, r](boost::system::error_code ec) {
                         if (!ec && !a->dead) drain_relay(a, r);
                       });
}

bool Shard::take_tokens(Allocation& a, std::size_t bytes) {
  const auto rate = shared.options.config.max_bandwidth_bytes_per_second;
  if (rate == 0) return true;
  const double elapsed = std::chrono::duration<double>(now - a.refilled).count();
  a.refilled = now;
  // One second of burst: a video key frame arriving at once is not cut.
  a.tokens = std::min(static_cast<double>(rate), a.tokens + elapsed * static_cast<double>(rate));
  if (a.tokens < static_cast<double>(bytes)) {
    counters.add(counters.bandwidth_drops);
    return false;
  }
  a.tokens -= static_cast<double>(bytes);
  return true;
}

void Shard::drain_relay(const std::shared_ptr<Allocation>& a, RelaySocket* r) {
  const int fd = r->socket.native_handle();
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  std::array<sockaddr_storage, kBatch> from{};
  Transport& t = a->transport;
  const bool stream = t.conn != nullptr;
  const int client_fd =
      stream ? -1 : udp_[static_cast<std::size_t>(t.udp_listener)]->socket.native_handle();
  static thread_local std::uint64_t tid_counter = 0;
  for (int round = 0; round < 16 && !a->dead; ++round) {
    for (std::size_t k = 0; k < kBatch; ++k) {
      iov[k] = {recv_slot(k) + kHeadroom, kSlot - kHeadroom - 4};
      msgs[k].msg_hdr = {};
      msgs[k].msg_hdr.msg_name = &from[k];
      msgs[k].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) break;
    now = Clock::now();
    for (std::size_t k = 0; k < static_cast<std::size_t>(n); ++k) {
      const auto peer = from_sockaddr(from[k]);
      const std::size_t len = msgs[k].msg_len;
      std::uint8_t* payload = recv_slot(k) + kHeadroom;
      if (!a->permission(peer, now)) continue;  // RFC 8656 §11.4: no permission, no relay
      if (!take_tokens(*a, len)) continue;
      counters.add(counters.packets_relayed);
      counters.add(counters.bytes_relayed, static_cast<std::int64_t>(len));
      if (const Channel* c = a->channel_by_peer(peer, now); c && len <= 0xFFFF) {
        std::uint8_t* head = payload - stun::kChannelDataHeaderSize;
        stun::write_channel_data_header({head, stun::kChannelDataHeaderSize}, c->number,
                                        static_cast<std::uint16_t>(len));
        std::size_t total = stun::kChannelDataHeaderSize + len;
        if (stream) {
          // Stream transports pad ChannelData to a multiple of 4 (RFC 8656 §12.5).
          while (total % 4) head[total++] = 0;
          t.conn->write({head, total});
        } else {
          queue_send(client_fd, t.client, head, total);
        }
        continue;
      }
      std::uint8_t* out = out_slot();
      stun::TransactionId tid{};
      const std::uint64_t seq = ++tid_counter;
      std::memcpy(tid.data(), &seq, sizeof seq);
      tid[8] = static_cast<std::uint8_t>(index);
      stun::MessageWriter w({out, kSlot}, stun::Method::data, stun::Class::indication, tid);
      w.add_xor_address(stun::attr::xor_peer_address, peer);
      w.add(stun::attr::data, {payload, len});
      const auto msg = w.finish();
      if (msg.empty()) continue;
      if (stream)
        t.conn->write(msg);
      else
        queue_send(client_fd, t.client, msg.data(), msg.size());
    }
    flush_sends();
    if (static_cast<std::size_t>(n) < kBatch) break;
  }
  if (!a->dead) arm_relay(a, r);
}

void Shard::relay_to_peer(Allocation& a, const stun::Endpoint& peer, stun::Bytes data) {
  RelaySocket* r = a.relay_for(peer.family);
  if (!r) return;
  if (!take_tokens(a, data.size())) return;
  counters.add(counters.packets_relayed);
  counters.add(counters.bytes_relayed, static_cast<std::int64_t>(data.size()));
  queue_send(r->socket.native_handle(), peer, data.data(), data.size());
}

std::uint8_t* Shard::out_slot() {
  if (out_used_ == kBatch) flush_sends();
  return out_buffers_.data() + (out_used_++) * kSlot;
}

void Shard::queue_send(int fd, const stun::Endpoint& to, const std::uint8_t* data,
                       std::size_t size) {
  if (sends_.size() == sends_.capacity()) flush_sends();
  PendingSend s{};
  s.fd = fd;
  s.to_len = to_sockaddr(to, s.to);
  s.iov = {const_cast<std::uint8_t*>(data), size};
  sends_.push_back(s);
}

void Shard::flush_sends() {
  std::array<mmsghdr, 2 * kBatch> msgs{};
  std::size_t i = 0;
  while (i < sends_.size()) {
    // One sendmmsg per run of datagrams leaving through the same socket.
    std::size_t j = i;
    while (j < sends_.size() && sends_[j].fd == sends_[i].fd) {
      auto& h = msgs[j - i].msg_hdr;
      h = {};
      h.msg_name = &sends_[j].to;
      h.msg_namelen = sends_[j].to_len;
      h.msg_iov = &sends_[j].iov;
      h.msg_iovlen = 1;
      ++j;
    }
    std::size_t sent = 0;
    while (sent < j - i) {
      const int r = ::sendmmsg(sends_[i].fd, msgs.data() + sent,
                               static_cast<unsigned>(j - i - sent), MSG_DONTWAIT);
      // A datagram the kernel refuses (full buffer, unreachable) is dropped, as UDP would.
      if (r <= 0) {
        ++sent;
        continue;
      }
      sent += static_cast<std::size_t>(r);
    }
    i = j;
  }
  sends_.clear();
  out_used_ = 0;
}

std::unique_ptr<RelaySocket> Shard::open_relay(const stun::Endpoint& ip, bool even,
                                               bool reserve_next, std::uint64_t* token,
                                               bool dont_fragment) {
  const auto& c = shared.options.config;
  const unsigned lo = c.relay_port_min, hi = std::max(c.relay_port_min, c.relay_port_max);
  const unsigned span = hi - lo + 1;
  const unsigned start = static_cast<unsigned>(random_u64() % span);
  for (unsigned i = 0; i < span; ++i) {
    const unsigned port = lo + (start + i) % span;
    if (even && port % 2) continue;
    if (reserve_next && port + 1 > hi) continue;
    auto at = ip;
    at.port = static_cast<std::uint16_t>(port);
    const int fd = bind_udp(at, false);
    if (fd == -EADDRINUSE) continue;
    if (fd < 0) return nullptr;  // the address itself is unusable: trying ports will not help
    if (reserve_next) {
      auto next = at;
      next.port = static_cast<std::uint16_t>(port + 1);
      const int fd2 = bind_udp(next, false);
      if (fd2 < 0) {
        ::close(fd);
        continue;
      }
      std::uint64_t t = 0;
      while (t == 0) t = random_u64();
      std::lock_guard lock(shared.mutex);
      shared.reservations[t] = {fd2, next, Clock::now() + kReservationLifetime};
      if (token) *token = t;
    }
    if (dont_fragment) set_dont_fragment(fd, at.family);
    auto r = std::make_unique<RelaySocket>(io);
    r->socket.assign(at.family == stun::Family::ipv4 ? asio::ip::udp::v4() : asio::ip::udp::v6(),
                     fd);
    r->bound = at;
    r->advertised = advertise(at);
    return r;
  }
  return nullptr;
}

void Shard::sweep() {
  now = Clock::now();
  std::vector<std::shared_ptr<Allocation>> expired;
  for (const auto& a : allocations_) {
    if (a->expires <= now) {
      expired.push_back(a);
      continue;
    }
    const auto p = std::erase_if(a->permissions, [&](const Permission& x) { return x.expires <= now; });
    const auto c = std::erase_if(a->channels, [&](const Channel& x) { return x.expires <= now; });
    counters.add(counters.permissions, -static_cast<std::int64_t>(p));
    counters.add(counters.channels, -static_cast<std::int64_t>(c));
    std::erase_if(a->peer_connections, [](const std::weak_ptr<PeerTcp>& w) { return w.expired(); });
  }
  for (const auto& a : expired) {
    if (auto conn = a->control.lock()) conn->close();
    release(a);
  }
  if (index == 0) {
    // Cross-shard leftovers: unused port reservations and RFC 6062 connections never bound.
    std::vector<std::shared_ptr<PeerTcp>> stale;
    {
      std::lock_guard lock(shared.mutex);
      std::erase_if(shared.reservations, [&](auto& kv) {
        if (kv.second.expires > now) return false;
        ::close(kv.second.fd);
        return true;
      });
      for (auto it = shared.pending_deadlines.begin(); it != shared.pending_deadlines.end();) {
        if (it->second > now) {
          ++it;
          continue;
        }
        if (auto p = shared.pending_connections.find(it->first);
            p != shared.pending_connections.end()) {
          stale.push_back(p->second);
          shared.pending_connections.erase(p);
        }
        it = shared.pending_deadlines.erase(it);
      }
    }
    for (auto& p : stale) {
      auto peer = p;
      asio::post(p->shard->io, [peer] { peer->close(); });
    }
  }
  sweep_timer_.expires_after(std::chrono::seconds(1));
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) sweep();
  });
}

}  // namespace parley::relay::detail
