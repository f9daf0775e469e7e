// The [roles] and [edge] tables: every key read, defaults as documented, and every mistake an
// operator is likely to make refused with the key named.
#include "common/config.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace parley {

void expect_edge_defaults(const EdgeConfig& e) {
  ASSERT_EQ(e.udp.size(), 1u);
  EXPECT_EQ(to_string(e.udp[0]), "0.0.0.0:3478");
  ASSERT_EQ(e.tcp.size(), 1u);
  EXPECT_EQ(to_string(e.tcp[0]), "0.0.0.0:3478");
  ASSERT_EQ(e.tls.size(), 1u);
  EXPECT_EQ(to_string(e.tls[0]), "0.0.0.0:5349");
  EXPECT_EQ(e.external_address, "");
  EXPECT_TRUE(e.relay_addresses.empty());
  EXPECT_EQ(e.relay_port_min, 49152);
  EXPECT_EQ(e.relay_port_max, 65535);
  EXPECT_EQ(e.realm, "");
  EXPECT_EQ(e.public_host, "");
  EXPECT_EQ(e.public_udp_port, 3478);
  EXPECT_EQ(e.public_tcp_port, 3478);
  EXPECT_EQ(e.public_tls_port, 5349);
  EXPECT_TRUE(e.shared_secrets.empty());
  EXPECT_EQ(e.credential_lifetime_seconds, 28800u);
  EXPECT_TRUE(e.users.empty());
  EXPECT_TRUE(e.allowed_peers.empty());
  EXPECT_TRUE(e.denied_peers.empty());
  EXPECT_EQ(e.nonce_lifetime_seconds, 600u);
  EXPECT_EQ(e.default_lifetime_seconds, 600u);
  EXPECT_EQ(e.max_lifetime_seconds, 3600u);
  EXPECT_EQ(e.max_allocations, 10000u);
  EXPECT_EQ(e.max_allocations_per_user, 10u);
  EXPECT_EQ(e.max_bandwidth_bytes_per_second, 1250000u);
  EXPECT_EQ(e.threads, 0u);
}

namespace {

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "config.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError for:\n" << text;
  return {};
}

void expect_error(const std::string& text, std::initializer_list<std::string_view> parts) {
  const std::string message = error_of(text);
  for (auto part : parts)
    EXPECT_NE(message.find(part), std::string::npos)
        << "message \"" << message << "\" lacks \"" << part << "\"";
}

TEST(EdgeConfig, DefaultsWhenAbsent) {
  const Config c = parse_config("");
  EXPECT_TRUE(c.roles.frontend);
  EXPECT_TRUE(c.roles.edge);
  expect_edge_defaults(c.edge);
  // An empty table changes nothing either.
  expect_edge_defaults(parse_config("[edge]\n").edge);
}

