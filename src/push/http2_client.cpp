#include "push/http2_client.hpp"

#include "push/address_policy.hpp"
#include "push/reset_guard.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace parley::push {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kStopped = "client stopped";

void init_curl_once() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    throw std::runtime_error(std::string("libcurl could not start: ") + curl_easy_strerror(result));
  }
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

HttpResponse failed(std::string error) {
  HttpResponse response;
  response.error = std::move(error);
  return response;
}

// One request from send() to its completion. Owned by Impl; curl holds a raw pointer to it
// (CURLOPT_PRIVATE) only while the easy handle is in the multi handle.
struct Transfer {
  HttpRequest request;
  std::function<void(HttpResponse)> done;
  HttpResponse response;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  std::size_t max_body = 0;
  bool body_too_large = false;
  std::string refused_address;  // set when public_addresses_only refused to connect to it
  std::chrono::steady_clock::time_point started;
  char error_buffer[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (easy) curl_easy_cleanup(easy);
    curl_slist_free_all(header_list);
  }
};

// A socket curl asked us to watch. The descriptor never owns the fd: curl opens and closes its
// sockets itself, so we release() before curl closes (see on_close_socket).
struct WatchedSocket {
  explicit WatchedSocket(const asio::any_io_executor& ex) : descriptor(ex) {}
  asio::posix::stream_descriptor descriptor;
  curl_socket_t fd = CURL_SOCKET_BAD;
  int want = 0;  // CURL_POLL_IN / CURL_POLL_OUT bits
  bool reading = false;
  bool writing = false;
  bool closed = false;
};

struct Completion {
  std::function<void(HttpResponse)> done;
  HttpResponse response;
};
using Completions = std::vector<Completion>;

std::string describe(CURLcode code, const Transfer& t, long os_errno) {
  std::string words;
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      words = os_errno == ECONNREFUSED ? "connection refused" : "could not connect";
      break;
    case CURLE_COULDNT_RESOLVE_HOST: words = "could not resolve host"; break;
    case CURLE_OPERATION_TIMEDOUT:
      words = "timed out (limit " + std::to_string(t.request.timeout.count()) + " ms)";
      break;
    case CURLE_PEER_FAILED_VERIFICATION: words = "TLS certificate verification failed"; break;
    case CURLE_SSL_CONNECT_ERROR: words = "TLS handshake failed"; break;
    case CURLE_SSL_CACERT_BADFILE: words = "CA file could not be read"; break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING: words = "connection lost"; break;
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: words = "HTTP/2 error"; break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: words = "bad URL"; break;
    case CURLE_WRITE_ERROR:
      if (t.body_too_large) {
        return "response body larger than " + std::to_string(t.max_body) + " bytes";
      }
      words = curl_easy_strerror(code);
      break;
    default: words = curl_easy_strerror(code); break;
  }
  if (!t.refused_address.empty() &&
      (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST)) {
    return "refused to connect to " + t.refused_address +
           ": a loopback or private-network address, and this request may only reach public ones";
  }
  if (t.error_buffer[0] != '\0') {
    words += " (";
    words += trim(t.error_buffer);
    words += ")";
  }
  return words;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

