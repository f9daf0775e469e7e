// The Edge: threads, listeners, counters and the start-up self-test. The protocol lives in
// turn_server.cpp, the UDP packet path in udp_io.cpp and TCP/TLS in stream_io.cpp.

#include "relay/edge_internal.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <openssl/rand.h>

#include <arpa/inet.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <thread>

namespace parley::relay {
namespace detail {

// --- address helpers ------------------------------------------------------------------------------

stun::Endpoint from_sockaddr(const sockaddr_storage& sa) {
  stun::Endpoint e;
  if (sa.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(sa);
    e.family = stun::Family::ipv4;
    std::memcpy(e.ip.data(), &in.sin_addr, 4);
    e.port = ntohs(in.sin_port);
  } else if (sa.ss_family == AF_INET6) {
    const auto& in = reinterpret_cast<const sockaddr_in6&>(sa);
    e.family = stun::Family::ipv6;
    std::memcpy(e.ip.data(), &in.sin6_addr, 16);
    e.port = ntohs(in.sin6_port);
  }
  return e;
}

socklen_t to_sockaddr(const stun::Endpoint& e, sockaddr_storage& sa) {
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

stun::Endpoint from_asio(const asio::ip::address& a, std::uint16_t port) {
  stun::Endpoint e;
  e.port = port;
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), e.ip.begin());
  } else if (a.to_v6().is_v4_mapped()) {
    const auto b = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_bytes();
    std::copy(b.begin(), b.end(), e.ip.begin());
  } else {
    e.family = stun::Family::ipv6;
    const auto b = a.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), e.ip.begin());
  }
  return e;
}

asio::ip::address to_asio(const stun::Endpoint& e) {
  if (e.family == stun::Family::ipv4) {
    asio::ip::address_v4::bytes_type b{};
    std::copy_n(e.ip.begin(), 4, b.begin());
    return asio::ip::address_v4(b);
  }
  asio::ip::address_v6::bytes_type b{};
  std::copy_n(e.ip.begin(), 16, b.begin());
  return asio::ip::address_v6(b);
}

std::optional<stun::Endpoint> parse_ip(const std::string& text, std::uint16_t port) {
  boost::system::error_code ec;
  const auto a = asio::ip::make_address(text, ec);
  if (ec) return std::nullopt;
  return from_asio(a, port);
}

std::string to_string(const stun::Endpoint& e) {
  const auto a = to_asio(e);
  if (e.family == stun::Family::ipv6) return "[" + a.to_string() + "]:" + std::to_string(e.port);
  return a.to_string() + ":" + std::to_string(e.port);
}

bool same_ip(const stun::Endpoint& a, const stun::Endpoint& b) {
  if (a.family != b.family) return false;
  const std::size_t n = a.family == stun::Family::ipv4 ? 4 : 16;
  return std::memcmp(a.ip.data(), b.ip.data(), n) == 0;
}

bool is_wildcard(const stun::Endpoint& e) {
  const std::size_t n = e.family == stun::Family::ipv4 ? 4 : 16;
  return std::all_of(e.ip.begin(), e.ip.begin() + static_cast<std::ptrdiff_t>(n),
                     [](std::uint8_t b) { return b == 0; });
}

std::size_t EndpointHash::operator()(const stun::Endpoint& e) const noexcept {
  // FNV-1a over the bytes that matter; cheap and good enough for a per-shard table.
  std::size_t h = 1469598103934665603ull;
  const std::size_t n = e.family == stun::Family::ipv4 ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ e.ip[i]) * 1099511628211ull;
  h = (h ^ e.port) * 1099511628211ull;
  return h;
}

// --- Shared -------------------------------------------------------------------------------------

Shared::Shared(EdgeOptions o)
    : options(std::move(o)),
      credentials(options.secrets, options.config.users),
      filter(options.config.allowed_peers, options.config.denied_peers) {
  RAND_bytes(nonce_key.data(), static_cast<int>(nonce_key.size()));
  for (const auto& u : options.config.users)
    userhashes.emplace_back(stun::userhash(u.name, options.realm), u.name);
  const auto& c = options.config;
  if (!c.external_address.empty()) {
    const auto e = parse_ip(c.external_address, 0);
    if (!e) throw std::runtime_error("edge: external_address is not an IP address: " +
                                     c.external_address);
    (e->family == stun::Family::ipv4 ? external4 : external6) = e;
  }
  for (const auto& r : c.relay_addresses) {
    const auto e = parse_ip(r, 0);
    if (!e) throw std::runtime_error("edge: relay address is not an IP address: " + r);
    relay_addresses.push_back(*e);
  }
  for (const auto* list : {&c.udp, &c.tcp, &c.tls})
    for (const auto& l : *list)
      if (const auto e = parse_ip(l.host, l.port)) listener_hosts.push_back(*e);
}

