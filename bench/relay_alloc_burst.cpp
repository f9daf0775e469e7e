// Allocation burst client for bench/relay.sh: N TURN allocations over UDP against one server,
// each made the way a fresh client makes it and then released at once:
//   Allocate (no credentials) -> 401 with REALM and NONCE -> Allocate with long-term credentials
//   -> Refresh with LIFETIME 0.
// Every allocation uses a new socket bound to its own loopback source address (127.1.0.0 +
// source offset + its number), as a burst of new callers from different hosts would: a 5-tuple is
// never used twice, so no server sees a new Allocate on the 5-tuple of one it has just released
// (coturn answers that with 437 for a while after the Refresh). K slots
// are kept busy at once, spread over T threads (one epoll loop each). Lost datagrams are
// retransmitted with the same transaction id; a transaction that stays unanswered after a few
// tries, or any error answer other than 438 (Stale Nonce, retried with the new nonce), counts the
// allocation as failed. Works against any RFC 8656 server (coturn and Parley alike).
//
//   relay_alloc_burst --server 127.0.0.1:3478 --user U --password P [--count 20000]
//                     [--concurrency 64] [--threads 1] [--deadline 120] [--source-offset 0]
// Prints one line:
//   alloc_burst: N allocations in S s: R allocations/s; failed F; retransmitted X; first error: ...

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "proto/stun/stun.hpp"

namespace {

namespace stun = parley::stun;
using Clock = std::chrono::steady_clock;

struct Options {
  sockaddr_in server{};
  std::string user;
  std::string password;
  long count = 20000;
  int concurrency = 64;
  int threads = 1;
  int deadline_s = 120;
  std::uint32_t source_offset = 0;
};

constexpr std::uint32_t kSourceBase = 0x7F010000;      // 127.1.0.0
constexpr std::uint32_t kSourceAddresses = 0x00FEFFFF;  // up to 127.255.255.254

constexpr auto kRetransmitAfter = std::chrono::milliseconds(500);
constexpr int kMaxTries = 5;
constexpr std::uint8_t kUdp = 17;

struct Shared {
  const Options* opt = nullptr;
  std::atomic<long> next{0};  // allocations handed out so far
  std::atomic<long> done{0};
  std::atomic<long> failed{0};
  std::atomic<long> retransmitted{0};
  std::mutex error_mutex;
  std::string first_error;
  Clock::time_point deadline;

  void fail(std::string why) {
    failed.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(error_mutex);
    if (first_error.empty()) first_error = std::move(why);
  }
};

enum class Step { idle, probe, allocate, release };

struct Slot {
  int fd = -1;
  Step step = Step::idle;
  stun::TransactionId tid{};
  std::array<std::uint8_t, 512> request{};
  std::size_t request_size = 0;
  Clock::time_point sent_at{};
  int tries = 0;
  int challenges = 0;  // 401/438 answers within this allocation
  std::string realm;
  std::string nonce;
};

class Worker {
 public:
  Worker(Shared& shared, int slots) : shared_(shared), slots_(static_cast<std::size_t>(slots)) {}

