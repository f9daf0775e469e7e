// Load client for parleyd's UCWA API (bench/ucwa.sh runs it). Three modes:
//   parked  --apps N [--users U]      N applications, each with one parked P-GET on its own TLS
//                                     connection; prints the server's RSS per parked application.
//   fanout  --subscribers N           N watchers subscribed to one publisher's presence; times
//                                     how long a presence change takes to reach them all.
//   me      --connections C --seconds S   GET {app}/me throughput and latency, next to the
//                                     unauthenticated discovery root on the same listener.
// One thread, one io_context, coroutines. Every phase is bounded, and --deadline ends the run.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace json = boost::json;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// Options and small helpers

struct Options {
  std::string mode;
  std::string data_dir;       // reads parleyd.endpoints.json and pki/ca.pem from here
  int pid = 0;                // server pid for RSS; default: from the endpoints file
  std::size_t apps = 2000;
  std::size_t users = 0;      // 0: ceil(apps / 1000)
  std::size_t subscribers = 100;
  std::size_t connections = 64;
  double seconds = 10;
  int deadline = 600;
  int rounds = 5;
  std::string password = "bench-password-1";
  std::string user_prefix = "u";
  std::string domain = "example.org";
  std::string publisher = "alice";
  std::string baseline_path = "/Autodiscover/AutodiscoverService.svc/root?originalDomain=example.org";
  std::size_t concurrency = 200;  // connections being set up at once
  // fanout: the watchers are the publisher's own applications (made available), which hear of
  // the change as `presence updated` instead of through a subscription.
  bool self_watch = false;
};

const char* g_phase = "start";

[[noreturn]] void finish(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  ::_exit(code);
}

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "ucwa_load: %s (phase: %s)\n", why.c_str(), g_phase);
  finish(1);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

long rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  fail("cannot read VmRSS of pid " + std::to_string(pid) + " (did the server exit?)");
}

