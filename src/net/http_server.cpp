#include "net/http_server.hpp"

#include "common/log.hpp"
#include "http/wire.hpp"
#include "net/tls_socket.hpp"
#include "net/watchdog.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <iterator>
#include <memory>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <poll.h>

namespace parley::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
using FieldAllocator = std::pmr::polymorphic_allocator<char>;
using RequestParser = bhttp::request_parser<bhttp::string_body, FieldAllocator>;

namespace {

// Room for the header fields of one request while it is read: Beast allocates each field on
// its own otherwise. Blocks are reused per thread, and a connection holds one only while it
// reads a request, never while a handler holds the request (a parked pending GET).
class FieldSpace {
public:
  FieldSpace() : block_(acquire()), arena_(block_->data(), block_->size()) {}
  ~FieldSpace() {
    arena_.release();  // whatever overflowed the block
    auto& spare = spares();
    if (spare.size() < kMaxSpares) spare.push_back(std::move(block_));
  }
  FieldSpace(const FieldSpace&) = delete;
  FieldSpace& operator=(const FieldSpace&) = delete;
  FieldAllocator allocator() { return FieldAllocator(&arena_); }

private:
  using Block = std::array<std::byte, 2048>;
  static constexpr std::size_t kMaxSpares = 256;
  static std::vector<std::unique_ptr<Block>>& spares() {
    thread_local std::vector<std::unique_ptr<Block>> list;
    return list;
  }
  static std::unique_ptr<Block> acquire() {
    auto& spare = spares();
    if (spare.empty()) return std::make_unique<Block>();
    auto b = std::move(spare.back());
    spare.pop_back();
    return b;
  }
  std::unique_ptr<Block> block_;
  std::pmr::monotonic_buffer_resource arena_;
};

}  // namespace

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

// How a connection that the transport gave up on is told why (UCWA error shape, UCWA.md §0).
struct TransportError {
  int status;
  const char* code;
  const char* subcode;
  const char* message;
};

TransportError classify(const boost::system::error_code& ec) {
  if (ec == bhttp::error::header_limit)
    return {431, "BadRequest", "HeaderTooLarge", "request header fields are too large"};
  if (ec == bhttp::error::body_limit)
    return {413, "EntityTooLarge", "EntityTooLarge", "request body is too large"};
  if (ec == beast::error::timeout)
    return {408, "ClientTimeout", "", "request was not received in time"};
  return {400, "BadRequest", "BadRequest", "malformed HTTP request"};
}

// The part of a session that shutdown() may touch from another strand.
struct SessionControl {
  asio::any_io_executor executor;
  bool idle = true;                 // waiting for a request to begin (only touched on the strand)
  std::function<void()> close;      // closes the socket (only called on the strand)
  // Set while a keep-alive connection waits for its next request: when the watchdog fires then,
  // the TLS buffers go and the wait goes on for `idle_rest` (only touched on the strand).
  bool idle_grace = false;
  std::chrono::steady_clock::duration idle_rest{};
  // A handler that holds its request (a pending GET) learns that the client went away: the
  // connection is watched for the client's FIN or reset, and the request is cancelled then, so
  // the application no longer counts as listening (push notifications go out) and the handler's
  // resources are freed at once rather than at its timeout. All touched on the strand only.
  bool handling = false;              // a request's handler is running
  bool client_gone = false;           // the client closed the connection while it ran
  unsigned watch = 0;                 // generation of the armed close watch; 0: none
  unsigned watch_generation = 0;
  std::unique_ptr<asio::steady_timer> recheck;  // bytes arrived meanwhile: look again later
  asio::cancellation_signal cancel;   // bound to the session's coroutine
};

