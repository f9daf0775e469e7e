#include "common/config.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

namespace parley {

// Every [edge] field equals the default in config.hpp (edge_config_test.cpp).
void expect_edge_defaults(const EdgeConfig& e);

namespace {

namespace fs = std::filesystem;

// Parses `text` expecting a ConfigError; returns its message so a test can check what it names.
std::string error_of(const std::string& text, std::string_view source = "config.toml") {
  try {
    parse_config(text, source);
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

void expect_site(const SiteConfig& actual, const SiteConfig& expected) {
  ASSERT_EQ(actual.https.has_value(), expected.https.has_value());
  if (expected.https) {
    EXPECT_EQ(actual.https->host, expected.https->host);
    EXPECT_EQ(actual.https->port, expected.https->port);
  }
  ASSERT_EQ(actual.http.has_value(), expected.http.has_value());
  if (expected.http) {
    EXPECT_EQ(actual.http->host, expected.http->host);
    EXPECT_EQ(actual.http->port, expected.http->port);
  }
  EXPECT_EQ(actual.fqdn, expected.fqdn);
}

// Every field of `c` equals the documented default (config.hpp), apart from `demo`.
void expect_defaults(const Config& c, bool demo) {
  const Config d;
  EXPECT_EQ(c.data_dir, fs::path("./var/parley"));
  EXPECT_EQ(c.data_dir, d.data_dir);
  EXPECT_EQ(c.threads, 0u);
  EXPECT_EQ(c.demo, demo);
  EXPECT_EQ(c.sip_domains, std::vector<std::string>{"example.org"});
  EXPECT_EQ(c.log_level, "info");
  expect_site(c.internal_site, d.internal_site);
  expect_site(c.external_site, d.external_site);
  EXPECT_TRUE(c.tls.certificate.empty());
  EXPECT_TRUE(c.tls.key.empty());
  EXPECT_TRUE(c.tls.chain.empty());
  EXPECT_EQ(c.limits.header_bytes, 16384u);
  EXPECT_EQ(c.limits.body_bytes, 1048576u);
  EXPECT_EQ(c.limits.read_timeout_seconds, 30u);
  EXPECT_EQ(c.limits.idle_timeout_seconds, 120u);
  EXPECT_EQ(c.limits.shutdown_grace_seconds, 10u);
  EXPECT_EQ(c.limits.max_connections, 10000u);
  EXPECT_EQ(c.passwords.opslimit, 2u);
  EXPECT_EQ(c.passwords.memlimit, 67108864u);
  EXPECT_EQ(c.mobility.session_expiration_interval, 259200u);
  EXPECT_EQ(c.mobility.session_short_expiration_interval, 3600u);
  EXPECT_EQ(c.ucwa.idle_timeout_without_event_channel, d.ucwa.idle_timeout_without_event_channel);
  EXPECT_EQ(c.ucwa.resume_after_seconds, d.ucwa.resume_after_seconds);
  EXPECT_EQ(c.ucwa.max_applications_per_user, d.ucwa.max_applications_per_user);
  EXPECT_EQ(c.ucwa.max_pending_events, d.ucwa.max_pending_events);
  EXPECT_EQ(c.ucwa.max_presence_subscriptions, d.ucwa.max_presence_subscriptions);
  EXPECT_EQ(c.ucwa.max_subscribed_contacts, d.ucwa.max_subscribed_contacts);
  EXPECT_EQ(c.ucwa.batch_delay_ms, d.ucwa.batch_delay_ms);
  EXPECT_EQ(c.ucwa.expiry_check_seconds, d.ucwa.expiry_check_seconds);
  EXPECT_EQ(c.ucwa.time_scale, 1u);
  EXPECT_EQ(c.presence.inactive_after_seconds, 300u);
  EXPECT_EQ(c.presence.away_after_inactive_seconds, 300u);
  EXPECT_EQ(c.im.retention_days, 0u);
  EXPECT_EQ(c.im.ring_timeout_seconds, 30u);
  EXPECT_TRUE(c.roles.frontend);
  EXPECT_TRUE(c.roles.edge);
  expect_edge_defaults(c.edge);
}

TEST(Config, MobilityAndUcwaSections) {
  const Config c = parse_config(
      "[mobility]\nsession_expiration_interval = 86400\nsession_short_expiration_interval = 600\n"
      "[ucwa]\ntime_scale = 100\nmax_pending_events = 64\n[presence]\ninactive_after_seconds = 120\n");
  EXPECT_EQ(c.mobility.session_expiration_interval, 86400u);
  EXPECT_EQ(c.mobility.session_short_expiration_interval, 600u);
  EXPECT_EQ(c.ucwa.time_scale, 100u);
  EXPECT_EQ(c.ucwa.max_pending_events, 64u);
  EXPECT_EQ(c.presence.inactive_after_seconds, 120u);
  // The largest value Set-CsMcxConfiguration allows is accepted.
  EXPECT_EQ(parse_config("[mobility]\nsession_expiration_interval = 4294967295\n")
                .mobility.session_expiration_interval,
            4294967295u);
}

TEST(Config, EmptyTextGivesDefaults) {
  expect_defaults(parse_config(""), false);
  expect_defaults(parse_config("# only a comment\n\n"), false);
  // The built-in defaults are what a user reads in config.hpp; pin the listeners down.
  const Config c = parse_config("");
  EXPECT_EQ(to_string(*c.internal_site.https), "127.0.0.1:5443");
  EXPECT_FALSE(c.internal_site.http);
  EXPECT_EQ(to_string(*c.external_site.https), "0.0.0.0:4443");
  EXPECT_EQ(to_string(*c.external_site.http), "0.0.0.0:8080");
}

TEST(Config, EveryKeyIsRead) {
  const Config c = parse_config(R"(
data_dir = "/srv/parley"
threads = 8
demo = true
sip_domains = ["Contoso.COM", "fabrikam.example"]
log_level = "debug"

[sites.internal]
https = "10.0.0.5:6443"
http = "10.0.0.5:6080"
fqdn = "Pool.Contoso.com"

[sites.external]
https = "[2001:db8::1]:443"
http = "192.0.2.7:80"
fqdn = "web.contoso.com"

[tls]
certificate = "/etc/parley/cert.pem"
key = "/etc/parley/key.pem"
chain = "/etc/parley/chain.pem"

[limits]
header_bytes = 8192
body_bytes = 2097152
read_timeout_seconds = 15
idle_timeout_seconds = 60
shutdown_grace_seconds = 0
max_connections = 500

[passwords]
opslimit = 3
memlimit = 268435456
)");
  EXPECT_EQ(c.data_dir, fs::path("/srv/parley"));
  EXPECT_EQ(c.threads, 8u);
  EXPECT_TRUE(c.demo);
  EXPECT_EQ(c.sip_domains, (std::vector<std::string>{"contoso.com", "fabrikam.example"}));
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(to_string(*c.internal_site.https), "10.0.0.5:6443");
  EXPECT_EQ(to_string(*c.internal_site.http), "10.0.0.5:6080");
  EXPECT_EQ(c.internal_site.fqdn, "pool.contoso.com");
  EXPECT_EQ(c.external_site.https->host, "2001:db8::1");
  EXPECT_EQ(c.external_site.https->port, 443);
  EXPECT_EQ(to_string(*c.external_site.http), "192.0.2.7:80");
  EXPECT_EQ(c.external_site.fqdn, "web.contoso.com");
  EXPECT_EQ(c.tls.certificate, fs::path("/etc/parley/cert.pem"));
  EXPECT_EQ(c.tls.key, fs::path("/etc/parley/key.pem"));
  EXPECT_EQ(c.tls.chain, fs::path("/etc/parley/chain.pem"));
  EXPECT_EQ(c.limits.header_bytes, 8192u);
  EXPECT_EQ(c.limits.body_bytes, 2097152u);
  EXPECT_EQ(c.limits.read_timeout_seconds, 15u);
  EXPECT_EQ(c.limits.idle_timeout_seconds, 60u);
  EXPECT_EQ(c.limits.shutdown_grace_seconds, 0u);
  EXPECT_EQ(c.limits.max_connections, 500u);
  EXPECT_EQ(c.passwords.opslimit, 3u);
  EXPECT_EQ(c.passwords.memlimit, 268435456u);
}

TEST(Config, PartialTablesKeepOtherDefaults) {
  const Config c = parse_config("[limits]\nbody_bytes = 4096\n[sites.external]\nfqdn = \"a.b\"\n");
  EXPECT_EQ(c.limits.body_bytes, 4096u);
  EXPECT_EQ(c.limits.header_bytes, 16384u);
  EXPECT_EQ(c.external_site.fqdn, "a.b");
  EXPECT_EQ(to_string(*c.external_site.https), "0.0.0.0:4443");
}

TEST(Config, RelativeDataDirStaysAsWritten) {
  EXPECT_EQ(parse_config("data_dir = \"data/p\"").data_dir, fs::path("data/p"));
}

TEST(Config, Ipv6AndEphemeralPorts) {
  const Config c = parse_config(R"(
[sites.internal]
https = "[::1]:5443"
http = "[::]:0"
)");
  EXPECT_EQ(c.internal_site.https->host, "::1");
  EXPECT_EQ(c.internal_site.https->port, 5443);
  EXPECT_EQ(to_string(*c.internal_site.https), "[::1]:5443");
  EXPECT_EQ(c.internal_site.http->host, "::");
  EXPECT_EQ(c.internal_site.http->port, 0);
  EXPECT_EQ(to_string(*c.internal_site.http), "[::]:0");
}

TEST(Config, EmptyStringDisablesListener) {
  const Config c = parse_config("[sites.external]\nhttp = \"\"\n");
  EXPECT_FALSE(c.external_site.http);
  ASSERT_TRUE(c.external_site.https);
  const Config d = parse_config("[sites.internal]\nhttps = \"\"\nhttp = \"127.0.0.1:5080\"\n");
  EXPECT_FALSE(d.internal_site.https);
  EXPECT_EQ(to_string(*d.internal_site.http), "127.0.0.1:5080");
}

TEST(Config, SiteWithoutListenerIsRefused) {
  expect_error("[sites.internal]\nhttps = \"\"\n", {"config.toml: ", "\"sites.internal\"",
                                                     "sites.internal.https"});
  expect_error("[sites.external]\nhttps = \"\"\nhttp = \"\"\n", {"\"sites.external\""});
}

TEST(Config, UnknownKeysAreNamedInFull) {
  EXPECT_EQ(error_of("[limits]\nbody_byte = 5\n"), "config.toml: unknown key \"limits.body_byte\"");
  expect_error("colour = 1\n", {"unknown key \"colour\""});
  expect_error("[sites.dmz]\nfqdn = \"x.org\"\n", {"unknown key \"sites.dmz\""});
  expect_error("[sites.internal]\nport = 5\n", {"unknown key \"sites.internal.port\""});
  expect_error("[tls]\npassword = \"x\"\n", {"unknown key \"tls.password\""});
  expect_error("[passwords]\nsalt = 1\n", {"unknown key \"passwords.salt\""});
  expect_error("[extra]\n", {"unknown key \"extra\""});
}

TEST(Config, WrongTypesAreNamed) {
  EXPECT_EQ(error_of("[limits]\nbody_bytes = \"big\"\n"),
            "config.toml: \"limits.body_bytes\" must be an integer, got string");
  expect_error("threads = 1.5\n", {"\"threads\" must be an integer, got float"});
  expect_error("demo = \"yes\"\n", {"\"demo\" must be a boolean", "got string"});
  expect_error("data_dir = 5\n", {"\"data_dir\" must be a string, got integer"});
  expect_error("sip_domains = \"example.org\"\n", {"\"sip_domains\" must be an array"});
  expect_error("sip_domains = [\"a.org\", 3]\n", {"\"sip_domains[1]\" must be a string"});
  expect_error("limits = 3\n", {"\"limits\" must be a table, got integer"});
  expect_error("[[limits]]\nbody_bytes = 2048\n", {"\"limits\" must be a table, got array"});
  expect_error("sites = { internal = 1 }\n", {"\"sites.internal\" must be a table"});
  expect_error("[sites.internal]\nhttps = 5443\n", {"\"sites.internal.https\" must be a string"});
  expect_error("[tls]\ncertificate = true\n", {"\"tls.certificate\" must be a string"});
  expect_error("[passwords]\nmemlimit = 1979-05-27\n", {"\"passwords.memlimit\"", "got date"});
}

TEST(Config, OutOfRangeValuesNameTheRange) {
  EXPECT_EQ(error_of("[limits]\nbody_bytes = 12\n"),
            "config.toml: \"limits.body_bytes\" is 12, allowed 1024..268435456");
  expect_error("threads = 257\n", {"\"threads\" is 257, allowed 0..256"});
  expect_error("threads = -1\n", {"\"threads\" is -1"});
  expect_error("[limits]\nheader_bytes = 1048577\n", {"\"limits.header_bytes\"", "1024..1048576"});
  expect_error("[limits]\nread_timeout_seconds = 0\n", {"\"limits.read_timeout_seconds\" is 0"});
  expect_error("[limits]\nidle_timeout_seconds = 86401\n", {"\"limits.idle_timeout_seconds\""});
  expect_error("[limits]\nshutdown_grace_seconds = 601\n", {"\"limits.shutdown_grace_seconds\""});
  expect_error("[limits]\nmax_connections = 0\n", {"\"limits.max_connections\" is 0"});
  expect_error("[passwords]\nopslimit = 0\n", {"\"passwords.opslimit\" is 0"});
  expect_error("[passwords]\nopslimit = 33\n", {"\"passwords.opslimit\" is 33, allowed 1..32"});
  expect_error("[passwords]\nmemlimit = 4294967297\n",
               {"\"passwords.memlimit\" is 4294967297", "..4294967296"});
  expect_error("[passwords]\nmemlimit = 100\n", {"\"passwords.memlimit\" is 100"});
  expect_error("threads = 9223372036854775807\n", {"\"threads\" is 9223372036854775807"});
}

TEST(Config, BadListenAddressesExplainTheForm) {
  for (const char* bad : {"localhost:5443", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
                          "127.0.0.1:-1", "::1:5443", "[::1]5443", "[::1]:", "[127.0.0.1]:80",
                          "1.2.3:80", ":80", "127.0.0.1:80x", "[::1:80", "127.0.0.1:000080"}) {
    SCOPED_TRACE(bad);
    expect_error(std::string("[sites.internal]\nhttps = \"") + bad + "\"\n",
                 {"\"sites.internal.https\"", "\"host:port\""});
  }
  expect_error("[sites.external]\nhttp = \"0.0.0.0:99999\"\n", {"\"sites.external.http\""});
  // The largest valid port is accepted.
  EXPECT_EQ(parse_config("[sites.external]\nhttp = \"0.0.0.0:65535\"\n").external_site.http->port,
            65535);
}

TEST(Config, SipDomainsAreValidatedAndNormalised) {
  EXPECT_EQ(parse_config("sip_domains = [\"EXAMPLE.org\"]").sip_domains,
            std::vector<std::string>{"example.org"});
  expect_error("sip_domains = []\n", {"\"sip_domains\" has 0 entries, allowed 1..64"});
  expect_error("sip_domains = [\"bad_name.org\"]\n", {"\"sip_domains[0]\"", "bad_name.org"});
  expect_error("sip_domains = [\"a.org\", \"-a.org\"]\n", {"\"sip_domains[1]\""});
  expect_error("sip_domains = [\"a..org\"]\n", {"\"sip_domains[0]\""});
  expect_error("sip_domains = [\"192.168.1.1\"]\n", {"\"sip_domains[0]\""});
  expect_error("sip_domains = [\"a.org\", \"A.ORG\"]\n", {"\"sip_domains\"", "a.org", "once"});
  std::string many = "sip_domains = [";
  for (int i = 0; i < 65; ++i) many += "\"d" + std::to_string(i) + ".org\",";
  many += "]\n";
  expect_error(many, {"\"sip_domains\" has 65 entries"});
  const std::string long_label(64, 'a');
  expect_error("sip_domains = [\"" + long_label + ".org\"]\n", {"\"sip_domains[0]\""});
}

TEST(Config, OtherValueRules) {
  expect_error("log_level = \"verbose\"\n", {"\"log_level\"", "verbose", "trace|debug"});
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"})
    EXPECT_EQ(parse_config(std::string("log_level = \"") + level + "\"").log_level, level);
  expect_error("data_dir = \"\"\n", {"\"data_dir\" must not be empty"});
  expect_error("[sites.internal]\nfqdn = \"\"\n", {"\"sites.internal.fqdn\" must not be empty"});
  expect_error("[sites.external]\nfqdn = \"not a name\"\n", {"\"sites.external.fqdn\""});
  expect_error("[tls]\ncertificate = \"c.pem\"\n", {"\"tls.certificate\"", "\"tls.key\""});
  expect_error("[tls]\nkey = \"k.pem\"\n", {"\"tls.certificate\"", "\"tls.key\""});
  expect_error("[tls]\nchain = \"c.pem\"\n", {"\"tls.chain\""});
  expect_error("data_dir = \"a\\u0000b\"\n", {"\"data_dir\"", "NUL"});
}

TEST(Config, SyntaxErrorsGiveLineAndColumn) {
  const std::string message = error_of("threads = 1\n\n[limits\n", "my.toml");
  EXPECT_NE(message.find("my.toml"), std::string::npos) << message;
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
  EXPECT_NE(message.find("column"), std::string::npos) << message;
  // A key given twice is a TOML error too, not a silent override.
  expect_error("threads = 1\nthreads = 2\n", {"line 2"});
}

TEST(Config, HostileInputIsRefusedWithoutCrashing) {
  expect_error("a = " + std::string(100000, '['), {"config.toml"});
  expect_error(std::string(2 * 1024 * 1024, '#'), {"larger than"});
  expect_error("data_dir = \"" + std::string(5000, 'x') + "\"\n", {"\"data_dir\" is longer"});
  // A huge unknown key is echoed back cut short, and control characters escaped.
  const std::string message = error_of("\"" + std::string(10000, 'k') + "\\u0001\" = 1\n");
  EXPECT_LT(message.size(), 200u);
  expect_error("\"a\\u0007b\" = 1\n", {"unknown key \"a\\x07b\""});
  expect_error("\xff\xfe = 1\n", {"config.toml"});
}

class ConfigFile : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("parley-config-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p;
  }
  fs::path dir_;
};

TEST_F(ConfigFile, LoadsAFile) {
  const Config c = load_config(write("a.toml", "threads = 3\n"));
  EXPECT_EQ(c.threads, 3u);
  expect_defaults(load_config(write("empty.toml", "")), false);
}

TEST_F(ConfigFile, ErrorsNameTheFile) {
  const fs::path p = write("bad.toml", "[limits]\nbody_byte = 1\n");
  try {
    load_config(p);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), p.string() + ": unknown key \"limits.body_byte\"");
  }
}

TEST_F(ConfigFile, MissingFileIsAConfigError) {
  const fs::path p = dir_ / "absent.toml";
  try {
    load_config(p);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("cannot read config file " + p.string() + ": "), std::string::npos) << m;
    EXPECT_NE(m.find("No such file"), std::string::npos) << m;
  }
  EXPECT_THROW(load_config(dir_), ConfigError);
}

