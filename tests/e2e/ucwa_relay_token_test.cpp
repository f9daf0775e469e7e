// mediaRelayAccessToken (UCWA.md §5.5) on the running server: a client following the
// communication resource's link gets TURN credentials the edge will accept (same shared secret),
// with the relay's host and ports; users whose policy forbids IP audio/video get none.
#include "ucwa_client.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <regex>
#include <string>

namespace parley::e2e {
namespace {

namespace json = boost::json;

constexpr char kSecret[] = "e2e-relay-secret-0123456789";

// base64(HMAC-SHA1(secret, name)), computed here independently of the server.
std::string expected_password(const std::string& secret, const std::string& name) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(name.data()), name.size(), mac, &len);
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  out.resize(static_cast<std::size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(len))));
  return out;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string str(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

// The link a client follows: communication's mediaRelayAccessToken.
std::string token_href(const UcwaApp& app) {
  const auto& comm = app.resource().at("_embedded").at("communication").as_object();
  return str(comm.at("_links").at("mediaRelayAccessToken").at("href"));
}

class RelayToken : public ::testing::Test {
protected:
  void start(const std::string& edge_toml) {
    // The front end serves tokens whether or not this process runs the edge: a separate edge
    // machine shares the secret.
    server.start_with_test_config(dir.path(), "[roles]\nedge = false\n" + edge_toml);
    add_user(server, "alice@example.org");
    alice = sign_in(server, "alice@example.org");
  }
  TempDir dir;
  Parleyd server;
  std::string alice;
};

TEST_F(RelayToken, CredentialsTheEdgeWillAccept) {
  start(std::string("[edge]\nshared_secrets = [\"") + kSecret +
        "\", \"an-older-secret-0123456\"]\ncredential_lifetime_seconds = 1200\n"
        "public_host = \"edge.example.org\"\nexternal_address = \"203.0.113.7\"\n"
        "public_tcp_port = 443\n");
  UcwaApp app(server, alice);
  const std::string href = token_href(app);
  EXPECT_EQ(href, app.href() + "/mediaRelayAccessToken");

  const auto before = unix_now();
  const auto r = app.get(href);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  const auto o = parse_json(r.body).as_object();
  EXPECT_EQ(str(o.at("rel")), "mediaRelayAccessToken");

  const std::string user_name = str(o.at("userName"));
  std::smatch m;
  ASSERT_TRUE(std::regex_match(user_name, m, std::regex(R"((\d+):alice@example\.org)")))
      << user_name;
  const std::int64_t expiry = std::stoll(m[1].str());
  EXPECT_GE(expiry, before + 1200 - 1);
  EXPECT_LE(expiry, unix_now() + 1200);
  // Signed with the first secret, as coturn's use-auth-secret checks it.
  EXPECT_EQ(str(o.at("password")), expected_password(kSecret, user_name));
  EXPECT_EQ(str(o.at("uri")), "sip:alice@example.org");
  EXPECT_EQ(o.at("duration").to_number<std::int64_t>(), 20);
  EXPECT_EQ(str(o.at("validUntil")), "/Date(" + std::to_string(expiry * 1000) + ")/");
  EXPECT_EQ(str(o.at("_links").at("self").at("href")), href);

  const auto& relays = o.at("_embedded").at("mediaRelay").as_array();
  ASSERT_EQ(relays.size(), 1u);
  const auto& relay = relays[0].as_object();
  EXPECT_EQ(str(relay.at("host")), "edge.example.org");
  EXPECT_EQ(str(relay.at("ipv4")), "203.0.113.7");
  EXPECT_FALSE(relay.contains("ipv6"));
  EXPECT_EQ(str(relay.at("location")), "Internet");
  // The edge runs elsewhere (roles.edge = false): the standard ports, except where the
  // configuration names the public one (443 for TCP, as behind a port-forwarding firewall).
  EXPECT_EQ(relay.at("udpPort").to_number<std::int64_t>(), 3478);
  EXPECT_EQ(relay.at("tcpPort").to_number<std::int64_t>(), 443);
  EXPECT_EQ(relay.at("tlsPort").to_number<std::int64_t>(), 5349);

  // Every request mints afresh; a later one expires no earlier.
  const auto again = parse_json(app.get(href).body).as_object();
  EXPECT_GE(std::stoll(str(again.at("userName"))), expiry);
}

TEST_F(RelayToken, GeneratedSecretWhenNoneIsConfigured) {
  start("[edge]\npublic_udp_port = 0\n");
  UcwaApp app(server, alice);
  const auto r = app.get(token_href(app));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto o = parse_json(r.body).as_object();
  // The secret the edge of this machine reads from the data directory.
  std::string secret = read_file(server.data_dir() / "relay" / "secret");
  while (!secret.empty() && secret.back() == '\n') secret.pop_back();
  ASSERT_GE(secret.size(), 32u);
  const std::string user_name = str(o.at("userName"));
  EXPECT_EQ(str(o.at("password")), expected_password(secret, user_name));
  EXPECT_GT(std::stoll(user_name), unix_now());
  EXPECT_EQ(o.at("duration").to_number<std::int64_t>(), 8 * 60);  // the default 8 hours
  const auto& relay = o.at("_embedded").at("mediaRelay").as_array().at(0).as_object();
  EXPECT_EQ(str(relay.at("host")), "localhost");  // the external site's fqdn
  EXPECT_EQ(relay.at("udpPort").to_number<std::int64_t>(), -1);  // not offered
  EXPECT_FALSE(relay.contains("ipv4"));
}

TEST_F(RelayToken, RefusedWhenPolicyDisablesIpAudioVideo) {
  start(std::string("[edge]\nshared_secrets = [\"") + kSecret + "\"]\n");
  add_user(server, "bob@example.org");
  const std::string bob = sign_in(server, "bob@example.org");
  auto parley = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{parley_binary(), "--data-dir", server.data_dir().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto res = run_command(argv);
    ASSERT_EQ(res.exit_code, 0) << res.out << res.err;
  };
  parley({"policy", "new", "mobility", "no-voip", "--enable-ip-audio-video", "false"});
  parley({"policy", "grant", "mobility", "no-voip", "--user", "bob@example.org"});

  UcwaApp bob_app(server, bob);
  const auto refused = bob_app.get(token_href(bob_app));
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(subcode_of(refused), "IPAudioVideoDisabled");
  EXPECT_EQ(refused.body.find("password"), std::string::npos);

  // Alice, under the global policy, still gets hers.
  UcwaApp alice_app(server, alice);
  EXPECT_EQ(alice_app.get(token_href(alice_app)).status, 200);

  // Giving bob the global policy back gives him credentials again.
  parley({"policy", "grant", "mobility", "--none", "--user", "bob@example.org"});
  EXPECT_EQ(bob_app.get(token_href(bob_app)).status, 200);
}

TEST_F(RelayToken, NoCredentialsWithoutTheOwnersToken) {
  start(std::string("[edge]\nshared_secrets = [\"") + kSecret + "\"]\n");
  UcwaApp app(server, alice);
  const std::string url = server.external_https + token_href(app);
  const auto anonymous = http_request("GET", url, server.ca_file());
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.body.find("password"), std::string::npos);
  const auto forged = http_request("GET", url, server.ca_file(), "", "not-a-token");
  EXPECT_EQ(forged.status, 401);
  // Another user's token: the application does not exist for her.
  add_user(server, "mallory@example.org");
  const auto other = http_request("GET", url, server.ca_file(), "",
                                  sign_in(server, "mallory@example.org"));
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.body.find("password"), std::string::npos);
}

}  // namespace
}  // namespace parley::e2e
