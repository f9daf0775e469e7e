#pragma once
// Runs blocking work (SQLite, argon2id, file I/O) on its own threads and lets a coroutine await
// the result, so request threads never wait on the disk or a password hash. Exceptions travel
// back to the awaiting coroutine.

#include "runtime/metrics.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <type_traits>

namespace parley::runtime {

namespace detail {
template <class R>
struct CompletionSignature {
  using type = void(std::exception_ptr, R);
};
template <>
struct CompletionSignature<void> {
  using type = void(std::exception_ptr);
};
}  // namespace detail

class BlockingPool {
public:
  explicit BlockingPool(std::size_t threads, Metrics* metrics = nullptr)
      : pool_(threads), metrics_(metrics) {}
  ~BlockingPool() { pool_.join(); }

  // Work that is not a store call (password hashing, files).
  //
  // Callers name the job first and pass it as an lvalue or with std::move: g++ 12 mishandles
  // temporaries with non-trivial destructors inside a co_await expression (they can be destroyed
  // twice), so a capturing lambda must not be a temporary there.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<std::decay_t<F>&>> run(F&& f) {
    return run_timed(std::decay_t<F>(std::forward<F>(f)), nullptr);
  }
  // A store call: its duration feeds parley_store_operation_duration_seconds.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<std::decay_t<F>&>> store(F&& f) {
    return run_timed(std::decay_t<F>(std::forward<F>(f)), metrics_);
  }

  void stop() { pool_.join(); }

private:
  // Posts `f` to the pool and completes the awaiting coroutine on its own executor with the
  // result, or with the exception `f` threw (rethrown there by use_awaitable).
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&>> run_timed(F f, Metrics* metrics) {
    using R = std::invoke_result_t<F&>;
    using Signature = typename detail::CompletionSignature<R>::type;
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, Signature>(
        [this, metrics](auto handler, F work) {
          boost::asio::post(pool_, [handler = std::move(handler), work = std::move(work),
                                    metrics]() mutable {
            const auto started = std::chrono::steady_clock::now();
            std::exception_ptr error;
            auto executor = boost::asio::get_associated_executor(handler);
            if constexpr (std::is_void_v<R>) {
              try {
                work();
              } catch (...) {
                error = std::current_exception();  // carried to the awaiting coroutine
              }
              if (metrics) metrics->store_call(std::chrono::steady_clock::now() - started);
              boost::asio::post(executor, [handler = std::move(handler), error]() mutable {
                std::move(handler)(error);
              });
            } else {
              std::optional<R> result;
              try {
                result.emplace(work());
              } catch (...) {
                error = std::current_exception();  // carried to the awaiting coroutine
              }
              if (metrics) metrics->store_call(std::chrono::steady_clock::now() - started);
              boost::asio::post(executor, [handler = std::move(handler), error,
                                           result = std::move(result)]() mutable {
                std::move(handler)(error, result ? std::move(*result) : R{});
              });
            }
          });
        },
        boost::asio::use_awaitable, std::move(f));
  }

  boost::asio::thread_pool pool_;
  Metrics* metrics_;
};

}  // namespace parley::runtime
