// parleyd as an administrator and a client meet it: start, sites, limits, errors, signals,
// restart. Every test runs the real binary on ephemeral loopback ports.
#include "harness.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

namespace parley::e2e {
namespace {

class Server : public ::testing::Test {
protected:
  void SetUp() override { server.start_with_test_config(dir.path()); }
  Reply get(const std::string& url, const std::string& bearer = "") {
    return http_request("GET", url, server.ca_file(), "", bearer);
  }
  TempDir dir;
  Parleyd server;
};

boost::json::value json_of(const Reply& r) { return boost::json::parse(r.body); }

// The UCWA error shape: at least "code", a string (UCWA.md §0).
void expect_ucwa_error(const Reply& r, long status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  auto v = json_of(r);
  ASSERT_TRUE(v.is_object()) << r.body;
  EXPECT_EQ(v.at("code").as_string(), code) << r.body;
  EXPECT_NE(r.header("Content-Type").find("application/json"), std::string::npos);
}

TEST_F(Server, BothSitesAnswerOverVerifiedTls) {
  auto health = get(server.internal_https + "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(json_of(health).at("store").as_string(), "ok");
  // The external site answers too, in the UCWA error shape for a path it does not have.
  expect_ucwa_error(get(server.external_https + "/nothing-here"), 404, "NotFound");
  // Its plain-HTTP listener sends everything it does not serve itself to HTTPS.
  auto plain = get(server.external_http + "/nothing-here?x=1");
  EXPECT_EQ(plain.status, 301);
  EXPECT_EQ(plain.header("Location"),
            "https://localhost:" + std::to_string(server.port_of(server.external_https)) + "/nothing-here?x=1");
}

// An answer far larger than the socket takes at once (here a 6 MiB file of the web client)
// reaches a client that reads slowly whole: the server's immediate write stops when the socket
// is full, and the rest follows as the client reads.
TEST(ServerWrites, AnAnswerBiggerThanTheSocketReachesASlowReaderWhole) {
  TempDir dir;
  const auto client = dir.path() / "client";
  fs::create_directories(client / "assets");
  std::ofstream(client / "index.html") << "<!doctype html><title>Parley</title>";
  std::string big(6u << 20, '\0');
  std::uint64_t x = 88172645463325252ULL;  // xorshift: bytes that do not compress
  for (auto& c : big) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  std::ofstream(client / "assets" / "big.bin", std::ios::binary) << big;
  Parleyd server;
  server.start_with_test_config(dir.path(), "[web]\nclient_dir = \"" + client.string() + "\"\n");
  // 8 MiB/s: about three quarters of a second, during which the server's socket stays full.
  const auto r = http_request("GET", server.external_https + "/assets/big.bin", server.ca_file(), "", "", {},
                              std::chrono::seconds(30), 8u << 20);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), big.size());
  EXPECT_TRUE(r.body == big) << "the body differs from the file";
  // And the server still answers afterwards.
  EXPECT_EQ(http_request("GET", server.external_https + "/index.html", server.ca_file()).status, 200);
}

TEST_F(Server, AdminSurfacesDoNotExistOnTheExternalSite) {
  const auto credential = server.admin_credential();
  EXPECT_EQ(get(server.internal_https + "/admin/v1/users", credential).status, 200);
  const auto& base = server.external_https;
  expect_ucwa_error(get(base + "/admin/v1/users", credential), 404, "NotFound");
  expect_ucwa_error(get(base + "/health"), 404, "NotFound");
  expect_ucwa_error(get(base + "/metrics"), 404, "NotFound");
  // Not reachable by case games, doubled slashes or encoded dots either.
  expect_ucwa_error(get(base + "/ADMIN/v1/users", credential), 404, "NotFound");
  expect_ucwa_error(get(base + "//admin//v1/users", credential), 404, "NotFound");
  // The external plain-HTTP listener only ever points back to the external HTTPS site.
  for (const char* path : {"/admin/v1/users", "/health", "/metrics"}) {
    auto r = get(server.external_http + path, credential);
    EXPECT_EQ(r.status, 301) << path;
    EXPECT_EQ(r.header("Location").rfind("https://localhost:" +
                                          std::to_string(server.port_of(server.external_https)) + "/", 0),
              0u) << r.header("Location");
    auto other = http_request("POST", server.external_http + path, server.ca_file(), "{}", credential);
    expect_ucwa_error(other, 404, "NotFound");
  }
}

TEST_F(Server, AdminApiRequiresTheCredential) {
  auto none = get(server.internal_https + "/admin/v1/users");
  expect_ucwa_error(none, 401, "Unauthorized");
  expect_ucwa_error(get(server.internal_https + "/admin/v1/users", "not-the-credential"), 401,
                    "Unauthorized");
}

TEST_F(Server, CredentialFileIsPrivate) {
  struct stat st {};
  ASSERT_EQ(::stat((server.data_dir() / "admin.credential").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  ASSERT_EQ(::stat(server.data_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700);
}

TEST_F(Server, PathsAreCaseInsensitiveAndSlashesCollapse) {
  EXPECT_EQ(get(server.internal_https + "/HEALTH").status, 200);
  EXPECT_EQ(get(server.internal_https + "//health").status, 200);
  expect_ucwa_error(get(server.internal_https + "/admin/%2e%2e/health"), 400, "BadRequest");
}

TEST_F(Server, WrongMethodIs405WithAllow) {
  auto r = http_request("DELETE", server.internal_https + "/health", server.ca_file());
  expect_ucwa_error(r, 405, "MethodNotAllowed");
  EXPECT_EQ(r.header("Allow"), "GET, HEAD");
}

TEST_F(Server, OversizedBodyIs413) {
  const std::string big(1024 * 1024 + 1, 'x');
  auto r = http_request("POST", server.internal_https + "/admin/v1/users", server.ca_file(), big,
                        server.admin_credential(), {"Content-Type: application/json"});
  expect_ucwa_error(r, 413, "EntityTooLarge");
  // Over plain HTTP, announced by Content-Length before any body is sent.
  auto raw = raw_exchange(server.port_of(server.external_http),
                          "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5000000\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 413", 0), 0u) << raw;
  EXPECT_NE(raw.find("\"EntityTooLarge\""), std::string::npos);
  // The server is still healthy afterwards.
  EXPECT_EQ(get(server.internal_https + "/health").status, 200);
}

TEST_F(Server, OversizedHeadersAre431) {
  auto raw = raw_exchange(server.port_of(server.external_http),
                          "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(20000, 'y') + "\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 431", 0), 0u) << raw.substr(0, 200);
}

TEST_F(Server, MalformedRequestsAre400) {
  const auto port = server.port_of(server.external_http);
  for (const std::string& bad : {std::string("GARBAGE\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
                                std::string("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: zz\r\n\r\n"),
                                std::string("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n"),
                                std::string("GET / HTTP/1.1\r\nBad Header\r\n\r\n")}) {
    auto raw = raw_exchange(port, bad);
    EXPECT_EQ(raw.rfind("HTTP/1.1 400", 0), 0u) << "for " << bad << " got " << raw;
    EXPECT_NE(raw.find("\"code\":\"BadRequest\""), std::string::npos) << raw;
  }
  EXPECT_EQ(get(server.internal_https + "/health").status, 200);
}

TEST_F(Server, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto raw = raw_exchange(server.port_of(server.external_http),
                          "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  const auto first = raw.find("HTTP/1.1 301");
  ASSERT_NE(first, std::string::npos) << raw;
  EXPECT_NE(raw.find("HTTP/1.1 301", first + 1), std::string::npos) << raw;
}

TEST_F(Server, AnswersAreNotCachedAndNotSniffed) {
  auto r = get(server.internal_https + "/health");
  EXPECT_EQ(r.header("Cache-Control"), "no-cache");
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
}

TEST_F(Server, EveryAnswerNamesTheServerAndLargeOnesAreGzipped) {
  auto plain = get(server.internal_https + "/metrics");
  EXPECT_EQ(plain.header("X-MS-Server-Fqdn"), "localhost");
  EXPECT_EQ(plain.header("Content-Encoding"), "");
  EXPECT_EQ(plain.header("Vary"), "Accept-Encoding");
  auto zipped = http_request("GET", server.internal_https + "/metrics", server.ca_file(), "", "",
                             {"Accept-Encoding: gzip"});
  EXPECT_EQ(zipped.header("Content-Encoding"), "gzip");
  ASSERT_GE(zipped.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(zipped.body[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(zipped.body[1]), 0x8b);
  EXPECT_LT(zipped.body.size(), plain.body.size());
  auto refused = http_request("GET", server.internal_https + "/metrics", server.ca_file(), "", "",
                              {"Accept-Encoding: gzip;q=0, *"});
  EXPECT_EQ(refused.header("Content-Encoding"), "");
}

TEST_F(Server, MetricsCountRequestsBySiteRouteAndStatus) {
  get(server.internal_https + "/health");
  get(server.external_https + "/missing");
  auto m = get(server.internal_https + "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.header("Content-Type").find("text/plain"), std::string::npos);
  EXPECT_NE(m.body.find("parley_http_requests_total{site=\"internal\",route=\"/health\",status=\"200\"} 1"),
            std::string::npos) << m.body;
  EXPECT_NE(m.body.find("parley_http_requests_total{site=\"external\",route=\"(none)\",status=\"404\"} 1"),
            std::string::npos) << m.body;
  EXPECT_NE(m.body.find("parley_http_open_connections{site=\"internal\"}"), std::string::npos);
  EXPECT_NE(m.body.find("parley_store_operation_duration_seconds_count"), std::string::npos);
}

TEST_F(Server, SigtermExitsCleanlyEvenWithAnIdleConnectionOpen) {
  // An idle keep-alive connection must not hold the shutdown up.
  std::thread idle([port = server.port_of(server.external_http)] {
    raw_exchange(port, "GET /a HTTP/1.1\r\nHost: a\r\n\r\n", std::chrono::seconds(15));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.output();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  idle.join();
  EXPECT_FALSE(std::filesystem::exists(server.data_dir() / "parleyd.endpoints.json"));
}

TEST(ServerShutdown, ARequestInFlightIsAnsweredBeforeTheServerExits) {
  // A deliberately slow request: a password set with an expensive argon2id cost (about a
  // second here). SIGTERM arrives while it runs; it must still be answered, then parleyd exits 0.
  TempDir dir;
  std::string config = Parleyd::test_config(dir.path() / "data");
  config.replace(config.find("opslimit = 1"), 12, "opslimit = 8");
  config.replace(config.find("memlimit = 8192"), 15, "memlimit = 268435456");
  { std::ofstream(dir.path() / "parleyd.toml") << config; }
  Parleyd server;
  server.start({"--config", (dir.path() / "parleyd.toml").string()}, dir.path() / "data");
  const auto credential = server.admin_credential();
  auto created = http_request("POST", server.internal_https + "/admin/v1/users", server.ca_file(),
                              R"({"sipUri":"slow@example.org"})", credential, {"Content-Type: application/json"});
  ASSERT_EQ(created.status, 201) << created.body;
  Reply answer;
  std::string failure;
  std::thread client([&] {
    try {
      answer = http_request("PUT", server.internal_https + "/admin/v1/users/slow@example.org/password",
                            server.ca_file(), R"({"password":"a slow password"})", credential,
                            {"Content-Type: application/json"});
    } catch (const std::exception& e) {
      failure = e.what();  // the connection was cut: reported below
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.output();
  client.join();
  EXPECT_EQ(failure, "");
  EXPECT_EQ(answer.status, 204) << answer.body;
}

TEST_F(Server, SigintAlsoExitsCleanly) { EXPECT_EQ(server.stop(SIGINT), 0) << server.output(); }

TEST(ServerTimeouts, ASlowRequestGets408AndAnIdleConnectionIsClosed) {
  // One web thread, so that this also covers connections served without a strand of their own.
  TempDir dir;
  std::string config = Parleyd::test_config(dir.path() / "data",
                                            "[limits]\nread_timeout_seconds = 1\nidle_timeout_seconds = 1\n");
  config.replace(config.find("threads = 2"), 11, "threads = 1");
  { std::ofstream(dir.path() / "parleyd.toml") << config; }
  Parleyd server;
  server.start({"--config", (dir.path() / "parleyd.toml").string()}, dir.path() / "data");
  const auto port = server.port_of(server.external_http);
  auto started = std::chrono::steady_clock::now();
  // Half a request, then silence: answered 408 once the read timeout passes.
  auto slow = raw_exchange(port, "GET / HTTP/1.1\r\nHost: a\r\n", std::chrono::seconds(10));
  EXPECT_EQ(slow.rfind("HTTP/1.1 408", 0), 0u) << slow;
  EXPECT_NE(slow.find("\"ClientTimeout\""), std::string::npos) << slow;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  // A connection that never sends anything is closed after the idle timeout, without an answer.
  started = std::chrono::steady_clock::now();
  auto idle = raw_exchange(port, "", std::chrono::seconds(10));
  EXPECT_EQ(idle, "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  // A TLS client that stalls before its handshake is cut off too, and the server still answers
  // everyone else.
  started = std::chrono::steady_clock::now();
  EXPECT_EQ(raw_exchange(server.port_of(server.internal_https), "", std::chrono::seconds(10)), "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(http_request("GET", server.internal_https + "/health", server.ca_file()).status, 200);
}

TEST(ServerRestart, KeepsTheCaAndTheUsers) {
  TempDir dir;
  std::string ca_before;
  {
    Parleyd server;
    server.start_with_test_config(dir.path());
    ca_before = read_file(server.ca_file());
    auto r = http_request("POST", server.internal_https + "/admin/v1/users", server.ca_file(),
                          R"({"sipUri":"carol@example.org","displayName":"Carol"})",
                          server.admin_credential(), {"Content-Type: application/json"});
    ASSERT_EQ(r.status, 201) << r.body;
    ASSERT_EQ(server.stop(), 0);
  }
  Parleyd again;
  again.start_with_test_config(dir.path());
  EXPECT_EQ(read_file(again.ca_file()), ca_before);
  auto r = http_request("GET", again.internal_https + "/admin/v1/users/carol@example.org",
                        again.ca_file(), "", again.admin_credential());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(boost::json::parse(r.body).at("displayName").as_string(), "Carol");
}

TEST(ServerRestart, AcknowledgedWritesSurviveKill9) {
  TempDir dir;
  {
    Parleyd server;
    server.start_with_test_config(dir.path());
    for (int i = 0; i < 20; ++i) {
      auto r = http_request("POST", server.internal_https + "/admin/v1/users", server.ca_file(),
                            R"({"sipUri":"user)" + std::to_string(i) + R"(@example.org"})",
                            server.admin_credential(), {"Content-Type: application/json"});
      ASSERT_EQ(r.status, 201) << r.body;
    }
    EXPECT_EQ(server.stop(SIGKILL), -SIGKILL);
  }
  Parleyd again;
  again.start_with_test_config(dir.path());
  auto r = http_request("GET", again.internal_https + "/admin/v1/users?limit=1000", again.ca_file(), "",
                        again.admin_credential());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(boost::json::parse(r.body).at("users").as_array().size(), 20u);
}

TEST(ServerConfig, UnknownKeyStopsTheServerWithItsName) {
  TempDir dir;
  const auto config = dir.path() / "bad.toml";
  { std::ofstream(config) << Parleyd::test_config(dir.path() / "data", "[limits]\nbody_byte = 5\n"); }
  auto r = run_command({parleyd_binary(), "--config", config.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("limits.body_byte"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data")) << "nothing is created for a bad config";
}

TEST(ServerConfig, OutOfRangeValueNamesTheRange) {
  TempDir dir;
  const auto config = dir.path() / "bad.toml";
  { std::ofstream(config) << Parleyd::test_config(dir.path() / "data", "[limits]\nbody_bytes = 12\n"); }
  auto r = run_command({parleyd_binary(), "--check-config", "--config", config.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("limits.body_bytes"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1024"), std::string::npos) << r.err;
}

TEST(ServerConfig, CheckConfigAcceptsAGoodFileWithoutStarting) {
  TempDir dir;
  const auto config = dir.path() / "good.toml";
  { std::ofstream(config) << Parleyd::test_config(dir.path() / "data"); }
  auto r = run_command({parleyd_binary(), "--check-config", "--config", config.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data"));
}

TEST(ServerConfig, PortInUseIsAClearError) {
  TempDir dir;
  Parleyd first;
  first.start_with_test_config(dir.path() / "one");
  const auto taken = first.port_of(first.internal_https);
  TempDir other;
  const auto config = other.path() / "clash.toml";
  std::string text = Parleyd::test_config(other.path() / "data");
  text.replace(text.find("127.0.0.1:0"), 11, "127.0.0.1:" + std::to_string(taken));
  { std::ofstream(config) << text; }
  auto r = run_command({parleyd_binary(), "--config", config.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("127.0.0.1:" + std::to_string(taken)), std::string::npos) << r.err;
}

TEST(ServerTls, AConfiguredCertificateIsUsedAsIs) {
  // A certificate issued elsewhere (here: by another server's development CA) is served as
  // configured, and no development CA is created for this server.
  TempDir issuer_dir;
  Parleyd issuer;
  issuer.start_with_test_config(issuer_dir.path());
  const auto pki = issuer.data_dir() / "pki";
  TempDir dir;
  Parleyd server;
  server.start_with_test_config(dir.path(), "[tls]\ncertificate = \"" + (pki / "server.pem").string() +
                                                "\"\nkey = \"" + (pki / "server.key").string() + "\"\n");
  EXPECT_FALSE(std::filesystem::exists(server.data_dir() / "pki"));
  EXPECT_EQ(http_request("GET", server.internal_https + "/health", issuer.ca_file()).status, 200);
  // A client that trusts some other CA refuses the connection.
  TempDir other_dir;
  Parleyd other;
  other.start_with_test_config(other_dir.path());
  EXPECT_THROW(http_request("GET", server.internal_https + "/health", other.ca_file()), std::runtime_error);
}

TEST(ServerTls, AKeyThatDoesNotMatchTheCertificateStopsTheStart) {
  TempDir a_dir, b_dir;
  Parleyd a, b;
  a.start_with_test_config(a_dir.path());
  b.start_with_test_config(b_dir.path());
  TempDir dir;
  const auto config = dir.path() / "mismatch.toml";
  {
    std::ofstream(config) << Parleyd::test_config(
        dir.path() / "data", "[tls]\ncertificate = \"" + (a.data_dir() / "pki" / "server.pem").string() +
                                 "\"\nkey = \"" + (b.data_dir() / "pki" / "server.key").string() + "\"\n");
  }
  auto r = run_command({parleyd_binary(), "--config", config.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("key"), std::string::npos) << r.err;
}

TEST(ServerDemo, SeedsTwoUsersOnceOnANewDataDirectory) {
  TempDir dir;
  std::string first_output;
  {
    Parleyd server;
    server.start_with_test_config(dir.path(), "", "demo = true");
    first_output = server.output();
    auto r = http_request("GET", server.internal_https + "/admin/v1/users", server.ca_file(), "",
                          server.admin_credential());
    auto users = boost::json::parse(r.body).at("users").as_array();
    ASSERT_EQ(users.size(), 2u);
    EXPECT_EQ(users[0].at("sipUri").as_string(), "alice@example.org");
    EXPECT_EQ(users[1].at("sipUri").as_string(), "bob@example.org");
    EXPECT_TRUE(users[0].at("hasPassword").as_bool());
    ASSERT_EQ(server.stop(), 0);
  }
  EXPECT_NE(first_output.find("alice@example.org   password: "), std::string::npos) << first_output;
  Parleyd again;
  again.start_with_test_config(dir.path(), "", "demo = true");
  EXPECT_EQ(again.output().find("password: "), std::string::npos) << "passwords are printed once";
}

TEST(ServerDemo, NoDemoUsersWithoutDemoMode) {
  TempDir dir;
  Parleyd server;
  server.start_with_test_config(dir.path());
  auto r = http_request("GET", server.internal_https + "/admin/v1/users", server.ca_file(), "",
                        server.admin_credential());
  EXPECT_TRUE(boost::json::parse(r.body).at("users").as_array().empty());
  EXPECT_EQ(server.output().find("password: "), std::string::npos);
}

}  // namespace
}  // namespace parley::e2e
