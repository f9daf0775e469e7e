// Instant-messaging modes of the UCWA load client (bench/im.sh runs them):
//   im      --pairs N --seconds S [--rate R] [--warmup W]
//           N conversations, user u(2i) sending to u(2i+1). Each sender posts on its own keep-alive
//           connection, back-to-back or (with --rate) on an open-loop schedule spread evenly over
//           the senders; each receiver keeps a P-GET parked. Every message carries its scheduled
//           send time, so delivery latency is measured from when the message was due, not from
//           when a busy connection got round to sending it.
//   history --conversations K [--requests M]
//           alice starts K conversations with K different users, then reads the first page of
//           her conversation log M times in a row on one connection.

#include "ucwa_load.hpp"

#include <sys/resource.h>

#include <cinttypes>

namespace ucwa_load {
namespace {

std::int64_t ns_of(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

Clock::time_point time_of_ns(std::int64_t ns) { return Clock::time_point(std::chrono::nanoseconds(ns)); }

const json::object* object_at(const json::value& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  const auto* o = v.as_object().if_contains(key);
  return o && o->is_object() ? &o->as_object() : nullptr;
}

std::string_view string_at(const json::object& o, std::string_view key) {
  const auto* s = o.if_contains(key);
  return s && s->is_string() ? std::string_view(s->as_string()) : std::string_view();
}

// Calls f(event) for every event of a package, in order.
template <class F>
void for_each_event(const json::value& package, F&& f) {
  if (!package.is_object()) return;
  const auto* senders = package.as_object().if_contains("sender");
  if (!senders || !senders->is_array()) return;
  for (const auto& s : senders->as_array()) {
    const auto* events = s.is_object() ? s.as_object().if_contains("events") : nullptr;
    if (!events || !events->is_array()) continue;
    for (const auto& e : events->as_array())
      if (e.is_object()) f(e.as_object());
  }
}

std::string_view rel_of(const json::object& event) {
  const auto* link = event.if_contains("link");
  return link && link->is_object() ? string_at(link->as_object(), "rel") : std::string_view();
}

// The resource embedded in an event under its rel, e.g. _embedded.message.
const json::object* embedded(const json::object& event, std::string_view rel) {
  const auto* e = event.if_contains("_embedded");
  if (!e || !e->is_object()) return nullptr;
  const auto* r = e->as_object().if_contains(rel);
  return r && r->is_object() ? &r->as_object() : nullptr;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes `s` into `out`; false when it does not fit.
bool percent_decode(std::string_view s, char* out, std::size_t capacity, std::size_t& size) {
  size = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (size == capacity) return false;
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out[size++] = static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out[size++] = s[i] == '+' ? ' ' : s[i];
    }
  }
  return true;
}

// Reads the next decimal number of `text` and the separator after it (if `sep`).
template <class T>
bool read_number(std::string_view& text, T& value, char sep) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  if (sep == 0) return true;
  if (text.empty() || text.front() != sep) return false;
  text.remove_prefix(1);
  return true;
}

// A benchmark message's text, "b-<sender>-<sequence>-<scheduled ns>".
struct MessageTag {
  std::size_t from = 0;
  std::int64_t seq = 0, sched_ns = 0;
};

bool parse_tag(std::string_view text, MessageTag& tag) {
  if (text.substr(0, 2) != "b-") return false;
  text.remove_prefix(2);
  return read_number(text, tag.from, '-') && read_number(text, tag.seq, '-') && read_number(text, tag.sched_ns, 0);
}


const std::string kAvailableForIm =
    R"({"SupportedModalities":["Messaging"],"SupportedMessageFormats":["Plain"]})";

awaitable<void> make_available(Env& env, std::unique_ptr<Conn>& conn, const App& app) {
  const std::string path = app.self + "/me/makeMeAvailable";
  auto req = make_request(http::verb::post, path, app.token, kAvailableForIm);
  auto res = co_await call(env, conn, req);
  if (res.result_int() / 100 != 2) fail("makeMeAvailable: " + describe(res));
}

awaitable<Response> start_chat(Env& env, std::unique_ptr<Conn>& conn, const App& app, const std::string& to,
                               std::size_t n) {
  json::object body{{"to", "sip:" + to}, {"subject", "bench"}, {"operationId", "bench-" + std::to_string(n)}};
  const std::string path = app.self + "/communication/messagingInvitations";
  auto req = make_request(http::verb::post, path, app.token, json::serialize(body));
  auto res = co_await call(env, conn, req);
  co_return res;
}

// Issues P-GETs on `conn` until `want` accepts an event; app.events then points past that package.
awaitable<void> pget_until(Env& env, std::unique_ptr<Conn>& conn, App& app,
                           std::function<bool(const json::object&)> want, const char* what) {
  const auto until = Clock::now() + 60s;
  for (;;) {
    auto req = make_request(http::verb::get, app.events, app.token);
    auto res = co_await call(env, conn, req);
    if (res.result_int() != 200) fail(std::string("P-GET waiting for ") + what + ": " + describe(res));
    const auto v = parse_or_null(res.body());
    bool found = false;
    for_each_event(v, [&](const json::object& e) { found = found || want(e); });
    auto next = link_of(v, "next");
    if (next.empty()) next = link_of(v, "resume");
    if (next.empty()) fail(std::string("P-GET waiting for ") + what + " has no next: " + describe(res));
    app.events = with_long_timeout(next);
    if (found) co_return;
    if (Clock::now() > until) fail(std::string("no ") + what + " event within 60 s");
  }
}

// ---------------------------------------------------------------------------------------------
// im

struct Pair {
  App sender, receiver;
  std::string send_path;  // the sender's sendMessage href
  std::unique_ptr<Conn> send_conn;
  std::uint64_t acked = 0;       // 201s the sender received
  std::uint64_t delivered = 0;   // distinct messages the receiver saw
  std::int64_t last_seq = -1;    // highest sequence the receiver saw
  std::uint64_t reordered = 0;   // seen after a later one, or twice
};

struct ImStats {
  Clock::time_point window_start, window_end;
  std::vector<double> ack_ms, delivery_ms;  // messages scheduled inside the window
  std::uint64_t delivered_in_window = 0;    // incoming message events received inside the window
  std::uint64_t acked_in_window = 0;
  std::uint64_t send_errors = 0;
  std::string first_send_error;
  std::uint64_t foreign_messages = 0;  // incoming messages the client did not send (or could not read)
  std::uint64_t outgoing_echoes = 0;   // the receiver's own-direction message events (unexpected)
};

bool in_window(const ImStats& s, Clock::time_point t) { return t >= s.window_start && t < s.window_end; }

// A receiver's package: every incoming message event in it, timed now.
void on_receiver_package(std::vector<Pair>& pairs, ImStats& s, std::size_t pair_index, const json::value& v) {
  const auto now = Clock::now();
  for_each_event(v, [&](const json::object& e) {
    if (rel_of(e) != "message" || string_at(e, "type") != "completed") return;
    const auto* m = embedded(e, "message");
    if (!m) {
      ++s.foreign_messages;
      return;
    }
    if (string_at(*m, "direction") != "Incoming") {
      ++s.outgoing_echoes;
      return;
    }
    const auto* links = m->if_contains("_links");
    const auto* plain = links && links->is_object() ? links->as_object().if_contains("plainMessage") : nullptr;
    const auto href = plain && plain->is_object() ? string_at(plain->as_object(), "href") : std::string_view();
    const auto comma = href.find(',');
    char text[96];
    std::size_t text_size = 0;
    MessageTag tag;
    if (comma == std::string_view::npos || !percent_decode(href.substr(comma + 1), text, sizeof text, text_size) ||
        !parse_tag(std::string_view(text, text_size), tag) || tag.from != pair_index) {
      ++s.foreign_messages;
      return;
    }
    const auto seq = tag.seq;
    Pair& p = pairs[pair_index];
    if (seq <= p.last_seq) {
      ++p.reordered;
      return;
    }
    p.last_seq = seq;
    ++p.delivered;
    if (in_window(s, now)) ++s.delivered_in_window;
    const auto sched = time_of_ns(tag.sched_ns);
    if (in_window(s, sched)) s.delivery_ms.push_back(ms_since(sched, now));
  });
}

awaitable<void> setup_pair(Env& env, std::vector<Pair>& pairs, const std::vector<std::string>& tokens,
                           std::size_t i, std::unique_ptr<Conn>& conn) {
  const auto& o = env.opt;
  Pair& p = pairs[i];
  p.sender = co_await create_app(env, conn, tokens[2 * i], 2 * i);
  p.receiver = co_await create_app(env, conn, tokens[2 * i + 1], 2 * i + 1);
  co_await make_available(env, conn, p.sender);
  co_await make_available(env, conn, p.receiver);
  auto started = co_await start_chat(env, conn, p.sender, user_sip(o, 2 * i + 1), i);
  if (started.result_int() != 201) fail("messagingInvitation of pair " + std::to_string(i) + ": " + describe(started));

  // The receiver's invitation, then accept it.
  std::unique_ptr<Conn> events;
  std::string accept;
  auto invitation = [&](const json::object& e) {
    if (rel_of(e) != "messagingInvitation" || string_at(e, "type") != "started") return false;
    const auto* inv = embedded(e, "messagingInvitation");
    if (inv) accept = link_of(json::value(*inv), "accept");
    return !accept.empty();
  };
  co_await pget_until(env, events, p.receiver, invitation, "messagingInvitation started (receiver)");
  auto req = make_request(http::verb::post, accept, p.receiver.token, "");
  auto res = co_await call(env, conn, req);
  if (res.result_int() != 204) fail("accept of pair " + std::to_string(i) + ": " + describe(res));

  // The sender's messaging resource, once connected, gives the send URL.
  auto send_link = [&](const json::object& e) {
    if (rel_of(e) != "messaging") return false;
    const auto* m = embedded(e, "messaging");
    if (m) p.send_path = link_of(json::value(*m), "sendMessage");
    return !p.send_path.empty();
  };
  std::unique_ptr<Conn> sender_events;
  co_await pget_until(env, sender_events, p.sender, send_link, "messaging with sendMessage (sender)");
  // The sender's event channel is left unread from here on (its queue stays under the limit for the
  // run's length); the receivers carry the measurement.
  p.send_conn = std::make_unique<Conn>(env);
  co_await p.send_conn->open(env.target, false);
}

awaitable<void> send_loop(Env& env, std::vector<Pair>& pairs, ImStats& s, std::size_t i, Clock::time_point start) {
  const auto& o = env.opt;
  Pair& p = pairs[i];
  const bool paced = o.rate > 0;
  // Each sender's share of the offered rate, phase-shifted so the senders interleave evenly.
  const double interval_s = paced ? static_cast<double>(pairs.size()) / o.rate : 0;
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval_s));
  const auto offset = interval * static_cast<long>(i) / static_cast<long>(pairs.size());
  asio::steady_timer timer(env.io);
  char text[96];
  Request req;
  Response res;
  for (std::int64_t k = 0;; ++k) {
    const auto sched = paced ? start + offset + interval * k : Clock::now();
    if (sched >= s.window_end) break;
    if (paced && sched > Clock::now()) {
      timer.expires_at(sched);
      co_await timer.async_wait(use_awaitable);
    }
    const int n = std::snprintf(text, sizeof text, "b-%zu-%" PRId64 "-%" PRId64, i, k, ns_of(sched));
    build_request(req, http::verb::post, p.send_path, p.sender.token, std::string_view(text, static_cast<std::size_t>(n)),
                  "text/plain");
    co_await call(env, p.send_conn, req, res);
    const auto done = Clock::now();
    if (res.result_int() == 201) {
      ++p.acked;
      if (in_window(s, sched)) {
        ++s.acked_in_window;
        s.ack_ms.push_back(ms_since(sched, done));
      }
    } else {
      ++s.send_errors;
      if (s.first_send_error.empty()) s.first_send_error = "send: " + describe(res);
    }
  }
}

