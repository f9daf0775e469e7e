#pragma once
// A connection's deadline. Moving it is only a store of a time point: one timer per connection
// wakes when the earliest deadline it knows of may have passed, re-arms itself if the deadline
// moved on meanwhile, and otherwise calls `on_expiry` (which cancels the connection's pending
// operations). Per-operation timers, as beast::tcp_stream keeps them, cost a timer-queue update
// for every read and write; this costs one per connection per deadline period.
//
// All members are used on the connection's strand only.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace parley::net {

class Watchdog {
public:
  using Clock = std::chrono::steady_clock;

  Watchdog(boost::asio::any_io_executor executor, std::function<void()> on_expiry)
      : state_(std::make_shared<State>(std::move(executor), std::move(on_expiry))) {}
  ~Watchdog() { stop(); }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void expires_after(Clock::duration d) {
    auto& s = *state_;
    s.deadline = Clock::now() + d;
    s.expired = false;
    if (s.deadline < s.armed_at) arm(state_, s.deadline);
  }
  // True once the deadline passed (until the next expires_after).
  bool expired() const { return state_->expired; }
  // No callback after this.
  void stop() {
    state_->stopped = true;
    state_->on_expiry = nullptr;
    state_->timer.cancel();
  }

private:
  struct State {
    State(boost::asio::any_io_executor ex, std::function<void()> cb)
        : timer(std::move(ex)), on_expiry(std::move(cb)) {}
    boost::asio::steady_timer timer;
    std::function<void()> on_expiry;
    Clock::time_point deadline = Clock::time_point::max();
    Clock::time_point armed_at = Clock::time_point::max();
    unsigned generation = 0;
    bool expired = false;
    bool stopped = false;
  };

  static void arm(const std::shared_ptr<State>& st, Clock::time_point at) {
    const unsigned generation = ++st->generation;  // a superseded wait ignores its completion
    st->armed_at = at;
    st->timer.expires_at(at);
    st->timer.async_wait([st, generation](const boost::system::error_code&) {
      if (st->stopped || generation != st->generation) return;
      st->armed_at = Clock::time_point::max();
      if (Clock::now() < st->deadline) {
        arm(st, st->deadline);
        return;
      }
      st->expired = true;
      if (st->on_expiry) st->on_expiry();
    });
  }

  std::shared_ptr<State> state_;
};

}  // namespace parley::net
