// TlsSocket end to end: a server-side and a client-side TlsSocket over a loopback connection.
// Covers what the HTTP server relies on: writes that do not fit the socket finish
// asynchronously, reads of any buffer size see the same bytes, an abrupt close is reported as
// such, and giving back buffers while a read waits loses nothing.

#include "net/tls_context.hpp"
#include "net/tls_socket.hpp"
#include "pki/dev_ca.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace parley::net {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

class TlsSocketTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("parley-tls-socket-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    const auto id = pki::ensure_development_identity(dir_ / "pki", {"localhost"}, {"127.0.0.1"});
    server_ctx_ = make_server_tls_context(id.certificate_chain_pem, id.private_key_pem);
    client_ctx_.set_verify_mode(asio::ssl::verify_none);
    // No session tickets: a client closing with them unread would reset the connection (RST)
    // instead of ending it, and the tests of how a stream ends need the end.
    SSL_CTX_set_num_tickets(server_ctx_->native_handle(), 0);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Connects a client and a server TlsSocket and runs `body(server, client)` to completion,
  // bounded by a deadline so that a hang fails the test instead of blocking it.
  template <class Body>
  void run(Body body) {
    asio::io_context ioc;
    bool finished = false;
    std::exception_ptr error;
    asio::co_spawn(
        ioc,
        [&]() -> awaitable<void> {
          tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
          tcp::socket raw_client(ioc);
          co_await raw_client.async_connect(acceptor.local_endpoint(), asio::use_awaitable);
          tcp::socket raw_server = co_await acceptor.async_accept(asio::use_awaitable);
          TlsSocket server(std::move(raw_server), *server_ctx_);
          TlsSocket client(std::move(raw_client), client_ctx_, asio::ssl::stream_base::client);
          boost::system::error_code server_ec = asio::error::would_block;
          server.async_handshake(asio::ssl::stream_base::server,
                                 [&](boost::system::error_code ec) { server_ec = ec; });
          auto [cec] = co_await client.async_handshake(asio::ssl::stream_base::client, kTuple);
          EXPECT_FALSE(cec) << cec.message();
          while (server_ec == asio::error::would_block) co_await asio::post(ioc, asio::use_awaitable);
          EXPECT_FALSE(server_ec) << server_ec.message();
          co_await body(server, client);
          finished = true;
        },
        [&](std::exception_ptr e) { error = e; });
    ioc.run_for(std::chrono::seconds(30));
    if (error) std::rethrow_exception(error);
    EXPECT_TRUE(finished) << "the exchange did not finish within 30 s";
  }

  // Reads until `n` bytes came or the stream ended, `chunk` bytes at most per read.
  static awaitable<std::string> read_all(TlsSocket& s, std::size_t n, std::size_t chunk,
                                         boost::system::error_code& ec) {
    std::string got;
    std::string buffer(chunk, '\0');
    while (got.size() < n) {
      auto [rec, k] = co_await s.async_read_some(asio::buffer(buffer), kTuple);
      got.append(buffer.data(), k);
      if (rec) {
        ec = rec;
        break;
      }
    }
    co_return got;
  }

  std::filesystem::path dir_;
  std::shared_ptr<asio::ssl::context> server_ctx_;
  asio::ssl::context client_ctx_{asio::ssl::context::tls_client};
};

TEST_F(TlsSocketTest, AWriteTooBigForTheSocketFinishesAsynchronouslyAndArrivesWhole) {
  const std::string data = pattern(8u << 20);  // far more than the socket buffers hold
  run([&](TlsSocket& server, TlsSocket& client) -> awaitable<void> {
    boost::system::error_code ec;
    EXPECT_FALSE(server.write_now(asio::buffer(data), ec)) << "8 MiB cannot fit the socket";
    EXPECT_FALSE(ec) << ec.message();
    boost::system::error_code write_ec = asio::error::would_block;
    std::size_t written = 0;
    server.async_write_some(asio::buffer(data), [&](boost::system::error_code e, std::size_t n) {
      write_ec = e;
      written = n;
    });
    boost::system::error_code read_ec;
    const std::string got = co_await read_all(client, data.size(), 1000, read_ec);
    EXPECT_FALSE(read_ec) << read_ec.message();
    EXPECT_EQ(got.size(), data.size());
    EXPECT_TRUE(got == data) << "the bytes differ";
    while (write_ec == asio::error::would_block) co_await asio::post(client.get_executor(), asio::use_awaitable);
    EXPECT_FALSE(write_ec) << write_ec.message();
    EXPECT_EQ(written, data.size());
  });
}

