#pragma once
// Prometheus metrics kept in process and rendered in the text exposition format (version 0.0.4)
// for GET /metrics on the internal site.

#include "http/message.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>
#include <mutex>
#include <string>
#include <tuple>

namespace parley::runtime {

// A fixed-bucket latency histogram (seconds).
class Histogram {
public:
  static constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1.0,  5.0};
  void observe(double seconds);
  // Appends the _bucket/_sum/_count lines for `name` with the given label text ("" or `a="b"`).
  void render(std::string& out, const std::string& name, const std::string& labels) const;

private:
  mutable std::mutex mutex_;
  std::array<std::uint64_t, kBounds.size()> buckets_{};
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

class Metrics {
public:
  void request_done(http::Site site, std::string_view route, int status,
                    std::chrono::steady_clock::duration elapsed);
  void connection_delta(http::Site site, int delta);
  void store_call(std::chrono::steady_clock::duration elapsed);
  // A gauge read when /metrics is scraped (e.g. applications running now). Register before
  // serving; `read` must be safe from any thread.
  void add_gauge(std::string name, std::string help, std::function<double()> read);
  // The same for a count that only grows (exposed with TYPE counter; name it *_total).
  void add_counter(std::string name, std::string help, std::function<double()> read);
  std::string render() const;

private:
  struct Gauge {
    std::string name, help;
    std::function<double()> read;
    bool counter = false;
  };
  std::vector<Gauge> gauges_;
  mutable std::mutex mutex_;
  // Transparent comparison lets the hot path look a counter up without building strings.
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t, std::less<>> requests_;
  Histogram latency_internal_;
  Histogram latency_external_;
  Histogram store_latency_;
  std::atomic<std::int64_t> open_internal_{0};
  std::atomic<std::int64_t> open_external_{0};
};

}  // namespace parley::runtime
