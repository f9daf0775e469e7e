// The UDP packet path of a shard: listener sockets (SO_REUSEPORT, one per shard per address),
// relay sockets, recvmmsg/sendmmsg batching into preallocated buffers, the bandwidth cap and
// the once-a-second sweep. Nothing here allocates per packet: received datagrams stay in the
// shard's slots, ChannelData headers are written in place in the headroom before the payload,
// and sends are queued as iovecs pointing into those slots until the turn is flushed.
//
// Why a poll set of our own: with one asio wait per socket every datagram from a peer cost an
// asio operation, an epoll_ctl re-arm, a recvmmsg and a sendmmsg of its own. Here the shard's
// level-triggered epoll set holds all its UDP sockets, asio waits on that one descriptor, and a
// turn reads every ready socket and then sends everything queued with one sendmmsg per socket
// (all client-bound datagrams leave through the listener, so they share one call).

#include "relay/edge_internal.hpp"

#include <openssl/rand.h>

#include <boost/asio/post.hpp>

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

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

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Shard::Shard(Shared& s, std::size_t i) : shared(s), index(i) {
  recv_buffers_ = std::make_unique_for_overwrite<std::uint8_t[]>(kPool * kSlot);
  out_buffers_ = std::make_unique_for_overwrite<std::uint8_t[]>(kPool * kSlot);
  sends_.reserve(kPool);
  allocations_.reserve(1024);
  udp_allocations_.reserve(1024);
  poll_table_.reserve(1024);
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) throw std::runtime_error(std::string("edge: epoll_create1: ") + std::strerror(errno));
  poller_.assign(ep);
}

Shard::~Shard() = default;

void Shard::open_udp(const stun::Endpoint& at) {
  const int fd = bind_udp(at, true);
  if (fd < 0)
    throw std::runtime_error("edge: cannot bind UDP " + to_string(at) + ": " + std::strerror(-fd));
  auto l = std::make_unique<UdpListener>();
  l->fd = Fd(fd);
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  l->local = from_sockaddr(sa);
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
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerTag | udp_.size();
  if (::epoll_ctl(poller_.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0)
    throw std::runtime_error(std::string("edge: epoll_ctl: ") + std::strerror(errno));
  udp_.push_back(std::move(l));
}

void Shard::start() {
  arm_poll();
  sweep_timer_.expires_after(std::chrono::seconds(1));
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) sweep();
  });
}

void Shard::shutdown() {
  boost::system::error_code ec;
  sweep_timer_.cancel();
  poller_.cancel(ec);
  for (auto& l : udp_) l->fd.reset();
  const auto all = allocations_;
  for (const auto& a : all) {
    if (auto c = a->control.lock()) c->close();
    release(a);
  }
}

// --- the reactor turn -----------------------------------------------------------------------------

void Shard::arm_poll() {
  poller_.async_wait(asio::posix::descriptor_base::wait_read,
                     [this](boost::system::error_code ec) {
                       if (!ec) on_ready();
                     });
}

void Shard::on_ready() {
  std::array<epoll_event, kEvents> events;
  now = Clock::now();  // once per turn: packets of one turn are judged at the same instant
  // Level-triggered: a socket left with datagrams (a burst larger than a few batches) is
  // reported again on the next turn, so one busy socket cannot starve the others.
  for (int round = 0; round < 4; ++round) {
    const int n = ::epoll_wait(poller_.native_handle(), events.data(), kEvents, 0);
    if (n <= 0) break;
    for (int k = 0; k < n; ++k) {
      const std::uint64_t tag = events[static_cast<std::size_t>(k)].data.u64;
      if (tag & kListenerTag) {
        drain_listener(static_cast<std::size_t>(tag & 0xFFFFFFFF));
        continue;
      }
      const std::size_t entry = tag & 0xFFFFFFFF;
      if (entry >= poll_table_.size()) continue;
      const PollEntry& e = poll_table_[entry];
      // A stale generation: the allocation was released earlier in this turn.
      if (e.generation != static_cast<std::uint32_t>(tag >> 32) || !e.relay) continue;
      drain_relay(*e.allocation, *e.relay);
    }
    if (static_cast<std::size_t>(n) < kEvents) break;
  }
  flush_sends();
  recv_used_ = 0;
  out_used_ = 0;
  arm_poll();
}

