// TCP and TLS client connections (RFC 8489 §6.2.2 framing, RFC 8656 §12.5 padded ChannelData)
// and RFC 6062 TCP allocations: Connect, ConnectionAttempt, ConnectionBind and the raw pipes
// between a client data connection and a peer connection.
//
// One acceptor per listener runs on shard 0 and hands each accepted socket to the next shard
// in turn. A data connection (ConnectionBind) may land on another shard than the peer
// connection it binds to; the two then pipe bytes by posting to each other's io_context, each
// side touching its own socket only, and each reading again only once the other side has
// written what it read (so a slow side slows the other instead of buffering without bound).
//
// TLS uses net::TlsSocket (no asio::ssl::stream buffers), over the SSL_CTX the caller
// configured. A TLS stream here keeps OpenSSL's record buffers for its life: it carries media,
// and is never idle long enough to give them back.
// When [edge] tls lists addresses but no SSL_CTX is given, no TLS listener is opened.

#include "relay/edge_internal.hpp"

#include "net/tls_socket.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>

#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

namespace parley::relay::detail {
namespace {

using tcp = asio::ip::tcp;
constexpr std::size_t kMaxPendingWrite = 1 << 20;
constexpr auto kStreamGrace = std::chrono::seconds(30);

template <class Stream>
class StreamConnT final : public StreamConn {
 public:
  template <class... Args>
  StreamConnT(Shard* s, bool tls, Args&&... args)
      : stream_(std::forward<Args>(args)...), idle_(s->io) {
    shard = s;
    boost::system::error_code ec;
    auto& sock = lowest();
    const auto remote = sock.remote_endpoint(ec);
    const auto local = sock.local_endpoint(ec);
    transport.shard = s;
    transport.conn = this;
    transport.tls = tls;
    transport.client = from_asio(remote.address(), remote.port());
    transport.local = from_asio(local.address(), local.port());
    read_.resize(stun::kMaxMessageSize + 4);
    sock.set_option(tcp::no_delay(true), ec);
  }

  void start() override {
    // A connection that has neither allocated nor bound within the grace period is closed:
    // unauthenticated sockets must not be held open for free. Once it has an allocation, the
    // allocation's lifetime governs (its expiry closes the connection).
    auto self = shared_from_this();
    idle_.expires_after(kStreamGrace);
    idle_.async_wait([self, this](boost::system::error_code ec) {
      if (!ec && !allocation && !raw_) close();
    });
    if constexpr (std::is_same_v<Stream, net::TlsSocket>) {
      auto self = shared_from_this();
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self, this](boost::system::error_code ec) {
                                if (ec) return close();
                                read_frames();
                              });
    } else {
      read_frames();
    }
  }

  void write(stun::Bytes bytes) override {
    if (closed_ || pending_.size() + bytes.size() > kMaxPendingWrite) return;
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    if (!writing_) flush();
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    lowest().close(ec);
    idle_.cancel();
    if (allocation) {
      auto a = allocation;
      allocation.reset();
      shard->release(a);
    }
    if (peer_) {
      auto p = peer_;
      peer_.reset();
      asio::post(p->shard->io, [p] { p->close(); });
    }
  }

  void start_raw(std::shared_ptr<PeerTcp> peer) override {
    raw_ = true;
    peer_ = std::move(peer);
  }

  void write_from_peer(std::shared_ptr<PeerTcp> peer, std::size_t n) override {
    if (closed_) return;
    write({peer->buffer.data(), n});
    resume_peer_ = std::move(peer);
    if (!writing_) resume_peer();
  }

  void resume_raw() override { read_raw(); }
  std::uint8_t* raw_buffer() override { return read_.data(); }

 private:
  tcp::socket& lowest() {
    if constexpr (std::is_same_v<Stream, net::TlsSocket>)
      return stream_.next_layer();
    else
      return stream_;
  }

  void read_frames() {
    if (closed_) return;
    auto self = shared_from_this();
    stream_.async_read_some(asio::buffer(read_.data() + used_, read_.size() - used_),
                            [self, this](boost::system::error_code ec, std::size_t n) {
                              if (ec) return close();
                              used_ += n;
                              on_frames();
                            });
  }