std::uint16_t Shared::take_quota(const std::string& user) {
  std::lock_guard lock(mutex);
  if (total_allocations >= options.config.max_allocations) return stun::error::insufficient_capacity;
  auto& n = per_user[user];
  if (n >= options.config.max_allocations_per_user) return stun::error::allocation_quota_reached;
  ++n;
  ++total_allocations;
  return 0;
}

void Shared::release_quota(const std::string& user) {
  std::lock_guard lock(mutex);
  if (total_allocations > 0) --total_allocations;
  const auto it = per_user.find(user);
  if (it == per_user.end()) return;
  if (--it->second == 0) per_user.erase(it);
}

// Defined in stream_io.cpp: accept loops for the TCP and TLS listeners.
struct StreamListeners;
StreamListeners* open_stream_listeners(Shared& shared,
                                                       std::vector<std::unique_ptr<Shard>>& shards,
                                                       std::vector<stun::Endpoint>& tcp,
                                                       std::vector<stun::Endpoint>& tls);
void close_stream_listeners(StreamListeners& l);
void destroy_stream_listeners(StreamListeners* l);
struct StreamListenersDeleter {
  void operator()(StreamListeners* l) const { destroy_stream_listeners(l); }
};

}  // namespace detail

using namespace detail;

struct Edge::Impl {
  explicit Impl(EdgeOptions o) : shared(std::move(o)) {}
  Shared shared;
  std::vector<std::unique_ptr<Shard>> shards;
  std::vector<std::thread> threads;
  std::vector<stun::Endpoint> udp, tcp, tls;
  std::unique_ptr<StreamListeners, StreamListenersDeleter> listeners;
  bool started = false;
  bool stopped = false;
};

Edge::Edge(EdgeOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Edge::~Edge() { stop(); }

void Edge::start() {
  auto& d = *impl_;
  if (d.started) return;
  const auto& cfg = d.shared.options.config;
  unsigned n = cfg.threads ? cfg.threads : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  for (unsigned i = 0; i < n; ++i) d.shards.push_back(std::make_unique<Shard>(d.shared, i));

  for (const auto& l : cfg.udp) {
    auto at = parse_ip(l.host, l.port);
    if (!at) throw std::runtime_error("edge: bad UDP listen address " + to_string(l));
    d.shards[0]->open_udp(*at);
    at->port = d.shards[0]->udp().back()->local.port;  // port 0: every shard shares shard 0's
    for (unsigned i = 1; i < n; ++i) d.shards[i]->open_udp(*at);
    d.udp.push_back(*at);
  }
  d.listeners.reset(open_stream_listeners(d.shared, d.shards, d.tcp, d.tls));
  for (const auto* list : {&d.udp, &d.tcp, &d.tls})
    for (const auto& e : *list) d.shared.filter.add_own_address(e);
  for (const auto& e : d.shared.relay_addresses) d.shared.filter.add_own_address(e);
  if (d.shared.external4) d.shared.filter.add_own_address(*d.shared.external4);
  if (d.shared.external6) d.shared.filter.add_own_address(*d.shared.external6);

  for (auto& s : d.shards) {
    s->start();
    Shard* shard = s.get();
    d.threads.emplace_back([shard] {
      auto guard = asio::make_work_guard(shard->io);
      shard->io.run();
    });
  }
  d.started = true;
}

void Edge::stop() {
  auto& d = *impl_;
  if (!d.started || d.stopped) return;
  d.stopped = true;
  if (d.listeners) {
    StreamListeners* l = d.listeners.get();
    asio::post(d.shards[0]->io, [l] { close_stream_listeners(*l); });
  }
  for (auto& s : d.shards) {
    Shard* shard = s.get();
    asio::post(shard->io, [shard] {
      shard->shutdown();
      shard->io.stop();
    });
  }
  for (auto& t : d.threads) t.join();
  d.threads.clear();
  {
    std::lock_guard lock(d.shared.mutex);
    for (auto& [token, r] : d.shared.reservations) ::close(r.fd);
    d.shared.reservations.clear();
    d.shared.pending_connections.clear();
    d.shared.pending_deadlines.clear();
  }
  // Handlers queued on one shard may own another shard's sockets: drop every queued handler
  // while all io_contexts still exist, then the sockets, then the contexts.
  for (auto& s : d.shards) s->io.shutdown();
  d.listeners.reset();
  d.shards.clear();
}

std::vector<stun::Endpoint> Edge::udp_endpoints() const { return impl_->udp; }
std::vector<stun::Endpoint> Edge::tcp_endpoints() const { return impl_->tcp; }
std::vector<stun::Endpoint> Edge::tls_endpoints() const { return impl_->tls; }

EdgeCounters Edge::counters() const {
  EdgeCounters out;
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  for (const auto& s : impl_->shards) {
    const auto& c = s->counters;
    out.allocations += get(c.allocations);
    out.allocations_total += get(c.allocations_total);
    out.permissions += get(c.permissions);
    out.channels += get(c.channels);
    out.tcp_connections += get(c.tcp_connections);
    out.packets_relayed += get(c.packets_relayed);
    out.bytes_relayed += get(c.bytes_relayed);
    out.auth_failures += get(c.auth_failures);
    out.refused_peers += get(c.refused_peers);
    out.quota_refusals += get(c.quota_refusals);
    out.bandwidth_drops += get(c.bandwidth_drops);
  }
  return out;
}

// --- self-test ------------------------------------------------------------------------------------

namespace {

// A blocking request/response exchange over UDP with retransmission (RFC 8489 §6.2.1, short).
std::optional<std::vector<std::uint8_t>> exchange(int fd, stun::Bytes request,
                                                  const stun::TransactionId& tid) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    ::send(fd, request.data(), request.size(), 0);
    pollfd p{fd, POLLIN, 0};
    const auto deadline = Clock::now() + std::chrono::milliseconds(500 << attempt);
    while (Clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (::poll(&p, 1, static_cast<int>(left.count()) + 1) <= 0) break;
      std::vector<std::uint8_t> buf(stun::kMaxMessageSize);
      const auto n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n <= 0) break;
      buf.resize(static_cast<std::size_t>(n));
      const auto m = stun::MessageView::parse(buf);
      if (m && m->transaction_id() == tid) return buf;
    }
  }
  return std::nullopt;
}

}  // namespace

