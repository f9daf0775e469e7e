#include "events/event_channel.hpp"

#include "events/package.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <mutex>
#include <tuple>
#include <vector>

namespace parley::events {
namespace {

using Clock = EventChannel::Clock;

// UCWA.md §4: the wait before an empty package, when the client does not say.
constexpr unsigned kDefaultTimeoutSeconds = 180;

struct QueuedEvent {
  Event event;
  // When this event's hold began. An aggregated update keeps the time of the one it replaced,
  // so a resource that changes every second cannot postpone its own delivery for ever.
  Clock::time_point since;
};

// A suspended P-GET. Other threads never touch `timer`; they post a cancel to `executor`, the
// one the coroutine runs on, so the timer is only ever used from there.
struct Waiter {
  Waiter(boost::asio::any_io_executor ex, std::int64_t prio)
      : executor(ex), timer(ex), priority(prio) {}
  boost::asio::any_io_executor executor;
  boost::asio::steady_timer timer;
  const std::int64_t priority;
  // Guarded by State::mutex.
  bool replaced = false;
  Clock::time_point deadline = Clock::time_point::max();  // when the waiter will next look
};

struct Package {
  std::uint64_t number;
  std::string body;  // kept as text: a resend must be the same bytes
};

// Roughly what a JSON value holds: its strings plus a little per element.
std::size_t approx_bytes(const boost::json::value& v);
std::size_t approx_bytes(const boost::json::object& o) {
  std::size_t n = 0;
  for (const auto& kv : o) n += 16 + kv.key().size() + approx_bytes(kv.value());
  return n;
}
std::size_t approx_bytes(const boost::json::value& v) {
  if (v.is_string()) return v.get_string().size();
  if (v.is_object()) return approx_bytes(v.get_object());
  if (v.is_array()) {
    std::size_t n = 0;
    for (const auto& x : v.get_array()) n += 16 + approx_bytes(x);
    return n;
  }
  return 8;
}

void wake(const std::shared_ptr<Waiter>& w) {
  boost::asio::post(w->executor, [w] { w->timer.cancel(); });
}

http::Response package_response(std::string body) {
  auto r = http::Response::json(200, std::move(body));
  r.headers.set("Cache-Control", "no-cache");
  return r;
}

}  // namespace

struct EventChannel::State {
  State(std::string path, std::string instance_id, ChannelLimits l)
      : events_path(std::move(path)), instance_query(detail::instance_query(instance_id)),
        limits(l), last_pget_end(Clock::now()) {
    if (limits.time_scale == 0) limits.time_scale = 1;
  }

  const std::string events_path;
  const std::string instance_query;
  ChannelLimits limits;

  mutable std::mutex mutex;
  // Vectors, not deques: an idle channel then holds no memory for them (a deque allocates its
  // first block on construction), and one server keeps a channel per signed-in endpoint.
  std::vector<QueuedEvent> queue;
  std::vector<Package> kept;  // formed and not yet acknowledged, oldest first
  std::uint64_t next_number = 1;
  bool overflowed = false;
  bool closed = false;
  std::optional<http::Response> close_answer;  // what a closed channel answers, if not 404
  bool releasing = false;
  bool used = false;
  // The client's aggregation parameters, remembered until it sends new ones (UCWA.md §4).
  std::optional<unsigned> timeout_s, medium_s, low_s;
  std::shared_ptr<Waiter> waiter;
  Clock::time_point last_pget_end;
  Clock::time_point last_pget_start{};  // none yet: the epoch

  // Everything below runs with `mutex` held.

  Clock::duration scaled(unsigned seconds) const {
    return std::chrono::milliseconds(std::uint64_t{seconds} * 1000) / limits.time_scale;
  }

  Clock::duration hold(Priority p) const {
    switch (p) {
      case Priority::realtime:
      case Priority::high: return Clock::duration::zero();
      case Priority::medium: return medium_s ? scaled(*medium_s) : limits.batch_delay;
      case Priority::low: return low_s ? scaled(*low_s) : limits.batch_delay;
    }
    return limits.batch_delay;
  }

  // When a waiting P-GET must answer, given what is queued now.
  Clock::time_point release_time(Clock::time_point timeout_at, Clock::time_point now) const {
    if (releasing || queue.size() >= limits.max_pending_events) return now;
    Clock::time_point at = timeout_at;
    for (const auto& q : queue) at = std::min(at, q.since + hold(q.event.priority));
    return at;
  }