TEST(DiscoveryConfig, DefaultsAndEveryKey) {
  const Config d = parse_config("");
  EXPECT_EQ(d.discovery.exposed_web_url, ExposedWebUrl::external);
  EXPECT_FALSE(d.discovery.http_discovery);
  EXPECT_TRUE(d.discovery.cross_domain_origins.empty());
  EXPECT_TRUE(d.discovery.other_pools.empty());
  EXPECT_EQ(d.webticket.token_lifetime_seconds, 28800u);
  EXPECT_EQ(d.webticket.throttle.account_failures, 5u);
  EXPECT_EQ(d.internal_site.advertised_port, 0);

  const Config c = parse_config(R"(
[sites.external]
advertised_port = 443
[discovery]
exposed_web_url = "internal"
http_discovery = true
cross_domain_origins = ["https://App.Example.org/", "http://localhost:3000"]
[[discovery.pools]]
name = "emea"
internal_fqdn = "pool-emea.corp.example.org"
external_fqdn = "EMEA.example.org"
sites = ["emea", "africa"]
[webticket]
token_lifetime_seconds = 120
[webticket.throttle]
account_failures = 3
address_failures = 10
base_delay_seconds = 2
max_delay_seconds = 60
)");
  EXPECT_EQ(c.external_site.advertised_port, 443);
  EXPECT_EQ(c.discovery.exposed_web_url, ExposedWebUrl::internal);
  EXPECT_TRUE(c.discovery.http_discovery);
  ASSERT_EQ(c.discovery.cross_domain_origins.size(), 2u);
  EXPECT_EQ(c.discovery.cross_domain_origins[0], "https://app.example.org");
  ASSERT_EQ(c.discovery.other_pools.size(), 1u);
  EXPECT_EQ(c.discovery.other_pools[0].external_fqdn, "emea.example.org");
  EXPECT_EQ(c.discovery.other_pools[0].sites.size(), 2u);
  EXPECT_EQ(c.webticket.token_lifetime_seconds, 120u);
  EXPECT_EQ(c.webticket.throttle.max_delay_seconds, 60u);
}

