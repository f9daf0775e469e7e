#include "runtime/metrics.hpp"

#include <gtest/gtest.h>

namespace parley::runtime {
namespace {

TEST(Metrics, CountsRequestsBySiteRouteAndStatus) {
  Metrics m;
  m.request_done(http::Site::internal, "/health", 200, std::chrono::milliseconds(2));
  m.request_done(http::Site::internal, "/health", 200, std::chrono::milliseconds(3));
  m.request_done(http::Site::external, "(none)", 404, std::chrono::milliseconds(1));
  const auto text = m.render();
  EXPECT_NE(text.find("parley_http_requests_total{site=\"internal\",route=\"/health\",status=\"200\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("parley_http_requests_total{site=\"external\",route=\"(none)\",status=\"404\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("parley_http_request_duration_seconds_count{site=\"internal\"} 2\n"), std::string::npos);
  // 2 ms and 3 ms both fall under the 5 ms bucket, neither under 1 ms.
  EXPECT_NE(text.find("parley_http_request_duration_seconds_bucket{site=\"internal\",le=\"0.005\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("parley_http_request_duration_seconds_bucket{site=\"internal\",le=\"0.001\"} 0\n"),
            std::string::npos);
}

TEST(Metrics, TracksOpenConnectionsAndStoreLatency) {
  Metrics m;
  m.connection_delta(http::Site::external, +1);
  m.connection_delta(http::Site::external, +1);
  m.connection_delta(http::Site::external, -1);
  m.store_call(std::chrono::microseconds(300));
  const auto text = m.render();
  EXPECT_NE(text.find("parley_http_open_connections{site=\"external\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("parley_store_operation_duration_seconds_count 1\n"), std::string::npos);
  EXPECT_NE(text.find("parley_store_operation_duration_seconds_bucket{le=\"0.0005\"} 1\n"), std::string::npos);
}

TEST(Metrics, EscapesLabelValues) {
  Metrics m;
  m.request_done(http::Site::internal, "/a\"b\\c", 200, {});
  EXPECT_NE(m.render().find("route=\"/a\\\"b\\\\c\""), std::string::npos);
}

}  // namespace
}  // namespace parley::runtime
