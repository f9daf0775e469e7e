// The CPU floor of a UDP relay on this machine, for bench/relay.sh: the cheapest forwarder that
// does the packet work a TURN server does for ChannelData (RFC 8656 §12.4), and nothing else, under
// the load turnutils_uclient puts on coturn and Parley's edge.
//
// Two processes, so the forwarder's CPU is its own:
//   forwarder (forked child)  T threads, each with its own SO_REUSEPORT listener on one loopback
//                             port and its own epoll set. A new client source address gets a relay
//                             socket (127.0.0.1:0). Client datagrams carry a 4-byte ChannelData
//                             header that is stripped before the payload goes to the peer from that
//                             client's relay socket; the peer's echo gets the header written into 4
//                             bytes of headroom and goes back to the client from the listener.
//                             recvmmsg in batches of 32, one sendmmsg per socket per epoll turn.
//   clients (parent)          C sockets; every D/M ms each sends one datagram (a burst of C per
//                             tick, as uclient does) and the echoes are counted.
// The forwarder's CPU (CLOCK_PROCESS_CPUTIME_ID) is taken between "start" and "stop" bytes on a
// pipe; one warm-up datagram per client before "start" keeps relay socket creation out of it.
// Needs an echo peer, e.g. `turnutils_peer -L 127.0.0.1 -p PORT` (coturn's, as relay.sh runs).
//
//   relay_floor --peer 127.0.0.1:PORT [--threads 2] [--clients 100] [--messages 1000]
//               [--length 120] [--duration-ms 20000] [--deadline 120] [--port 0]
// Prints one line (packets counted as uclient counts them: client->peer plus peer->client):
//   relay_floor: forwarded N packets (S sent, R echoed back), lost X, forwarder CPU Y s: Z us/packet

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  sockaddr_in peer{};
  int threads = 2;
  int clients = 100;
  int messages = 1000;
  int length = 120;
  int duration_ms = 20000;
  int deadline_s = 120;
  int port = 0;
};

constexpr std::size_t kHeader = 4;  // ChannelData: channel number (2), length (2)
constexpr std::uint16_t kChannel = 0x4000;
constexpr std::size_t kSlotBytes = 2048;  // headroom + the largest datagram this bench sends
constexpr unsigned kBatch = 32;
constexpr unsigned kPoolSlots = 1024;  // datagrams one forwarder thread holds in one turn
constexpr int kMaxEvents = 256;
constexpr std::uint32_t kWarmupMark = 0xFFFFFFFF;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "relay_floor: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int udp_socket() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  return fd;
}

std::uint64_t address_key(const sockaddr_in& a) {
  return (static_cast<std::uint64_t>(a.sin_addr.s_addr) << 16) | a.sin_port;
}

// ---------------------------------------------------------------------------------------------
// Forwarder

// One client's relay socket and the payloads queued to the peer from it in this turn (a list
// threaded through the slots, so queueing never allocates).
struct Relay {
  int fd = -1;
  sockaddr_in client{};
  int head = -1;
  int tail = -1;
};

struct Slot {
  alignas(16) std::uint8_t bytes[kSlotBytes];
};