  void on_frames() {
    shard->now = Clock::now();
    std::size_t consumed = 0;
    while (!closed_ && !raw_) {
      const stun::Bytes rest(read_.data() + consumed, used_ - consumed);
      const auto size = frame_size(rest);
      if (!size) return close();  // neither STUN nor ChannelData: the stream is lost
      if (*size == 0 || *size > rest.size()) break;
      const auto frame = rest.first(*size);
      if ((frame[0] & 0xC0) == 0x40)
        shard->handle_channel_data(transport, frame, nullptr);
      else
        shard->handle_stun(transport, frame);
      consumed += *size;
    }
    shard->flush_sends();  // client→peer datagrams point into read_
    if (closed_) return;
    std::memmove(read_.data(), read_.data() + consumed, used_ - consumed);
    used_ -= consumed;
    if (!raw_) return read_frames();
    // ConnectionBind done: bytes the client sent right behind it belong to the peer.
    if (used_ > 0) {
      const std::size_t n = used_;
      used_ = 0;
      forward_raw(n);
    } else {
      read_raw();
    }
  }

  void read_raw() {
    if (closed_) return;
    auto self = shared_from_this();
    stream_.async_read_some(asio::buffer(read_.data(), read_.size()),
                            [self, this](boost::system::error_code ec, std::size_t n) {
                              if (ec) return close();
                              forward_raw(n);
                            });
  }

  void forward_raw(std::size_t n) {
    auto p = peer_;
    if (!p) return close();
    std::shared_ptr<StreamConn> self = shared_from_this();
    asio::post(p->shard->io, [p, self, n] { p->write_from_client(self, n); });
  }

  void flush() {
    writing_ = true;
    inflight_.swap(pending_);
    pending_.clear();
    auto self = shared_from_this();
    asio::async_write(stream_, asio::buffer(inflight_),
                      [self, this](boost::system::error_code ec, std::size_t) {
                        writing_ = false;
                        inflight_.clear();
                        if (ec) return close();
                        if (!pending_.empty())
                          flush();
                        else
                          resume_peer();
                      });
  }

  void resume_peer() {
    if (!resume_peer_) return;
    auto p = std::move(resume_peer_);
    resume_peer_.reset();
    asio::post(p->shard->io, [p] { p->start_pump(); });
  }

  Stream stream_;
  asio::steady_timer idle_;
  std::vector<std::uint8_t> read_;
  std::size_t used_ = 0;
  std::vector<std::uint8_t> pending_, inflight_;
  bool writing_ = false;
  bool closed_ = false;
  bool raw_ = false;
  std::shared_ptr<PeerTcp> peer_;         // raw mode: the peer connection
  std::shared_ptr<PeerTcp> resume_peer_;  // to let read once its bytes are written
};

std::uint32_t register_pending(Shared& shared, const std::shared_ptr<PeerTcp>& p) {
  std::lock_guard lock(shared.mutex);
  std::uint32_t id = 0;
  while (id == 0 || shared.pending_connections.count(id)) {
    RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof id);
  }
  shared.pending_connections[id] = p;
  shared.pending_deadlines[id] = Clock::now() + kConnectionIdLifetime;
  return id;
}

}  // namespace

// --- PeerTcp ------------------------------------------------------------------------------------

void PeerTcp::close() {
  if (closed) return;
  closed = true;
  boost::system::error_code ec;
  socket.close(ec);
  if (counted) shard->counters.add(shard->counters.tcp_connections, -1);
  if (data) {
    auto d = data;
    data.reset();
    asio::post(d->shard->io, [d] { d->close(); });
  }
}

void PeerTcp::start_pump() {
  if (closed || !data) return;
  auto self = shared_from_this();
  socket.async_read_some(asio::buffer(buffer), [self](boost::system::error_code ec, std::size_t n) {
    if (ec || !self->data) return self->close();
    auto d = self->data;
    asio::post(d->shard->io, [d, self, n] { d->write_from_peer(self, n); });
  });
}

void PeerTcp::write_from_client(std::shared_ptr<StreamConn> from, std::size_t n) {
  if (closed) return;
  auto self = shared_from_this();
  asio::async_write(socket, asio::buffer(from->raw_buffer(), n),
                    [self, from](boost::system::error_code ec, std::size_t) {
                      if (ec) return self->close();
                      asio::post(from->shard->io, [from] { from->resume_raw(); });
                    });
}

// --- RFC 6062 requests ----------------------------------------------------------------------------

void Shard::accept_peer(const std::shared_ptr<Allocation>& a) {
  a->tcp_acceptor->async_accept(io, [this, a](boost::system::error_code ec, tcp::socket s) {
    if (ec || a->dead) return;
    now = Clock::now();
    boost::system::error_code ignored;
    const auto remote = s.remote_endpoint(ignored);
    const auto peer = from_asio(remote.address(), remote.port());
    // RFC 6062 §5.3: only peers the client gave a permission to may connect.
    if (a->permission(peer, now) && shared.filter.allowed(peer)) {
      auto p = std::make_shared<PeerTcp>(io);
      p->socket = std::move(s);
      p->shard = this;
      p->peer = peer;
      p->allocation = a;
      counters.add(counters.tcp_connections);
      p->counted = true;
      p->id = register_pending(shared, p);
      a->peer_connections.push_back(p);
      connection_attempt(*a, p);
    } else {
      s.close(ignored);
    }
    accept_peer(a);
  });
}