TEST(EdgeConfig, EveryKeyIsRead) {
  const Config c = parse_config(R"(
[roles]
frontend = false
edge = true
[edge]
udp = ["0.0.0.0:3478", "[::]:3478"]
tcp = ["0.0.0.0:443"]
tls = []
external_address = "203.0.113.7"
relay_addresses = ["192.0.2.10", "2001:db8::10"]
relay_port_min = 50000
relay_port_max = 50999
realm = "example.org"
public_host = "Edge.Example.ORG"
public_udp_port = 3479
public_tcp_port = 443
public_tls_port = 0
shared_secrets = ["0123456789abcdef-new", "0123456789abcdef-old"]
credential_lifetime_seconds = 3600
allowed_peers = ["127.0.0.0/8", "::1"]
denied_peers = ["198.51.100.0/24"]
nonce_lifetime_seconds = 60
default_lifetime_seconds = 300
max_lifetime_seconds = 1200
max_allocations = 50
max_allocations_per_user = 2
max_bandwidth_bytes_per_second = 0
threads = 4
[[edge.users]]
name = "device-1"
password = "pw1"
[[edge.users]]
name = "device-2"
password = "pw2"
)");
  EXPECT_FALSE(c.roles.frontend);
  EXPECT_TRUE(c.roles.edge);
  const auto& e = c.edge;
  ASSERT_EQ(e.udp.size(), 2u);
  EXPECT_EQ(to_string(e.udp[1]), "[::]:3478");
  ASSERT_EQ(e.tcp.size(), 1u);
  EXPECT_EQ(e.tcp[0].port, 443);
  EXPECT_TRUE(e.tls.empty());  // [] switches TLS off
  EXPECT_EQ(e.external_address, "203.0.113.7");
  EXPECT_EQ(e.relay_addresses, (std::vector<std::string>{"192.0.2.10", "2001:db8::10"}));
  EXPECT_EQ(e.relay_port_min, 50000);
  EXPECT_EQ(e.relay_port_max, 50999);
  EXPECT_EQ(e.realm, "example.org");
  EXPECT_EQ(e.public_host, "edge.example.org");
  EXPECT_EQ(e.public_udp_port, 3479);
  EXPECT_EQ(e.public_tcp_port, 443);
  EXPECT_EQ(e.public_tls_port, 0);
  EXPECT_EQ(e.shared_secrets,
            (std::vector<std::string>{"0123456789abcdef-new", "0123456789abcdef-old"}));
  EXPECT_EQ(e.credential_lifetime_seconds, 3600u);
  EXPECT_EQ(e.allowed_peers, (std::vector<std::string>{"127.0.0.0/8", "::1"}));
  EXPECT_EQ(e.denied_peers, std::vector<std::string>{"198.51.100.0/24"});
  EXPECT_EQ(e.nonce_lifetime_seconds, 60u);
  EXPECT_EQ(e.default_lifetime_seconds, 300u);
  EXPECT_EQ(e.max_lifetime_seconds, 1200u);
  EXPECT_EQ(e.max_allocations, 50u);
  EXPECT_EQ(e.max_allocations_per_user, 2u);
  EXPECT_EQ(e.max_bandwidth_bytes_per_second, 0u);
  EXPECT_EQ(e.threads, 4u);
  ASSERT_EQ(e.users.size(), 2u);
  EXPECT_EQ(e.users[0].name, "device-1");
  EXPECT_EQ(e.users[0].password, "pw1");
  EXPECT_EQ(e.users[1].name, "device-2");
}

TEST(EdgeConfig, InlineUsersAndPublicIpAreAccepted) {
  const Config c = parse_config(
      "[edge]\nusers = [{ name = \"a\", password = \"b\" }]\npublic_host = \"192.0.2.1\"\n");
  ASSERT_EQ(c.edge.users.size(), 1u);
  EXPECT_EQ(c.edge.users[0].name, "a");
  EXPECT_EQ(c.edge.public_host, "192.0.2.1");
}

TEST(EdgeConfig, UnknownKeysAndWrongTypesAreNamed) {
  expect_error("[roles]\nsfu = true\n", {"unknown key \"roles.sfu\""});
  expect_error("[edge]\nlisten = []\n", {"unknown key \"edge.listen\""});
  expect_error("[[edge.users]]\nname = \"a\"\npassword = \"b\"\nrole = \"x\"\n",
               {"unknown key \"edge.users[0].role\""});
  expect_error("[roles]\nedge = \"yes\"\n", {"\"roles.edge\" must be a boolean"});
  expect_error("edge = 1\n", {"\"edge\" must be a table"});
  expect_error("[edge]\nudp = \"0.0.0.0:3478\"\n", {"\"edge.udp\" must be an array"});
  expect_error("[edge]\ntcp = [3478]\n", {"\"edge.tcp[0]\" must be a string"});
  expect_error("[edge]\nrelay_port_min = \"49152\"\n", {"\"edge.relay_port_min\" must be an integer"});
  expect_error("[edge]\nusers = [\"alice\"]\n", {"\"edge.users\" must be an array of tables"});
  expect_error("[edge]\nusers = { name = \"a\" }\n", {"\"edge.users\" must be an array of tables"});
  expect_error("[edge]\nshared_secrets = \"x\"\n", {"\"edge.shared_secrets\" must be an array"});
}