// Every call into curl happens with mutex_ held. Asio handlers arrive on strand_, so in normal
// running the mutex is never contended; it exists for the destructor, which may run on any thread
// (or after the io_context has stopped) and must tear curl down without racing a handler.
struct Http2Client::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor executor, Http2ClientOptions opts)
      : strand(asio::make_strand(executor)), options(std::move(opts)), timer(strand) {}

  ~Impl() {
    // Http2Client's destructor has already cleaned up; this covers a constructor that threw.
    if (multi) curl_multi_cleanup(multi);
  }

  asio::strand<asio::any_io_executor> strand;
  Http2ClientOptions options;
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> connections{0};
  bool reset_guard = finished_stream_reset_guard_active();

  std::mutex mutex;
  CURLM* multi = nullptr;
  asio::steady_timer timer;
  bool stopped = false;
  bool start_scheduled = false;
  std::deque<std::unique_ptr<Transfer>> queued;  // sent, not yet handed to curl
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> running;
  std::unordered_map<curl_socket_t, std::shared_ptr<WatchedSocket>> sockets;

  void init_multi() {
    multi = curl_multi_init();
    if (!multi) throw std::runtime_error("libcurl could not create a multi handle");
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, long{CURLPIPE_MULTIPLEX});
    // One connection per origin: further requests wait for it and share it as HTTP/2 streams.
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 1L);
    // The server's SETTINGS_MAX_CONCURRENT_STREAMS still applies (APNs announces ~1000).
    const auto streams = std::clamp<std::size_t>(options.max_in_flight, 100, 1u << 20);
    curl_multi_setopt(multi, CURLMOPT_MAX_CONCURRENT_STREAMS, static_cast<long>(streams));
  }

  // --- send -------------------------------------------------------------------------------

  static void submit(const std::shared_ptr<Impl>& self, HttpRequest request,
                     std::function<void(HttpResponse)> done) {
    const auto started = std::chrono::steady_clock::now();
    if (self->in_flight.fetch_add(1) >= self->options.max_in_flight) {
      self->in_flight.fetch_sub(1);
      auto response = failed("too many requests in flight (limit " +
                             std::to_string(self->options.max_in_flight) + ")");
      asio::post(self->strand, [done = std::move(done), response = std::move(response)]() mutable {
        done(std::move(response));
      });
      return;
    }
    auto transfer = std::make_unique<Transfer>();
    transfer->request = std::move(request);
    transfer->done = std::move(done);
    transfer->started = started;
    transfer->max_body = self->options.max_response_bytes;

    std::lock_guard lock(self->mutex);
    if (self->stopped) {  // only reachable through the awaitable overload racing the destructor
      self->in_flight.fetch_sub(1);
      auto response = failed(std::string(kStopped));
      asio::post(self->strand, [t = std::move(transfer), response = std::move(response)]() mutable {
        t->done(std::move(response));
      });
      return;
    }
    self->queued.push_back(std::move(transfer));
    // Requests sent in a burst are handed to curl together, by one strand handler.
    if (!self->start_scheduled) {
      self->start_scheduled = true;
      asio::post(self->strand, [self] { self->start_queued(); });
    }
  }

  void start_queued() {
    Completions completions;
    {
      std::lock_guard lock(mutex);
      start_scheduled = false;
      if (stopped) return;
      while (!queued.empty()) {
        auto transfer = std::move(queued.front());
        queued.pop_front();
        if (auto error = prepare(*transfer); !error.empty()) {
          complete(std::move(transfer), failed(std::move(error)), completions);
          continue;
        }
        if (CURLMcode code = curl_multi_add_handle(multi, transfer->easy); code != CURLM_OK) {
          complete(std::move(transfer), failed(curl_multi_strerror(code)), completions);
          continue;
        }
        CURL* easy = transfer->easy;
        running.emplace(easy, std::move(transfer));
      }
    }
    deliver(completions);
  }

  // Builds the easy handle; returns an error in words, or "" when ready.
  std::string prepare(Transfer& t) {
    const HttpRequest& req = t.request;
    for (const auto& [name, value] : req.headers) {
      if (name.empty() || has_line_break(name) || has_line_break(value) ||
          name.find(':') != std::string::npos) {
        return "invalid request header \"" + std::string(trim(name)) + "\"";
      }
    }
    if (has_line_break(req.method) || req.method.empty()) return "invalid request method";

    t.easy = curl_easy_init();
    if (!t.easy) return "libcurl could not create a request";
    CURL* e = t.easy;
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error_buffer);
    curl_easy_setopt(e, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, long{CURL_HTTP_VERSION_2TLS});
    // Wait for the origin's connection and multiplex on it rather than opening another.
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<long long>(1, req.timeout.count())));
    const auto connect_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(options.connect_timeout).count();
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::max<long long>(1, connect_ms)));
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, options.verify_peer ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, options.verify_peer ? 2L : 0L);
    if (!options.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options.ca_file.c_str());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &Impl::on_close_socket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, this);
    if (req.public_addresses_only) {
      curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &Impl::on_open_public_socket);
      curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &t);
    }

    bool has_content_type = false;
    for (const auto& [name, value] : req.headers) {
      has_content_type = has_content_type || iequals(name, "content-type");
      // "name;" is curl's spelling of a header sent with an empty value.
      const std::string line = value.empty() ? name + ";" : name + ": " + value;
      t.header_list = curl_slist_append(t.header_list, line.c_str());
    }
    if (req.method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (req.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, req.body.data());
      if (req.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      // Otherwise curl labels the body as a form.
      if (!has_content_type) t.header_list = curl_slist_append(t.header_list, "Content-Type:");
    }
    t.header_list = curl_slist_append(t.header_list, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.header_list);
    return {};
  }

  // --- curl callbacks (all run inside a curl call made with mutex held) -------------------

  static size_t on_body(char* data, size_t size, size_t count, void* userp) {
    auto* t = static_cast<Transfer*>(userp);
    const size_t n = size * count;
    if (t->response.body.size() + n > t->max_body) {
      t->body_too_large = true;
      return 0;  // curl aborts the transfer with CURLE_WRITE_ERROR
    }
    t->response.body.append(data, n);
    return n;
  }

  static size_t on_header(char* data, size_t size, size_t count, void* userp) {
    auto* t = static_cast<Transfer*>(userp);
    const size_t n = size * count;
    std::string_view line = trim(std::string_view(data, n));
    if (line.starts_with("HTTP/")) {
      t->response.headers.clear();  // a new response (after 100 Continue, say) starts over
      return n;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return n;
    std::string name(trim(line.substr(0, colon)));
    std::transform(name.begin(), name.end(), name.begin(), lower);
    t->response.headers.emplace_back(std::move(name), std::string(trim(line.substr(colon + 1))));
    return n;
  }

  static int on_socket(CURL*, curl_socket_t fd, int what, void* userp, void*) {
    auto* self = static_cast<Impl*>(userp);
    if (what == CURL_POLL_REMOVE) {
      // curl says so before it closes the fd, and an idle pooled connection must not keep the
      // io_context busy; a later ADD registers the fd again.
      self->forget_socket(fd);
      return 0;
    }
    if (self->stopped) return 0;
    auto it = self->sockets.find(fd);
    if (it == self->sockets.end()) {
      auto watched = std::make_shared<WatchedSocket>(self->strand);
      boost::system::error_code ec;
      watched->descriptor.assign(fd, ec);
      if (ec) return -1;
      watched->fd = fd;
      it = self->sockets.emplace(fd, std::move(watched)).first;
    }
    it->second->want = what;
    self->arm(it->second);
    return 0;
  }

  // Opens the socket for an address curl resolved, unless the address is not public. curl then
  // tries the name's next address, and fails with "could not connect" when none is left.
  static curl_socket_t on_open_public_socket(void* userp, curlsocktype purpose, curl_sockaddr* address) {
    auto* t = static_cast<Transfer*>(userp);
    if (purpose == CURLSOCKTYPE_IPCXN) {
      const sockaddr* sa = &address->addr;
      const unsigned char* ip = nullptr;
      std::size_t size = 0;
      if (sa->sa_family == AF_INET) {
        ip = reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
        size = 4;
      } else if (sa->sa_family == AF_INET6) {
        ip = reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
        size = 16;
      }
      if (ip == nullptr || private_address(ip, size)) {
        char text[INET6_ADDRSTRLEN] = "an unknown address";
        if (ip != nullptr) inet_ntop(sa->sa_family, ip, text, sizeof text);
        t->refused_address = text;
        return CURL_SOCKET_BAD;
      }
    }
    return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  }

  static int on_close_socket(void* userp, curl_socket_t fd) {
    auto* self = static_cast<Impl*>(userp);
    self->forget_socket(fd);
    return ::close(fd);
  }

  static int on_timer(CURLM*, long timeout_ms, void* userp) {
    auto* self = static_cast<Impl*>(userp);
    if (timeout_ms < 0) {
      self->timer.cancel();
      return 0;
    }
    self->timer.expires_after(std::chrono::milliseconds(timeout_ms));
    self->timer.async_wait(
        asio::bind_executor(self->strand, [self = self->shared_from_this()](boost::system::error_code ec) {
          if (ec != asio::error::operation_aborted) self->on_timeout();
        }));
    return 0;
  }

  // --- readiness ----------------------------------------------------------------------------

  // Releases (never closes) the descriptor before curl closes the fd, so a reused fd number is
  // never deregistered by mistake.
  void forget_socket(curl_socket_t fd) {
    auto it = sockets.find(fd);
    if (it == sockets.end()) return;
    it->second->closed = true;
    boost::system::error_code ignored;
    it->second->descriptor.cancel(ignored);
    if (it->second->descriptor.is_open()) it->second->descriptor.release();
    sockets.erase(it);
  }

  void arm(const std::shared_ptr<WatchedSocket>& s) {
    if (s->closed) return;
    auto self = shared_from_this();
    if ((s->want & CURL_POLL_IN) && !s->reading) {
      s->reading = true;
      s->descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                               asio::bind_executor(strand, [self, s](boost::system::error_code ec) {
                                 self->on_ready(s, CURL_CSELECT_IN, ec);
                               }));
    }
    if ((s->want & CURL_POLL_OUT) && !s->writing) {
      s->writing = true;
      s->descriptor.async_wait(asio::posix::descriptor_base::wait_write,
                               asio::bind_executor(strand, [self, s](boost::system::error_code ec) {
                                 self->on_ready(s, CURL_CSELECT_OUT, ec);
                               }));
    }
  }

  void on_ready(const std::shared_ptr<WatchedSocket>& s, int direction, boost::system::error_code ec) {
    Completions completions;
    {
      std::lock_guard lock(mutex);
      if (direction == CURL_CSELECT_IN) s->reading = false;
      if (direction == CURL_CSELECT_OUT) s->writing = false;
      if (stopped || s->closed) return;
      const int wanted = direction == CURL_CSELECT_IN ? CURL_POLL_IN : CURL_POLL_OUT;
      if (ec == asio::error::operation_aborted || (!ec && (s->want & wanted) == 0)) {
        arm(s);  // watch again whatever curl still wants
        return;
      }
      act(s->fd, ec ? CURL_CSELECT_ERR : direction, completions);
      arm(s);  // no-op if curl released the socket meanwhile
    }
    deliver(completions);
  }

  void on_timeout() {
    Completions completions;
    {
      std::lock_guard lock(mutex);
      if (stopped) return;
      act(CURL_SOCKET_TIMEOUT, 0, completions);
    }
    deliver(completions);
  }

  // Tells curl a socket became ready or its timer fired; collects transfers that finished.
  void act(curl_socket_t fd, int flags, Completions& completions) {
    int still_running = 0;
    curl_multi_socket_action(multi, fd, flags, &still_running);
    collect_done(completions);
  }

  void collect_done(Completions& completions) {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      const CURLcode result = msg->data.result;
      auto it = running.find(easy);
      if (it == running.end()) continue;
      auto transfer = std::move(it->second);
      running.erase(it);

      long status = 0, version = 0, connects = 0, os_errno = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
      curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
      curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
      connections.fetch_add(static_cast<std::size_t>(std::max(0L, connects)));
      curl_multi_remove_handle(multi, easy);

      HttpResponse response = std::move(transfer->response);
      if (result == CURLE_OK) {
        response.status = status;
      } else {
        response.address_refused = !transfer->refused_address.empty();
        response.status = 0;  // a partial answer is no answer
        response.error = describe(result, *transfer, os_errno);
      }
      switch (version) {
        case CURL_HTTP_VERSION_1_0:
        case CURL_HTTP_VERSION_1_1: response.http_version = 1; break;
        case CURL_HTTP_VERSION_2_0: response.http_version = 2; break;
        case CURL_HTTP_VERSION_3: response.http_version = 3; break;
        default: response.http_version = 0; break;
      }
      complete(std::move(transfer), std::move(response), completions);
    }
  }

  void complete(std::unique_ptr<Transfer> transfer, HttpResponse response, Completions& completions) {
    response.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - transfer->started);
    completions.push_back({std::move(transfer->done), std::move(response)});
    in_flight.fetch_sub(1);
    // transfer (and its easy handle) is destroyed here, after removal from the multi handle
  }

  // Runs user callbacks with no lock held, so a callback may send again or destroy the client.
  static void deliver(Completions& completions) {
    for (auto& c : completions) c.done(std::move(c.response));
  }

  // --- shutdown ---------------------------------------------------------------------------

  Completions stop() {
    Completions completions;
    std::lock_guard lock(mutex);
    stopped = true;
    timer.cancel();
    while (!queued.empty()) {
      complete(std::move(queued.front()), failed(std::string(kStopped)), completions);
      queued.pop_front();
    }
    for (auto& [easy, transfer] : running) {
      curl_multi_remove_handle(multi, easy);
      complete(std::move(transfer), failed(std::string(kStopped)), completions);
    }
    running.clear();
    // Closes pooled connections; on_close_socket releases their descriptors first.
    curl_multi_cleanup(multi);
    multi = nullptr;
    while (!sockets.empty()) forget_socket(sockets.begin()->first);
    return completions;
  }
};