// Arms a one-shot watch for the client closing `socket` while a handler runs (the connection's
// deadline calls it once a handler has run for a fifth of a second: quick answers never pay for
// it). POLLRDHUP tells a FIN apart from bytes a client sent ahead (a pipelined request), which
// stay unread for the serve loop.
void watch_for_close(tcp::socket& socket, const std::shared_ptr<SessionControl>& ctl) {
  if (!ctl->handling || ctl->watch != 0 || ctl->client_gone) return;
  const unsigned generation = ctl->watch = ++ctl->watch_generation;
  socket.async_wait(tcp::socket::wait_read, [&socket, ctl, generation](boost::system::error_code ec) {
    // Cancelled (the handler answered first) or the connection closed: the socket may be gone.
    if (ec || ctl->watch != generation || !ctl->handling) return;
    ctl->watch = 0;
    pollfd p{socket.native_handle(), POLLRDHUP, 0};
    if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
      ctl->client_gone = true;
      ctl->cancel.emit(asio::cancellation_type::terminal);
      return;
    }
    if (!ctl->recheck) ctl->recheck = std::make_unique<asio::steady_timer>(ctl->executor);
    ctl->recheck->expires_after(std::chrono::seconds(1));
    ctl->recheck->async_wait([&socket, ctl](boost::system::error_code tec) {
      if (!tec && ctl->handling) watch_for_close(socket, ctl);
    });
  });
}

// Ends the watch when the handler has answered (before anything else uses the socket).
void end_close_watch(tcp::socket& socket, SessionControl& ctl) {
  ctl.handling = false;
  if (ctl.recheck) ctl.recheck->cancel();
  if (ctl.watch != 0) {
    ctl.watch = 0;
    boost::system::error_code ignored;
    socket.cancel(ignored);
  }
}

// A keep-alive connection keeps its TLS record buffers this long after an answer, so that a
// client sending its next request at once (a sender in a chat, a P-GET after its package) does
// not make OpenSSL free and allocate 33 KiB per request; after that the connection is idle and
// holds none.
constexpr auto kIdleGrace = std::chrono::milliseconds(200);

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  asio::io_context& ioc;
  std::shared_ptr<asio::ssl::context> tls;
  LimitsConfig limits;
  Dispatch dispatch;
  ServerHooks hooks;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::atomic<bool> stopping{false};
  bool single_thread = false;  // one thread runs the io_context: no per-connection strand needed
  // Each run by one thread; new connections go to one of them at random (see accept_loop).
  std::vector<asio::io_context*> connection_contexts;
  std::atomic<std::uint64_t> accepted{0};  // accept loops of several listeners may run at once

  std::mutex sessions_mutex;
  std::unordered_map<std::uint64_t, std::shared_ptr<SessionControl>> sessions;
  std::uint64_t next_session_id = 0;

  Impl(asio::io_context& i, std::shared_ptr<asio::ssl::context> t, const LimitsConfig& l,
       Dispatch d, ServerHooks h)
      : ioc(i), tls(std::move(t)), limits(l), dispatch(std::move(d)), hooks(std::move(h)) {}

  std::uint64_t register_session(std::shared_ptr<SessionControl> ctl) {
    std::lock_guard lock(sessions_mutex);
    const auto id = ++next_session_id;
    sessions.emplace(id, std::move(ctl));
    return id;
  }
  void unregister_session(std::uint64_t id) {
    std::lock_guard lock(sessions_mutex);
    sessions.erase(id);
  }
  std::size_t session_count() {
    std::lock_guard lock(sessions_mutex);
    return sessions.size();
  }

  asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, http::Site site, bool use_tls);
  asio::any_io_executor next_connection_executor();
  static asio::awaitable<void> session(std::shared_ptr<Impl> self, std::shared_ptr<SessionControl> ctl,
                                       tcp::socket socket, http::Site site, bool use_tls, std::string remote);
  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, Watchdog& wd, SessionControl& ctl, http::Site site,
                              bool secure, std::string_view remote);
  template <class Stream>
  asio::awaitable<void> reject(Stream& stream, Watchdog& wd, const TransportError& e,
                               http::Site site);
  template <class Stream>
  asio::awaitable<boost::system::error_code> read_request(
      Stream& stream, beast::flat_buffer& buffer,
      RequestParser& parser);
};

namespace {

using TlsStream = TlsSocket;

tcp::socket& socket_of(tcp::socket& s) { return s; }
tcp::socket& socket_of(TlsStream& s) { return s.next_layer(); }

void log_escape(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    logger("http")->error("connection ended by an unexpected error: {}", ex.what());
  }
}