awaitable<void> run_im_mode(Env& env) {
  const auto& o = env.opt;
  const std::size_t n = o.pairs;
  std::vector<std::string> sips;
  for (std::size_t u = 0; u < 2 * n; ++u) sips.push_back(user_sip(o, u));
  const auto tokens = co_await sign_in_all(env, sips);

  g_phase = "starting conversations";
  std::vector<Pair> pairs(n);
  const auto t_setup = Clock::now();
  auto setup = [&](std::size_t i, std::unique_ptr<Conn>& conn) -> awaitable<void> {
    co_await setup_pair(env, pairs, tokens, i, conn);
  };
  co_await parallel_for(env, n, 16, setup);
  std::printf("im N=%zu: %zu conversations connected in %.1f s\n", n, n, ms_since(t_setup) / 1000);
  std::fflush(stdout);

  g_phase = "receivers park";
  ImStats s;
  s.window_start = s.window_end = Clock::now() + 24h;  // nothing counts until the run starts
  ParkStats st;
  std::vector<App> receivers;
  for (auto& p : pairs) receivers.push_back(p.receiver);
  auto on_package = [&](std::size_t i, const json::value& v) { on_receiver_package(pairs, s, i, v); };
  auto conns = co_await park_all(env, receivers, st, on_package);
  co_await settle(env, st, n, 500ms, 30s);
  if (st.written != n) fail("only " + std::to_string(st.written) + " of " + std::to_string(n) + " receivers parked; " +
                            st.first_error);

  g_phase = "messages";
  const auto start = Clock::now();
  s.window_start = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
  s.window_end = s.window_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  double server_cpu0 = 0, client_cpu0 = 0;
  bool cpu_sampled = false;
  auto sample = [&]() -> awaitable<void> {
    co_await sleep_for(env, s.window_start - Clock::now());
    server_cpu0 = cpu_seconds(env.server_pid);
    client_cpu0 = cpu_seconds(static_cast<int>(::getpid()));
    cpu_sampled = true;
  };
  asio::co_spawn(env.io, sample, asio::detached);
  auto sender = [&](std::size_t i, std::unique_ptr<Conn>&) -> awaitable<void> {
    co_await send_loop(env, pairs, s, i, start);
  };
  co_await parallel_for(env, n, n, sender);
  const double server_cpu = cpu_seconds(env.server_pid) - server_cpu0;
  const double client_cpu = cpu_seconds(static_cast<int>(::getpid())) - client_cpu0;
  const double window_s = o.seconds;

  // Everything acknowledged must arrive; give stragglers up to 10 s.
  g_phase = "draining";
  const auto drain_until = Clock::now() + 10s;
  auto missing = [&] {
    std::uint64_t m = 0;
    for (const auto& p : pairs) m += p.acked > p.delivered ? p.acked - p.delivered : 0;
    return m;
  };
  while (missing() > 0 && Clock::now() < drain_until) co_await sleep_for(env, 10ms);
  std::uint64_t acked = 0, delivered = 0, reordered = 0;
  for (const auto& p : pairs) {
    acked += p.acked;
    delivered += p.delivered;
    reordered += p.reordered;
  }

  std::string label = "im N=" + std::to_string(n);
  if (o.rate > 0) label += " offered " + std::to_string(static_cast<long>(o.rate)) + "/s";
  else label += " back-to-back";
  std::printf("%s: window %.0f s after %.0f s warm-up; %" PRIu64 " sent and acknowledged in the window (%.0f/s), "
              "%" PRIu64 " acknowledged in all, %" PRIu64 " delivered in all, %" PRIu64 " missing after 10 s, "
              "%" PRIu64 " duplicated/reordered, %" PRIu64 " send errors%s%s, %zu P-GET errors%s%s, "
              "%" PRIu64 " unreadable messages, %" PRIu64 " outgoing-direction events at receivers\n",
              label.c_str(), window_s, o.warmup, s.acked_in_window, static_cast<double>(s.acked_in_window) / window_s,
              acked, delivered, missing(), reordered, s.send_errors, s.first_send_error.empty() ? "" : "; first: ",
              s.first_send_error.c_str(), st.failed, st.first_error.empty() ? "" : "; first: ",
              st.first_error.c_str(), s.foreign_messages, s.outgoing_echoes);
  if (cpu_sampled)
    std::printf("%s: CPU over the window: parleyd %.0f%%, load client %.0f%% (of one core; %ld cores)\n", label.c_str(),
                100 * server_cpu / window_s, 100 * client_cpu / window_s, ::sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("%s: %.0f msgs/s delivered; delivery p50 %.2f ms p99 %.2f ms max %.2f ms; ack p50 %.2f ms p99 %.2f ms "
              "max %.2f ms (%zu deliveries, %zu acks timed)\n",
              label.c_str(), static_cast<double>(s.delivered_in_window) / window_s, percentile(s.delivery_ms, 50),
              percentile(s.delivery_ms, 99), percentile(s.delivery_ms, 100), percentile(s.ack_ms, 50),
              percentile(s.ack_ms, 99), percentile(s.ack_ms, 100), s.delivery_ms.size(), s.ack_ms.size());
  const bool ok = missing() == 0 && s.send_errors == 0 && st.failed == 0 && reordered == 0;
  finish(ok ? 0 : 1);
}

// ---------------------------------------------------------------------------------------------
// history

// Waits until parleyd has spent under 5% of a core for half a second (background writes done).
awaitable<void> until_server_idle(Env& env, Clock::duration limit) {
  const auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    const double c0 = cpu_seconds(env.server_pid);
    co_await sleep_for(env, 500ms);
    if (cpu_seconds(env.server_pid) - c0 < 0.025) co_return;
  }
}