class ForwarderThread {
 public:
  ForwarderThread(int listener, const sockaddr_in& peer)
      : listener_(listener),
        peer_(peer),
        slots_(std::make_unique<Slot[]>(kPoolSlots)),
        names_(kPoolSlots),
        iovs_(kPoolSlots),
        next_(kPoolSlots, -1),
        scratch_(kPoolSlots),
        scratch_iov_(kPoolSlots) {
    to_clients_.reserve(kPoolSlots);
    dirty_.reserve(kPoolSlots);
    relays_.reserve(1024);
    by_client_.reserve(1024);
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) die("epoll_create1");
    watch(listener_, kListenerTag);
  }

  [[noreturn]] void run() {
    epoll_event events[kMaxEvents];
    for (;;) {
      const int n = ::epoll_wait(epoll_, events, kMaxEvents, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        die("epoll_wait");
      }
      for (int i = 0; i < n; ++i) {
        const std::uint64_t tag = events[i].data.u64;
        if (tag == kListenerTag) {
          drain(listener_, -1);
        } else {
          drain(relays_[static_cast<std::size_t>(tag)].fd, static_cast<int>(tag));
        }
      }
      flush();
    }
  }

 private:
  static constexpr std::uint64_t kListenerTag = ~std::uint64_t{0};

  void watch(int fd, std::uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;  // level-triggered: a socket not drained this turn comes back next turn
    ev.data.u64 = tag;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
  }

  // Reads the socket until it has less than a batch waiting. relay < 0: the listener.
  void drain(int fd, int relay) {
    for (;;) {
      if (kPoolSlots - used_ < kBatch) flush();
      mmsghdr msgs[kBatch];
      for (unsigned i = 0; i < kBatch; ++i) {
        const unsigned s = used_ + i;
        // Receive 4 bytes in, so a peer datagram can get its header without a copy.
        iovs_[s] = {slots_[s].bytes + kHeader, kSlotBytes - kHeader};
        msgs[i].msg_hdr = {};
        msgs[i].msg_hdr.msg_name = &names_[s];
        msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
        msgs[i].msg_hdr.msg_iov = &iovs_[s];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = ::recvmmsg(fd, msgs, kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) return;
      for (int i = 0; i < n; ++i) {
        const unsigned s = used_ + static_cast<unsigned>(i);
        if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) continue;
        if (relay < 0) {
          from_client(static_cast<int>(s), msgs[i].msg_len);
        } else {
          from_peer(static_cast<int>(s), msgs[i].msg_len, relay);
        }
      }
      used_ += static_cast<unsigned>(n);
      if (static_cast<unsigned>(n) < kBatch) return;
    }
  }

  void from_client(int s, unsigned len) {
    std::uint8_t* d = slots_[s].bytes + kHeader;
    if (len < kHeader || d[0] < 0x40 || d[0] > 0x7F) return;  // not ChannelData: dropped
    const unsigned payload = (unsigned{d[2]} << 8) | d[3];
    if (payload > len - kHeader) return;
    const auto& from = names_[static_cast<std::size_t>(s)];
    int relay;
    if (const auto it = by_client_.find(address_key(from)); it != by_client_.end()) {
      relay = it->second;
    } else {
      relay = open_relay(from);
      if (relay < 0) return;
    }
    iovs_[s] = {d + kHeader, payload};
    Relay& r = relays_[static_cast<std::size_t>(relay)];
    if (r.head < 0) {
      r.head = s;
      dirty_.push_back(relay);
    } else {
      next_[static_cast<std::size_t>(r.tail)] = s;
    }
    r.tail = s;
    next_[static_cast<std::size_t>(s)] = -1;
  }

  void from_peer(int s, unsigned len, int relay) {
    std::uint8_t* d = slots_[s].bytes;
    d[0] = kChannel >> 8;
    d[1] = kChannel & 0xFF;
    d[2] = static_cast<std::uint8_t>(len >> 8);
    d[3] = static_cast<std::uint8_t>(len);
    iovs_[s] = {d, len + kHeader};
    names_[static_cast<std::size_t>(s)] = relays_[static_cast<std::size_t>(relay)].client;
    to_clients_.push_back(s);
  }

  int open_relay(const sockaddr_in& client) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const sockaddr_in any = loopback(0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&any), sizeof any) < 0) {
      if (!relay_error_reported_) std::fprintf(stderr, "relay_floor: relay socket: %s\n", std::strerror(errno));
      relay_error_reported_ = true;
      if (fd >= 0) ::close(fd);
      return -1;
    }
    const int index = static_cast<int>(relays_.size());
    relays_.push_back({fd, client, -1, -1});
    by_client_.emplace(address_key(client), index);
    watch(fd, static_cast<std::uint64_t>(index));
    return index;
  }

  void send_all(int fd, unsigned count) {
    unsigned done = 0;
    while (done < count) {
      const int n = ::sendmmsg(fd, scratch_.data() + done, count - done, MSG_DONTWAIT);
      if (n > 0) {
        done += static_cast<unsigned>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;  // socket buffer full: the rest is lost, as a relay would lose it
      } else {
        ++done;  // this one datagram failed; the rest still go
      }
    }
  }

  void fill(unsigned i, int s, const sockaddr_in* to) {
    scratch_iov_[i] = iovs_[static_cast<std::size_t>(s)];
    scratch_[i].msg_hdr = {};
    scratch_[i].msg_hdr.msg_name = const_cast<sockaddr_in*>(to);
    scratch_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    scratch_[i].msg_hdr.msg_iov = &scratch_iov_[i];
    scratch_[i].msg_hdr.msg_iovlen = 1;
  }

  void flush() {
    for (const int relay : dirty_) {
      Relay& r = relays_[static_cast<std::size_t>(relay)];
      unsigned count = 0;
      for (int s = r.head; s >= 0; s = next_[static_cast<std::size_t>(s)]) fill(count++, s, &peer_);
      send_all(r.fd, count);
      r.head = r.tail = -1;
    }
    dirty_.clear();
    unsigned count = 0;
    for (const int s : to_clients_) fill(count++, s, &names_[static_cast<std::size_t>(s)]);
    send_all(listener_, count);
    to_clients_.clear();
    used_ = 0;
  }

  int listener_;
  sockaddr_in peer_;
  int epoll_ = -1;
  std::unique_ptr<Slot[]> slots_;
  std::vector<sockaddr_in> names_;  // per slot: the sender, then for client-bound ones the client
  std::vector<iovec> iovs_;         // per slot: the bytes to send on
  std::vector<int> next_;           // per slot: the next payload queued on the same relay socket
  std::vector<mmsghdr> scratch_;
  std::vector<iovec> scratch_iov_;
  std::vector<int> to_clients_;
  std::vector<int> dirty_;  // relays with payloads queued this turn
  std::vector<Relay> relays_;
  std::unordered_map<std::uint64_t, int> by_client_;
  unsigned used_ = 0;
  bool relay_error_reported_ = false;
};