double ms_since(Clock::time_point t0, Clock::time_point t1 = Clock::now()) {
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::string user_sip(const Options& o, std::size_t i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04zu", i);
  return o.user_prefix + buf + "@" + o.domain;
}

std::string form_encode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// Links may be absolute URLs; requests need the path.
std::string path_of(std::string_view href) {
  if (href.rfind("http", 0) == 0) {
    const auto scheme_end = href.find("://");
    const auto slash = href.find('/', scheme_end == std::string_view::npos ? 0 : scheme_end + 3);
    return slash == std::string_view::npos ? std::string("/") : std::string(href.substr(slash));
  }
  return std::string(href);
}

// The longest hold the protocol allows, so a parked P-GET stays parked for the whole run.
std::string with_long_timeout(std::string href) {
  if (href.find("timeout=") != std::string::npos) return href;
  if (href.find('?') == std::string::npos) return href + "?ack=1&timeout=1800";
  return href + "&timeout=1800";
}

json::value parse_or_null(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  return ec ? json::value() : v;
}

std::string link_of(const json::value& v, std::string_view rel) {
  if (!v.is_object()) return {};
  const auto* links = v.as_object().if_contains("_links");
  if (!links || !links->is_object()) return {};
  const auto* l = links->as_object().if_contains(rel);
  if (!l || !l->is_object()) return {};
  const auto* h = l->as_object().if_contains("href");
  return h && h->is_string() ? path_of(h->as_string()) : std::string();
}

// True when an event package holds an `updated` event whose link is `wanted_rel`.
bool has_update(const json::value& package, std::string_view wanted_rel) {
  if (!package.is_object()) return false;
  const auto* senders = package.as_object().if_contains("sender");
  if (!senders || !senders->is_array()) return false;
  for (const auto& s : senders->as_array()) {
    const auto* events = s.is_object() ? s.as_object().if_contains("events") : nullptr;
    if (!events || !events->is_array()) continue;
    for (const auto& e : events->as_array()) {
      if (!e.is_object()) continue;
      const auto* link = e.as_object().if_contains("link");
      const auto* type = e.as_object().if_contains("type");
      if (!link || !link->is_object() || !type || !type->is_string()) continue;
      const auto* rel = link->as_object().if_contains("rel");
      if (rel && rel->is_string() && rel->as_string() == wanted_rel && type->as_string() == "updated")
        return true;
    }
  }
  return false;
}

Request make_request(http::verb verb, const std::string& target, const std::string& token,
                     std::string body = {}, const char* content_type = "application/json") {
  Request req{verb, target, 11};
  req.set(http::field::host, "localhost");
  req.set(http::field::accept, "application/json");
  req.set(http::field::user_agent, "parley-ucwa-load");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (verb == http::verb::post || verb == http::verb::put) {
    req.set(http::field::content_type, content_type);
    req.body() = std::move(body);
  }
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

std::string describe(const Response& r) {
  std::string body = r.body().substr(0, 300);
  return std::to_string(r.result_int()) + " " + body;
}

// ---------------------------------------------------------------------------------------------
// One TLS connection

struct Target {
  asio::ip::tcp::endpoint endpoint;
  std::vector<asio::ip::address_v4> sources;  // round-robin source addresses (127.0.0.x)
  std::size_t next_source = 0;
};

class Conn {
public:
  Conn(asio::io_context& io, ssl::context& tls) : stream_(io, tls) {}

  awaitable<void> open(Target& t, bool spread_sources) {
    auto& tcp = beast::get_lowest_layer(stream_);
    auto& sock = tcp.socket();
    sock.open(asio::ip::tcp::v4());
    if (spread_sources && !t.sources.empty()) {
      // Defer the port choice to connect(), so each source address has its own port range.
      int one = 1;
      ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      const auto src = t.sources[t.next_source++ % t.sources.size()];
      sock.bind(asio::ip::tcp::endpoint(src, 0));
    }
    tcp.expires_after(60s);
    co_await tcp.async_connect(t.endpoint, use_awaitable);
    co_await stream_.async_handshake(ssl::stream_base::client, use_awaitable);
    tcp.expires_never();
  }

  awaitable<void> send(Request& req) {
    beast::get_lowest_layer(stream_).expires_after(60s);
    co_await http::async_write(stream_, req, use_awaitable);
    beast::get_lowest_layer(stream_).expires_never();
  }

  // `bounded`: false for P-GETs, which the server may hold for the whole run.
  awaitable<Response> receive(bool bounded) {
    Response res;
    if (bounded) beast::get_lowest_layer(stream_).expires_after(120s);
    co_await http::async_read(stream_, buf_, res, use_awaitable);
    beast::get_lowest_layer(stream_).expires_never();
    if (buf_.size() == 0) buf_.shrink_to_fit();
    co_return res;
  }

  awaitable<Response> exchange(Request& req) {
    co_await send(req);
    auto res = co_await receive(true);
    co_return res;
  }

  void close() {
    boost::system::error_code ec;
    beast::get_lowest_layer(stream_).socket().close(ec);
  }

private:
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buf_;
};

// ---------------------------------------------------------------------------------------------
// Shared steps

struct Env {
  Options opt;
  asio::io_context io;
  ssl::context tls{ssl::context::tls_client};
  Target target;
  int server_pid = 0;
};

// Reopens the connection when the server asked to close it.
awaitable<Response> call(Env& env, std::unique_ptr<Conn>& conn, Request& req) {
  if (!conn) {
    conn = std::make_unique<Conn>(env.io, env.tls);
    co_await conn->open(env.target, false);
  }
  auto res = co_await conn->exchange(req);
  if (res.need_eof()) conn.reset();
  co_return res;
}

awaitable<std::vector<std::string>> sign_in_all(Env& env, const std::vector<std::string>& sips) {
  g_phase = "sign-in";
  std::vector<std::string> tokens;
  std::unique_ptr<Conn> conn;
  const std::string path = "/WebTicket/oauthtoken";
  const std::string none;
  for (const auto& sip : sips) {
    auto req = make_request(http::verb::post, path, none,
                            "grant_type=password&username=" + form_encode(sip) +
                                "&password=" + form_encode(env.opt.password),
                            "application/x-www-form-urlencoded");
    auto res = co_await call(env, conn, req);
    const auto v = parse_or_null(res.body());
    const json::value* tok = v.is_object() ? v.as_object().if_contains("access_token") : nullptr;
    if (res.result_int() != 200 || !tok || !tok->is_string())
      fail("sign-in of " + sip + " failed: " + describe(res));
    tokens.emplace_back(tok->as_string());
  }
  co_return tokens;
}

struct App {
  std::string token;
  std::string self;    // /ucwa/oauth/v1/applications/<id>
  std::string events;  // current events href
};

awaitable<App> create_app(Env& env, std::unique_ptr<Conn>& conn, const std::string& token, std::size_t n) {
  json::object body{{"culture", "en-US"},
                    {"endpointId", "bench-" + std::to_string(n)},
                    {"userAgent", "parley-ucwa-load"},
                    {"type", "Browser"}};
  const std::string path = "/ucwa/oauth/v1/applications";
  auto req = make_request(http::verb::post, path, token, json::serialize(body));
  auto res = co_await call(env, conn, req);
  const auto v = parse_or_null(res.body());
  App app{token, link_of(v, "self"), link_of(v, "events")};
  if ((res.result_int() != 201 && res.result_int() != 200) || app.self.empty() || app.events.empty())
    fail("application " + std::to_string(n) + " was not created: " + describe(res));
  app.events = with_long_timeout(app.events);
  co_return app;
}

// Runs `work(i)` for i in [0, n) on `workers` coroutines at once; returns when all are done.
awaitable<void> parallel_for(Env& env, std::size_t n, std::size_t workers,
                             std::function<awaitable<void>(std::size_t, std::unique_ptr<Conn>&)> work) {
  std::size_t next = 0, running = 0;
  workers = std::max<std::size_t>(1, std::min(workers, n));
  for (std::size_t w = 0; w < workers; ++w) {
    ++running;
    auto worker = [&]() -> awaitable<void> {
      std::unique_ptr<Conn> conn;
      while (next < n) {
        const auto i = next++;
        co_await work(i, conn);
      }
    };
    asio::co_spawn(env.io, worker, [&](std::exception_ptr e) {
      --running;
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          fail(std::string("worker failed: ") + ex.what());
        }
      }
    });
  }
  asio::steady_timer t(env.io);
  while (running > 0) {
    t.expires_after(5ms);
    co_await t.async_wait(use_awaitable);
  }
}

