#pragma once
// A server-side TLS stream that lets OpenSSL read and write the socket itself, instead of
// asio::ssl::stream's BIO pair. asio::ssl::stream keeps about 70 KiB of fixed record buffers per
// connection for its whole life; a parked UCWA event channel is an idle connection held for
// minutes, and a server holds one per signed-in phone. Here an idle connection keeps only the
// SSL object (its record buffers are released while it is idle, see release_buffers()).
//
// Models Asio's AsyncReadStream / AsyncWriteStream, so Beast's and Asio's composed operations
// work on it. Operations wait for readiness with socket.async_wait() and retry the OpenSSL call;
// cancelling the socket (the connection's watchdog) or closing it ends them with an error. One
// read and one write may be outstanding at a time, as with any Asio stream. Included by the HTTP
// server (net/), the relay's TURN-over-TLS listener and, as a client, by the load generator in
// bench/; never by application code.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstddef>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace parley::net {

class TlsSocket {
public:
  using executor_type = boost::asio::any_io_executor;
  using tcp = boost::asio::ip::tcp;

  // A client's socket may be connected after construction: it is handed to OpenSSL at the
  // handshake then.
  TlsSocket(tcp::socket socket, boost::asio::ssl::context& ctx,
            boost::asio::ssl::stream_base::handshake_type role = boost::asio::ssl::stream_base::server)
      : socket_(std::move(socket)) {
    ssl_ = SSL_new(ctx.native_handle());
    if (!ssl_) throw std::runtime_error("SSL_new failed");
    // Read what the socket holds in one call, not a record's 5-byte header and then its body:
    // a request costs one read(2) instead of two.
    SSL_set_read_ahead(ssl_, 1);
    if (role == boost::asio::ssl::stream_base::server)
      SSL_set_accept_state(ssl_);
    else
      SSL_set_connect_state(ssl_);
    if (socket_.is_open()) attach();
  }
  ~TlsSocket() { SSL_free(ssl_); }
  TlsSocket(const TlsSocket&) = delete;
  TlsSocket& operator=(const TlsSocket&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }

  // Gives back OpenSSL's record buffers (about 33 KiB) while the connection is idle: waiting
  // for a request, or holding one for minutes (a parked event channel). The server calls it
  // once a connection has been quiet for a moment; reallocating them per request instead
  // (SSL_MODE_RELEASE_BUFFERS) costs more CPU than it saves. No-op while they still hold data.
  void release_buffers() { SSL_free_buffers(ssl_); }
  tcp::socket& next_layer() { return socket_; }

  template <class Token>
  auto async_handshake(boost::asio::ssl::stream_base::handshake_type, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(
        Op<Handshake>{this, {}}, token, socket_);
  }

  // Sends close_notify; does not wait for the peer's (the connection closes right after).
  template <class Token>
  auto async_shutdown(Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(
        Op<Shutdown>{this, {}}, token, socket_);
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        Op<Read>{this, Read{first_buffer<boost::asio::mutable_buffer>(buffers)}}, token, socket_);
  }

  // Writes all of `b` now if the socket takes it, without suspending the caller: an answer
  // usually fits the socket's send buffer, and going through the executor would cost more
  // than the write. Returns false when it would block (`ec` empty) or failed (`ec` set). After
  // a block, finish with async_write_some() of the same buffer: OpenSSL has taken part of it
  // and continues only from the same bytes (not with asio::async_write, which passes at most
  // 64 KiB at a time).
  bool write_now(boost::asio::const_buffer b, boost::system::error_code& ec) {
    ec = {};
    if (b.size() == 0) return true;
    const Outcome r = Write{b}.attempt(*this);
    if (r.kind == Outcome::done) return r.bytes == b.size();
    if (r.kind == Outcome::failed) ec = r.ec;
    return false;
  }

  // Completes when all of the (first non-empty) buffer is written: OpenSSL writes whole.
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        Op<Write>{this, Write{first_buffer<boost::asio::const_buffer>(buffers)}}, token, socket_);
  }