TEST(DiscoveryConfig, BadValuesNameTheKey) {
  expect_error("[discovery]\nexposed_web_url = \"Both\"\n", {"discovery.exposed_web_url", "Internal|External"});
  expect_error("[discovery]\ncross_domain_origins = [\"app.example.org\"]\n",
               {"discovery.cross_domain_origins[0]"});
  expect_error("[discovery]\ncross_domain_origins = [\"https://a.org/path\"]\n",
               {"discovery.cross_domain_origins[0]"});
  expect_error("[[discovery.pools]]\nname = \"x\"\ninternal_fqdn = \"a.org\"\n", {"discovery.pools[0]"});
  expect_error("[[discovery.pools]]\nname = \"x\"\ninternal_fqdn = \"a.org\"\nexternal_fqdn = \"b.org\"\ncolour = 1\n",
               {"discovery.pools[0].colour"});
  expect_error("[webticket]\ntoken_lifetime_seconds = 0\n", {"webticket.token_lifetime_seconds", "1..604800"});
  expect_error("[webticket.throttle]\nbase_delay_seconds = 10\nmax_delay_seconds = 5\n",
               {"webticket.throttle.max_delay_seconds"});
  expect_error("[sites.external]\nadvertised_port = 70000\n", {"sites.external.advertised_port"});
  expect_error("[mobility]\nsession_short_expiration_interval = 119\n",
               {"mobility.session_short_expiration_interval", "120..4294967295"});
  expect_error("[mobility]\nsession_expiration_interval = 4294967296\n",
               {"mobility.session_expiration_interval"});
  expect_error("[mobility]\nsession_expiration_interval = 3600\nsession_short_expiration_interval = 3600\n",
               {"must be greater than", "mobility.session_short_expiration_interval"});
  expect_error("[ucwa]\ntime_scale = 0\n", {"ucwa.time_scale", "1..10000"});
  expect_error("[ucwa]\nmax_pending_events = 1\n", {"ucwa.max_pending_events"});
  expect_error("[ucwa]\nspeed = 1\n", {"ucwa.speed"});
  expect_error("[presence]\naway_after_inactive_seconds = 5\n", {"presence.away_after_inactive_seconds"});
  expect_error("[im]\nretention_days = -1\n", {"im.retention_days", "0..36500"});
  expect_error("[im]\nring_timeout_seconds = 1\n", {"im.ring_timeout_seconds"});
}