// After an error answer, the peer may still be sending: read and drop (bounded in bytes and
// time) before closing, so that the answer is not lost to a TCP reset.
asio::awaitable<void> linger(tcp::socket& s, Watchdog& wd) {
  boost::system::error_code ec;
  s.shutdown(tcp::socket::shutdown_send, ec);
  std::array<char, 16384> sink{};
  std::size_t drained = 0;
  wd.expires_after(std::chrono::seconds(1));
  while (drained < (4u << 20)) {
    auto [rec, n] = co_await s.async_read_some(asio::buffer(sink), kTuple);
    if (rec) break;
    drained += n;
  }
}

}  // namespace

template <class Stream>
asio::awaitable<void> HttpServer::Impl::reject(Stream& stream, Watchdog& wd,
                                               const TransportError& e, http::Site site) {
  if (hooks.transport_error) hooks.transport_error(site, e.status);
  boost::json::object body;
  body["code"] = e.code;
  if (*e.subcode) body["subcode"] = e.subcode;
  body["message"] = e.message;
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(e.status), 11};
  res.set(bhttp::field::content_type, "application/json; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-cache");
  res.set(bhttp::field::connection, "close");
  res.body() = boost::json::serialize(body);
  res.prepare_payload();
  wd.expires_after(std::chrono::seconds(5));
  auto [ec, n] = co_await bhttp::async_write(stream, res, kTuple);
  (void)n;
  if (!ec) co_await linger(socket_of(stream), wd);
}

// Feeds the parser from the buffer and the stream until one request is whole. Parsing what is
// already buffered before reading again (instead of Beast's composed read operations) saves a
// round trip through the executor per request, which is most of the cost of a small request.
template <class Stream>
asio::awaitable<boost::system::error_code> HttpServer::Impl::read_request(
    Stream& stream, beast::flat_buffer& buffer, RequestParser& parser) {
  parser.eager(true);
  bool answered_expect = false;
  for (;;) {
    if (buffer.size() > 0) {
      boost::system::error_code ec;
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == bhttp::error::need_more) ec = {};
      if (ec) co_return ec;
      if (parser.is_done()) co_return boost::system::error_code{};
      if (parser.is_header_done() && !answered_expect) {
        answered_expect = true;
        if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
          bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
          auto [cec, cn] = co_await bhttp::async_write(stream, cont, kTuple);
          (void)cn;
          if (cec) co_return cec;
        }
      }
      if (used > 0 && buffer.size() > 0) continue;
      // The parser keeps an unfinished header in the buffer; bound it by the header limit.
      if (!parser.is_header_done() && buffer.size() > limits.header_bytes)
        co_return make_error_code(bhttp::error::header_limit);
    }
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(16384), kTuple);
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
      if (!parser.got_some()) co_return make_error_code(bhttp::error::end_of_stream);
      boost::system::error_code eof_ec;
      parser.put_eof(eof_ec);
      if (!eof_ec && parser.is_done()) co_return boost::system::error_code{};
      co_return make_error_code(bhttp::error::partial_message);
    }
    if (ec) co_return ec;
    buffer.commit(n);
  }
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::serve(Stream& stream, Watchdog& wd, SessionControl& ctl,
                                              http::Site site, bool secure,
                                              std::string_view remote) {
  beast::flat_buffer buffer;
  for (;;) {
    if (stopping) co_return;
    // Wait for the first byte of a request with the idle timeout; the whole request must then
    // arrive within the read timeout (a slow sender cannot hold the connection).
    ctl.idle = true;
    if (buffer.size() == 0) {
      const auto idle_timeout = std::chrono::seconds(limits.idle_timeout_seconds);
      if constexpr (std::is_same_v<Stream, TlsStream>) {
        if (idle_timeout > kIdleGrace) {
          ctl.idle_grace = true;
          ctl.idle_rest = idle_timeout - kIdleGrace;
          wd.expires_after(kIdleGrace);
        } else {
          wd.expires_after(idle_timeout);
        }
      } else {
        wd.expires_after(idle_timeout);
      }
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kTuple);
      ctl.idle_grace = false;
      if (ec) co_return;  // closed, idle timeout or shutdown: nothing to answer
      buffer.commit(n);
    }
    ctl.idle = false;

    // The parser lives only while a request is read: a handler may hold the connection for
    // minutes (a pending GET), and the parser's header storage would sit idle all that time.
    // Its header fields live in a FieldSpace until they are copied into the http::Request.
    std::optional<FieldSpace> fields_slot(std::in_place);
    std::optional<RequestParser> parser_slot(std::in_place, std::piecewise_construct, std::make_tuple(),
                                             std::make_tuple(fields_slot->allocator()));
    auto& parser = *parser_slot;
    parser.header_limit(static_cast<std::uint32_t>(limits.header_bytes));
    parser.body_limit(limits.body_bytes);
    wd.expires_after(std::chrono::seconds(limits.read_timeout_seconds));
    auto rec = co_await read_request(stream, buffer, parser);
    if (rec) {
      if (rec == bhttp::error::end_of_stream) co_return;
      if (rec == asio::error::operation_aborted) {
        if (!wd.expired()) co_return;  // closed by shutdown
        rec = make_error_code(beast::error::timeout);
      }
      co_await reject(stream, wd, classify(rec), site);
      co_return;
    }

    auto& breq = parser.get();
    http::Request req;
    req.method = std::string(breq.method_string());
    req.target = std::string(breq.target());
    req.headers.reserve(static_cast<std::size_t>(std::distance(breq.begin(), breq.end())));
    for (const auto& f : breq) req.headers.add(std::string(f.name_string()), std::string(f.value()));
    req.body = std::move(breq.body());
    req.site = site;
    req.secure = secure;
    req.remote_address = remote;
    const bool head = breq.method() == bhttp::verb::head;
    const bool keep_alive = breq.keep_alive();
    parser_slot.reset();
    fields_slot.reset();
    if (buffer.size() == 0) buffer.shrink_to_fit();  // nothing pipelined: free the read buffer

    // A handler may hold the request for minutes (a pending GET). If it is still running a
    // fifth of a second from now, the watchdog gives back the TLS buffers meanwhile (see
    // session()); most requests are answered long before and keep their buffers for the answer.
    wd.expires_after(std::chrono::milliseconds(200));
    ctl.handling = true;
    http::Response out = co_await dispatch(req);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      end_close_watch(stream.next_layer(), ctl);
    } else {
      end_close_watch(stream, ctl);
    }
    if (ctl.client_gone) co_return;  // nobody to answer

    const bool close = !keep_alive || stopping;
    const std::string wire = http::serialize_response(out, head, !close);
    boost::system::error_code wec;
    bool written = false;
    if constexpr (std::is_same_v<Stream, TlsStream>) written = stream.write_now(asio::buffer(wire), wec);
    if (!written && !wec) {  // the socket is full (or plain TCP): wait for room, within the timeout
      wd.expires_after(std::chrono::seconds(limits.read_timeout_seconds));
      if constexpr (std::is_same_v<Stream, TlsStream>) {
        auto [aec, wn] = co_await stream.async_write_some(asio::buffer(wire), kTuple);  // the rest
        (void)wn;
        wec = aec;
      } else {
        auto [aec, wn] = co_await asio::async_write(stream, asio::buffer(wire), kTuple);
        (void)wn;
        wec = aec;
      }
    }
    if (wec || close) co_return;
  }
}

