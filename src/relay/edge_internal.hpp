#pragma once
// Internals of the Edge shared by its translation units (edge.cpp: threads and start-up;
// turn_server.cpp: STUN/TURN request handling; udp_io.cpp: the UDP packet path; stream_io.cpp:
// TCP/TLS client connections and RFC 6062 peer connections). Not part of the public interface.
//
// Threading: every Shard is one thread with its own io_context. An Allocation, its relay
// sockets, its permissions and channels are touched only by the thread of the shard that
// created it, so nothing on the packet path locks. The few things that cross threads (the
// per-user quota, reservation tokens, RFC 6062 connection ids waiting for ConnectionBind) sit in
// Shared behind a mutex; none of them is touched per relayed packet.

#include "relay/credentials.hpp"
#include "relay/edge.hpp"
#include "relay/peer_filter.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::relay::detail {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

inline constexpr auto kPermissionLifetime = std::chrono::seconds(300);
inline constexpr auto kChannelLifetime = std::chrono::seconds(600);
inline constexpr auto kConnectionIdLifetime = std::chrono::seconds(30);
inline constexpr auto kReservationLifetime = std::chrono::seconds(30);
// Datagrams drained per recvmmsg call.
inline constexpr std::size_t kBatch = 32;
// Datagrams one reactor turn may hold before its sends are flushed (see Shard::make_room).
inline constexpr std::size_t kPool = 256;
// Readiness events taken per epoll_wait on the shard's own poll set.
inline constexpr std::size_t kEvents = 128;
// Room in front of a received datagram so a ChannelData header can be written in place.
inline constexpr std::size_t kHeadroom = 64;
inline constexpr std::size_t kSlot = 65536 + kHeadroom;
inline constexpr std::string_view kSoftware = "Parley";

// --- channel numbers ------------------------------------------------------------------------------
// RFC 8656 narrowed channel numbers to 0x4000-0x4FFF, but RFC 5766 clients (coturn's among
// them) still pick from 0x4000-0x7FFF. The relay accepts the older range on receipt so those
// clients work; the codec keeps the strict range, hence these three wrappers.
inline constexpr std::uint16_t kMaxLegacyChannel = 0x7FFF;
std::optional<std::uint16_t> channel_number(const stun::Attribute& a);
std::optional<stun::ChannelData> parse_channel(stun::Bytes bytes);
std::optional<std::size_t> frame_size(stun::Bytes buffered);

// --- address conversions ---------------------------------------------------------------------
stun::Endpoint from_sockaddr(const sockaddr_storage& sa);
socklen_t to_sockaddr(const stun::Endpoint& e, sockaddr_storage& sa);
stun::Endpoint from_asio(const asio::ip::address& a, std::uint16_t port);
asio::ip::address to_asio(const stun::Endpoint& e);
std::optional<stun::Endpoint> parse_ip(const std::string& text, std::uint16_t port);
std::string to_string(const stun::Endpoint& e);
bool same_ip(const stun::Endpoint& a, const stun::Endpoint& b);
bool is_wildcard(const stun::Endpoint& e);

struct EndpointHash {
  std::size_t operator()(const stun::Endpoint& e) const noexcept;
};

// --- per-thread counters ------------------------------------------------------------------------
struct AtomicCounters {
  std::atomic<std::uint64_t> allocations{0}, allocations_total{0}, permissions{0}, channels{0},
      tcp_connections{0}, packets_relayed{0}, bytes_relayed{0}, auth_failures{0},
      refused_peers{0}, quota_refusals{0}, bandwidth_drops{0};
  void add(std::atomic<std::uint64_t>& c, std::int64_t d = 1) {
    c.fetch_add(static_cast<std::uint64_t>(d), std::memory_order_relaxed);
  }
  // For counters only the shard's own thread writes (the packet path): a plain load and store
  // instead of a locked read-modify-write per packet; readers still see whole values.
  void bump(std::atomic<std::uint64_t>& c, std::uint64_t d = 1) {
    c.store(c.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
  }
};

// A socket descriptor closed on destruction. The UDP sockets are plain descriptors rather than
// asio sockets: the shard polls them with its own epoll set (see udp_io.cpp), and an asio socket
// would also register them with asio's reactor, waking it for packets nobody waits on there.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset();

 private:
  int fd_ = -1;
};

class Shard;
class StreamConn;
struct PeerTcp;
struct Allocation;