std::size_t Shard::make_room() {
  // Every datagram of a batch takes at most one receive slot, one Data-indication slot and one
  // queued send, so with kBatch of each free no flush can happen while a batch is processed
  // (a flush then would let the next recvmmsg overwrite datagrams still queued).
  const std::size_t room = std::min({kPool - recv_used_, kPool - out_used_, kPool - sends_.size()});
  if (room < kBatch) {
    flush_sends();
    recv_used_ = 0;
    out_used_ = 0;
  }
  return kBatch;
}

void Shard::watch_relay(Allocation& a, RelaySocket& r) {
  std::uint32_t entry;
  if (!free_entries_.empty()) {
    entry = free_entries_.back();
    free_entries_.pop_back();
  } else {
    entry = static_cast<std::uint32_t>(poll_table_.size());
    poll_table_.emplace_back();
  }
  auto& e = poll_table_[entry];
  e.allocation = &a;
  e.relay = &r;
  r.slot = entry;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = static_cast<std::uint64_t>(e.generation) << 32 | entry;
  ::epoll_ctl(poller_.native_handle(), EPOLL_CTL_ADD, r.fd.get(), &ev);
}

void Shard::unwatch_relay(RelaySocket& r) {
  if (r.slot == kNoSlot) return;
  // No EPOLL_CTL_DEL: closing the descriptor (its only reference) takes it out of the set.
  auto& e = poll_table_[r.slot];
  e.allocation = nullptr;
  e.relay = nullptr;
  ++e.generation;
  free_entries_.push_back(r.slot);
  r.slot = kNoSlot;
}

// --- receiving ------------------------------------------------------------------------------------

