// parleyd started the way the README's first command starts it: no configuration at all (and the
// demo configuration), in a fresh working directory. It listens on the documented default
// ports, so this executable holds a ctest resource lock.
#include "harness.hpp"

#include <gtest/gtest.h>

namespace parley::e2e {
namespace {

TEST(DefaultPorts, StartsWithNoConfigAndBothSitesAnswer) {
  TempDir cwd;
  Parleyd server;
  server.start({}, cwd.path() / "var" / "parley", cwd.path());
  EXPECT_EQ(server.internal_https, "https://127.0.0.1:5443");
  EXPECT_EQ(server.external_https, "https://127.0.0.1:4443");
  EXPECT_EQ(server.external_http, "http://127.0.0.1:8080");
  EXPECT_EQ(http_request("GET", server.internal_https + "/health", server.ca_file()).status, 200);
  EXPECT_EQ(http_request("GET", server.external_https + "/health", server.ca_file()).status, 404);
  EXPECT_EQ(http_request("GET", server.external_http + "/health", server.ca_file()).status, 301);
  // The operator is told where everything is.
  const auto out = server.output();
  EXPECT_NE(out.find("internal site:  https://127.0.0.1:5443"), std::string::npos) << out;
  EXPECT_NE(out.find("external site:  https://0.0.0.0:4443  http://0.0.0.0:8080"), std::string::npos) << out;
  EXPECT_NE(out.find("data directory: " + (cwd.path() / "var" / "parley").string()), std::string::npos);
  EXPECT_NE(out.find("development CA: "), std::string::npos);
  EXPECT_NE(out.find("discovery:      https://localhost:4443/"), std::string::npos) << out;
  EXPECT_NE(out.find("user add"), std::string::npos);
  EXPECT_EQ(server.stop(), 0);
}

TEST(DefaultPorts, DemoConfigurationFromTheReadme) {
  TempDir cwd;
  Parleyd server;
  server.start({"--config", std::string(PARLEY_SOURCE_DIR) + "/deploy/demo.toml"},
               cwd.path() / "var" / "parley", cwd.path());
  const auto out = server.output();
  EXPECT_NE(out.find("alice@example.org   password: "), std::string::npos) << out;
  EXPECT_NE(out.find("bob@example.org   password: "), std::string::npos) << out;
  // The CLI, run from the same directory, finds the server and the credential by itself.
  auto list = run_command({parley_binary(), "user", "list"}, "", cwd.path());
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("alice@example.org"), std::string::npos) << list.out;
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace parley::e2e