TEST_F(TlsSocketTest, ASmallWriteGoesOutAtOnce) {
  run([&](TlsSocket& server, TlsSocket& client) -> awaitable<void> {
    boost::system::error_code ec;
    EXPECT_TRUE(client.write_now(asio::buffer(std::string_view("GET / HTTP/1.1\r\n\r\n")), ec));
    EXPECT_FALSE(ec);
    boost::system::error_code read_ec;
    EXPECT_EQ(co_await read_all(server, 18, 16384, read_ec), "GET / HTTP/1.1\r\n\r\n");
  });
}

// Reads smaller than a record and larger than several: OpenSSL hands out what it decrypted in pieces.
TEST_F(TlsSocketTest, ReadsOfEverySizeSeeTheSameBytes) {
  const std::string data = pattern(300'000);
  for (const std::size_t chunk : {1u, 100u, 4095u, 4096u, 20000u, 70000u}) {
    SCOPED_TRACE("reads of " + std::to_string(chunk) + " bytes");
    run([&](TlsSocket& server, TlsSocket& client) -> awaitable<void> {
      asio::async_write(server, asio::buffer(data), [](boost::system::error_code, std::size_t) {});
      boost::system::error_code ec;
      const std::string got = co_await read_all(client, data.size(), chunk, ec);
      EXPECT_FALSE(ec) << ec.message();
      EXPECT_TRUE(got == data) << "got " << got.size() << " bytes, not the ones sent";
    });
  }
}

TEST_F(TlsSocketTest, APeerThatClosesWithoutCloseNotifyIsATruncatedStream) {
  run([&](TlsSocket& server, TlsSocket& client) -> awaitable<void> {
    co_await asio::async_write(client, asio::buffer(std::string_view("partial")), asio::use_awaitable);
    client.next_layer().close();
    boost::system::error_code ec;
    const std::string got = co_await read_all(server, 1000, 4096, ec);
    EXPECT_EQ(got, "partial");
    EXPECT_EQ(ec, asio::ssl::error::stream_truncated) << ec.message();
  });
}

TEST_F(TlsSocketTest, ACloseNotifyIsTheEndOfTheStream) {
  run([&](TlsSocket& server, TlsSocket& client) -> awaitable<void> {
    co_await client.async_shutdown(asio::use_awaitable);
    boost::system::error_code ec;
    co_await read_all(server, 1000, 4096, ec);
    EXPECT_EQ(ec, asio::error::eof) << ec.message();
  });
}

// The server gives back buffers while a read waits for the next request (a parked or idle
// connection); the read must still deliver what comes next, into a large or a small buffer.
TEST_F(TlsSocketTest, BuffersGivenBackWhileAReadWaitsLoseNothing) {
  const std::string data = pattern(50'000);
  for (const std::size_t chunk : {64u, 16384u}) {
    SCOPED_TRACE("reads of " + std::to_string(chunk) + " bytes");
    run([&](TlsSocket& server, TlsSocket& client) -> awaitable<void> {
      // A first exchange fills OpenSSL's buffers; then a read waits with nothing to read.
      co_await asio::async_write(client, asio::buffer(data), asio::use_awaitable);
      boost::system::error_code ec;
      EXPECT_TRUE(co_await read_all(server, data.size(), chunk, ec) == data);
      std::string buffer(chunk, '\0');
      std::size_t got = 0;
      bool done = false;
      server.async_read_some(asio::buffer(buffer), [&](boost::system::error_code e, std::size_t n) {
        EXPECT_FALSE(e) << e.message();
        got = n;
        done = true;
      });
      co_await asio::post(client.get_executor(), asio::use_awaitable);
      server.release_buffers();
      co_await asio::async_write(client, asio::buffer(data), asio::use_awaitable);
      while (!done) co_await asio::post(client.get_executor(), asio::use_awaitable);
      EXPECT_GT(got, 0u);
      std::string all = buffer.substr(0, got);
      all += co_await read_all(server, data.size() - got, chunk, ec);
      EXPECT_FALSE(ec) << ec.message();
      EXPECT_TRUE(all == data);
    });
  }
}

}  // namespace
}  // namespace parley::net