awaitable<void> sleep_for(Env& env, Clock::duration d) {
  asio::steady_timer t(env.io, d);
  co_await t.async_wait(use_awaitable);
}

// ---------------------------------------------------------------------------------------------
// parked

struct ParkStats {
  std::size_t written = 0;      // P-GETs sent and not answered
  std::size_t answered = 0;     // P-GETs that came back before the measurement (re-issued)
  std::size_t failed = 0;       // connections that ended with an error or non-200
  std::string first_error;
  Clock::time_point last_answer = Clock::now();
};

// Keeps one P-GET parked on `conn` for as long as the connection lives.
awaitable<void> keep_parked(std::shared_ptr<Conn> conn, std::string events, std::string token,
                            ParkStats& st, std::function<void(const json::value&)> on_package) {
  try {
    for (;;) {
      auto req = make_request(http::verb::get, events, token);
      co_await conn->send(req);
      ++st.written;
      auto res = co_await conn->receive(false);
      --st.written;
      st.last_answer = Clock::now();
      if (res.result_int() != 200) {
        ++st.failed;
        if (st.first_error.empty()) st.first_error = "P-GET " + events + ": " + describe(res);
        co_return;
      }
      ++st.answered;
      const auto v = parse_or_null(res.body());
      if (on_package) on_package(v);
      auto next = link_of(v, "next");
      if (next.empty()) next = link_of(v, "resume");
      if (next.empty()) next = link_of(v, "resync");
      if (next.empty()) {
        ++st.failed;
        if (st.first_error.empty()) st.first_error = "package without next: " + res.body().substr(0, 300);
        co_return;
      }
      events = with_long_timeout(next);
    }
  } catch (const std::exception& e) {
    ++st.failed;
    if (st.first_error.empty()) st.first_error = std::string("P-GET connection: ") + e.what();
  }
}