Http2Client::Http2Client(asio::any_io_executor executor, Http2ClientOptions options) {
  init_curl_once();
  impl_ = std::make_shared<Impl>(std::move(executor), std::move(options));
  impl_->init_multi();
}

Http2Client::~Http2Client() {
  // Pending handlers keep Impl alive but find it stopped; curl is gone before we return, so an
  // io_context that never runs again loses nothing but memory its own destructor frees.
  auto completions = impl_->stop();
  Impl::deliver(completions);
}

void Http2Client::send(HttpRequest request, std::function<void(HttpResponse)> done) {
  Impl::submit(impl_, std::move(request), std::move(done));
}

asio::awaitable<HttpResponse> Http2Client::send(HttpRequest request) {
  auto initiate = [impl = impl_](auto handler, HttpRequest req) {
    // std::function needs a copyable target; the coroutine's handler is move-only.
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    Impl::submit(impl, std::move(req), [shared](HttpResponse response) {
      // Resume the coroutine on its own executor, never inline on the thread that completed us
      // (which may be the destructor's).
      auto executor = asio::get_associated_executor(*shared);
      asio::post(executor, [shared, response = std::move(response)]() mutable {
        std::move (*shared)(std::move(response));
      });
    });
  };
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(HttpResponse)>(
      initiate, asio::use_awaitable, std::move(request));
}

std::size_t Http2Client::connections_opened() const { return impl_->connections.load(); }

std::size_t Http2Client::in_flight() const { return impl_->in_flight.load(); }

bool Http2Client::closed_stream_resets_dropped() const { return impl_->reset_guard; }

}  // namespace parley::push