asio::awaitable<void> HttpServer::Impl::session(std::shared_ptr<Impl> self, std::shared_ptr<SessionControl> ctl,
                                                tcp::socket s, http::Site site, bool use_tls,
                                                std::string remote) {
  ctl->executor = co_await asio::this_coro::executor;
  // After a cancellation (the client went away), the clean-up below still runs: operations then
  // complete with operation_aborted instead of throwing out of the session.
  co_await asio::this_coro::throw_if_cancelled(false);
  // However the session ends, a close watch still queued must not touch the socket after it.
  struct EndWatch {
    SessionControl& c;
    ~EndWatch() {
      c.handling = false;
      if (c.recheck) c.recheck->cancel();
    }
  } end_watch{*ctl};
  if (self->hooks.connection_delta) self->hooks.connection_delta(site, +1);
  if (use_tls) {
    TlsStream stream(std::move(s), *self->tls);
    Watchdog* watchdog = nullptr;
    SessionControl* control = ctl.get();
    Watchdog wd(ctl->executor, [&stream, &watchdog, control, ctl] {
      // No TLS operation runs while the deadline passes unattended (a long handler, or a wait
      // for the next request), so the record buffers can go.
      stream.release_buffers();
      if (control->handling) {  // a handler holds the request: watch for the client leaving
        watch_for_close(stream.next_layer(), ctl);
        return;
      }
      if (control->idle_grace) {  // only the grace period of a keep-alive wait is over
        control->idle_grace = false;
        watchdog->expires_after(control->idle_rest);
        return;
      }
      boost::system::error_code ignored;
      stream.next_layer().cancel(ignored);
    });
    watchdog = &wd;
    ctl->close = [&stream] {
      boost::system::error_code ignored;
      stream.next_layer().close(ignored);
    };
    const auto id = self->register_session(ctl);
    wd.expires_after(std::chrono::seconds(self->limits.read_timeout_seconds));
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
    if (!hec) {
      co_await self->serve(stream, wd, *ctl, site, true, remote);
      if (!ctl->client_gone) {  // nobody to say goodbye to otherwise
        wd.expires_after(std::chrono::seconds(2));
        auto [sec] = co_await stream.async_shutdown(kTuple);
        (void)sec;
      }
    }
    wd.stop();
    boost::system::error_code ignored;
    stream.next_layer().close(ignored);
    ctl->close = nullptr;  // a close posted by shutdown() may still be queued
    self->unregister_session(id);
  } else {
    tcp::socket stream(std::move(s));
    Watchdog wd(ctl->executor, [&stream, ctl] {
      if (ctl->handling) {  // a handler holds the request: watch for the client leaving
        watch_for_close(stream, ctl);
        return;
      }
      boost::system::error_code ignored;
      stream.cancel(ignored);
    });
    ctl->close = [&stream] {
      boost::system::error_code ignored;
      stream.close(ignored);
    };
    const auto id = self->register_session(ctl);
    co_await self->serve(stream, wd, *ctl, site, false, remote);
    wd.stop();
    boost::system::error_code ignored;
    stream.shutdown(tcp::socket::shutdown_send, ignored);
    stream.close(ignored);
    ctl->close = nullptr;
    self->unregister_session(id);
  }
  if (self->hooks.connection_delta) self->hooks.connection_delta(site, -1);
}