// Opens one connection per app and parks a P-GET on it; returns once every P-GET is written.
awaitable<std::vector<std::shared_ptr<Conn>>> park_all(Env& env, std::vector<App>& apps, ParkStats& st,
                                                       std::function<void(std::size_t, const json::value&)> on_package) {
  std::vector<std::shared_ptr<Conn>> conns(apps.size());
  auto open_one = [&](std::size_t i, std::unique_ptr<Conn>&) -> awaitable<void> {
    auto c = std::make_shared<Conn>(env.io, env.tls);
    co_await c->open(env.target, true);
    conns[i] = c;
    std::function<void(const json::value&)> cb;
    if (on_package) cb = [on_package, i](const json::value& v) { on_package(i, v); };
    auto park = keep_parked(c, apps[i].events, apps[i].token, st, std::move(cb));
    asio::co_spawn(env.io, std::move(park), asio::detached);
  };
  co_await parallel_for(env, apps.size(), env.opt.concurrency, open_one);
  // Every send has been started; wait for the writes to finish.
  const auto until = Clock::now() + 60s;
  while (st.written + st.failed + st.answered < apps.size() && Clock::now() < until) co_await sleep_for(env, 20ms);
  co_return conns;
}

// Waits until no P-GET has come back for `quiet` (at most `limit`).
awaitable<void> settle(Env& env, ParkStats& st, std::size_t expect_parked, Clock::duration quiet,
                       Clock::duration limit) {
  const auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (st.written + st.failed >= expect_parked && Clock::now() - st.last_answer >= quiet) break;
    co_await sleep_for(env, 50ms);
  }
}

awaitable<void> run_parked(Env& env) {
  const auto& o = env.opt;
  const std::size_t n = o.apps;
  const std::size_t users = o.users ? o.users : (n + 999) / 1000;
  const long base = rss_kib(env.server_pid);
  const long client_base = rss_kib(static_cast<int>(::getpid()));
  std::vector<std::string> sips;
  for (std::size_t u = 0; u < users; ++u) sips.push_back(user_sip(o, u));
  const auto tokens = co_await sign_in_all(env, sips);

  g_phase = "creating applications";
  std::vector<App> apps(n);
  const auto t_create = Clock::now();
  auto create_one = [&](std::size_t i, std::unique_ptr<Conn>& conn) -> awaitable<void> {
    apps[i] = co_await create_app(env, conn, tokens[i % users], i);
  };
  co_await parallel_for(env, n, 8, create_one);
  const double create_s = ms_since(t_create) / 1000;
  co_await sleep_for(env, 2s);
  const long after_apps = rss_kib(env.server_pid);
  std::printf("parked: %zu applications of %zu users created in %.1f s (%.0f/s); server RSS %ld -> %ld KiB\n", n,
              users, create_s, static_cast<double>(n) / create_s, base, after_apps);
  std::fflush(stdout);

  g_phase = "parking P-GETs";
  ParkStats st;
  const auto t_park = Clock::now();
  auto conns = co_await park_all(env, apps, st, {});
  co_await settle(env, st, n, 2s, 60s);
  const double park_s = ms_since(t_park) / 1000;
  co_await sleep_for(env, 3s);
  const long after_park = rss_kib(env.server_pid);
  const long client_after = rss_kib(static_cast<int>(::getpid()));
  std::printf("parked: %zu P-GETs parked in %.1f s (%.0f connections/s); %zu answered early and re-issued, "
              "%zu failed%s%s\n",
              st.written, park_s, static_cast<double>(n) / park_s, st.answered, st.failed,
              st.first_error.empty() ? "" : "; first: ", st.first_error.c_str());
  std::printf("parked: server RSS baseline %ld KiB, after applications %ld KiB, after parking %ld KiB\n", base,
              after_apps, after_park);
  // The same Asio + OpenSSL stack on the client side, for comparison with the server's figure.
  std::printf("parked: load client RSS %ld -> %ld KiB (%.1f KiB per connection, app records included)\n",
              client_base, client_after, static_cast<double>(client_after - client_base) / static_cast<double>(n));
  const double per_app = static_cast<double>(after_park - base) / static_cast<double>(n);
  const double app_state = static_cast<double>(after_apps - base) / static_cast<double>(n);
  const double per_conn = static_cast<double>(after_park - after_apps) / static_cast<double>(n);
  std::printf("parked: %zu applications, RSS +%.1f MiB, %.1f KiB per parked application (%.1f KiB app state, "
              "%.1f KiB connection)\n",
              n, static_cast<double>(after_park - base) / 1024.0, per_app, app_state, per_conn);
  if (st.failed > 0 || st.written != n) {
    std::printf("parked: WARNING only %zu of %zu P-GETs are parked\n", st.written, n);
    finish(1);
  }
  finish(0);
}