// The child: never returns. Writes 'r' once the threads are up, then the CPU seconds between
// 's' and 'x' as text.
[[noreturn]] void forwarder(const std::vector<int>& listeners, const sockaddr_in& peer, int control, int report,
                            pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1);
  std::atomic<int> ready{0};
  for (const int fd : listeners) {
    std::thread([fd, &peer, &ready] {
      ForwarderThread t(fd, peer);
      ready.fetch_add(1);
      t.run();
    }).detach();
  }
  while (ready.load() < static_cast<int>(listeners.size())) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (::write(report, "r", 1) != 1) ::_exit(1);
  timespec start{};
  for (;;) {
    char c = 0;
    const ssize_t n = ::read(control, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n != 1) ::_exit(1);  // the parent is gone
    if (c == 's') {
      ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
    } else if (c == 'x') {
      timespec stop{};
      ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &stop);
      const double cpu = static_cast<double>(stop.tv_sec - start.tv_sec) +
                         static_cast<double>(stop.tv_nsec - start.tv_nsec) * 1e-9;
      char text[64];
      const int len = std::snprintf(text, sizeof text, "%.6f\n", cpu);
      const bool ok = ::write(report, text, static_cast<std::size_t>(len)) == len;
      ::_exit(ok ? 0 : 1);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Clients

class Clients {
 public:
  Clients(const Options& opt, const sockaddr_in& forwarder) : opt_(opt) {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) die("epoll_create1");
    const sockaddr_in any = loopback(0);
    for (int i = 0; i < opt.clients; ++i) {
      const int fd = udp_socket();
      if (::bind(fd, reinterpret_cast<const sockaddr*>(&any), sizeof any) < 0) die("bind client");
      if (::connect(fd, reinterpret_cast<const sockaddr*>(&forwarder), sizeof forwarder) < 0) die("connect client");
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
      fds_.push_back(fd);
    }
    datagram_.assign(kHeader + static_cast<std::size_t>(opt.length), 0x5A);
    datagram_[0] = kChannel >> 8;
    datagram_[1] = kChannel & 0xFF;
    datagram_[2] = static_cast<std::uint8_t>(opt.length >> 8);
    datagram_[3] = static_cast<std::uint8_t>(opt.length);
  }

  // Sends one uncounted datagram from every client and waits up to 2 s for their echoes.
  long warm_up(Clock::time_point deadline) {
    burst(kWarmupMark);
    receive_until([this] { return warmup_echoes_ >= opt_.clients; },
                  std::min(deadline, Clock::now() + std::chrono::seconds(2)));
    return warmup_echoes_;
  }

  // The measured load. Returns false when the deadline cut it short.
  bool run(Clock::time_point deadline) {
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double, std::milli>(static_cast<double>(opt_.duration_ms) / opt_.messages));
    const auto t0 = Clock::now();
    for (int tick = 0; tick < opt_.messages; ++tick) {
      const auto due = t0 + interval * tick;  // absolute schedule: a late tick does not shift the rest
      receive_until([] { return false; }, std::min(due, deadline));
      if (Clock::now() >= deadline) return false;
      burst(static_cast<std::uint32_t>(tick));
    }
    receive_until([this] { return echoed_ >= sent_; }, std::min(deadline, Clock::now() + std::chrono::seconds(2)));
    return echoed_ >= sent_ || Clock::now() < deadline;
  }

  long sent() const { return sent_; }
  long echoed() const { return echoed_; }
  long send_failures() const { return send_failures_; }

 private:
  void burst(std::uint32_t mark) {
    if (opt_.length >= 4) std::memcpy(datagram_.data() + kHeader, &mark, sizeof mark);
    for (const int fd : fds_) {
      if (::send(fd, datagram_.data(), datagram_.size(), 0) == static_cast<ssize_t>(datagram_.size())) {
        if (mark != kWarmupMark) ++sent_;
      } else {
        ++send_failures_;
      }
    }
  }

  template <class Done>
  void receive_until(Done done, Clock::time_point until) {
    epoll_event events[kMaxEvents];
    while (!done()) {
      const auto left = until - Clock::now();
      if (left <= Clock::duration::zero()) return;
      // Round up, so the loop sleeps until the tick instead of spinning through its last millisecond.
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
      const int n = ::epoll_wait(epoll_, events, kMaxEvents, static_cast<int>(ms));
      if (n < 0 && errno != EINTR) die("epoll_wait");
      for (int i = 0; i < n; ++i) drain(events[i].data.fd);
    }
  }

  void drain(int fd) {
    constexpr unsigned kRecvBatch = 16;
    static std::uint8_t buffers[kRecvBatch][kSlotBytes];
    mmsghdr msgs[kRecvBatch];
    iovec iovs[kRecvBatch];
    for (;;) {
      for (unsigned i = 0; i < kRecvBatch; ++i) {
        iovs[i] = {buffers[i], kSlotBytes};
        msgs[i].msg_hdr = {};
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = ::recvmmsg(fd, msgs, kRecvBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) return;
      for (int i = 0; i < n; ++i) {
        if (msgs[i].msg_len != datagram_.size()) continue;
        std::uint32_t mark = 0;
        if (opt_.length >= 4) std::memcpy(&mark, buffers[i] + kHeader, sizeof mark);
        if (mark == kWarmupMark) {
          ++warmup_echoes_;
        } else {
          ++echoed_;
        }
      }
      if (static_cast<unsigned>(n) < kRecvBatch) return;
    }
  }

  const Options& opt_;
  int epoll_ = -1;
  std::vector<int> fds_;
  std::vector<std::uint8_t> datagram_;
  long sent_ = 0;
  long echoed_ = 0;
  long warmup_echoes_ = 0;
  long send_failures_ = 0;
};