asio::any_io_executor HttpServer::Impl::next_connection_executor() {
  if (!connection_contexts.empty()) {
    // At random rather than in turn: a client that opens its connections in a fixed pattern
    // (one for requests, one for its event channel) would otherwise put all of one kind on
    // one thread.
    // splitmix64 of a counter: cheap, lock-free and evenly spread.
    std::uint64_t x = accepted.fetch_add(1, std::memory_order_relaxed) + 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    const auto i = x % connection_contexts.size();
    return connection_contexts[i]->get_executor();
  }
  // With several threads on one io_context each connection gets a strand, so that its
  // handlers never run concurrently; with one thread that is already so.
  if (single_thread) return ioc.get_executor();
  return asio::make_strand(ioc);
}

asio::awaitable<void> HttpServer::Impl::accept_loop(tcp::acceptor& acceptor, http::Site site,
                                                    bool use_tls) {
  auto self = shared_from_this();
  for (;;) {
    // With several threads each connection gets a strand, so that its handlers never run
    // concurrently; with one thread that is already so, and the strand would only cost time.
    const asio::any_io_executor connection_executor = next_connection_executor();
    auto [ec, socket] = co_await acceptor.async_accept(connection_executor, kTuple);
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) co_return;
      // Out of descriptors and the like: log and keep going after a short pause.
      logger("http")->warn("accept failed on {} site: {}", http::to_string(site), ec.message());
      asio::steady_timer t(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await t.async_wait(kTuple);
      continue;
    }
    if (session_count() >= limits.max_connections) {
      logger("http")->warn("connection limit {} reached; refusing a connection",
                           limits.max_connections);
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    boost::system::error_code rec;
    // Each answer leaves in one write; never hold it back waiting for more (Nagle).
    socket.set_option(tcp::no_delay(true), rec);
    auto endpoint = socket.remote_endpoint(rec);
    std::string remote = rec ? std::string() : endpoint.address().to_string();
    auto executor = socket.get_executor();

    // A member coroutine with by-value parameters, not a capturing lambda: the parameters
    // live in the coroutine frame for as long as the connection does.
    // The session's coroutine carries the connection's cancellation slot: a handler holding a
    // request is cancelled when the client goes away (watch_for_close). Once that happened, the
    // rest of the session (the TLS goodbye) is cut short too, as nobody is there to hear it.
    auto ctl = std::make_shared<SessionControl>();
    auto slot = ctl->cancel.slot();
    asio::co_spawn(executor, session(self, ctl, std::move(socket), site, use_tls, std::move(remote)),
                   asio::bind_cancellation_slot(slot, [ctl](std::exception_ptr e) { log_escape(e); }));
  }
}

