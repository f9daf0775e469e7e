#pragma once
// Runs pending GETs as real coroutines on an io_context owned by the test, so several can wait
// at once and the test decides how long the loop runs between steps.

#include "events/event_channel.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace parley::events::testing {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct PGetResult {
  std::optional<http::Response> response;
  std::exception_ptr error;
  bool done = false;
  Clock::time_point finished;
};

class Loop {
public:
  Loop() : guard_(boost::asio::make_work_guard(ioc_)) {}

  std::shared_ptr<PGetResult> spawn(EventChannel& ch, PGetParams p, bool resume = false,
                                    boost::asio::cancellation_signal* cancel = nullptr) {
    auto r = std::make_shared<PGetResult>();
    auto done = [r](std::exception_ptr e, http::Response resp) {
      r->done = true;
      r->finished = Clock::now();
      if (e) r->error = e;
      else r->response.emplace(std::move(resp));
    };
    if (cancel)
      boost::asio::co_spawn(ioc_, ch.pending_get(p, resume),
                            boost::asio::bind_cancellation_slot(cancel->slot(), done));
    else
      boost::asio::co_spawn(ioc_, ch.pending_get(p, resume), done);
    return r;
  }

  // Runs the loop for `d` whatever happens.
  void run_for(Clock::duration d) { ioc_.run_for(d); }

  // Runs until the P-GET finishes or `limit` passes; true if it finished.
  bool run_until_done(const std::shared_ptr<PGetResult>& r, Clock::duration limit = 5s) {
    auto deadline = Clock::now() + limit;
    while (!r->done && Clock::now() < deadline) ioc_.run_one_until(deadline);
    return r->done;
  }

  boost::asio::io_context& context() { return ioc_; }

private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
};

inline PGetParams ack(std::uint64_t n) {
  PGetParams p;
  p.ack = n;
  return p;
}

inline Event event(std::string href, Priority priority = Priority::high,
                   EventType type = EventType::updated, std::string sender_href = "/app/me") {
  Event e;
  e.sender = Link{"me", std::move(sender_href), ""};
  e.link = Link{"presence", std::move(href), ""};
  e.type = type;
  e.priority = priority;
  return e;
}

inline boost::json::object body_of(const http::Response& r) {
  return boost::json::parse(r.body).as_object();
}

inline std::string href_of(const boost::json::object& body, std::string_view rel) {
  const auto* links = body.if_contains("_links");
  if (!links) return {};
  const auto* l = links->as_object().if_contains(rel);
  if (!l) return {};
  return std::string(l->as_object().at("href").as_string());
}

// Every event's link.href, in package order across senders.
inline std::vector<std::string> event_hrefs(const boost::json::object& body) {
  std::vector<std::string> out;
  for (const auto& s : body.at("sender").as_array())
    for (const auto& e : s.as_object().at("events").as_array())
      out.emplace_back(e.as_object().at("link").as_object().at("href").as_string());
  return out;
}

}  // namespace parley::events::testing