// Reads one line from the forwarder, waiting at most timeout_ms.
std::string read_report(int fd, int timeout_ms) {
  std::string text;
  const auto until = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (text.empty() || text.back() != '\n') {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char c = 0;
    if (::read(fd, &c, 1) != 1) break;
    text.push_back(c);
    if (c == 'r') break;
  }
  return text;
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "relay_floor: %s\nusage: relay_floor --peer 127.0.0.1:PORT [--threads 2] [--clients 100] "
               "[--messages 1000] [--length 120] [--duration-ms 20000] [--deadline 120] [--port 0]\n",
               why);
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options o;
  bool have_peer = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) usage("missing value");
    const std::string v = argv[++i];
    const int number = std::atoi(v.c_str());
    if (a == "--peer") {
      const auto colon = v.rfind(':');
      if (colon == std::string::npos) usage("--peer wants IP:PORT");
      o.peer.sin_family = AF_INET;
      o.peer.sin_port = htons(static_cast<std::uint16_t>(std::atoi(v.c_str() + colon + 1)));
      if (::inet_pton(AF_INET, v.substr(0, colon).c_str(), &o.peer.sin_addr) != 1) usage("bad IPv4 address");
      if ((ntohl(o.peer.sin_addr.s_addr) >> 24) != 127) usage("--peer must be a loopback address");
      have_peer = true;
    } else if (a == "--threads") {
      o.threads = number;
    } else if (a == "--clients") {
      o.clients = number;
    } else if (a == "--messages") {
      o.messages = number;
    } else if (a == "--length") {
      o.length = number;
    } else if (a == "--duration-ms") {
      o.duration_ms = number;
    } else if (a == "--deadline") {
      o.deadline_s = number;
    } else if (a == "--port") {
      o.port = number;
    } else {
      usage("unknown option");
    }
  }
  if (!have_peer) usage("--peer is required");
  if (o.threads < 1 || o.threads > 64 || o.clients < 1 || o.clients > 10000 || o.messages < 1 ||
      o.duration_ms < 0 || o.deadline_s < 1 || o.port < 0 || o.port > 65535) {
    usage("counts must be positive (threads at most 64, clients at most 10000)");
  }
  if (o.length < 4 || o.length + kHeader + kHeader > kSlotBytes) usage("--length must be 4..2040");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse_options(argc, argv);
  const auto deadline = Clock::now() + std::chrono::seconds(opt.deadline_s);

  // The listeners are bound here so the port is known before the fork; the child owns them.
  std::vector<int> listeners;
  sockaddr_in where = loopback(static_cast<std::uint16_t>(opt.port));
  for (int t = 0; t < opt.threads; ++t) {
    const int fd = udp_socket();
    const int one = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) die("SO_REUSEPORT");
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&where), sizeof where) < 0) die("bind listener");
    socklen_t len = sizeof where;
    if (t == 0 && ::getsockname(fd, reinterpret_cast<sockaddr*>(&where), &len) < 0) die("getsockname");
    listeners.push_back(fd);
  }

  int control[2];
  int report[2];
  if (::pipe2(control, O_CLOEXEC) < 0 || ::pipe2(report, O_CLOEXEC) < 0) die("pipe");
  const pid_t parent = ::getpid();
  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child < 0) die("fork");
  if (child == 0) {
    ::close(control[1]);
    ::close(report[0]);
    forwarder(listeners, opt.peer, control[0], report[1], parent);
  }
  ::close(control[0]);
  ::close(report[1]);
  for (const int fd : listeners) ::close(fd);

  int status = 1;
  auto finish = [&](int code) {
    ::close(control[1]);  // the child exits on EOF if it has not already
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    std::exit(code);
  };
  if (read_report(report[0], 5000) != "r") {
    std::fprintf(stderr, "relay_floor: the forwarder did not start\n");
    finish(1);
  }

  Clients clients(opt, where);
  const long warmed = clients.warm_up(deadline);
  if (warmed < opt.clients) {
    std::fprintf(stderr, "relay_floor: %ld of %d warm-up datagrams came back (is the peer echoing at %s:%d?)\n",
                 warmed, opt.clients, inet_ntoa(opt.peer.sin_addr), ntohs(opt.peer.sin_port));
    if (warmed == 0) finish(1);
  }

  if (::write(control[1], "s", 1) != 1) die("write start");
  const bool complete = clients.run(deadline);
  if (::write(control[1], "x", 1) != 1) die("write stop");
  const std::string figure = read_report(report[0], 5000);
  if (figure.empty() || figure.back() != '\n') {
    std::fprintf(stderr, "relay_floor: the forwarder did not report its CPU time\n");
    finish(1);
  }
  const double cpu = std::strtod(figure.c_str(), nullptr);

  const long sent = clients.sent();
  const long echoed = clients.echoed();
  const long packets = sent + echoed;
  std::printf("relay_floor: forwarded %ld packets (%ld sent, %ld echoed back), lost %ld, forwarder CPU %.3f s: "
              "%.3f us/packet\n",
              packets, sent, echoed, sent - echoed, cpu, packets > 0 ? cpu * 1e6 / static_cast<double>(packets) : 0.0);
  std::fflush(stdout);
  if (clients.send_failures() > 0) {
    std::fprintf(stderr, "relay_floor: %ld client sends failed\n", clients.send_failures());
  }
  status = 0;
  if (!complete) {
    std::fprintf(stderr, "relay_floor: deadline of %d s reached before the run finished\n", opt.deadline_s);
    status = 3;
  }
  if (packets == 0) status = 1;
  finish(status);
}
