#pragma once
// The UCWA event channel of one application instance (UCWA.md §4): events raised for the
// application queue here and leave as numbered event packages through pending GETs
// (`GET {app}/events?ack=N`). Requesting ack=N acknowledges every package before N; package N
// is resent, byte for byte, until the client moves on, so delivery is exactly-once and in order.
//
// Thread-safe: events may be pushed from any thread while a P-GET waits on its connection's
// executor. A waiting P-GET holds no thread: it is a suspended coroutine and a timer.

#include "http/message.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace parley::events {

// Urgency classes of UCWA.md §4 "Priority classes". High and real-time release a waiting P-GET
// at once; medium and low may be held to share a package with later events.
enum class Priority { low, medium, high, realtime };

// `added|updated|deleted` for resources; `started|updated|completed` for operations.
enum class EventType { added, updated, deleted, started, completed };
std::string_view to_string(EventType t);

// Appends `text` as a JSON string (quoted and escaped), for JSON written as text.
void append_json_string(std::string& out, std::string_view text);
// Appends `text` escaped for the inside of a JSON string, without quotes: a string written in
// pieces.
void append_json_chars(std::string& out, std::string_view text);

struct Link {
  std::string rel;
  std::string href;
  std::string title;  // optional: omitted when empty
};

// One event, as it appears in a sender's `events[]`.
struct Event {
  Link sender;        // the owning resource: {"rel":"me","href":".../me"}; groups events in `sender[]`
  Link link;          // the target resource
  std::optional<Link> in;  // the collection gaining or losing `link`
  EventType type = EventType::updated;
  Priority priority = Priority::medium;
  // Kept as JSON values, not text: a package is serialized once, with everything in it.
  boost::json::object embedded;  // put under `_embedded.<link.rel>`; empty: none
  // The same, already serialized (the text of a JSON object), for events sent once per message:
  // used when `embedded` is empty.
  std::string embedded_text;
  std::string status;            // "Success" | "Failed" on completed operations; empty: none
  boost::json::object reason;    // {code, subcode, message}; empty: none
};

// What the P-GET's query string says (UCWA.md §4 query parameters). Times are in seconds of the
// wire protocol; the channel's Timing scales them.
struct PGetParams {
  std::uint64_t ack = 1;
  std::optional<unsigned> timeout;  // 180..1800
  std::optional<unsigned> medium;   // 5..1800
  std::optional<unsigned> low;      // 5..1800
  std::optional<std::int64_t> priority;
};

// Parses "ack=5&timeout=900&..."; unknown parameters are ignored (clients append their own).
// Throws ParameterValidationFailure (400) naming the parameter when a value is missing, not a
// number, or out of its range. `ack` is required.
PGetParams parse_pget_query(std::string_view query);

struct ChannelLimits {
  std::size_t max_pending_events = 1024;  // queued, not yet in an acknowledged package; more: resync
  std::chrono::milliseconds batch_delay{20};  // medium/low release delay when no hold was asked for
  unsigned time_scale = 1;                // divides every duration (tests)
};

// Serves the pending GETs of one application instance.
class EventChannel {
public:
  using Clock = std::chrono::steady_clock;

  // `events_path`: "/ucwa/oauth/v1/applications/105/events"; `instance_id` (may be empty) is
  // appended to every href as "&instanceId=..." (percent-encoded).
  EventChannel(std::string events_path, std::string instance_id, ChannelLimits limits);
  // Closes the channel: a P-GET still waiting answers 404 as after close().
  ~EventChannel();
  EventChannel(const EventChannel&) = delete;
  EventChannel& operator=(const EventChannel&) = delete;

  // Queues an event. An `updated` event replaces a queued, not yet packaged `updated` event with
  // the same link.href (aggregation: only the latest state is sent); it then takes the later
  // position. Wakes a waiting P-GET when the event's priority releases it. When more than
  // max_pending_events are queued, the queue is dropped and the next P-GET answers `resync`.
  void push(Event e);

  // Answers one P-GET (must be awaited on the connection's executor). The response is:
  // - 200 with the package numbered `ack` (resent as it was if it was formed before);
  // - 200 with only `_links.resync` when `ack` is outside [oldest kept package, next package]
  //   or the queue overflowed; the resync href carries the first unacknowledged number;
  // - 200 with an empty package (`_links.self` + `next`, `sender: []`) when `timeout` passes;
  // - 409 Conflict/PGetReplaced for an older P-GET when a newer one with the same `ack` and
  //   equal or higher priority arrives (a lower priority newcomer is itself refused with 409);
  // - 404 NotFound/ApplicationNotFound when close() was called meanwhile;
  // - 200 empty package at shutdown (release_all()).
  // With `resume` set (the application was idle for long; its transient state was reset), the
  // queue, kept packages and remembered medium/low/timeout are dropped, and the answer comes at
  // once: the next unused package number, empty, with `_links.resume` alongside `next`.
  // Every package has `_links.self` (this ack) and `_links.next` (ack+1) and a `sender` array;
  // within a package, `completed` events come after the others of the same package.
  boost::asio::awaitable<http::Response> pending_get(PGetParams params, bool resume = false);

  // True while a P-GET is waiting.
  bool parked() const;
  // When the last P-GET finished (or the channel was created, if none yet).
  Clock::time_point last_pget_end() const;
  // When the latest P-GET arrived (the epoch if none has). A P-GET that arrives after an event
  // was queued shows the client is there to take it; one that merely ended does not (the
  // response may have gone to a phone that was already suspended).
  Clock::time_point last_pget_start() const;
  // Whether any P-GET was ever made on this channel.
  bool used() const;

  // The application is gone: a waiting P-GET answers 404 ApplicationNotFound (or `answer`, e.g.
  // 403 MobileApplicationNoLongerAllowed), and so does every later one.
  void close(std::optional<http::Response> answer = std::nullopt);
  // Shutting down: a waiting P-GET answers at once with what it has (possibly empty), and so
  // does every later one.
  void release_all();

  // Approximate bytes held (queued events and kept packages), for metrics and limits.
  std::size_t memory_bytes() const;

  struct State;

private:
  std::shared_ptr<State> state_;
};

}  // namespace parley::events
