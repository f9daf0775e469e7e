// APNs send rate (bench/push.sh runs it): Parley's own APNs provider (parley::push::make_apns, one
// HTTP/2 connection through libcurl) sends N alert notifications to the local provider mock
// (tests/push/push_mock.mjs) with at most W requests in flight, on one io_context thread.
//
//   push_rate --url https://127.0.0.1:PORT --ca FILE --key FILE [--key-id ID] [--team-id ID]
//             [--topic T] [--count N] [--window W] [--runs R] [--mock-pid PID]
//
// Per run: a fresh provider, N notifications, notifications/s (first send to last answer, the
// TLS handshake included), request latency p50/p99 (send() to its answer, as the push service
// sees it), connections_opened(), and the mock's own account: TLS sessions it accepted during the
// run (control requests subtracted), requests it recorded, and their statuses. With --mock-pid
// it also reports the mock's CPU over the run, to tell whether the mock or the sender limits.
// Exits non-zero when a run opened more than one connection or any notification was not a 200.
#include "push/providers.hpp"

#include "measure.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace push = parley::push;
using Clock = std::chrono::steady_clock;
using parley::bench::cpu_seconds;
using parley::bench::percentile;

struct Options {
  std::string url, ca, key, key_id = "KEY1234567", team_id = "TEAM123456", topic = "org.example.parley";
  std::size_t count = 20000, window = 500, runs = 3;
  int mock_pid = 0;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "push_rate: %s\nusage: push_rate --url URL --ca FILE --key FILE [--key-id ID] "
                       "[--team-id ID] [--topic T] [--count N] [--window W] [--runs R] [--mock-pid PID]\n",
               why.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage("missing value for " + a);
    const std::string v = argv[++i];
    auto number = [&] {
      char* end = nullptr;
      const auto n = std::strtoull(v.c_str(), &end, 10);
      if (!end || *end || n == 0) usage(a + " takes a positive number");
      return static_cast<std::size_t>(n);
    };
    if (a == "--url") o.url = v;
    else if (a == "--ca") o.ca = v;
    else if (a == "--key") o.key = v;
    else if (a == "--key-id") o.key_id = v;
    else if (a == "--team-id") o.team_id = v;
    else if (a == "--topic") o.topic = v;
    else if (a == "--count") o.count = number();
    else if (a == "--window") o.window = number();
    else if (a == "--runs") o.runs = number();
    else if (a == "--mock-pid") o.mock_pid = static_cast<int>(number());
    else usage("unknown option " + a);
  }
  if (o.url.empty() || o.ca.empty() || o.key.empty()) usage("--url, --ca and --key are required");
  return o;
}


double median(std::vector<double> v) { return percentile(std::move(v), 50); }


double own_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five;
  in >> one >> five;
  return one + " " + five;
}

// The mock's control API, over a client of its own (one more TLS session the mock counts, which
// the run's session count leaves out).
class Control {
public:
  Control(asio::io_context& io, const Options& o)
      : io_(io), url_(o.url), http_(io.get_executor(), push::Http2ClientOptions{o.ca, true, 512u << 20, 100,
                                                                               std::chrono::seconds(10)}) {}

  json::value call(const std::string& method, const std::string& path) {
    push::HttpRequest req;
    req.method = method;
    req.url = url_ + path;
    req.timeout = std::chrono::milliseconds(60000);
    push::HttpResponse res;
    bool done = false;
    http_.send(std::move(req), [&](push::HttpResponse r) {
      res = std::move(r);
      done = true;
    });
    io_.restart();
    while (!done && io_.run_one() > 0) {
    }
    if (res.status != 200) {
      std::fprintf(stderr, "push_rate: mock %s %s: %ld %s\n", method.c_str(), path.c_str(), res.status, res.error.c_str());
      std::exit(1);
    }
    return json::parse(res.body);
  }
  std::size_t sessions_opened() const { return http_.connections_opened(); }

private:
  asio::io_context& io_;
  std::string url_;
  push::Http2Client http_;
};