// How a request reached us and how to answer: a UDP listener socket and the client's address,
// or a TCP/TLS connection.
struct Transport {
  Shard* shard = nullptr;
  int udp_listener = -1;  // index into Shard::udp_, or -1 for a stream
  stun::Endpoint client;  // the client's address as seen by us
  stun::Endpoint local;   // the server address the client reached (concrete, not wildcard)
  StreamConn* conn = nullptr;
  bool tls = false;
  bool stream() const { return conn != nullptr; }
};

// What was learnt while authenticating, needed to sign the answer.
struct AuthContext {
  std::array<std::uint8_t, 32> key{};
  std::size_t key_size = 0;
  bool sha256_integrity = false;  // the request used MESSAGE-INTEGRITY-SHA256
  std::string username;
  std::string quota_user;
  stun::Bytes key_bytes() const { return {key.data(), key_size}; }
};

struct Permission {
  stun::Endpoint ip;  // port ignored
  Clock::time_point expires;
};
struct Channel {
  std::uint16_t number = 0;
  stun::Endpoint peer;
  Clock::time_point expires;
};

inline constexpr std::uint32_t kNoSlot = 0xFFFFFFFF;

struct RelaySocket {
  Fd fd;
  stun::Endpoint bound;       // where the socket is bound
  stun::Endpoint advertised;  // what XOR-RELAYED-ADDRESS says (external address when set)
  std::uint32_t slot = kNoSlot;  // its entry in the shard's poll table while watched
};

// A TURN allocation; owned by its shard (and by its control connection for TCP/TLS clients).
struct Allocation : std::enable_shared_from_this<Allocation> {
  Shard* shard = nullptr;
  Transport transport;                  // the client's 5-tuple (conn: the control connection)
  std::weak_ptr<StreamConn> control;    // stream clients: keeps no connection alive
  stun::TransactionId allocate_tid{};
  std::vector<std::uint8_t> allocate_response;  // resent when the Allocate is retransmitted
  AuthContext auth;
  Clock::time_point expires;
  bool dead = false;
  bool tcp = false;  // RFC 6062 allocation
  std::vector<Permission> permissions;
  std::vector<Channel> channels;
  std::unique_ptr<RelaySocket> relay4, relay6;
  std::unique_ptr<asio::ip::tcp::acceptor> tcp_acceptor;  // RFC 6062 relayed address
  stun::Endpoint tcp_bound, tcp_advertised;
  std::vector<std::weak_ptr<PeerTcp>> peer_connections;
  // Token bucket for the bandwidth cap, refilled lazily from the shard's clock.
  double tokens = 0;
  Clock::time_point refilled;

  RelaySocket* relay_for(stun::Family f) {
    return f == stun::Family::ipv4 ? relay4.get() : relay6.get();
  }
  bool has_family(stun::Family f) const {
    if (tcp) return tcp_bound.family == f;
    return f == stun::Family::ipv4 ? relay4 != nullptr : relay6 != nullptr;
  }
  const Permission* permission(const stun::Endpoint& peer, Clock::time_point now) const {
    for (const auto& p : permissions)
      if (same_ip(p.ip, peer) && p.expires > now) return &p;
    return nullptr;
  }
  const Channel* channel_by_number(std::uint16_t n, Clock::time_point now) const {
    for (const auto& c : channels)
      if (c.number == n && c.expires > now) return &c;
    return nullptr;
  }
  const Channel* channel_by_peer(const stun::Endpoint& peer, Clock::time_point now) const {
    for (const auto& c : channels)
      if (c.peer == peer && c.expires > now) return &c;
    return nullptr;
  }
};

// A RFC 6062 TCP connection between the relay and a peer.
struct PeerTcp : std::enable_shared_from_this<PeerTcp> {
  explicit PeerTcp(asio::io_context& io) : socket(io) {}
  asio::ip::tcp::socket socket;
  Shard* shard = nullptr;
  std::uint32_t id = 0;
  stun::Endpoint peer;
  std::weak_ptr<Allocation> allocation;
  std::shared_ptr<StreamConn> data;  // set by ConnectionBind
  std::array<std::uint8_t, 16384> buffer{};
  bool closed = false;
  bool counted = false;  // in counters.tcp_connections
  void close();
  void start_pump();                              // on the peer's thread
  void write_from_client(std::shared_ptr<StreamConn> from, std::size_t n);  // on the peer's thread
};