  std::string form(std::uint64_t number, bool resume) {
    std::vector<Event> events;
    events.reserve(queue.size());
    for (auto& q : queue) events.push_back(std::move(q.event));
    queue.clear();
    queue.shrink_to_fit();
    std::string body = detail::package_body(events_path, instance_query, number, events, resume);
    kept.push_back(Package{number, body});
    next_number = number + 1;
    return body;
  }

  http::Response resync(std::uint64_t first_unacked) const {
    return package_response(detail::resync_body(events_path, instance_query, first_unacked));
  }

  http::Response not_found() const {
    if (close_answer) return *close_answer;
    return http::error_response(404, "NotFound", "ApplicationNotFound",
                                "The application no longer exists");
  }

  static http::Response replaced() {
    return http::error_response(409, "Conflict", "PGetReplaced",
                                "Another pending GET replaced this one");
  }

  void drop_waiter() {
    if (!waiter) return;
    waiter->replaced = true;
    wake(waiter);
    waiter.reset();
  }

  // The answer a new P-GET gets without waiting, or nothing when `candidate` now waits.
  std::optional<http::Response> admit(const PGetParams& p, bool resume,
                                      const std::shared_ptr<Waiter>& candidate) {
    used = true;
    if (closed) return not_found();
    if (resume) timeout_s = medium_s = low_s = std::nullopt;
    if (p.timeout) timeout_s = p.timeout;
    if (p.medium) medium_s = p.medium;
    if (p.low) low_s = p.low;

    if (resume) {
      // Transient state was reset: nothing queued or kept refers to it any more. The package
      // takes the next free number so numbering never goes back.
      queue.clear();
      kept.clear();
      overflowed = false;
      drop_waiter();
      return package_response(form(next_number, true));
    }
    if (overflowed) {
      overflowed = false;
      return resync(next_number);
    }
    for (const auto& k : kept)
      if (k.number == p.ack) return package_response(k.body);
    if (p.ack != next_number) return resync(kept.empty() ? next_number : kept.front().number);
    // Asking for the next package acknowledges every one before it.
    kept.clear();
    if (waiter) {
      if (candidate->priority < waiter->priority) return replaced();
      drop_waiter();
    }
    waiter = candidate;
    return std::nullopt;
  }

