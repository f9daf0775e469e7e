#pragma once
// Shared pieces of the UCWA load client (ucwa_load.cpp, ucwa_load_im.cpp): options, one TLS
// connection with HTTP/1.1 keep-alive, sign-in, application creation, parked P-GETs.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "measure.hpp"
#include "net/tls_socket.hpp"

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <list>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
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
using parley::bench::cpu_seconds;
using parley::bench::percentile;
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
inline std::string_view path_view(std::string_view href) {
  if (href.rfind("http", 0) == 0) {
    const auto scheme_end = href.find("://");
    const auto slash = href.find('/', scheme_end == std::string_view::npos ? 0 : scheme_end + 3);
    return slash == std::string_view::npos ? std::string_view("/") : href.substr(slash);
  }
  return href;
}

inline std::string path_of(std::string_view href) { return std::string(path_view(href)); }

// The longest hold the protocol allows, so a parked P-GET stays parked for the whole run.
inline void assign_with_long_timeout(std::string& out, std::string_view href) {
  out.assign(href);
  if (href.find("timeout=") != std::string_view::npos) return;
  out.append(href.find('?') == std::string_view::npos ? "?ack=1&timeout=1800" : "&timeout=1800");
}

inline std::string with_long_timeout(std::string_view href) {
  std::string out;
  assign_with_long_timeout(out, href);
  return out;
}

inline json::value parse_or_null(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  return ec ? json::value() : v;
}

// Parses into memory that the next parse reuses, for the packages of the event channels. The
// client is single-threaded and finishes with one package before it reads the next, so a value
// is always gone (or no longer used) by the time its memory is handed out again.
class JsonScratch {
public:
  JsonScratch() = default;
  JsonScratch(const JsonScratch&) = delete;
  JsonScratch& operator=(const JsonScratch&) = delete;

  // A null value when `text` is not JSON.
  json::value parse(std::string_view text) {
    // A new resource each time, not release(): Boost.JSON's monotonic_resource keeps doubling
    // the size of the next block it asks for across releases, so a long run of packages larger
    // than the buffer would end in an allocation of terabytes.
    parser_.reset();
    resource_.emplace(initial_, sizeof initial_);
    parser_.reset(json::storage_ptr(&*resource_));
    boost::system::error_code ec;
    parser_.write(text.data(), text.size(), ec);
    return ec ? json::value() : parser_.release();
  }

private:
  alignas(std::max_align_t) unsigned char initial_[32 * 1024];
  std::optional<json::monotonic_resource> resource_;
  json::parser parser_;
};

// The path of the link `rel` of a resource, or empty; a view into `v`.
inline std::string_view link_path(const json::value& v, std::string_view rel) {
  if (!v.is_object()) return {};
  const auto* links = v.as_object().if_contains("_links");
  if (!links || !links->is_object()) return {};
  const auto* l = links->as_object().if_contains(rel);
  if (!l || !l->is_object()) return {};
  const auto* h = l->as_object().if_contains("href");
  return h && h->is_string() ? path_view(h->as_string()) : std::string_view();
}

inline std::string link_of(const json::value& v, std::string_view rel) { return std::string(link_path(v, rel)); }

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

// A request in its wire form. Hot paths rebuild one in place, so its capacity is reused.
struct Request {
  std::string wire;
};

inline void build_request(Request& out, http::verb verb, std::string_view target, std::string_view token,
                          std::string_view body = {}, std::string_view content_type = "application/json") {
  auto& w = out.wire;
  w.clear();
  w.append(http::to_string(verb)).append(" ").append(target).append(" HTTP/1.1\r\n");
  w.append("Host: localhost\r\nAccept: application/json\r\nUser-Agent: parley-ucwa-load\r\n");
  if (!token.empty()) w.append("Authorization: Bearer ").append(token).append("\r\n");
  if (verb == http::verb::post || verb == http::verb::put) {
    char length[24];
    const auto end = std::to_chars(length, length + sizeof length, body.size()).ptr;
    w.append("Content-Type: ").append(content_type).append("\r\nContent-Length: ");
    w.append(length, static_cast<std::size_t>(end - length)).append("\r\n\r\n").append(body);
  } else {
    w.append("\r\n");
  }
}

inline Request make_request(http::verb verb, std::string_view target, std::string_view token,
                            std::string_view body = {}, std::string_view content_type = "application/json") {
  Request req;
  build_request(req, verb, target, token, body, content_type);
  return req;
}