// A TCP or TLS client connection: STUN/ChannelData frames until a ConnectionBind turns it into
// a raw pipe to one RFC 6062 peer connection. Lives on one shard's thread.
class StreamConn : public std::enable_shared_from_this<StreamConn> {
 public:
  virtual ~StreamConn() = default;
  virtual void start() = 0;
  // Queues bytes to the client (frames are written whole, in order). Drops when the client
  // does not keep up, like a congested UDP path would.
  virtual void write(stun::Bytes bytes) = 0;
  virtual void close() = 0;
  // RFC 6062 data connection: from now on bytes go to and come from `peer`.
  virtual void start_raw(std::shared_ptr<PeerTcp> peer) = 0;
  // Writes `n` bytes of peer->buffer, then lets the peer read again (on this conn's thread).
  virtual void write_from_peer(std::shared_ptr<PeerTcp> peer, std::size_t n) = 0;
  // Lets the client side read again after the peer wrote its bytes (on this conn's thread).
  virtual void resume_raw() = 0;
  virtual std::uint8_t* raw_buffer() = 0;

  Shard* shard = nullptr;
  Transport transport;
  std::shared_ptr<Allocation> allocation;  // the allocation made on this control connection
};

struct Reservation {
  int fd = -1;  // a UDP socket bound to the reserved port, handed to the Allocate that uses it
  stun::Endpoint bound;
  Clock::time_point expires;
};

// State shared by all shards.
struct Shared {
  explicit Shared(EdgeOptions o);
  EdgeOptions options;
  CredentialStore credentials;
  PeerFilter filter;
  std::array<std::uint8_t, 32> nonce_key{};
  std::vector<std::pair<std::array<std::uint8_t, 32>, std::string>> userhashes;  // → username
  std::optional<stun::Endpoint> external4, external6;
  std::vector<stun::Endpoint> relay_addresses;
  std::vector<stun::Endpoint> listener_hosts;  // every configured listener address (for families)

  std::mutex mutex;  // guards everything below
  std::unordered_map<std::string, unsigned> per_user;
  unsigned total_allocations = 0;
  std::unordered_map<std::uint64_t, Reservation> reservations;
  std::unordered_map<std::uint32_t, std::shared_ptr<PeerTcp>> pending_connections;
  std::unordered_map<std::uint32_t, Clock::time_point> pending_deadlines;

  // Quota: reserves a slot for `user`; returns 0 or the STUN error code (486/508).
  std::uint16_t take_quota(const std::string& user);
  void release_quota(const std::string& user);
};

struct UdpListener {
  Fd fd;
  stun::Endpoint local;  // as bound (port resolved)
  bool wildcard = false;
};

// An io_context whose handlers can be destroyed before any shard's sockets are: at stop, every
// shard's queue may hold handlers that own another shard's connections.
struct ShardContext : asio::io_context {
  ShardContext() : asio::io_context(1) {}
  using asio::io_context::shutdown;
};

class Shard {
 public:
  Shard(Shared& shared, std::size_t index);
  ~Shard();

  ShardContext io;
  Shared& shared;
  std::size_t index;
  AtomicCounters counters;
  Clock::time_point now = Clock::now();  // refreshed once per batch

  // UDP listener `i` bound with SO_REUSEPORT (port 0: the port chosen by shard 0).
  void open_udp(const stun::Endpoint& at);
  const std::vector<std::unique_ptr<UdpListener>>& udp() const { return udp_; }
  void start();  // arms reads and the sweep timer (call before io.run())
  void shutdown();  // on the shard's thread: closes everything

  // turn_server.cpp
  void handle_stun(const Transport& t, stun::Bytes packet);
  void handle_channel_data(const Transport& t, stun::Bytes packet, Allocation* alloc);
  void send_to_client(const Transport& t, stun::Bytes bytes);
  Allocation* find_udp_allocation(int listener, const stun::Endpoint& client);
  void release(const std::shared_ptr<Allocation>& a);  // deletes an allocation
  void connection_attempt(Allocation& a, std::shared_ptr<PeerTcp> peer);

  // udp_io.cpp
  // Adds a relay socket to the shard's poll set / removes it (before its descriptor closes).
  void watch_relay(Allocation& a, RelaySocket& r);
  void unwatch_relay(RelaySocket& r);
  // Relays `data` to `peer` from the allocation's relay socket (client→peer path).
  void relay_to_peer(Allocation& a, const stun::Endpoint& peer, stun::Bytes data);
  bool take_tokens(Allocation& a, std::size_t bytes);
  // Sends every queued datagram. Safe at any time: it does not recycle the receive slots.
  void flush_sends();