TEST(ShippedConfig, ReferenceConfigListsTheDefaults) {
  expect_defaults(load_config(fs::path(PARLEY_DEPLOY_DIR) / "parleyd.toml"), false);
}

TEST(ShippedConfig, DemoConfigIsDefaultsWithDemoOn) {
  expect_defaults(load_config(fs::path(PARLEY_DEPLOY_DIR) / "demo.toml"), true);
}

TEST(ShippedConfig, ReferenceConfigMentionsEveryKey) {
  std::ifstream in(fs::path(PARLEY_DEPLOY_DIR) / "parleyd.toml");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* key :
       {"data_dir =", "threads =", "demo =", "sip_domains =", "log_level =", "[sites.internal]",
        "[sites.external]", "https =", "http =", "fqdn =", "[tls]", "certificate =", "key =",
        "chain =", "[limits]", "header_bytes =", "body_bytes =", "read_timeout_seconds =",
        "idle_timeout_seconds =", "shutdown_grace_seconds =", "max_connections =",
        "[passwords]", "opslimit =", "memlimit =", "advertised_port =", "[discovery]",
        "exposed_web_url =", "http_discovery =", "cross_domain_origins =", "[[discovery.pools]]",
        "internal_fqdn =", "external_fqdn =", "sites =", "[webticket]",
        "token_lifetime_seconds =", "[webticket.throttle]", "account_failures =",
        "address_failures =", "base_delay_seconds =", "max_delay_seconds =", "[mobility]",
        "session_expiration_interval =", "session_short_expiration_interval =", "[ucwa]",
        "idle_timeout_without_event_channel =", "resume_after_seconds =",
        "max_applications_per_user =", "max_pending_events =", "max_presence_subscriptions =",
        "max_subscribed_contacts =", "batch_delay_ms =", "expiry_check_seconds =",
        "time_scale =", "[presence]", "inactive_after_seconds =",
        "away_after_inactive_seconds =", "[im]", "retention_days =", "ring_timeout_seconds =",
        "[roles]", "frontend =", "edge =", "[edge]", "udp =", "tcp =", "tls =",
        "external_address =", "relay_addresses =", "relay_port_min =", "relay_port_max =",
        "realm =", "public_host =", "public_udp_port =", "public_tcp_port =",
        "public_tls_port =", "shared_secrets =", "credential_lifetime_seconds =", "users =",
        "[[edge.users]]", "name =", "password =", "allowed_peers =", "denied_peers =",
        "nonce_lifetime_seconds =", "default_lifetime_seconds =", "max_lifetime_seconds =",
        "max_allocations =", "max_allocations_per_user =", "max_bandwidth_bytes_per_second =",
        "[calls]", "[push]", "grace_ms =", "ttl_seconds =", "[push.apns]", "key_file =", "key_id =",
        "team_id =", "topic =", "url =", "sandbox_url =", "ca_file =", "[push.fcm]",
        "service_account_file =", "token_url =", "[push.webpush]", "vapid_key_file =",
        "subject =", "allow_private_endpoints ="})
    EXPECT_NE(text.find(key), std::string::npos) << key;
}

}  // namespace
}  // namespace parley

namespace parley {
namespace {

TEST(WebConfig, ClientDirIsReadAndUnknownKeysAreRefused) {
  EXPECT_TRUE(parse_config("").web.client_dir.empty());
  EXPECT_EQ(parse_config("[web]\nclient_dir = \"/srv/parley/client\"\n").web.client_dir,
            "/srv/parley/client");
  EXPECT_THROW(parse_config("[web]\nclient = \"/x\"\n"), ConfigError);
  EXPECT_THROW(parse_config("[web]\nclient_dir = 3\n"), ConfigError);
}

}  // namespace
}  // namespace parley