void Shard::drain_listener(std::size_t i) {
  auto& l = *udp_[i];
  const int fd = l.fd.get();
  std::array<mmsghdr, kBatch> msgs;
  std::array<iovec, kBatch> iov;
  std::array<sockaddr_storage, kBatch> from;
  std::array<std::array<std::uint8_t, 64>, kBatch> control;
  for (int round = 0; round < 4; ++round) {
    const std::size_t want = make_room();
    const std::size_t base = recv_used_;
    for (std::size_t k = 0; k < want; ++k) {
      iov[k] = {recv_slot(base + k) + kHeadroom, kSlot - kHeadroom};
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
    const int n = ::recvmmsg(fd, msgs.data(), static_cast<unsigned>(want), MSG_DONTWAIT, nullptr);
    if (n <= 0) break;
    recv_used_ += static_cast<std::size_t>(n);
    for (std::size_t k = 0; k < static_cast<std::size_t>(n); ++k) {
      Transport t;
      t.shard = this;
      t.udp_listener = static_cast<int>(i);
      t.client = from_sockaddr(from[k]);
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
      const stun::Bytes bytes(static_cast<const std::uint8_t*>(iov[k].iov_base), msgs[k].msg_len);
      if (bytes.size() >= 4 && (bytes[0] & 0xC0) == 0x40)
        handle_channel_data(t, bytes, nullptr);
      else if (stun::looks_like_stun(bytes))
        handle_stun(t, bytes);
    }
    if (static_cast<std::size_t>(n) < want) break;
  }
}

bool Shard::take_tokens(Allocation& a, std::size_t bytes) {
  const auto rate = shared.options.config.max_bandwidth_bytes_per_second;
  if (rate == 0) return true;
  const double elapsed = std::chrono::duration<double>(now - a.refilled).count();
  a.refilled = now;
  // One second of burst: a video key frame arriving at once is not cut.
  a.tokens = std::min(static_cast<double>(rate), a.tokens + elapsed * static_cast<double>(rate));
  if (a.tokens < static_cast<double>(bytes)) {
    counters.bump(counters.bandwidth_drops);
    return false;
  }
  a.tokens -= static_cast<double>(bytes);
  return true;
}

void Shard::drain_relay(Allocation& a, RelaySocket& r) {
  const int fd = r.fd.get();
  std::array<mmsghdr, kBatch> msgs;
  std::array<iovec, kBatch> iov;
  std::array<sockaddr_storage, kBatch> from;
  Transport& t = a.transport;
  const bool stream = t.conn != nullptr;
  // A stream write may end in the allocation's release; keep it alive until this returns.
  std::shared_ptr<Allocation> keep;
  if (stream) keep = a.shared_from_this();
  const int client_fd = stream ? -1 : udp_[static_cast<std::size_t>(t.udp_listener)]->fd.get();
  static thread_local std::uint64_t tid_counter = 0;
  for (int round = 0; round < 4 && !a.dead; ++round) {
    const std::size_t want = make_room();
    const std::size_t base = recv_used_;
    for (std::size_t k = 0; k < want; ++k) {
      iov[k] = {recv_slot(base + k) + kHeadroom, kSlot - kHeadroom - 4};
      msgs[k].msg_hdr = {};
      msgs[k].msg_hdr.msg_name = &from[k];
      msgs[k].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(fd, msgs.data(), static_cast<unsigned>(want), MSG_DONTWAIT, nullptr);
    if (n <= 0) break;
    recv_used_ += static_cast<std::size_t>(n);
    for (std::size_t k = 0; k < static_cast<std::size_t>(n) && !a.dead; ++k) {
      const auto peer = from_sockaddr(from[k]);
      const std::size_t len = msgs[k].msg_len;
      std::uint8_t* payload = recv_slot(base + k) + kHeadroom;
      if (!a.permission(peer, now)) continue;  // RFC 8656 §11.4: no permission, no relay
      if (!take_tokens(a, len)) continue;
      counters.bump(counters.packets_relayed);
      counters.bump(counters.bytes_relayed, len);
      if (const Channel* c = a.channel_by_peer(peer, now); c && len <= 0xFFFF) {
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
      if (!out) continue;
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
    if (static_cast<std::size_t>(n) < want) break;
  }
}

// --- sending --------------------------------------------------------------------------------------

void Shard::relay_to_peer(Allocation& a, const stun::Endpoint& peer, stun::Bytes data) {
  RelaySocket* r = a.relay_for(peer.family);
  if (!r || !r->fd) return;
  if (!take_tokens(a, data.size())) return;
  counters.bump(counters.packets_relayed);
  counters.bump(counters.bytes_relayed, data.size());
  queue_send(r->fd.get(), peer, data.data(), data.size());
}

std::uint8_t* Shard::out_slot() {
  if (out_used_ == kPool) return nullptr;
  return out_buffers_.get() + (out_used_++) * kSlot;
}

void Shard::queue_send(int fd, const stun::Endpoint& to, const std::uint8_t* data,
                       std::size_t size) {
  // Only a stream client's burst of frames can fill the queue (the UDP path makes room before
  // each batch); its data lives in the connection's buffer, so flushing here is safe.
  if (sends_.size() == kPool) flush_sends();
  PendingSend& s = sends_.emplace_back();
  s.fd = fd;
  if (to.family == stun::Family::ipv4) {
    s.to.v4.sin_family = AF_INET;
    std::memcpy(&s.to.v4.sin_addr, to.ip.data(), 4);
    s.to.v4.sin_port = htons(to.port);
    s.to_len = sizeof(sockaddr_in);
  } else {
    s.to.v6.sin6_family = AF_INET6;
    std::memcpy(&s.to.v6.sin6_addr, to.ip.data(), 16);
    s.to.v6.sin6_port = htons(to.port);
    s.to_len = sizeof(sockaddr_in6);
  }
  s.iov = {const_cast<std::uint8_t*>(data), size};
}

void Shard::flush_sends() {
  if (sends_.empty()) return;
  std::array<mmsghdr, kPool> msgs;
  // One sendmmsg per socket: datagrams to clients all leave through the shard's listener, so
  // those of a whole turn are gathered into one call whatever order they were queued in (each
  // socket's datagrams keep their order). Relay sockets mostly carry one datagram per turn.
  std::size_t left = sends_.size();
  for (std::size_t first = 0; left > 0; ++first) {
    const int fd = sends_[first].fd;
    if (fd < 0) continue;
    std::size_t count = 0;
    for (std::size_t j = first; j < sends_.size(); ++j) {
      auto& s = sends_[j];
      if (s.fd != fd) continue;
      auto& h = msgs[count++].msg_hdr;
      h = {};
      h.msg_name = &s.to;
      h.msg_namelen = s.to_len;
      h.msg_iov = &s.iov;
      h.msg_iovlen = 1;
      s.fd = -1;
    }
    left -= count;
    std::size_t sent = 0;
    while (sent < count) {
      const int r = ::sendmmsg(fd, msgs.data() + sent, static_cast<unsigned>(count - sent),
                               MSG_DONTWAIT);
      // A datagram the kernel refuses (full buffer, unreachable) is dropped, as UDP would.
      if (r <= 0) {
        ++sent;
        continue;
      }
      sent += static_cast<std::size_t>(r);
    }
  }
  sends_.clear();
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
    auto r = std::make_unique<RelaySocket>();
    r->fd = Fd(fd);
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