// What the client looks at in a response. Reading into an existing Response reuses its body's
// capacity; header fields are not kept.
class Response {
public:
  unsigned result_int() const { return status_; }
  const std::string& body() const { return body_; }
  bool need_eof() const { return need_eof_; }

private:
  friend class ResponseReader;
  unsigned status_ = 0;
  bool need_eof_ = false;
  std::string body_;
};

// An HTTP/1.1 response parser that keeps the status, the body and whether the connection stays
// open, and nothing else.
class ResponseReader final : public http::basic_parser<false> {
public:
  explicit ResponseReader(Response& out) : out_(out) {
    out_.status_ = 0;
    out_.body_.clear();
  }
  void done() { out_.need_eof_ = !keep_alive(); }

private:
  using error_code = boost::system::error_code;
  void on_request_impl(http::verb, beast::string_view, beast::string_view, int, error_code&) override {}
  void on_response_impl(int code, beast::string_view, int, error_code&) override {
    out_.status_ = static_cast<unsigned>(code);
  }
  void on_field_impl(http::field, beast::string_view, beast::string_view, error_code&) override {}
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    if (length) out_.body_.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(beast::string_view body, error_code&) override {
    out_.body_.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code&) override {
    out_.body_.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  Response& out_;
};

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

struct Env;
class Conn;
using LiveConns = std::list<Conn*>;

// Every operation on a connection is bounded, but not with a timer per operation (arming and
// cancelling one costs about as much as the exchange it guards): the connection notes when its
// current operation is due, and one sweep a second (sweep_late) closes the connections that are late.
class Conn {
public:
  explicit Conn(Env& env);
  ~Conn() { live_.erase(entry_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  awaitable<void> open(Target& t, bool spread_sources) {
    auto& sock = stream_.next_layer();
    sock.open(asio::ip::tcp::v4());
    if (spread_sources && !t.sources.empty()) {
      // Defer the port choice to connect(), so each source address has its own port range.
      int one = 1;
      ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      const auto src = t.sources[t.next_source++ % t.sources.size()];
      sock.bind(asio::ip::tcp::endpoint(src, 0));
    }
    boost::system::error_code ec;
    due_ = Clock::now() + 60s;
    co_await sock.async_connect(t.endpoint, asio::redirect_error(use_awaitable, ec));
    if (!ec) co_await stream_.async_handshake(ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
    check(ec);
  }

  // Like the server: a request that fits the socket goes out without a trip through the
  // executor, and a response is parsed from what one read brought (Beast's composed read would
  // add two layers of asynchronous operations per response).
  awaitable<void> send(const Request& req) {
    boost::system::error_code ec;
    if (stream_.write_now(asio::buffer(req.wire), ec)) co_return;
    due_ = Clock::now() + 60s;
    if (!ec) co_await stream_.async_write_some(asio::buffer(req.wire), asio::redirect_error(use_awaitable, ec));
    check(ec);
  }

  // `bounded`: false for P-GETs, which the server may hold for the whole run.
  awaitable<void> receive(Response& res, bool bounded) {
    ResponseReader reader(res);
    reader.eager(true);
    boost::system::error_code ec;
    due_ = bounded ? Clock::now() + 120s : kNever;
    for (;;) {
      if (buf_.size() > 0) {
        const std::size_t used = reader.put(buf_.data(), ec);
        buf_.consume(used);
        if (ec == http::error::need_more) ec = {};
        if (ec || reader.is_done()) break;
        if (used > 0 && buf_.size() > 0) continue;
      }
      const std::size_t n =
          co_await stream_.async_read_some(buf_.prepare(kReadSize), asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
        ec = {};
        if (reader.got_some()) reader.put_eof(ec);
        if (!ec && !reader.is_done()) ec = http::error::partial_message;
        break;
      }
      if (ec) break;
      buf_.commit(n);
    }
    check(ec);
    reader.done();
    // A big answer (a history page) should not stay pinned to the connection.
    if (buf_.size() == 0 && buf_.capacity() > kKeptBuffer) buf_.shrink_to_fit();
  }

  awaitable<Response> receive(bool bounded) {
    Response res;
    co_await receive(res, bounded);
    co_return res;
  }

  awaitable<void> exchange(const Request& req, Response& res) {
    co_await send(req);
    co_await receive(res, true);
  }

  void close() {
    boost::system::error_code ec;
    stream_.next_layer().close(ec);
  }

  // The sweep's check: closing the socket ends the pending operation with an error.
  void close_if_late(Clock::time_point now) {
    if (now < due_) return;
    timed_out_ = true;
    due_ = kNever;
    close();
  }

private:
  static constexpr Clock::time_point kNever = Clock::time_point::max();
  static constexpr std::size_t kKeptBuffer = 16 * 1024;
  static constexpr std::size_t kReadSize = 16 * 1024;

  void check(const boost::system::error_code& ec) {
    due_ = kNever;
    if (timed_out_) throw std::runtime_error("operation timed out");
    if (ec) throw boost::system::system_error(ec);
  }

  // OpenSSL on the socket itself (as the server does), not asio::ssl::stream's buffer pair: the
  // client shares the machine with the server, and every cycle it spends is one the server lacks.
  parley::net::TlsSocket stream_;
  beast::flat_buffer buf_;
  Clock::time_point due_ = kNever;
  bool timed_out_ = false;
  LiveConns& live_;
  LiveConns::iterator entry_;
};

// ---------------------------------------------------------------------------------------------
// Shared steps

struct Env {
  Options opt;
  // One thread runs everything, so the io_context needs no locking.
  asio::io_context io{1};
  ssl::context tls{ssl::context::tls_client};
  Target target;
  int server_pid = 0;
  LiveConns live;  // every open Conn, for sweep_late
  JsonScratch scratch;
};

inline Conn::Conn(Env& env)
    : stream_(asio::ip::tcp::socket(env.io), env.tls, ssl::stream_base::client), live_(env.live), entry_(live_.insert(live_.end(), this)) {}

// Closes the connections whose operation is overdue (see Conn); runs for the whole process.
inline awaitable<void> sweep_late(Env& env) {
  asio::steady_timer t(env.io);
  for (;;) {
    t.expires_after(1s);
    co_await t.async_wait(use_awaitable);
    const auto now = Clock::now();
    for (Conn* c : env.live) c->close_if_late(now);
  }
}

// Reopens the connection when the server asked to close it.
inline awaitable<void> call(Env& env, std::unique_ptr<Conn>& conn, const Request& req, Response& res) {
  if (!conn) {
    conn = std::make_unique<Conn>(env);
    co_await conn->open(env.target, false);
  }
  co_await conn->exchange(req, res);
  if (res.need_eof()) conn.reset();
}

inline awaitable<Response> call(Env& env, std::unique_ptr<Conn>& conn, const Request& req) {
  Response res;
  co_await call(env, conn, req, res);
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

// Hands one answered P-GET to `on_package` and points `events` at the next one; false when the
// package has no link to go on with.
inline bool take_package(Env& env, const Response& res, const std::function<void(const json::value&)>& on_package,
                         std::string& events) {
  const auto v = env.scratch.parse(res.body());
  if (on_package) on_package(v);
  auto next = link_path(v, "next");
  if (next.empty()) next = link_path(v, "resume");
  if (next.empty()) next = link_path(v, "resync");
  if (next.empty()) return false;
  assign_with_long_timeout(events, next);
  return true;
}

// Keeps one P-GET parked on `conn` for as long as the connection lives.
inline awaitable<void> keep_parked(Env& env, std::shared_ptr<Conn> conn, std::string events, std::string token,
                                   ParkStats& st, std::function<void(const json::value&)> on_package) {
  Request req;
  Response res;
  try {
    for (;;) {
      build_request(req, http::verb::get, events, token);
      co_await conn->send(req);
      ++st.written;
      co_await conn->receive(res, false);
      --st.written;
      st.last_answer = Clock::now();
      if (res.result_int() != 200) {
        ++st.failed;
        if (st.first_error.empty()) st.first_error = "P-GET " + events + ": " + describe(res);
        co_return;
      }
      ++st.answered;
      if (!take_package(env, res, on_package, events)) {
        ++st.failed;
        if (st.first_error.empty()) st.first_error = "package without next: " + res.body().substr(0, 300);
        co_return;
      }
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
    auto c = std::make_shared<Conn>(env);
    co_await c->open(env.target, true);
    conns[i] = c;
    std::function<void(const json::value&)> cb;
    if (on_package) cb = [on_package, i](const json::value& v) { on_package(i, v); };
    auto park = keep_parked(env, c, apps[i].events, apps[i].token, st, std::move(cb));
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
