#include "runtime/metrics.hpp"

#include <fmt/format.h>

namespace parley::runtime {
namespace {

// Label values are escaped as the exposition format requires: backslash, quote, newline.
std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

void Histogram::observe(double s) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < kBounds.size(); ++i)
    if (s <= kBounds[i]) ++buckets_[i];
  ++count_;
  sum_ += s;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  std::lock_guard lock(mutex_);
  const std::string sep = labels.empty() ? "" : ",";
  for (std::size_t i = 0; i < kBounds.size(); ++i)
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, kBounds[i], buckets_[i]);
  out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, count_);
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += fmt::format("{}_sum{} {}\n", name, braces, sum_);
  out += fmt::format("{}_count{} {}\n", name, braces, count_);
}

void Metrics::request_done(http::Site site, std::string_view route, int status,
                           std::chrono::steady_clock::duration elapsed) {
  {
    const auto key = std::make_tuple(http::to_string(site), route, status);
    std::lock_guard lock(mutex_);
    if (auto it = requests_.find(key); it != requests_.end())
      ++it->second;
    else
      requests_.emplace(std::make_tuple(std::string(http::to_string(site)), std::string(route), status), 1);
  }
  (site == http::Site::internal ? latency_internal_ : latency_external_).observe(seconds(elapsed));
}

void Metrics::connection_delta(http::Site site, int delta) {
  (site == http::Site::internal ? open_internal_ : open_external_) += delta;
}

void Metrics::store_call(std::chrono::steady_clock::duration elapsed) {
  store_latency_.observe(seconds(elapsed));
}

void Metrics::add_gauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  gauges_.push_back({std::move(name), std::move(help), std::move(read), false});
}

void Metrics::add_counter(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  gauges_.push_back({std::move(name), std::move(help), std::move(read), true});
}

std::string Metrics::render() const {
  std::string out;
  out += "# HELP parley_http_requests_total HTTP requests answered, by site, route and status.\n";
  out += "# TYPE parley_http_requests_total counter\n";
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, n] : requests_) {
      const auto& [site, route, status] = key;
      out += fmt::format("parley_http_requests_total{{site=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
                         site, escape_label(route), status, n);
    }
  }
  out += "# HELP parley_http_request_duration_seconds Time from a whole request to its answer.\n";
  out += "# TYPE parley_http_request_duration_seconds histogram\n";
  latency_internal_.render(out, "parley_http_request_duration_seconds", "site=\"internal\"");
  latency_external_.render(out, "parley_http_request_duration_seconds", "site=\"external\"");
  out += "# HELP parley_http_open_connections Connections open now, by site.\n";
  out += "# TYPE parley_http_open_connections gauge\n";
  out += fmt::format("parley_http_open_connections{{site=\"internal\"}} {}\n", open_internal_.load());
  out += fmt::format("parley_http_open_connections{{site=\"external\"}} {}\n", open_external_.load());
  out += "# HELP parley_store_operation_duration_seconds Time of one store call on the worker pool.\n";
  out += "# TYPE parley_store_operation_duration_seconds histogram\n";
  store_latency_.render(out, "parley_store_operation_duration_seconds", "");
  std::vector<Gauge> gauges;
  {
    std::lock_guard lock(mutex_);
    gauges = gauges_;
  }
  for (const auto& g : gauges) {
    out += "# HELP " + g.name + " " + g.help + "\n# TYPE " + g.name +
           (g.counter ? " counter\n" : " gauge\n");
    out += fmt::format("{} {}\n", g.name, g.read());
  }
  return out;
}

}  // namespace parley::runtime