namespace {

// Polls until every connection has gone, or cuts the rest off when the grace period ends.
struct ShutdownPoller : std::enable_shared_from_this<ShutdownPoller> {
  std::shared_ptr<HttpServer::Impl> impl;
  std::chrono::steady_clock::time_point deadline;
  std::function<void()> done;
  asio::steady_timer timer;
  bool forced = false;

  ShutdownPoller(std::shared_ptr<HttpServer::Impl> i, std::chrono::seconds grace,
                 std::function<void()> d)
      : impl(std::move(i)), deadline(std::chrono::steady_clock::now() + grace),
        done(std::move(d)), timer(impl->ioc) {}

  void tick() {
    const bool overdue = std::chrono::steady_clock::now() >= deadline;
    if (impl->session_count() == 0 || (forced && overdue)) {
      done();
      return;
    }
    if (overdue) {
      std::lock_guard lock(impl->sessions_mutex);
      logger("http")->warn("shutdown grace period over; closing {} connection(s)",
                           impl->sessions.size());
      for (auto& [id, ctl] : impl->sessions)
        asio::post(ctl->executor, [ctl] {
          if (ctl->close) ctl->close();
        });
      // A connection whose handler is still busy gets two more seconds, then is abandoned.
      forced = true;
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    }
    timer.expires_after(std::chrono::milliseconds(20));
    timer.async_wait([self = shared_from_this()](const boost::system::error_code&) { self->tick(); });
  }
};

}  // namespace

HttpServer::HttpServer(asio::io_context& ioc, std::shared_ptr<asio::ssl::context> tls,
                       const LimitsConfig& limits, Dispatch dispatch, ServerHooks hooks,
                       unsigned threads, std::vector<asio::io_context*> connection_contexts)
    : impl_(std::make_shared<Impl>(ioc, std::move(tls), limits, std::move(dispatch),
                                   std::move(hooks))) {
  impl_->single_thread = threads == 1;
  impl_->connection_contexts = std::move(connection_contexts);
}

HttpServer::~HttpServer() = default;

std::vector<BoundListener> HttpServer::start(const std::vector<ListenerSpec>& specs) {
  std::vector<BoundListener> bound;
  for (const auto& spec : specs) {
    if (spec.tls && !impl_->tls) throw std::runtime_error("TLS listener without a TLS context");
    boost::system::error_code ec;
    auto address = asio::ip::make_address(spec.address.host, ec);
    if (ec)
      throw std::runtime_error("cannot listen on " + to_string(spec.address) +
                               ": not an IP address");
    tcp::endpoint ep(address, spec.address.port);
    auto acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(impl_->ioc));
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && ep.address().is_v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::runtime_error("cannot listen on " + to_string(spec.address) + " (" +
                               std::string(http::to_string(spec.site)) + " site): " +
                               ec.message());
    bound.push_back({spec.site, spec.tls, spec.address.host, acceptor->local_endpoint().port()});
    impl_->acceptors.push_back(std::move(acceptor));
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto& acc = *impl_->acceptors[i];
    asio::co_spawn(acc.get_executor(), impl_->accept_loop(acc, specs[i].site, specs[i].tls),
                   log_escape);
  }
  return bound;
}

void HttpServer::shutdown(std::chrono::seconds grace, std::function<void()> done) {
  auto impl = impl_;
  impl->stopping = true;
  for (auto& acc : impl->acceptors) {
    asio::post(acc->get_executor(), [a = acc.get()] {
      boost::system::error_code ignored;
      a->close(ignored);
    });
  }
  {
    std::lock_guard lock(impl->sessions_mutex);
    for (auto& [id, ctl] : impl->sessions) {
      asio::post(ctl->executor, [ctl] {
        if (ctl->idle && ctl->close) ctl->close();
      });
    }
  }
  auto poller = std::make_shared<ShutdownPoller>(impl, grace, std::move(done));
  asio::post(impl->ioc, [poller] { poller->tick(); });
}

}  // namespace parley::net