 private:
  void sweep();
  void arm_poll();
  void on_ready();
  void drain_listener(std::size_t i);
  void drain_relay(Allocation& a, RelaySocket& r);
  // Flushes and recycles the slots when fewer than kBatch remain; returns how many datagrams
  // the next recvmmsg may take. Called only between batches, never while one is processed.
  std::size_t make_room();
  void queue_send(int fd, const stun::Endpoint& to, const std::uint8_t* data, std::size_t size);
  // turn_server.cpp helpers
  void handle_request(const Transport& t, const stun::MessageView& m);
  bool authenticate(const Transport& t, const stun::MessageView& m, Allocation* existing,
                    AuthContext& out);
  void on_allocate(const Transport& t, const stun::MessageView& m, const AuthContext& auth);
  void on_refresh(const Transport& t, const stun::MessageView& m, const AuthContext& auth,
                  Allocation* a);
  void on_create_permission(const Transport& t, const stun::MessageView& m,
                            const AuthContext& auth, Allocation* a);
  void on_channel_bind(const Transport& t, const stun::MessageView& m, const AuthContext& auth,
                       Allocation* a);
  void on_send(const Transport& t, const stun::MessageView& m);
  void on_connect(const Transport& t, const stun::MessageView& m, const AuthContext& auth,
                  Allocation* a);
  void on_connection_bind(const Transport& t, const stun::MessageView& m,
                          const AuthContext& auth);
  void reply_error(const Transport& t, const stun::MessageView& m, std::uint16_t code,
                   const AuthContext* auth);
  void reply_challenge(const Transport& t, const stun::MessageView& m, std::uint16_t code);
  std::unique_ptr<RelaySocket> open_relay(const stun::Endpoint& ip, bool even, bool reserve_next,
                                          std::uint64_t* token, bool dont_fragment);
  std::optional<stun::Endpoint> relay_ip(const Transport& t, stun::Family f) const;
  stun::Endpoint advertise(const stun::Endpoint& bound) const;
  void accept_peer(const std::shared_ptr<Allocation>& a);

  std::vector<std::unique_ptr<UdpListener>> udp_;
  struct UdpKeyHash {
    std::size_t operator()(const std::pair<int, stun::Endpoint>& k) const noexcept {
      return EndpointHash{}(k.second) * 31 + static_cast<std::size_t>(k.first);
    }
  };
  std::unordered_map<std::pair<int, stun::Endpoint>, std::shared_ptr<Allocation>, UdpKeyHash>
      udp_allocations_;
  std::vector<std::shared_ptr<Allocation>> allocations_;  // every live one, for the sweep
  asio::steady_timer sweep_timer_{io};

  // The shard's own level-triggered epoll set holding its UDP listeners and relay sockets.
  // asio waits on this one descriptor; each wake drains every ready socket and flushes the
  // sends once, so a reactor turn costs one epoll_wait and one sendmmsg per outgoing socket
  // rather than an asio operation, an epoll_ctl re-arm and a send per socket.
  asio::posix::stream_descriptor poller_{io};
  // Poll table: an epoll event carries (generation << 32 | index) of a relay socket's entry,
  // or kListenerTag | listener index. A released allocation's entry gets a new generation, so
  // events already fetched for it in the same turn are ignored.
  static constexpr std::uint64_t kListenerTag = 1ull << 63;
  struct PollEntry {
    Allocation* allocation = nullptr;
    RelaySocket* relay = nullptr;
    std::uint32_t generation = 0;
  };
  std::vector<PollEntry> poll_table_;
  std::vector<std::uint32_t> free_entries_;

  // Packet-path buffers, reused for every turn (no allocation per packet). Left uninitialised
  // so only the pages datagrams actually touch become resident.
  std::unique_ptr<std::uint8_t[]> recv_buffers_;  // kPool slots of kSlot bytes
  std::unique_ptr<std::uint8_t[]> out_buffers_;   // kPool slots for Data indications
  std::size_t recv_used_ = 0, out_used_ = 0;
  std::array<std::uint8_t, 2048> reply_{};  // control responses
  union SockAddr {
    sockaddr_in v4;
    sockaddr_in6 v6;
  };
  struct PendingSend {
    int fd;
    socklen_t to_len;
    SockAddr to;
    iovec iov;
  };
  std::vector<PendingSend> sends_;

 public:
  std::uint8_t* recv_slot(std::size_t i) { return recv_buffers_.get() + i * kSlot; }
  std::uint8_t* out_slot();  // next free Data-indication buffer, or nullptr when all are used
};

}  // namespace parley::relay::detail