// ---------------------------------------------------------------------------------------------
// fanout

awaitable<void> run_fanout(Env& env) {
  const auto& o = env.opt;
  const std::size_t n = o.subscribers;
  const std::size_t users = o.self_watch ? 0 : (n + 999) / 1000;
  if (o.self_watch && n > 999) fail("--self-watch allows at most 999 watchers (one user)");
  const std::string publisher = o.publisher + "@" + o.domain;
  std::vector<std::string> sips{publisher};
  for (std::size_t u = 0; u < users; ++u) sips.push_back(user_sip(o, u));
  const auto tokens = co_await sign_in_all(env, sips);

  g_phase = "publisher application";
  std::unique_ptr<Conn> pub_conn;
  App pub = co_await create_app(env, pub_conn, tokens[0], 1'000'000);
  {
    const std::string path = pub.self + "/me/makeMeAvailable";
    auto req = make_request(http::verb::post, path, pub.token, "{}");
    auto res = co_await call(env, pub_conn, req);
    if (res.result_int() / 100 != 2) fail("makeMeAvailable of the publisher: " + describe(res));
  }

  g_phase = "watchers subscribe";
  std::vector<App> apps(n);
  json::object sub{{"duration", 30}, {"uris", json::array{"sip:" + publisher}}};
  const std::string sub_body = json::serialize(sub);
  const auto t_sub = Clock::now();
  auto create_one = [&](std::size_t i, std::unique_ptr<Conn>& conn) -> awaitable<void> {
    apps[i] = co_await create_app(env, conn, tokens[o.self_watch ? 0 : 1 + i % users], i);
    const std::string path =
        apps[i].self + (o.self_watch ? "/me/makeMeAvailable" : "/people/presenceSubscriptions");
    auto req = make_request(http::verb::post, path, apps[i].token, o.self_watch ? std::string("{}") : sub_body);
    auto res = co_await call(env, conn, req);
    if (res.result_int() / 100 != 2) fail("presence subscription " + std::to_string(i) + ": " + describe(res));
  };
  co_await parallel_for(env, n, 8, create_one);
  std::printf("fanout N=%zu: %zu watcher applications created and subscribed in %.1f s\n", n, n,
              ms_since(t_sub) / 1000);

  // Per round: when the change was sent, and which watchers have seen it.
  int round = -1;
  std::vector<Clock::time_point> sent(static_cast<std::size_t>(o.rounds));
  std::vector<int> seen(n, -1);
  std::vector<std::size_t> got(static_cast<std::size_t>(o.rounds), 0);
  std::vector<double> all, last;
  std::vector<double> round_max(static_cast<std::size_t>(o.rounds), 0);
  std::size_t other_packages = 0;
  auto on_package = [&](std::size_t i, const json::value& v) {
    const auto now = Clock::now();
    if (round < 0 || !has_update(v, o.self_watch ? "presence" : "contactPresence") || seen[i] >= round) {
      ++other_packages;
      return;
    }
    seen[i] = round;
    const auto r = static_cast<std::size_t>(round);
    ++got[r];
    const double ms = ms_since(sent[r], now);
    all.push_back(ms);
    round_max[r] = std::max(round_max[r], ms);
  };

  g_phase = "watchers park";
  ParkStats st;
  auto conns = co_await park_all(env, apps, st, on_package);
  co_await settle(env, st, n, 1s, 60s);
  if (st.written != n) fail("only " + std::to_string(st.written) + " of " + std::to_string(n) +
                            " watchers parked; " + st.first_error);
  const std::size_t before = other_packages;

  g_phase = "presence changes";
  std::size_t lost = 0;
  for (int r = 0; r < o.rounds; ++r) {
    const auto ru = static_cast<std::size_t>(r);
    const std::string availability = r % 2 == 0 ? "Busy" : "Online";
    const std::string path = pub.self + "/me/presence";
    json::object body{{"availability", availability}};
    auto req = make_request(http::verb::post, path, pub.token, json::serialize(body));
    round = r;
    sent[ru] = Clock::now();
    auto res = co_await call(env, pub_conn, req);
    if (res.result_int() / 100 != 2) fail("presence change " + availability + ": " + describe(res));
    const auto until = Clock::now() + 60s;
    while (got[ru] < n && Clock::now() < until) co_await sleep_for(env, 1ms);
    if (got[ru] < n) {
      std::printf("fanout N=%zu: change %d (%s) reached only %zu of %zu watchers within 60 s\n", n, r + 1,
                  availability.c_str(), got[ru], n);
      lost += n - got[ru];
    }
    last.push_back(round_max[ru]);
    // Let every watcher re-park before the next change.
    co_await settle(env, st, n, 300ms, 30s);
  }
  const char* label = o.self_watch ? "fanout (own applications)" : "fanout";
  std::printf("%s N=%zu: last subscriber per change (ms):", label, n);
  for (double v : last) std::printf(" %.1f", v);
  std::printf("\n");
  std::printf("%s N=%zu: last subscriber p50 %.1f ms p99 %.1f ms max %.1f ms; all deliveries p50 %.1f ms "
              "p99 %.1f ms max %.1f ms (%d changes, %zu deliveries, %zu missing, %zu other packages, "
              "%zu P-GET errors%s%s)\n",
              label, n, percentile(last, 50), percentile(last, 99), percentile(last, 100), percentile(all, 50),
              percentile(all, 99), percentile(all, 100), o.rounds, all.size(), lost, other_packages - before,
              st.failed, st.first_error.empty() ? "" : "; first: ", st.first_error.c_str());
  finish(lost == 0 && st.failed == 0 ? 0 : 1);
}