TEST(EdgeConfig, RangesAreChecked) {
  expect_error("[edge]\nrelay_port_min = 80\n", {"\"edge.relay_port_min\" is 80", "1024..65535"});
  expect_error("[edge]\nrelay_port_max = 65536\n", {"\"edge.relay_port_max\" is 65536"});
  expect_error("[edge]\nrelay_port_min = 60000\nrelay_port_max = 50000\n",
               {"\"edge.relay_port_min\" (60000)", "\"edge.relay_port_max\" (50000)"});
  // Equal bounds are one port, which is allowed.
  EXPECT_EQ(parse_config("[edge]\nrelay_port_min = 50000\nrelay_port_max = 50000\n")
                .edge.relay_port_max, 50000);
  expect_error("[edge]\ncredential_lifetime_seconds = 0\n",
               {"\"edge.credential_lifetime_seconds\" is 0", "60..604800"});
  expect_error("[edge]\ndefault_lifetime_seconds = 0\n", {"\"edge.default_lifetime_seconds\" is 0"});
  expect_error("[edge]\nmax_lifetime_seconds = 0\n", {"\"edge.max_lifetime_seconds\" is 0"});
  expect_error("[edge]\nnonce_lifetime_seconds = 0\n", {"\"edge.nonce_lifetime_seconds\" is 0"});
  expect_error("[edge]\ndefault_lifetime_seconds = 3601\n",
               {"\"edge.default_lifetime_seconds\" (3601)", "\"edge.max_lifetime_seconds\" (3600)"});
  expect_error("[edge]\nmax_allocations = 0\n", {"\"edge.max_allocations\" is 0"});
  expect_error("[edge]\nmax_allocations_per_user = 0\n", {"\"edge.max_allocations_per_user\" is 0"});
  expect_error("[edge]\nmax_bandwidth_bytes_per_second = -1\n",
               {"\"edge.max_bandwidth_bytes_per_second\" is -1"});
  expect_error("[edge]\npublic_udp_port = 70000\n", {"\"edge.public_udp_port\" is 70000"});
  expect_error("[edge]\nthreads = 257\n", {"\"edge.threads\" is 257"});
}

TEST(EdgeConfig, AddressesMustParse) {
  expect_error("[edge]\nudp = [\"edge.example.org:3478\"]\n",
               {"\"edge.udp[0]\" is \"edge.example.org:3478\"", "host:port"});
  expect_error("[edge]\ntls = [\"0.0.0.0:5349\", \"[::1]\"]\n", {"\"edge.tls[1]\""});
  expect_error("[edge]\nexternal_address = \"edge.example.org\"\n",
               {"\"edge.external_address\" is \"edge.example.org\"", "IP address"});
  expect_error("[edge]\nexternal_address = \"203.0.113.7:3478\"\n", {"\"edge.external_address\""});
  expect_error("[edge]\nrelay_addresses = [\"10.0.0.1\", \"10.0.0\"]\n",
               {"\"edge.relay_addresses[1]\" is \"10.0.0\""});
  expect_error("[edge]\npublic_host = \"not a host\"\n", {"\"edge.public_host\""});
}

TEST(EdgeConfig, PeerListsMustBeCidr) {
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.0/", "10.0.0.0/-1",
                          "10.0.0.0/8/8", "localhost", "", "fd00::/x", "10.0.0.0/0008"}) {
    expect_error(std::string("[edge]\nallowed_peers = [\"127.0.0.0/8\", \"") + bad + "\"]\n",
                 {"\"edge.allowed_peers[1]\"", "CIDR"});
    expect_error(std::string("[edge]\ndenied_peers = [\"") + bad + "\"]\n",
                 {"\"edge.denied_peers[0]\""});
  }
  const auto c = parse_config(
      "[edge]\nallowed_peers = [\"0.0.0.0/0\", \"::/0\", \"192.0.2.1\", \"2001:db8::1/128\"]\n");
  EXPECT_EQ(c.edge.allowed_peers.size(), 4u);
}

TEST(EdgeConfig, UsersAreValidated) {
  expect_error("[[edge.users]]\npassword = \"x\"\n", {"\"edge.users[0].name\" is required"});
  expect_error("[[edge.users]]\nname = \"a\"\n", {"\"edge.users[0].password\" is required"});
  expect_error("[[edge.users]]\nname = \"a\"\npassword = \"\"\n", {"\"edge.users[0].password\""});
  // A ':' would make the name look like a time-limited credential.
  expect_error("[[edge.users]]\nname = \"1700000000:a\"\npassword = \"x\"\n",
               {"\"edge.users[0].name\"", "':'"});
  expect_error("[[edge.users]]\nname = \"a\"\npassword = \"x\"\n[[edge.users]]\nname = \"a\"\n"
               "password = \"y\"\n",
               {"\"edge.users\" lists \"a\" more than once"});
}

