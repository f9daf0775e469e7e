#pragma once
// Runs one coroutine to completion on a private io_context, for tests of coroutine APIs. Work
// handed to a BlockingPool comes back to this io_context, which keeps running until the
// coroutine is done.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <type_traits>

namespace parley::testing {

template <class T>
T run_awaitable(boost::asio::awaitable<T> a) {
  boost::asio::io_context ioc;
  auto guard = boost::asio::make_work_guard(ioc);
  std::exception_ptr error;
  std::optional<T> result;
  boost::asio::co_spawn(ioc, std::move(a), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
    guard.reset();
  });
  ioc.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

}  // namespace parley::testing