struct RunResult {
  double rate = 0, p50_ms = 0, p99_ms = 0, seconds = 0;
  std::size_t ok = 0, failed = 0, connections = 0;
  std::int64_t mock_sessions = 0, mock_recorded = 0, mock_200 = 0;
  std::map<std::string, std::int64_t> mock_statuses;  // what the mock recorded, by status
  std::string first_failure;
  double mock_cpu = -1, own_cpu = 0;  // share of one core over the run
};

RunResult run_once(asio::io_context& io, const Options& o, Control& control) {
  control.call("POST", "/control/reset");
  const auto before = control.call("GET", "/control/stats").as_object();
  const auto control_sessions_before = control.sessions_opened();

  parley::ApnsConfig cfg;
  cfg.key_file = o.key;
  cfg.key_id = o.key_id;
  cfg.team_id = o.team_id;
  cfg.topic = o.topic;
  cfg.url = o.url;
  cfg.sandbox_url = o.url;
  cfg.ca_file = o.ca;

  // What the push service hands the provider for a message: one device, one alert.
  parley::storage::PushRegistration reg;
  reg.owner = "bob@example.org";
  reg.endpoint_id = "bench-phone";
  reg.provider = "apns";
  reg.token = std::string(64, 'a');
  reg.app_id = o.topic;
  push::Notification n;
  n.kind = push::Kind::message;
  n.tier = push::Tier::important;
  n.from = "alice@example.org";
  n.conversation = "bench-conversation";
  const push::Text text = push::text_of(n, "Alice Example", false);
  const auto expires = std::chrono::system_clock::now() + std::chrono::minutes(10);

  RunResult r;
  std::vector<double> latency_ms;
  latency_ms.reserve(o.count);
  std::size_t next = 0, running = 0;
  Clock::time_point start, end;
  double mock_cpu0 = 0, own_cpu0 = 0;
  {
    auto apns = push::make_apns(io.get_executor(), cfg);
    auto worker = [&]() -> asio::awaitable<void> {
      while (next < o.count) {
        ++next;
        const auto t0 = Clock::now();
        push::Message message{&reg, &n, text, expires};
        const push::Delivery d = co_await apns->send(std::move(message));
        latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (d.ok) {
          ++r.ok;
        } else {
          if (r.failed++ == 0) r.first_failure = std::to_string(d.status) + " " + d.reason;
        }
      }
      if (--running == 0) end = Clock::now();
    };
    if (o.mock_pid > 0) mock_cpu0 = cpu_seconds(o.mock_pid);
    own_cpu0 = own_cpu_seconds();
    start = Clock::now();
    for (std::size_t w = 0; w < std::min(o.window, o.count); ++w) {
      ++running;
      asio::co_spawn(io, worker(), asio::detached);
    }
    io.restart();
    while (running > 0 && io.run_one() > 0) {
    }
    r.seconds = std::chrono::duration<double>(end - start).count();
    if (o.mock_pid > 0) r.mock_cpu = (cpu_seconds(o.mock_pid) - mock_cpu0) / r.seconds;
    r.own_cpu = (own_cpu_seconds() - own_cpu0) / r.seconds;
    r.connections = apns->connections_opened();
  }
  r.rate = static_cast<double>(o.count) / r.seconds;
  r.p50_ms = percentile(latency_ms, 50);
  r.p99_ms = percentile(latency_ms, 99);

  const auto after = control.call("GET", "/control/stats").as_object();
  const auto extra_control = static_cast<std::int64_t>(control.sessions_opened() - control_sessions_before);
  r.mock_sessions = after.at("sessions").to_number<std::int64_t>() - before.at("sessions").to_number<std::int64_t>() -
                    extra_control;
  const auto received = control.call("GET", "/control/received").as_array();
  for (const auto& e : received) {
    const auto& entry = e.as_object();
    if (entry.at("provider").as_string() != "apns") continue;
    ++r.mock_recorded;
    const auto& status = entry.at("status");
    const bool ok = status.is_number() && status.to_number<int>() == 200;
    if (ok) ++r.mock_200;
    std::string key = status.is_number() ? std::to_string(status.to_number<int>()) : "unanswered";
    if (const auto* reason = entry.if_contains("reason"); reason && reason->is_string())
      key += "/" + std::string(reason->as_string());
    ++r.mock_statuses[key];
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  asio::io_context io(1);
  Control control(io, o);
  std::vector<RunResult> results;
  bool good = true;
  std::printf("push_rate: %zu APNs alerts per run, window %zu, one io_context thread, mock %s\n", o.count,
              o.window, o.url.c_str());
  for (std::size_t i = 0; i < o.runs; ++i) {
    RunResult r;
    try {
      r = run_once(io, o, control);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "push_rate: run %zu failed: %s\n", i + 1, e.what());
      return 1;
    }
    std::printf("run %zu: %.0f notifications/s (%.2f s), latency p50 %.2f ms p99 %.2f ms, %zu ok %zu failed, "
                "connections_opened %zu, mock: sessions %lld, recorded %lld, 200s %lld",
                i + 1, r.rate, r.seconds, r.p50_ms, r.p99_ms, r.ok, r.failed, r.connections,
                static_cast<long long>(r.mock_sessions), static_cast<long long>(r.mock_recorded),
                static_cast<long long>(r.mock_200));
    if (r.mock_cpu >= 0) std::printf(", CPU mock %.0f%% sender %.0f%%", 100 * r.mock_cpu, 100 * r.own_cpu);
    std::printf("\n");
    if (r.connections != 1) {
      std::printf("  FAIL: connections_opened() is %zu, not 1\n", r.connections);
      good = false;
    }
    if (r.mock_sessions != 1) {
      std::printf("  FAIL: the mock accepted %lld TLS sessions for the run, not 1\n",
                  static_cast<long long>(r.mock_sessions));
      good = false;
    }
    if (r.failed > 0 || r.mock_200 != static_cast<std::int64_t>(o.count) ||
        r.mock_recorded != static_cast<std::int64_t>(o.count)) {
      std::string statuses;
      for (const auto& [status, n] : r.mock_statuses) statuses += " " + status + ":" + std::to_string(n);
      std::printf("  FAIL: not every notification was answered 200 exactly once (sender's first failure: %s; "
                  "the mock recorded%s)\n",
                  r.first_failure.empty() ? "none" : r.first_failure.c_str(), statuses.c_str());
      good = false;
    }
    results.push_back(r);
  }
  auto med = [&](auto field) {
    std::vector<double> v;
    for (const auto& r : results) v.push_back(field(r));
    return median(v);
  };
  const double rate = med([](const RunResult& r) { return r.rate; });
  const double p50 = med([](const RunResult& r) { return r.p50_ms; });
  const double p99 = med([](const RunResult& r) { return r.p99_ms; });
  const double own = med([](const RunResult& r) { return r.own_cpu; });
  std::size_t connections = 0;
  for (const auto& r : results) connections = std::max(connections, r.connections);
  std::printf("push_rate median of %zu: %.0f notifications/s, latency p50 %.2f ms p99 %.2f ms, connections_opened "
              "%zu%s",
              results.size(), rate, p50, p99, connections, good ? "" : " (FAILED checks above)");
  if (o.mock_pid > 0) {
    const double mock = med([](const RunResult& r) { return r.mock_cpu; });
    std::printf(", CPU mock %.0f%% sender %.0f%%\n", 100 * mock, 100 * own);
    // Node answers on one thread: near a full core, the mock sets the pace, not the sender.
    if (mock >= 0.9)
      std::printf("push_rate: the mock is the bottleneck (node at %.0f%% of one core; the sender at %.0f%%)\n",
                  100 * mock, 100 * own);
    else if (own >= 0.9)
      std::printf("push_rate: the sender is the bottleneck (%.0f%% of one core; the mock at %.0f%%)\n", 100 * own,
                  100 * mock);
    else
      std::printf("push_rate: neither process used a full core (load average %s): the machine is busy, so both "
                  "figures are lower bounds; compare the two, not the goal\n",
                  load_average().c_str());
  } else {
    std::printf("\n");
  }
  return good ? 0 : 1;
}