private:
  enum class Step { start, waiting, done };

  // What one OpenSSL call gave: done (with a byte count), or wait for the socket, or failed.
  struct Outcome {
    enum Kind { done, want_read, want_write, failed } kind;
    std::size_t bytes = 0;
    boost::system::error_code ec;
  };

  Outcome classify(int ret, std::size_t bytes) {
    if (ret > 0) return {Outcome::done, bytes, {}};
    const int err = SSL_get_error(ssl_, ret);
    switch (err) {
      case SSL_ERROR_WANT_READ: return {Outcome::want_read, 0, {}};
      case SSL_ERROR_WANT_WRITE: return {Outcome::want_write, 0, {}};
      case SSL_ERROR_ZERO_RETURN: return {Outcome::failed, 0, boost::asio::error::eof};
      case SSL_ERROR_SYSCALL: {
        const int e = errno;
        ERR_clear_error();
        if (e != 0 && e != EAGAIN)
          return {Outcome::failed, 0, boost::system::error_code(e, boost::system::system_category())};
        return {Outcome::failed, 0, boost::asio::ssl::error::stream_truncated};
      }
      default: {
        const unsigned long code = ERR_get_error();
        ERR_clear_error();
        if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
          return {Outcome::failed, 0, boost::asio::ssl::error::stream_truncated};
        return {Outcome::failed, 0,
                boost::system::error_code(static_cast<int>(code ? code : 1),
                                          boost::asio::error::get_ssl_category())};
      }
    }
  }

  void attach() {
    boost::system::error_code ec;
    socket_.native_non_blocking(true, ec);
    SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle()));
    attached_ = true;
  }

  struct Handshake {
    Outcome attempt(TlsSocket& s) {
      if (!s.attached_) s.attach();
      ERR_clear_error();
      errno = 0;
      return s.classify(SSL_do_handshake(s.ssl_), 0);
    }
  };
  struct Shutdown {
    Outcome attempt(TlsSocket& s) {
      ERR_clear_error();
      errno = 0;
      const int r = SSL_shutdown(s.ssl_);
      if (r >= 0) return {Outcome::done, 0, {}};  // 0: ours sent, theirs not awaited
      return s.classify(r, 0);
    }
  };
  struct Read {
    boost::asio::mutable_buffer buffer;
    Outcome attempt(TlsSocket& s) {
      if (buffer.size() == 0) return {Outcome::done, 0, {}};
      ERR_clear_error();
      errno = 0;
      std::size_t n = 0;
      const int r = SSL_read_ex(s.ssl_, buffer.data(), buffer.size(), &n);
      return s.classify(r, n);
    }
  };
  struct Write {
    boost::asio::const_buffer buffer;
    Outcome attempt(TlsSocket& s) {
      if (buffer.size() == 0) return {Outcome::done, 0, {}};
      ERR_clear_error();
      errno = 0;
      std::size_t n = 0;
      const int r = SSL_write_ex(s.ssl_, buffer.data(), buffer.size(), &n);
      return s.classify(r, n);
    }
  };

  template <class Kind>
  struct Op {
    TlsSocket* s;
    Kind kind;
    Step step = Step::start;
    Outcome result{Outcome::done, 0, {}};

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}) {
      if (step == Step::done) return finish(self);  // resumed after the post below
      if (ec) {
        result = {Outcome::failed, 0, ec};
        return finish(self);
      }
      if constexpr (std::is_same_v<Kind, Read>) {
        // Unless OpenSSL holds bytes already, wait for the socket before calling SSL_read. A
        // read usually follows the answer to the previous request, so the socket is empty and a
        // first try would only fail (one wasted syscall per request); and SSL_read with nothing
        // to read would allocate the 16 KiB record buffer that release_buffers() gave back from
        // an idle connection. Bytes that are already there end the wait at once: Asio re-arms
        // the descriptor for each wait, and the kernel reports it readable then.
        if (step == Step::start && !SSL_has_pending(s->ssl_)) {
          step = Step::waiting;
          s->socket_.async_wait(tcp::socket::wait_read, std::move(self));
          return;
        }
      }
      result = kind.attempt(*s);
      if (result.kind == Outcome::want_read || result.kind == Outcome::want_write) {
        step = Step::waiting;
        s->socket_.async_wait(result.kind == Outcome::want_read ? tcp::socket::wait_read
                                                                : tcp::socket::wait_write,
                              std::move(self));
        return;
      }
      if (step == Step::start) {
        // Finished without waiting: complete through the executor, never inside the initiation.
        step = Step::done;
        boost::asio::post(s->socket_.get_executor(), std::move(self));
        return;
      }
      finish(self);
    }

    template <class Self>
    void finish(Self& self) {
      if constexpr (std::is_same_v<Kind, Read> || std::is_same_v<Kind, Write>)
        self.complete(result.ec, result.kind == Outcome::done ? result.bytes : 0);
      else
        self.complete(result.ec);
    }
  };

  template <class Buffer, class Sequence>
  static Buffer first_buffer(const Sequence& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      Buffer b(*it);
      if (b.size() > 0) return b;
    }
    return Buffer();
  }

  tcp::socket socket_;
  SSL* ssl_ = nullptr;
  bool attached_ = false;
};

}  // namespace parley::net