  void run() {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) {
      shared_.fail("epoll_create1 failed");
      return;
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) start(i);
    std::array<epoll_event, 256> events{};
    std::array<std::uint8_t, 2048> buf{};
    while (busy() > 0 && Clock::now() < shared_.deadline) {
      const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 50);
      for (int e = 0; e < n; ++e) {
        const auto i = static_cast<std::size_t>(events[static_cast<std::size_t>(e)].data.u64);
        Slot& s = slots_[i];
        if (s.fd < 0) continue;
        for (;;) {
          const ssize_t got = ::recv(s.fd, buf.data(), buf.size(), MSG_DONTWAIT);
          if (got <= 0) break;
          on_answer(i, stun::Bytes(buf.data(), static_cast<std::size_t>(got)));
          if (slots_[i].fd < 0 || slots_[i].step == Step::idle) break;
        }
      }
      retransmit_due();
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].step != Step::idle) {
        shared_.fail("unfinished at the deadline");
        close_slot(slots_[i]);
      }
    }
    ::close(epoll_);
  }

 private:
  std::size_t busy() const {
    std::size_t n = 0;
    for (const auto& s : slots_) n += s.step != Step::idle ? 1 : 0;
    return n;
  }

  void close_slot(Slot& s) {
    if (s.fd >= 0) ::close(s.fd);
    s.fd = -1;
    s.step = Step::idle;
  }

  // Takes the next allocation from the shared count, on a fresh socket.
  void start(std::size_t i) {
    Slot& s = slots_[i];
    close_slot(s);
    const long n = shared_.next.fetch_add(1, std::memory_order_relaxed);
    if (n >= shared_.opt->count) return;
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr =
        htonl(kSourceBase + (shared_.opt->source_offset + static_cast<std::uint32_t>(n)) % kSourceAddresses);
    s.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0 || ::bind(s.fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0 ||
        ::connect(s.fd, reinterpret_cast<const sockaddr*>(&shared_.opt->server), sizeof(sockaddr_in)) != 0) {
      shared_.fail(std::string("socket/connect: ") + std::strerror(errno));
      close_slot(s);
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, s.fd, &ev);
    s.realm.clear();
    s.nonce.clear();
    s.challenges = 0;
    send_step(s, Step::probe);
  }

  void finish(std::size_t i, bool ok, std::string why = {}) {
    if (ok) {
      shared_.done.fetch_add(1, std::memory_order_relaxed);
    } else {
      shared_.fail(std::move(why));
    }
    start(i);
  }

  const std::array<std::uint8_t, 16>& key_for(const std::string& realm) {
    if (realm != key_realm_ || !have_key_) {
      key_ = stun::long_term_key_md5(shared_.opt->user, realm, shared_.opt->password);
      key_realm_ = realm;
      have_key_ = true;
    }
    return key_;
  }

  void send_step(Slot& s, Step step) {
    s.step = step;
    s.tid = stun::random_transaction_id();
    s.tries = 0;
    const auto method = step == Step::release ? stun::Method::refresh : stun::Method::allocate;
    stun::MessageWriter w(s.request, method, stun::Class::request, s.tid);
    if (step == Step::release) {
      w.add_u32(stun::attr::lifetime, 0);
    } else {
      w.add_requested_transport(kUdp);
    }
    if (step != Step::probe) {
      const auto& key = key_for(s.realm);
      w.add_text(stun::attr::username, shared_.opt->user)
          .add_text(stun::attr::realm, s.realm)
          .add_text(stun::attr::nonce, s.nonce)
          .add_integrity(stun::Bytes(key.data(), key.size()));
    }
    w.add_fingerprint();
    const auto bytes = w.finish();
    s.request_size = bytes.size();
    transmit(s);
  }

  void transmit(Slot& s) {
    ++s.tries;
    s.sent_at = Clock::now();
    // A full socket buffer is treated like a lost datagram: the retransmission timer resends.
    (void)::send(s.fd, s.request.data(), s.request_size, MSG_DONTWAIT);
  }

  void retransmit_due() {
    const auto now = Clock::now();
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      Slot& s = slots_[i];
      if (s.step == Step::idle || now - s.sent_at < kRetransmitAfter) continue;
      if (s.tries >= kMaxTries) {
        finish(i, false, "no answer after " + std::to_string(kMaxTries) + " tries");
        continue;
      }
      shared_.retransmitted.fetch_add(1, std::memory_order_relaxed);
      transmit(s);
    }
  }

  void on_answer(std::size_t i, stun::Bytes bytes) {
    Slot& s = slots_[i];
    const auto m = stun::MessageView::parse(bytes);
    if (!m || m->transaction_id() != s.tid) return;  // stale answer to an earlier try
    if (m->message_class() == stun::Class::success) {
      if (s.step == Step::allocate) {
        send_step(s, Step::release);
      } else if (s.step == Step::release) {
        finish(i, true);
      } else {
        finish(i, false, "Allocate without credentials succeeded");
      }
      return;
    }
    if (m->message_class() != stun::Class::error) return;
    const auto ec_attr = m->find(stun::attr::error_code);
    const auto ec = ec_attr ? stun::decode_error_code(*ec_attr) : std::nullopt;
    const std::uint16_t code = ec ? ec->code : 0;
    const auto realm = m->find(stun::attr::realm);
    const auto nonce = m->find(stun::attr::nonce);
    const bool challenge = (code == stun::error::unauthenticated && s.step == Step::probe) ||
                           code == stun::error::stale_nonce;
    if (challenge && realm && nonce && ++s.challenges <= 3) {
      s.realm = std::string(stun::as_text(*realm));
      s.nonce = std::string(stun::as_text(*nonce));
      send_step(s, s.step == Step::probe ? Step::allocate : s.step);
      return;
    }
    // A retransmitted Refresh can find its allocation already gone.
    if (s.step == Step::release && code == stun::error::allocation_mismatch && s.tries > 1) {
      finish(i, true);
      return;
    }
    const char* what = s.step == Step::probe ? "Allocate (first)" : s.step == Step::allocate ? "Allocate" : "Refresh";
    finish(i, false, std::string(what) + " answered " + std::to_string(code) + " " +
                         std::string(ec ? ec->reason : std::string_view{}));
  }

  Shared& shared_;
  std::vector<Slot> slots_;
  int epoll_ = -1;
  std::array<std::uint8_t, 16> key_{};
  std::string key_realm_;
  bool have_key_ = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "relay_alloc_burst: %s\nusage: relay_alloc_burst --server IP:PORT --user U --password P "
               "[--count N] [--concurrency K] [--threads T] [--deadline S] [--source-offset O]\n",
               why);
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options o;
  bool have_server = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) usage("missing value");
    const std::string v = argv[++i];
    if (a == "--server") {
      const auto colon = v.rfind(':');
      if (colon == std::string::npos) usage("--server wants IP:PORT");
      o.server.sin_family = AF_INET;
      o.server.sin_port = htons(static_cast<std::uint16_t>(std::atoi(v.c_str() + colon + 1)));
      if (::inet_pton(AF_INET, v.substr(0, colon).c_str(), &o.server.sin_addr) != 1) usage("bad IPv4 address");
      have_server = true;
    } else if (a == "--user") {
      o.user = v;
    } else if (a == "--password") {
      o.password = v;
    } else if (a == "--count") {
      o.count = std::atol(v.c_str());
    } else if (a == "--concurrency") {
      o.concurrency = std::atoi(v.c_str());
    } else if (a == "--threads") {
      o.threads = std::atoi(v.c_str());
    } else if (a == "--source-offset") {
      o.source_offset = static_cast<std::uint32_t>(std::strtoul(v.c_str(), nullptr, 10));
    } else if (a == "--deadline") {
      o.deadline_s = std::atoi(v.c_str());
    } else {
      usage("unknown option");
    }
  }
  if (!have_server || o.user.empty()) usage("--server and --user are required");
  if (o.count < 1 || o.concurrency < 1 || o.threads < 1 || o.threads > o.concurrency || o.deadline_s < 1) {
    usage("counts must be positive, and threads at most concurrency");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse_options(argc, argv);
  Shared shared;
  shared.opt = &opt;
  shared.deadline = Clock::now() + std::chrono::seconds(opt.deadline_s);

  std::vector<Worker> workers;
  workers.reserve(static_cast<std::size_t>(opt.threads));
  for (int t = 0; t < opt.threads; ++t) {
    const int slots = opt.concurrency / opt.threads + (t < opt.concurrency % opt.threads ? 1 : 0);
    workers.emplace_back(shared, slots);
  }
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w.run(); });
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();

  const long done = shared.done.load();
  std::printf("alloc_burst: %ld of %ld allocations in %.3f s: %.0f allocations/s; failed %ld; retransmitted %ld%s%s\n",
              done, opt.count, seconds, static_cast<double>(done) / seconds, shared.failed.load(),
              shared.retransmitted.load(), shared.first_error.empty() ? "" : "; first error: ",
              shared.first_error.c_str());
  return done == opt.count ? 0 : 1;
}