// ---------------------------------------------------------------------------------------------
// me

struct LoadResult {
  std::vector<double> latencies;
  std::size_t errors = 0;
  std::string first_error;
  double seconds = 0;
};

awaitable<LoadResult> closed_loop(Env& env, const std::vector<std::string>& paths,
                                  const std::vector<std::string>& tokens) {
  LoadResult out;
  const std::size_t c = env.opt.connections;
  std::vector<std::unique_ptr<Conn>> conns(c);
  auto open_one = [&](std::size_t i, std::unique_ptr<Conn>&) -> awaitable<void> {
    conns[i] = std::make_unique<Conn>(env.io, env.tls);
    co_await conns[i]->open(env.target, false);
  };
  co_await parallel_for(env, c, c, open_one);
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(env.opt.seconds));
  auto loop = [&](std::size_t i, std::unique_ptr<Conn>&) -> awaitable<void> {
    auto req = make_request(http::verb::get, paths[i % paths.size()], tokens[i % tokens.size()]);
    while (Clock::now() < end) {
      const auto t0 = Clock::now();
      auto res = co_await call(env, conns[i], req);
      out.latencies.push_back(ms_since(t0));
      if (res.result_int() != 200) {
        ++out.errors;
        if (out.first_error.empty()) out.first_error = describe(res);
      }
    }
  };
  co_await parallel_for(env, c, c, loop);
  out.seconds = ms_since(start) / 1000;
  co_return out;
}

void print_load(const char* label, const Options& o, const LoadResult& r) {
  std::printf("%s C=%zu %.0fs: %.0f req/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms (%zu requests, %zu errors%s%s)\n",
              label, o.connections, o.seconds, static_cast<double>(r.latencies.size()) / r.seconds,
              percentile(r.latencies, 50), percentile(r.latencies, 99), percentile(r.latencies, 100),
              r.latencies.size(), r.errors, r.first_error.empty() ? "" : "; first: ", r.first_error.c_str());
}

awaitable<void> run_me(Env& env) {
  const auto& o = env.opt;
  const std::size_t napps = std::max<std::size_t>(1, o.connections / 4);
  const std::vector<std::string> sips{user_sip(o, 0)};
  const auto tokens = co_await sign_in_all(env, sips);
  g_phase = "creating applications";
  std::vector<std::string> paths(napps);
  auto create_one = [&](std::size_t i, std::unique_ptr<Conn>& conn) -> awaitable<void> {
    const auto app = co_await create_app(env, conn, tokens[0], i);
    paths[i] = app.self + "/me";
  };
  co_await parallel_for(env, napps, 4, create_one);

  g_phase = "GET me";
  const auto me = co_await closed_loop(env, paths, tokens);
  print_load("GET {app}/me (bearer token, application lookup)", o, me);
  std::fflush(stdout);
  g_phase = "GET discovery root";
  const std::vector<std::string> root{o.baseline_path};
  const std::vector<std::string> no_token{std::string()};
  const auto base = co_await closed_loop(env, root, no_token);
  print_load("GET discovery root (unauthenticated, same listener)", o, base);
  finish(me.errors == 0 && base.errors == 0 ? 0 : 1);
}