Edge::SelfTest Edge::self_test() {
  auto& d = *impl_;
  if (d.udp.empty()) return {false, "edge self-test: no UDP listener"};
  const auto& opts = d.shared.options;
  auto target = d.udp.front();
  if (is_wildcard(target)) {
    target.ip = {};
    if (target.family == stun::Family::ipv4) {
      target.ip[0] = 127;
      target.ip[3] = 1;
    } else {
      target.ip[15] = 1;
    }
  }
  const int fd = ::socket(target.family == stun::Family::ipv4 ? AF_INET : AF_INET6,
                          SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {false, "edge self-test: cannot open a UDP socket"};
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  sockaddr_storage sa{};
  const auto len = to_sockaddr(target, sa);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&sa), len) != 0)
    return {false, "edge self-test: cannot reach " + to_string(target)};

  const auto cred = mint_credential(opts.secrets.front(), "edge-self-test", std::chrono::seconds(60),
                                    std::chrono::system_clock::now());
  std::array<std::uint8_t, 1024> out{};
  auto tid = stun::random_transaction_id();
  stun::MessageWriter first(out, stun::Method::allocate, stun::Class::request, tid);
  first.add_requested_transport(17);
  auto reply = exchange(fd, first.finish(), tid);
  if (!reply) return {false, "edge self-test: no answer from " + to_string(target)};
  auto m = stun::MessageView::parse(*reply);
  const auto nonce_attr = m->find(stun::attr::nonce);
  if (!nonce_attr) return {false, "edge self-test: the relay sent no nonce"};
  const std::string nonce(stun::as_text(*nonce_attr));
  const auto key = stun::long_term_key_md5(cred.username, opts.realm, cred.password);

  auto authed = [&](stun::Method method, std::uint32_t lifetime, bool transport) {
    tid = stun::random_transaction_id();
    stun::MessageWriter w(out, method, stun::Class::request, tid);
    if (transport) w.add_requested_transport(17);
    if (method == stun::Method::refresh) w.add_u32(stun::attr::lifetime, lifetime);
    w.add_text(stun::attr::username, cred.username);
    w.add_text(stun::attr::realm, opts.realm);
    w.add_text(stun::attr::nonce, nonce);
    w.add_integrity(key);
    return exchange(fd, w.finish(), tid);
  };
  reply = authed(stun::Method::allocate, 0, true);
  if (!reply) return {false, "edge self-test: no answer to the authenticated Allocate"};
  m = stun::MessageView::parse(*reply);
  if (m->message_class() != stun::Class::success) {
    const auto e = m->find(stun::attr::error_code);
    const auto code = e ? stun::decode_error_code(*e) : std::nullopt;
    return {false, "edge self-test: Allocate refused with " +
                       (code ? std::to_string(code->code) + " " + std::string(code->reason)
                             : std::string("an error"))};
  }
  const auto relayed_attr = m->find(stun::attr::xor_relayed_address);
  const auto relayed = relayed_attr ? stun::decode_xor_address(*relayed_attr, m->transaction_id())
                                    : std::nullopt;
  authed(stun::Method::refresh, 0, false);
  if (!relayed) return {false, "edge self-test: Allocate answer has no XOR-RELAYED-ADDRESS"};
  const auto& ext = relayed->family == stun::Family::ipv4 ? d.shared.external4 : d.shared.external6;
  if (ext && !same_ip(*ext, *relayed))
    return {false, "edge self-test: relayed address " + to_string(*relayed) +
                       " is not the configured external_address " + opts.config.external_address};
  return {true, "edge self-test: relayed address " + to_string(*relayed) + " over udp " +
                    to_string(d.udp.front())};
}

}  // namespace parley::relay