TEST(EdgeConfig, SecretsAndRealmAreValidated) {
  expect_error("[edge]\nshared_secrets = [\"short\"]\n",
               {"\"edge.shared_secrets[0]\" is shorter than 16"});
  expect_error("[edge]\nshared_secrets = [\"0123456789abcdef\", \"\"]\n",
               {"\"edge.shared_secrets[1]\""});
  expect_error("[edge]\nrealm = \"a\\\"b\"\n", {"\"edge.realm\""});
  expect_error("[edge]\nrealm = \"" + std::string(128, 'r') + "\"\n", {"\"edge.realm\""});
  EXPECT_EQ(parse_config("[edge]\nrealm = \"" + std::string(127, 'r') + "\"\n").edge.realm.size(),
            127u);
}

TEST(EdgeConfig, SomeRoleMustRun) {
  expect_error("[roles]\nfrontend = false\nedge = false\n",
               {"\"roles.frontend\" and \"roles.edge\" are both false"});
  const auto edge_only = parse_config("[roles]\nfrontend = false\n");
  EXPECT_FALSE(edge_only.roles.frontend);
  EXPECT_TRUE(edge_only.roles.edge);
  const auto frontend_only = parse_config("[roles]\nedge = false\n");
  EXPECT_TRUE(frontend_only.roles.frontend);
  EXPECT_FALSE(frontend_only.roles.edge);
}

}  // namespace
}  // namespace parley

namespace parley {

TEST(EdgeConfig, APublicPortFollowsAListenerOnAnyFreePortUnlessNamed) {
  // 0: the server tells clients the port the listener got once it is bound.
  const Config c = parse_config("[edge]\nudp = [\"127.0.0.1:0\"]\ntls = [\"127.0.0.1:0\"]\n"
                                "public_tls_port = 443\n");
  EXPECT_TRUE(c.edge.udp_port_from_listener);
  EXPECT_FALSE(c.edge.tcp_port_from_listener);  // its listener is the default 3478
  EXPECT_EQ(c.edge.public_tcp_port, 3478);
  EXPECT_FALSE(c.edge.tls_port_from_listener);  // named: a port forwarded by a firewall
  EXPECT_EQ(c.edge.public_tls_port, 443);
  // 0 named: the transport is not offered to clients.
  const Config off = parse_config("[edge]\nudp = [\"127.0.0.1:0\"]\npublic_udp_port = 0\n");
  EXPECT_FALSE(off.edge.udp_port_from_listener);
  EXPECT_EQ(off.edge.public_udp_port, 0);
}

TEST(PushConfig, EveryKeyIsReadAndMistakesAreNamed) {
  const Config d = parse_config("");
  EXPECT_EQ(d.push.grace_ms, 2000u);
  EXPECT_EQ(d.push.ttl_seconds, 600u);
  EXPECT_TRUE(d.push.apns.key_file.empty());
  EXPECT_EQ(d.push.apns.url, "https://api.push.apple.com");
  EXPECT_FALSE(d.push.webpush.allow_private_endpoints);

  const Config c = parse_config(R"(
[push]
grace_ms = 300
ttl_seconds = 5
[push.apns]
key_file = "/etc/parley/AuthKey_ABC1234567.p8"
key_id = "ABC1234567"
team_id = "TEAM123456"
topic = "org.example.parley"
url = "https://127.0.0.1:8443/"
ca_file = "/tmp/mock.pem"
[push.fcm]
service_account_file = "/etc/parley/fcm.json"
token_url = "https://127.0.0.1:8443/token"
[push.webpush]
subject = "mailto:ops@example.org"
allow_private_endpoints = true
)");
  EXPECT_EQ(c.push.grace_ms, 300u);
  EXPECT_EQ(c.push.ttl_seconds, 5u);
  EXPECT_EQ(c.push.apns.key_id, "ABC1234567");
  EXPECT_EQ(c.push.apns.url, "https://127.0.0.1:8443");  // the trailing slash goes
  EXPECT_EQ(c.push.fcm.token_url, "https://127.0.0.1:8443/token");
  EXPECT_EQ(c.push.webpush.subject, "mailto:ops@example.org");
  EXPECT_TRUE(c.push.webpush.allow_private_endpoints);

  expect_error("[push]\ncolour = 1\n", {"push", "colour"});
  expect_error("[push.apns]\nkey_file = \"k.p8\"\n", {"push.apns", "key_id"});
  expect_error("[push.apns]\nurl = \"ftp://apple\"\n", {"push.apns.url"});
  expect_error("[push.webpush]\nsubject = \"ops@example.org\"\n", {"push.webpush.subject", "mailto:"});
  expect_error("[push]\ngrace_ms = 100000\n", {"push.grace_ms"});
}

}  // namespace parley