void Shard::connection_attempt(Allocation& a, std::shared_ptr<PeerTcp> p) {
  stun::MessageWriter w(reply_, stun::Method::connection_attempt, stun::Class::indication,
                        stun::random_transaction_id());
  w.add_u32(stun::attr::connection_id, p->id);
  w.add_xor_address(stun::attr::xor_peer_address, p->peer);
  w.add_text(stun::attr::software, kSoftware);
  send_to_client(a.transport, w.finish());
}

void Shard::on_connect(const Transport& t, const stun::MessageView& m, const AuthContext& auth,
                       Allocation* a) {
  namespace err = stun::error;
  const auto peer_attr = m.find(stun::attr::xor_peer_address);
  const auto peer = peer_attr ? stun::decode_xor_address(*peer_attr, m.transaction_id())
                              : std::nullopt;
  if (!a->tcp || !peer) return reply_error(t, m, err::bad_request, &auth);
  if (!a->has_family(peer->family))
    return reply_error(t, m, err::peer_address_family_mismatch, &auth);
  if (!shared.filter.allowed(*peer)) {
    counters.add(counters.refused_peers);
    return reply_error(t, m, err::forbidden, &auth);
  }
  for (const auto& w : a->peer_connections)
    if (auto p = w.lock(); p && !p->closed && p->peer == *peer)
      return reply_error(t, m, err::connection_already_exists, &auth);

  auto p = std::make_shared<PeerTcp>(io);
  p->shard = this;
  p->peer = *peer;
  p->allocation = a->shared_from_this();
  a->peer_connections.push_back(p);
  const tcp::endpoint to(to_asio(*peer), peer->port);
  boost::system::error_code ec;
  p->socket.open(to.protocol(), ec);
  if (!ec) {
    // The connection should come from the relayed transport address (RFC 6062 §5.2); the
    // acceptor shares that port through SO_REUSEPORT. Fall back to any port if refused.
    const int one = 1;
    ::setsockopt(p->socket.native_handle(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::setsockopt(p->socket.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    p->socket.bind(tcp::endpoint(to_asio(a->tcp_bound), a->tcp_bound.port), ec);
    if (ec) p->socket.bind(tcp::endpoint(to_asio(a->tcp_bound), 0), ec);
  }
  // The answer goes out later, so keep what is needed to build and sign it.
  struct Pending {
    std::weak_ptr<Allocation> allocation;
    stun::TransactionId tid;
    AuthContext auth;
    bool fingerprint;
  };
  auto pending = std::make_shared<Pending>(
      Pending{a->shared_from_this(), m.transaction_id(), auth, m.has_fingerprint()});
  auto answer = [this, pending](std::uint16_t code, std::uint32_t id) {
    auto alloc = pending->allocation.lock();
    if (!alloc || alloc->dead) return;
    stun::MessageWriter w(reply_, stun::Method::connect,
                          code ? stun::Class::error : stun::Class::success, pending->tid);
    if (code)
      w.add_error(code, stun::error::reason(code));
    else
      w.add_u32(stun::attr::connection_id, id);
    w.add_text(stun::attr::software, kSoftware);
    if (pending->auth.sha256_integrity)
      w.add_integrity_sha256(pending->auth.key_bytes());
    else
      w.add_integrity(pending->auth.key_bytes());
    if (pending->fingerprint) w.add_fingerprint();
    send_to_client(alloc->transport, w.finish());
  };
  if (ec) return answer(err::connection_timeout_or_failure, 0);
  // RFC 6062 §5.2: give up after 30 s rather than the kernel's minutes of SYN retries.
  auto timer = std::make_shared<asio::steady_timer>(io, kConnectionIdLifetime);
  timer->async_wait([p](boost::system::error_code tec) {
    boost::system::error_code ignored;
    if (!tec) p->socket.cancel(ignored);
  });
  p->socket.async_connect(to, [this, p, answer, timer](boost::system::error_code cec) {
    timer->cancel();
    if (cec) {
      p->closed = true;
      return answer(stun::error::connection_timeout_or_failure, 0);
    }
    counters.add(counters.tcp_connections);
    p->counted = true;
    p->id = register_pending(shared, p);
    answer(0, p->id);
  });
}

void Shard::on_connection_bind(const Transport& t, const stun::MessageView& m,
                               const AuthContext& auth) {
  namespace err = stun::error;
  const auto id_attr = m.find(stun::attr::connection_id);
  const auto id = id_attr ? stun::decode_u32(*id_attr) : std::nullopt;
  // Only a fresh data connection may bind: not UDP, not a control connection.
  if (!id || !t.conn || t.conn->allocation) return reply_error(t, m, err::bad_request, &auth);
  std::shared_ptr<PeerTcp> p;
  {
    std::lock_guard lock(shared.mutex);
    const auto it = shared.pending_connections.find(*id);
    if (it != shared.pending_connections.end()) {
      p = it->second;
      shared.pending_connections.erase(it);
      shared.pending_deadlines.erase(*id);
    }
  }
  // The allocation is on p's shard; its username is fixed for life, so reading it is safe.
  const auto alloc = p ? p->allocation.lock() : nullptr;
  if (!p || !alloc || alloc->auth.username != auth.username)
    return reply_error(t, m, err::bad_request, &auth);
  stun::MessageWriter w(reply_, stun::Method::connection_bind, stun::Class::success,
                        m.transaction_id());
  w.add_text(stun::attr::software, kSoftware);
  if (auth.sha256_integrity)
    w.add_integrity_sha256(auth.key_bytes());
  else
    w.add_integrity(auth.key_bytes());
  if (m.has_fingerprint()) w.add_fingerprint();
  send_to_client(t, w.finish());
  auto conn = t.conn->shared_from_this();
  conn->start_raw(p);
  asio::post(p->shard->io, [p, conn] {
    if (p->closed) {
      asio::post(conn->shard->io, [conn] { conn->close(); });
      return;
    }
    p->data = conn;
    p->start_pump();
  });
}

// --- listeners ------------------------------------------------------------------------------------

struct StreamListeners {
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::unique_ptr<asio::ssl::context> tls;
  std::vector<std::unique_ptr<Shard>>* shards = nullptr;
  std::size_t next = 0;
};

namespace {

void accept_loop(StreamListeners& l, tcp::acceptor& acc, bool tls) {
  Shard& target = *(*l.shards)[l.next++ % l.shards->size()];
  acc.async_accept(target.io, [&l, &acc, &target, tls](boost::system::error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted || !acc.is_open()) return;
    if (!ec) {
      std::shared_ptr<StreamConn> conn;
      try {
        if (tls)
          conn = std::make_shared<StreamConnT<net::TlsSocket>>(&target, true, std::move(s), *l.tls);
        else
          conn = std::make_shared<StreamConnT<tcp::socket>>(&target, false, std::move(s));
      } catch (const std::exception&) {
        conn.reset();
      }
      if (conn) asio::post(target.io, [conn] { conn->start(); });
    }
    accept_loop(l, acc, tls);
  });
}

}  // namespace

StreamListeners* open_stream_listeners(Shared& shared,
                                                       std::vector<std::unique_ptr<Shard>>& shards,
                                                       std::vector<stun::Endpoint>& tcp_out,
                                                       std::vector<stun::Endpoint>& tls_out) {
  auto l = std::make_unique<StreamListeners>();
  l->shards = &shards;
  const auto& cfg = shared.options.config;
  if (shared.options.tls && !cfg.tls.empty()) {
    // asio's context frees what it wraps, so it gets its own reference.
    SSL_CTX_up_ref(shared.options.tls);
    l->tls = std::make_unique<asio::ssl::context>(shared.options.tls);
  }
  auto open = [&](const ListenAddress& at, bool tls) {
    const auto e = parse_ip(at.host, at.port);
    if (!e) throw std::runtime_error("edge: bad listen address " + to_string(at));
    const tcp::endpoint ep(to_asio(*e), e->port);
    auto acc = std::make_unique<tcp::acceptor>(shards[0]->io);
    boost::system::error_code ec;
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec && e->family == stun::Family::ipv6) acc->set_option(asio::ip::v6_only(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::runtime_error("edge: cannot listen on " + std::string(tls ? "TLS " : "TCP ") +
                               to_string(at) + ": " + ec.message());
    const auto bound = acc->local_endpoint();
    (tls ? tls_out : tcp_out).push_back(from_asio(bound.address(), bound.port()));
    accept_loop(*l, *acc, tls);
    l->acceptors.push_back(std::move(acc));
  };
  for (const auto& at : cfg.tcp) open(at, false);
  if (l->tls)
    for (const auto& at : cfg.tls) open(at, true);
  return l.release();
}

void close_stream_listeners(StreamListeners& l) {
  boost::system::error_code ec;
  for (auto& a : l.acceptors) a->close(ec);
}

void destroy_stream_listeners(StreamListeners* l) { delete l; }

}  // namespace parley::relay::detail