// ---------------------------------------------------------------------------------------------

void usage() {
  std::fprintf(stderr,
               "usage: ucwa_load MODE --data-dir DIR [options]\n"
               "  parked --apps N [--users U]\n"
               "  fanout --subscribers N [--rounds R] [--self-watch 1]\n"
               "  me --connections C --seconds S\n"
               "options: --pid PID --password P --user-prefix u --domain D --publisher alice\n"
               "         --concurrency K (connections set up at once) --deadline SECONDS (600)\n");
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  if (argc < 2) usage();
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage();
    const std::string v = argv[++i];
    auto num = [&] { return static_cast<std::size_t>(std::stoull(v)); };
    if (a == "--data-dir") o.data_dir = v;
    else if (a == "--pid") o.pid = std::stoi(v);
    else if (a == "--apps") o.apps = num();
    else if (a == "--users") o.users = num();
    else if (a == "--subscribers") o.subscribers = num();
    else if (a == "--connections") o.connections = num();
    else if (a == "--seconds") o.seconds = std::stod(v);
    else if (a == "--deadline") o.deadline = std::stoi(v);
    else if (a == "--rounds") o.rounds = std::stoi(v);
    else if (a == "--password") o.password = v;
    else if (a == "--user-prefix") o.user_prefix = v;
    else if (a == "--domain") o.domain = v;
    else if (a == "--publisher") o.publisher = v;
    else if (a == "--concurrency") o.concurrency = num();
    else if (a == "--self-watch") o.self_watch = v == "1" || v == "true";
    else usage();
  }
  if (o.data_dir.empty() || (o.mode != "parked" && o.mode != "fanout" && o.mode != "me")) usage();
  if (o.apps == 0 || o.subscribers == 0 || o.connections == 0 || o.rounds <= 0 || o.deadline <= 0) usage();
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Env env;
  env.opt = parse_args(argc, argv);
  const auto endpoints = parse_or_null(read_text(env.opt.data_dir + "/parleyd.endpoints.json"));
  std::string url;
  try {
    url = std::string(endpoints.at("external").at("https").as_string());
    env.server_pid = env.opt.pid ? env.opt.pid : endpoints.at("pid").to_number<int>();
  } catch (const std::exception&) {
    fail("parleyd.endpoints.json lacks external.https or pid");
  }
  // "https://127.0.0.1:PORT": loopback only.
  const auto host_start = url.find("://") + 3;
  const auto colon = url.rfind(':');
  const auto host = url.substr(host_start, colon - host_start);
  const auto addr = asio::ip::make_address(host);
  if (!addr.is_loopback()) fail("the external listener " + url + " is not on loopback");
  env.target.endpoint = {addr, static_cast<unsigned short>(std::stoi(url.substr(colon + 1)))};
  const std::size_t conns = env.opt.mode == "parked" ? env.opt.apps : env.opt.subscribers;
  const std::size_t sources = conns / 20000 + 1;
  for (std::size_t i = 0; i < sources; ++i)
    env.target.sources.push_back(asio::ip::make_address_v4(static_cast<asio::ip::address_v4::uint_type>(0x7f000001 + i)));

  env.tls.load_verify_file(env.opt.data_dir + "/pki/ca.pem");
  env.tls.set_verify_mode(ssl::verify_peer);
  // Idle parked connections should not each pin OpenSSL's read and write buffers.
  SSL_CTX_set_mode(env.tls.native_handle(), SSL_MODE_RELEASE_BUFFERS);

  asio::steady_timer deadline(env.io, std::chrono::seconds(env.opt.deadline));
  deadline.async_wait([&](boost::system::error_code ec) {
    if (!ec) fail("deadline of " + std::to_string(env.opt.deadline) + " s reached; aborting");
  });

  auto body = [&]() -> awaitable<void> {
    if (env.opt.mode == "parked") co_await run_parked(env);
    else if (env.opt.mode == "fanout") co_await run_fanout(env);
    else co_await run_me(env);
  };
  asio::co_spawn(env.io, body, [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      fail(ex.what());
    }
  });
  env.io.run();
  finish(0);
}
