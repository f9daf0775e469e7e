#pragma once
// Shared pieces of the UCWA load client (ucwa_load.cpp, ucwa_load_im.cpp): options, one TLS
// connection with HTTP/1.1 keep-alive, sign-in, application creation, parked P-GETs.

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


namespace ucwa_load {


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
  // im: sender/receiver pairs; rate 0 sends back-to-back, else an aggregate open-loop rate.
  std::size_t pairs = 64;
  double rate = 0;
  double warmup = 2;
  // history: conversations in alice's history, and sequential first-page reads timed.
  std::size_t conversations = 1000;
  std::size_t requests = 2000;
};

inline const char* g_phase = "start";

[[noreturn]] inline void finish(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  ::_exit(code);
}

[[noreturn]] inline void fail(const std::string& why) {
  std::fprintf(stderr, "ucwa_load: %s (phase: %s)\n", why.c_str(), g_phase);
  finish(1);
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline long rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  fail("cannot read VmRSS of pid " + std::to_string(pid) + " (did the server exit?)");
}

inline double ms_since(Clock::time_point t0, Clock::time_point t1 = Clock::now()) {
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

inline std::string user_sip(const Options& o, std::size_t i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04zu", i);
  return o.user_prefix + buf + "@" + o.domain;
}

inline std::string form_encode(std::string_view s) {
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
inline std::string path_of(std::string_view href) {
  if (href.rfind("http", 0) == 0) {
    const auto scheme_end = href.find("://");
    const auto slash = href.find('/', scheme_end == std::string_view::npos ? 0 : scheme_end + 3);
    return slash == std::string_view::npos ? std::string("/") : std::string(href.substr(slash));
  }
  return std::string(href);
}

// The longest hold the protocol allows, so a parked P-GET stays parked for the whole run.
inline std::string with_long_timeout(std::string href) {
  if (href.find("timeout=") != std::string::npos) return href;
  if (href.find('?') == std::string::npos) return href + "?ack=1&timeout=1800";
  return href + "&timeout=1800";
}

inline json::value parse_or_null(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  return ec ? json::value() : v;
}

inline std::string link_of(const json::value& v, std::string_view rel) {
  if (!v.is_object()) return {};
  const auto* links = v.as_object().if_contains("_links");
  if (!links || !links->is_object()) return {};
  const auto* l = links->as_object().if_contains(rel);
  if (!l || !l->is_object()) return {};
  const auto* h = l->as_object().if_contains("href");
  return h && h->is_string() ? path_of(h->as_string()) : std::string();
}

// True when an event package holds an `updated` event whose link is `wanted_rel`.
inline bool has_update(const json::value& package, std::string_view wanted_rel) {
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

inline Request make_request(http::verb verb, const std::string& target, const std::string& token,
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

inline std::string describe(const Response& r) {
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
inline awaitable<Response> call(Env& env, std::unique_ptr<Conn>& conn, Request& req) {
  if (!conn) {
    conn = std::make_unique<Conn>(env.io, env.tls);
    co_await conn->open(env.target, false);
  }
  auto res = co_await conn->exchange(req);
  if (res.need_eof()) conn.reset();
  co_return res;
}

inline awaitable<std::vector<std::string>> sign_in_all(Env& env, const std::vector<std::string>& sips) {
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

inline awaitable<App> create_app(Env& env, std::unique_ptr<Conn>& conn, const std::string& token, std::size_t n) {
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
inline awaitable<void> parallel_for(Env& env, std::size_t n, std::size_t workers,
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

inline awaitable<void> sleep_for(Env& env, Clock::duration d) {
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
inline awaitable<void> keep_parked(std::shared_ptr<Conn> conn, std::string events, std::string token,
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
inline awaitable<std::vector<std::shared_ptr<Conn>>> park_all(Env& env, std::vector<App>& apps, ParkStats& st,
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
inline awaitable<void> settle(Env& env, ParkStats& st, std::size_t expect_parked, Clock::duration quiet,
                       Clock::duration limit) {
  const auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (st.written + st.failed >= expect_parked && Clock::now() - st.last_answer >= quiet) break;
    co_await sleep_for(env, 50ms);
  }
}


// Instant messaging modes (ucwa_load_im.cpp).
awaitable<void> run_im(Env& env);
awaitable<void> run_history(Env& env);

}  // namespace ucwa_load