awaitable<void> run_history_mode(Env& env) {
  const auto& o = env.opt;
  const std::size_t k = o.conversations;
  const std::string alice_sip = o.publisher + "@" + o.domain;
  const std::vector<std::string> sips{alice_sip};
  const auto tokens = co_await sign_in_all(env, sips);
  g_phase = "alice's application";
  std::unique_ptr<Conn> conn;
  App alice_app = co_await create_app(env, conn, tokens[0], 0);
  std::vector<App> alice{alice_app};
  co_await make_available(env, conn, alice[0]);
  // Her own event channel is read throughout, so the invitation events do not overflow it.
  ParkStats st;
  auto parked = co_await park_all(env, alice, st, {});

  g_phase = "starting conversations";
  const auto t0 = Clock::now();
  std::size_t errors = 0;
  std::string first_error;
  auto start_one = [&](std::size_t i, std::unique_ptr<Conn>& c) -> awaitable<void> {
    auto res = co_await start_chat(env, c, alice[0], user_sip(o, i), i);
    if (res.result_int() != 201) {
      ++errors;
      if (first_error.empty()) first_error = describe(res);
    }
  };
  co_await parallel_for(env, k, 16, start_one);
  const double create_s = ms_since(t0) / 1000;
  std::printf("history K=%zu: %zu conversations started in %.1f s (%.0f/s), %zu errors%s%s\n", k, k, create_s,
              static_cast<double>(k) / create_s, errors, first_error.empty() ? "" : "; first: ", first_error.c_str());
  std::fflush(stdout);
  g_phase = "waiting for the server to settle";
  co_await until_server_idle(env, 60s);

  g_phase = "conversationLogs";
  const std::string path = alice[0].self + "/communication/conversationLogs?limit=20";
  auto req = make_request(http::verb::get, path, alice[0].token);
  std::unique_ptr<Conn> reader;
  auto first = co_await call(env, reader, req);
  if (first.result_int() != 200) fail("conversationLogs: " + describe(first));
  {
    const auto v = parse_or_null(first.body());
    std::size_t entries = 0;
    if (const auto* e = object_at(v, "_embedded"))
      for (const auto& [key, val] : *e)
        if (val.is_array()) entries += val.as_array().size();
    std::printf("history K=%zu: first page is %zu bytes with %zu embedded entries; links:", k, first.body().size(),
                entries);
    if (const auto* l = object_at(v, "_links"))
      for (const auto& [key, val] : *l) std::printf(" %.*s", static_cast<int>(key.size()), key.data());
    std::printf("\n");
  }
  std::vector<double> lat;
  lat.reserve(o.requests);
  std::size_t bad = 0;
  std::string first_bad;
  for (std::size_t i = 0; i < o.requests; ++i) {
    const auto r0 = Clock::now();
    auto res = co_await call(env, reader, req);
    lat.push_back(ms_since(r0));
    if (res.result_int() != 200) {
      ++bad;
      if (first_bad.empty()) first_bad = describe(res);
    }
  }
  std::printf("history K=%zu: first page p50 %.2f ms p99 %.2f ms max %.2f ms (%zu sequential requests, %zu errors%s%s; "
              "%zu P-GET errors)\n",
              k, percentile(lat, 50), percentile(lat, 99), percentile(lat, 100), lat.size(), bad,
              first_bad.empty() ? "" : "; first: ", first_bad.c_str(), st.failed);
  finish(errors == 0 && bad == 0 ? 0 : 1);
}

}  // namespace

awaitable<void> run_im(Env& env) { co_await run_im_mode(env); }
awaitable<void> run_history(Env& env) { co_await run_history_mode(env); }

}  // namespace ucwa_load