  // One look by a waiting P-GET: its answer, or nothing and when to look again.
  std::optional<http::Response> step(Waiter& me, std::uint64_t ack, Clock::time_point timeout_at,
                                     Clock::time_point& look_again) {
    if (me.replaced) return replaced();
    if (closed) return not_found();
    if (overflowed) {
      overflowed = false;
      return resync(next_number);
    }
    auto now = Clock::now();
    auto at = release_time(timeout_at, now);
    if (at <= now) return package_response(form(ack, false));
    me.deadline = at;
    look_again = at;
    return std::nullopt;
  }
};

namespace {

// Ends a P-GET on every path out of the coroutine, including its destruction when the
// connection goes away: the channel must not keep pointing at a waiter nobody will answer.
struct PGetEnd {
  std::shared_ptr<EventChannel::State> state;
  std::shared_ptr<Waiter> waiter;
  ~PGetEnd() {
    std::lock_guard lock(state->mutex);
    if (waiter && state->waiter == waiter) state->waiter.reset();
    state->last_pget_end = Clock::now();
  }
};

}  // namespace

EventChannel::EventChannel(std::string events_path, std::string instance_id, ChannelLimits limits)
    : state_(std::make_shared<State>(std::move(events_path), std::move(instance_id), limits)) {}

// A waiting P-GET outlives the channel object (it shares the state); it learns that the
// application is gone instead of waiting for its timeout.
EventChannel::~EventChannel() { close(); }

void EventChannel::push(Event e) {
  std::lock_guard lock(state_->mutex);
  State& s = *state_;
  if (s.closed) return;
  auto now = Clock::now();
  QueuedEvent q{std::move(e), now};
  if (q.event.type == EventType::updated) {
    auto same = std::find_if(s.queue.begin(), s.queue.end(), [&](const QueuedEvent& old) {
      return old.event.type == EventType::updated && old.event.link.href == q.event.link.href;
    });
    if (same != s.queue.end()) {
      q.since = same->since;
      q.event.priority = std::max(q.event.priority, same->event.priority);
      s.queue.erase(same);
    }
  }
  auto release = q.since + s.hold(q.event.priority);
  s.queue.push_back(std::move(q));

  if (s.queue.size() > s.limits.max_pending_events) {
    // The client is not keeping up; what it missed cannot be told in pieces, so it resyncs.
    s.queue.clear();
    s.kept.clear();
    s.overflowed = true;
    if (s.waiter) wake(s.waiter);
    return;
  }
  if (s.queue.size() >= s.limits.max_pending_events) release = now;
  // Only wake the waiter when this event brings its answer forward; a burst then costs one post.
  if (s.waiter && release < s.waiter->deadline) {
    s.waiter->deadline = release;
    wake(s.waiter);
  }
}

boost::asio::awaitable<http::Response> EventChannel::pending_get(PGetParams params, bool resume) {
  std::shared_ptr<State> st = state_;
  auto executor = co_await boost::asio::this_coro::executor;
  PGetEnd end{st, nullptr};
  auto me = std::make_shared<Waiter>(executor, params.priority.value_or(0));
  Clock::time_point timeout_at;
  std::optional<http::Response> answer;
  {
    std::lock_guard lock(st->mutex);
    st->last_pget_start = Clock::now();
    answer = st->admit(params, resume, me);
    if (!answer) {
      end.waiter = me;
      timeout_at = Clock::now() + st->scaled(st->timeout_s.value_or(kDefaultTimeoutSeconds));
    }
  }
  if (answer) co_return std::move(*answer);

  for (;;) {
    Clock::time_point look_again;
    {
      std::lock_guard lock(st->mutex);
      answer = st->step(*me, params.ack, timeout_at, look_again);
      if (answer && st->waiter == me) st->waiter.reset();
    }
    if (answer) co_return std::move(*answer);

    me->timer.expires_at(look_again);
    std::tuple<boost::system::error_code> waited =
        co_await me->timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (std::get<0>(waited)) {
      // Our own wake-ups also abort the wait; only a cancellation of the coroutine itself (the
      // connection closing) ends the P-GET without an answer.
      auto cs = co_await boost::asio::this_coro::cancellation_state;
      if (cs.cancelled() != boost::asio::cancellation_type::none)
        throw boost::system::system_error(boost::asio::error::operation_aborted);
    }
  }
}

bool EventChannel::parked() const {
  std::lock_guard lock(state_->mutex);
  return state_->waiter != nullptr;
}

EventChannel::Clock::time_point EventChannel::last_pget_start() const {
  std::lock_guard lock(state_->mutex);
  return state_->last_pget_start;
}

EventChannel::Clock::time_point EventChannel::last_pget_end() const {
  std::lock_guard lock(state_->mutex);
  return state_->last_pget_end;
}

bool EventChannel::used() const {
  std::lock_guard lock(state_->mutex);
  return state_->used;
}

void EventChannel::close(std::optional<http::Response> answer) {
  std::lock_guard lock(state_->mutex);
  State& s = *state_;
  if (!s.closed) s.close_answer = std::move(answer);
  s.closed = true;
  s.queue.clear();
  s.kept.clear();
  if (s.waiter) wake(s.waiter);
}

void EventChannel::release_all() {
  std::lock_guard lock(state_->mutex);
  state_->releasing = true;
  if (state_->waiter) wake(state_->waiter);
}

std::size_t EventChannel::memory_bytes() const {
  std::lock_guard lock(state_->mutex);
  std::size_t n = 0;
  for (const auto& q : state_->queue) {
    const Event& e = q.event;
    n += sizeof(QueuedEvent) + e.sender.rel.size() + e.sender.href.size() + e.sender.title.size() +
         e.link.rel.size() + e.link.href.size() + e.link.title.size() +
         approx_bytes(e.embedded) + e.embedded_text.size() + approx_bytes(e.reason) + e.status.size();
    if (e.in) n += e.in->rel.size() + e.in->href.size() + e.in->title.size();
  }
  for (const auto& k : state_->kept) n += sizeof(Package) + k.body.size();
  return n;
}

}  // namespace parley::events
