#include "common/config.hpp"

#include "common/text.hpp"

#include <arpa/inet.h>
#include <sodium.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>
#include <system_error>

namespace parley {
namespace {

using namespace std::string_view_literals;

// A config file is a few kilobytes; anything much larger is a mistake, not a config.
constexpr std::size_t kMaxConfigBytes = 1024 * 1024;
// Longest path or other free-form string value accepted.
constexpr std::size_t kMaxStringBytes = 4096;
constexpr std::size_t kMaxSipDomains = 64;
// How much of a user-supplied key or value is echoed back in an error message.
constexpr std::size_t kMaxEchoBytes = 80;

constexpr std::array kLogLevels = {"trace"sv, "debug"sv, "info"sv, "warn"sv,
                                   "error"sv, "critical"sv, "off"sv};

// Makes user-supplied text safe to put inside a quoted error message: control characters and
// quotes are escaped and very long text is cut.
std::string printable(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= kMaxEchoBytes) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

// Parses "a.b.c.d:port" or "[v6]:port". Hosts are IP literals because listeners bind to
// addresses, never to names that would need resolving at start-up.
std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  std::string_view host;
  std::string_view port;
  bool v6 = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    v6 = true;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty() || host.size() > 64 || port.empty() || port.size() > 5) return std::nullopt;
  if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  unsigned long number = 0;
  for (char c : port) number = number * 10 + static_cast<unsigned long>(c - '0');
  if (number > 65535) return std::nullopt;

  const std::string host_str(host);
  std::array<unsigned char, 16> buf{};
  if (inet_pton(v6 ? AF_INET6 : AF_INET, host_str.c_str(), buf.data()) != 1) return std::nullopt;
  return ListenAddress{host_str, static_cast<std::uint16_t>(number)};
}

bool is_ip_literal(const std::string& text) {
  std::array<unsigned char, 16> buf{};
  return inet_pton(AF_INET, text.c_str(), buf.data()) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buf.data()) == 1;
}

// "10.0.0.0/8", "fd00::/8" or a bare address. The relay's PeerFilter parses these again; checking
// here too makes a typo fail at start-up with the key named, whichever role is enabled.
bool is_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const std::string address(text.substr(0, slash));
  std::array<unsigned char, 16> buf{};
  unsigned max = 0;
  if (inet_pton(AF_INET, address.c_str(), buf.data()) == 1) max = 32;
  else if (inet_pton(AF_INET6, address.c_str(), buf.data()) == 1) max = 128;
  else return false;
  if (slash == std::string_view::npos) return true;
  const std::string_view digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  unsigned length = 0;
  for (char c : digits) length = length * 10 + static_cast<unsigned>(c - '0');
  return length <= max;
}

// Walks the parsed document, turning each known key into its Config field and refusing
// everything else with a message that names the full dotted key.
class Reader {
public:
  explicit Reader(std::string_view source) : source_(source) {}

  Config read(const toml::table& root) {
    Config cfg;
    check_keys(root, "", {"data_dir", "threads", "demo", "sip_domains", "log_level", "sites",
                          "tls", "limits", "passwords", "discovery", "webticket", "mobility",
                          "ucwa", "presence", "im", "calls", "push", "roles", "edge", "web"});
    if (auto v = path_value(root, "", "data_dir")) cfg.data_dir = *v;
    read_integer(root, "", "threads", 0, 256, cfg.threads);
    if (auto v = get_bool(root, "", "demo")) cfg.demo = *v;
    read_sip_domains(root, cfg);
    if (auto v = get_string(root, "", "log_level")) {
      if (std::find(kLogLevels.begin(), kLogLevels.end(), *v) == kLogLevels.end())
        fail("\"log_level\" is \"" + printable(*v) +
             "\", allowed trace|debug|info|warn|error|critical|off");
      cfg.log_level = *v;
    }
    if (const auto* sites = get_table(root, "", "sites")) {
      check_keys(*sites, "sites", {"internal", "external"});
      read_site(*sites, "internal", cfg.internal_site);
      read_site(*sites, "external", cfg.external_site);
    }
    require_listener("sites.internal", cfg.internal_site);
    require_listener("sites.external", cfg.external_site);
    if (const auto* tls = get_table(root, "", "tls")) read_tls(*tls, cfg.tls);
    if (const auto* limits = get_table(root, "", "limits")) read_limits(*limits, cfg.limits);
    if (const auto* pw = get_table(root, "", "passwords")) read_passwords(*pw, cfg.passwords);
    if (const auto* d = get_table(root, "", "discovery")) read_discovery(*d, cfg);
    if (const auto* w = get_table(root, "", "webticket")) read_webticket(*w, cfg.webticket);
    if (const auto* m = get_table(root, "", "mobility")) read_mobility(*m, cfg.mobility);
    if (const auto* u = get_table(root, "", "ucwa")) read_ucwa(*u, cfg.ucwa);
    if (const auto* p = get_table(root, "", "presence")) read_presence(*p, cfg.presence);
    if (const auto* i = get_table(root, "", "im")) {
      check_keys(*i, "im", {"retention_days", "ring_timeout_seconds"});
      read_integer(*i, "im", "retention_days", 0, 36500, cfg.im.retention_days);
      read_integer(*i, "im", "ring_timeout_seconds", 5, 300, cfg.im.ring_timeout_seconds);
    }
    if (const auto* c = get_table(root, "", "calls")) {
      check_keys(*c, "calls", {"ring_timeout_seconds"});
      read_integer(*c, "calls", "ring_timeout_seconds", 5, 300, cfg.calls.ring_timeout_seconds);
    }
    if (const auto* p = get_table(root, "", "push")) read_push(*p, cfg.push);
    if (const auto* r = get_table(root, "", "roles")) {
      check_keys(*r, "roles", {"frontend", "edge"});
      if (auto v = get_bool(*r, "roles", "frontend")) cfg.roles.frontend = *v;
      if (auto v = get_bool(*r, "roles", "edge")) cfg.roles.edge = *v;
      if (!cfg.roles.frontend && !cfg.roles.edge)
        fail("\"roles.frontend\" and \"roles.edge\" are both false: parleyd would run nothing");
    }
    if (const auto* e = get_table(root, "", "edge")) read_edge(*e, cfg.edge);
    if (const auto* w = get_table(root, "", "web")) {
      check_keys(*w, "web", {"client_dir"});
      if (auto v = path_value(*w, "web", "client_dir", true)) cfg.web.client_dir = *v;
    }
    return cfg;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw ConfigError(source_ + ": " + what);
  }

private:
  static std::string join(std::string_view prefix, std::string_view key) {
    if (prefix.empty()) return printable(key);
    return std::string(prefix) + "." + printable(key);
  }

  void check_keys(const toml::table& t, std::string_view prefix,
                  std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, value] : t) {
      (void)value;
      if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end())
        fail("unknown key \"" + join(prefix, key.str()) + "\"");
    }
  }

  [[noreturn]] void wrong_type(const std::string& key, std::string_view expected,
                               const toml::node& got) const {
    fail("\"" + key + "\" must be " + std::string(expected) + ", got " +
         std::string(type_name(got)));
  }

  const toml::table* get_table(const toml::table& t, std::string_view prefix,
                               std::string_view key) const {
    const auto* node = t.get(key);
    if (!node) return nullptr;
    if (!node->is_table()) wrong_type(join(prefix, key), "a table", *node);
    return node->as_table();
  }

  std::optional<bool> get_bool(const toml::table& t, std::string_view prefix,
                               std::string_view key) const {
    const auto* node = t.get(key);
    if (!node) return std::nullopt;
    if (!node->is_boolean()) wrong_type(join(prefix, key), "a boolean (true or false)", *node);
    return node->as_boolean()->get();
  }

  std::optional<std::string> get_string(const toml::table& t, std::string_view prefix,
                                        std::string_view key) const {
    const auto* node = t.get(key);
    if (!node) return std::nullopt;
    if (!node->is_string()) wrong_type(join(prefix, key), "a string", *node);
    const std::string& s = node->as_string()->get();
    if (s.size() > kMaxStringBytes)
      fail("\"" + join(prefix, key) + "\" is longer than " + std::to_string(kMaxStringBytes) +
           " bytes");
    return s;
  }

  // A file-system path: a string without NUL bytes (which no path can hold).
  std::optional<std::string> path_value(const toml::table& t, std::string_view prefix,
                                        std::string_view key, bool allow_empty = false) const {
    auto s = get_string(t, prefix, key);
    if (!s) return s;
    if (!allow_empty && s->empty()) fail("\"" + join(prefix, key) + "\" must not be empty");
    if (s->find('\0') != std::string::npos)
      fail("\"" + join(prefix, key) + "\" contains a NUL character");
    return s;
  }

  template <typename T>
  void read_integer(const toml::table& t, std::string_view prefix, std::string_view key,
                    std::int64_t min, std::int64_t max, T& out) const {
    const auto* node = t.get(key);
    if (!node) return;
    if (!node->is_integer()) wrong_type(join(prefix, key), "an integer", *node);
    const std::int64_t v = node->as_integer()->get();
    if (v < min || v > max)
      fail("\"" + join(prefix, key) + "\" is " + std::to_string(v) + ", allowed " +
           std::to_string(min) + ".." + std::to_string(max));
    out = static_cast<T>(v);
  }

  void read_sip_domains(const toml::table& root, Config& cfg) const {
    const auto* node = root.get("sip_domains");
    if (!node) return;
    if (!node->is_array()) wrong_type("sip_domains", "an array of strings", *node);
    const auto& arr = *node->as_array();
    if (arr.empty() || arr.size() > kMaxSipDomains)
      fail("\"sip_domains\" has " + std::to_string(arr.size()) + " entries, allowed 1.." +
           std::to_string(kMaxSipDomains));
    std::vector<std::string> domains;
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const std::string key = "sip_domains[" + std::to_string(i) + "]";
      const auto& item = arr[i];
      if (!item.is_string()) wrong_type(key, "a string", item);
      const std::string& raw = item.as_string()->get();
      std::string name = lower(raw);
      if (!is_dns_name(name))
        fail("\"" + key + "\" is \"" + printable(raw) +
             "\", expected a DNS name such as \"example.org\"");
      if (std::find(domains.begin(), domains.end(), name) != domains.end())
        fail("\"sip_domains\" lists \"" + name + "\" more than once");
      domains.push_back(std::move(name));
    }
    cfg.sip_domains = std::move(domains);
  }

  void read_listener(const toml::table& t, const std::string& prefix, std::string_view key,
                     std::optional<ListenAddress>& out) const {
    auto text = get_string(t, prefix, key);
    if (!text) return;
    if (text->empty()) {
      out.reset();  // "" switches the listener off
      return;
    }
    auto addr = parse_listen_address(*text);
    if (!addr)
      fail("\"" + join(prefix, key) + "\" is \"" + printable(*text) +
           "\", expected \"host:port\" with an IP address host and a port 0..65535, e.g. "
           "\"0.0.0.0:4443\" or \"[::1]:4443\" (\"\" disables the listener)");
    out = std::move(addr);
  }

  void read_url(const toml::table& t, const std::string& prefix, std::string_view key,
                std::string& out) const {
    auto v = get_string(t, prefix, key);
    if (!v) return;
    if (v->empty() && key == "token_url") {  // "": the service account file's own
      out.clear();
      return;
    }
    if (!(v->starts_with("https://") || v->starts_with("http://")) || v->size() < 10 ||
        v->find_first_of(" \t\r\n") != std::string::npos)
      fail("\"" + join(prefix, key) + "\" is \"" + printable(*v) +
           "\", expected an https:// URL such as \"https://api.push.apple.com\"");
    while (v->ends_with("/")) v->pop_back();
    out = *v;
  }

  void read_push(const toml::table& t, PushSettings& push) const {
    check_keys(t, "push", {"grace_ms", "ttl_seconds", "apns", "fcm", "webpush"});
    read_integer(t, "push", "grace_ms", 0, 60000, push.grace_ms);
    read_integer(t, "push", "ttl_seconds", 1, 2419200, push.ttl_seconds);
    if (const auto* a = get_table(t, "push", "apns")) {
      const std::string p = "push.apns";
      check_keys(*a, p, {"key_file", "key_id", "team_id", "topic", "url", "sandbox_url", "ca_file"});
      if (auto v = path_value(*a, p, "key_file", true)) push.apns.key_file = *v;
      if (auto v = get_string(*a, p, "key_id")) push.apns.key_id = *v;
      if (auto v = get_string(*a, p, "team_id")) push.apns.team_id = *v;
      if (auto v = get_string(*a, p, "topic")) push.apns.topic = *v;
      read_url(*a, p, "url", push.apns.url);
      read_url(*a, p, "sandbox_url", push.apns.sandbox_url);
      if (auto v = path_value(*a, p, "ca_file", true)) push.apns.ca_file = *v;
      if (!push.apns.key_file.empty() && (push.apns.key_id.size() != 10 || push.apns.team_id.size() != 10))
        fail("\"push.apns\" needs key_id and team_id (10 characters each, from Apple) with key_file");
    }
    if (const auto* f = get_table(t, "push", "fcm")) {
      const std::string p = "push.fcm";
      check_keys(*f, p, {"service_account_file", "url", "token_url", "ca_file"});
      if (auto v = path_value(*f, p, "service_account_file", true)) push.fcm.service_account_file = *v;
      read_url(*f, p, "url", push.fcm.url);
      read_url(*f, p, "token_url", push.fcm.token_url);
      if (auto v = path_value(*f, p, "ca_file", true)) push.fcm.ca_file = *v;
    }
    if (const auto* w = get_table(t, "push", "webpush")) {
      const std::string p = "push.webpush";
      check_keys(*w, p, {"vapid_key_file", "subject", "ca_file", "allow_private_endpoints"});
      if (auto v = get_bool(*w, p, "allow_private_endpoints")) push.webpush.allow_private_endpoints = *v;
      if (auto v = path_value(*w, p, "vapid_key_file", true)) push.webpush.vapid_key_file = *v;
      if (auto v = get_string(*w, p, "subject")) {
        if (!v->empty() && !v->starts_with("mailto:") && !v->starts_with("https://"))
          fail("\"push.webpush.subject\" must start with mailto: or https:// (RFC 8292)");
        push.webpush.subject = *v;
      }
      if (auto v = path_value(*w, p, "ca_file", true)) push.webpush.ca_file = *v;
    }
  }

  void read_site(const toml::table& sites, std::string_view name, SiteConfig& site) const {
    const auto* t = get_table(sites, "sites", name);
    if (!t) return;
    const std::string prefix = "sites." + std::string(name);
    check_keys(*t, prefix, {"https", "http", "fqdn", "advertised_port"});
    read_listener(*t, prefix, "https", site.https);
    read_listener(*t, prefix, "http", site.http);
    if (auto fqdn = read_dns_name(*t, prefix, "fqdn")) site.fqdn = std::move(*fqdn);
    read_integer(*t, prefix, "advertised_port", 0, 65535, site.advertised_port);
  }

  // A DNS name (lower-cased), or nullopt when the key is absent.
  std::optional<std::string> read_dns_name(const toml::table& t, const std::string& prefix,
                                           std::string_view key) const {
    auto text = get_string(t, prefix, key);
    if (!text) return std::nullopt;
    const std::string full = join(prefix, key);
    if (text->empty()) fail("\"" + full + "\" must not be empty");
    std::string folded = lower(*text);
    if (!is_dns_name(folded))
      fail("\"" + full + "\" is \"" + printable(*text) +
           "\", expected a DNS name such as \"parley.example.org\"");
    return folded;
  }

  std::vector<std::string> read_string_list(const toml::table& t, const std::string& prefix,
                                            std::string_view key, std::size_t max_items) const {
    std::vector<std::string> out;
    const auto* node = t.get(key);
    if (!node) return out;
    const std::string full = join(prefix, key);
    if (!node->is_array()) wrong_type(full, "an array of strings", *node);
    const auto& arr = *node->as_array();
    if (arr.size() > max_items)
      fail("\"" + full + "\" has " + std::to_string(arr.size()) + " entries, allowed 0.." +
           std::to_string(max_items));
    for (std::size_t i = 0; i < arr.size(); ++i) {
      if (!arr[i].is_string()) wrong_type(full + "[" + std::to_string(i) + "]", "a string", arr[i]);
      const std::string& v = arr[i].as_string()->get();
      if (v.size() > kMaxStringBytes)
        fail("\"" + full + "[" + std::to_string(i) + "]\" is too long");
      out.push_back(v);
    }
    return out;
  }

  void read_discovery(const toml::table& t, Config& cfg) const {
    auto& d = cfg.discovery;
    check_keys(t, "discovery", {"exposed_web_url", "http_discovery", "cross_domain_origins", "pools"});
    if (auto v = get_string(t, "discovery", "exposed_web_url")) {
      const std::string folded = lower(*v);
      if (folded == "internal") d.exposed_web_url = ExposedWebUrl::internal;
      else if (folded == "external") d.exposed_web_url = ExposedWebUrl::external;
      else fail("\"discovery.exposed_web_url\" is \"" + printable(*v) + "\", allowed Internal|External");
    }
    if (auto v = get_bool(t, "discovery", "http_discovery")) d.http_discovery = *v;
    d.cross_domain_origins = read_string_list(t, "discovery", "cross_domain_origins", 256);
    for (std::size_t i = 0; i < d.cross_domain_origins.size(); ++i) {
      auto& o = d.cross_domain_origins[i];
      o = lower(o);
      while (!o.empty() && o.back() == '/') o.pop_back();
      const auto scheme_end = o.find("://");
      const bool ok = (o.rfind("https://", 0) == 0 || o.rfind("http://", 0) == 0) &&
                      o.find('/', scheme_end + 3) == std::string::npos && o.size() > scheme_end + 3;
      if (!ok)
        fail("\"discovery.cross_domain_origins[" + std::to_string(i) + "]\" is \"" + printable(o) +
             "\", expected an origin such as \"https://app.example.org\"");
    }
    if (const auto* node = t.get("pools")) {
      if (!node->is_array_of_tables()) wrong_type("discovery.pools", "an array of tables ([[discovery.pools]])", *node);
      const auto& arr = *node->as_array();
      if (arr.size() > 64) fail("\"discovery.pools\" has more than 64 entries");
      for (std::size_t i = 0; i < arr.size(); ++i) {
        const auto& pt = *arr[i].as_table();
        const std::string prefix = "discovery.pools[" + std::to_string(i) + "]";
        check_keys(pt, prefix, {"name", "internal_fqdn", "external_fqdn", "sites"});
        PoolConfig pool;
        auto name = get_string(pt, prefix, "name");
        if (!name || name->empty()) fail("\"" + prefix + ".name\" is required");
        pool.name = *name;
        auto internal = read_dns_name(pt, prefix, "internal_fqdn");
        auto external = read_dns_name(pt, prefix, "external_fqdn");
        if (!internal || !external)
          fail("\"" + prefix + "\" needs both \"internal_fqdn\" and \"external_fqdn\"");
        pool.internal_fqdn = *internal;
        pool.external_fqdn = *external;
        pool.sites = read_string_list(pt, prefix, "sites", 1024);
        d.other_pools.push_back(std::move(pool));
      }
    }
  }

  void read_webticket(const toml::table& t, WebTicketConfig& w) const {
    check_keys(t, "webticket", {"token_lifetime_seconds", "throttle"});
    read_integer(t, "webticket", "token_lifetime_seconds", 1, 7 * 86400, w.token_lifetime_seconds);
    if (const auto* th = get_table(t, "webticket", "throttle")) {
      check_keys(*th, "webticket.throttle",
                 {"account_failures", "address_failures", "base_delay_seconds", "max_delay_seconds"});
      read_integer(*th, "webticket.throttle", "account_failures", 1, 1000, w.throttle.account_failures);
      read_integer(*th, "webticket.throttle", "address_failures", 1, 100000, w.throttle.address_failures);
      read_integer(*th, "webticket.throttle", "base_delay_seconds", 1, 3600, w.throttle.base_delay_seconds);
      read_integer(*th, "webticket.throttle", "max_delay_seconds", 1, 86400, w.throttle.max_delay_seconds);
      if (w.throttle.max_delay_seconds < w.throttle.base_delay_seconds)
        fail("\"webticket.throttle.max_delay_seconds\" must not be less than \"base_delay_seconds\"");
    }
  }

  void read_mobility(const toml::table& t, MobilityConfig& m) const {
    check_keys(t, "mobility", {"session_expiration_interval", "session_short_expiration_interval"});
    // Ranges of Set-CsMcxConfiguration (UCWA.md §6.2).
    read_integer(t, "mobility", "session_expiration_interval", 120, 4294967295LL,
                 m.session_expiration_interval);
    read_integer(t, "mobility", "session_short_expiration_interval", 120, 4294967295LL,
                 m.session_short_expiration_interval);
    if (m.session_expiration_interval <= m.session_short_expiration_interval)
      fail("\"mobility.session_expiration_interval\" (" +
           std::to_string(m.session_expiration_interval) +
           ") must be greater than \"mobility.session_short_expiration_interval\" (" +
           std::to_string(m.session_short_expiration_interval) + ")");
  }

  void read_ucwa(const toml::table& t, UcwaConfig& u) const {
    check_keys(t, "ucwa", {"idle_timeout_without_event_channel", "resume_after_seconds",
                           "max_applications_per_user", "max_pending_events",
                           "max_presence_subscriptions", "max_subscribed_contacts",
                           "batch_delay_ms", "expiry_check_seconds", "time_scale"});
    read_integer(t, "ucwa", "idle_timeout_without_event_channel", 60, 86400,
                 u.idle_timeout_without_event_channel);
    read_integer(t, "ucwa", "resume_after_seconds", 60, 86400, u.resume_after_seconds);
    read_integer(t, "ucwa", "max_applications_per_user", 1, 1000, u.max_applications_per_user);
    read_integer(t, "ucwa", "max_pending_events", 16, 100000, u.max_pending_events);
    read_integer(t, "ucwa", "max_presence_subscriptions", 1, 1000, u.max_presence_subscriptions);
    read_integer(t, "ucwa", "max_subscribed_contacts", 1, 100000, u.max_subscribed_contacts);
    read_integer(t, "ucwa", "batch_delay_ms", 0, 5000, u.batch_delay_ms);
    read_integer(t, "ucwa", "expiry_check_seconds", 1, 3600, u.expiry_check_seconds);
    read_integer(t, "ucwa", "time_scale", 1, 10000, u.time_scale);
  }

  void read_presence(const toml::table& t, PresenceConfig& p) const {
    check_keys(t, "presence", {"inactive_after_seconds", "away_after_inactive_seconds"});
    read_integer(t, "presence", "inactive_after_seconds", 60, 86400, p.inactive_after_seconds);
    read_integer(t, "presence", "away_after_inactive_seconds", 60, 86400,
                 p.away_after_inactive_seconds);
  }

  // A list of "host:port" listeners; [] switches that transport off.
  std::vector<ListenAddress> read_listener_list(const toml::table& t, const std::string& prefix,
                                                std::string_view key,
                                                std::vector<ListenAddress> fallback) const {
    if (!t.get(key)) return fallback;
    std::vector<ListenAddress> out;
    const auto texts = read_string_list(t, prefix, key, 64);
    for (std::size_t i = 0; i < texts.size(); ++i) {
      auto addr = parse_listen_address(texts[i]);
      if (!addr)
        fail("\"" + join(prefix, key) + "[" + std::to_string(i) + "]\" is \"" +
             printable(texts[i]) +
             "\", expected \"host:port\" with an IP address host and a port 0..65535, e.g. "
             "\"0.0.0.0:3478\" or \"[::]:3478\"");
      out.push_back(std::move(*addr));
    }
    return out;
  }

  std::vector<std::string> read_cidr_list(const toml::table& t, std::string_view key) const {
    auto list = read_string_list(t, "edge", key, 1024);
    for (std::size_t i = 0; i < list.size(); ++i)
      if (!is_cidr(list[i]))
        fail("\"edge." + std::string(key) + "[" + std::to_string(i) + "]\" is \"" +
             printable(list[i]) +
             "\", expected an address or CIDR prefix such as \"10.0.0.0/8\" or \"fd00::/8\"");
    return list;
  }

  void read_relay_users(const toml::table& t, EdgeConfig& e) const {
    const auto* node = t.get("users");
    if (!node) return;
    // An empty array has no element type; `users = []` is how the reference file shows the key.
    if (!node->is_array() || (!node->as_array()->empty() && !node->is_array_of_tables()))
      wrong_type("edge.users", "an array of tables ([[edge.users]] with name and password)",
                 *node);
    const auto& arr = *node->as_array();
    if (arr.size() > 1000) fail("\"edge.users\" has more than 1000 entries");
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const auto& ut = *arr[i].as_table();
      const std::string prefix = "edge.users[" + std::to_string(i) + "]";
      check_keys(ut, prefix, {"name", "password"});
      RelayUser u;
      auto name = get_string(ut, prefix, "name");
      auto password = get_string(ut, prefix, "password");
      if (!name || name->empty()) fail("\"" + prefix + ".name\" is required");
      if (!password || password->empty()) fail("\"" + prefix + ".password\" is required");
      // STUN USERNAME is at most 513 bytes; a ':' would make the name look time-limited.
      if (name->size() > 513 || name->find(':') != std::string::npos ||
          std::any_of(name->begin(), name->end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
        fail("\"" + prefix + ".name\" is \"" + printable(*name) +
             "\", expected up to 513 bytes without ':' or control characters");
      if (password->size() > 256) fail("\"" + prefix + ".password\" is longer than 256 bytes");
      for (const auto& other : e.users)
        if (other.name == *name) fail("\"edge.users\" lists \"" + printable(*name) + "\" more than once");
      u.name = std::move(*name);
      u.password = std::move(*password);
      e.users.push_back(std::move(u));
    }
  }

  void read_edge(const toml::table& t, EdgeConfig& e) const {
    check_keys(t, "edge",
               {"udp", "tcp", "tls", "external_address", "relay_addresses", "relay_port_min",
                "relay_port_max", "realm", "public_host", "public_udp_port", "public_tcp_port",
                "public_tls_port", "shared_secrets", "credential_lifetime_seconds", "users",
                "allowed_peers", "denied_peers", "nonce_lifetime_seconds",
                "default_lifetime_seconds", "max_lifetime_seconds", "max_allocations",
                "max_allocations_per_user", "max_bandwidth_bytes_per_second", "threads"});
    e.udp = read_listener_list(t, "edge", "udp", e.udp);
    e.tcp = read_listener_list(t, "edge", "tcp", e.tcp);
    e.tls = read_listener_list(t, "edge", "tls", e.tls);
    if (auto v = get_string(t, "edge", "external_address")) {
      if (!v->empty() && !is_ip_literal(*v))
        fail("\"edge.external_address\" is \"" + printable(*v) +
             "\", expected an IP address such as \"203.0.113.7\" (\"\" for none)");
      e.external_address = *v;
    }
    e.relay_addresses = read_string_list(t, "edge", "relay_addresses", 64);
    for (std::size_t i = 0; i < e.relay_addresses.size(); ++i)
      if (!is_ip_literal(e.relay_addresses[i]))
        fail("\"edge.relay_addresses[" + std::to_string(i) + "]\" is \"" +
             printable(e.relay_addresses[i]) + "\", expected an IP address");
    read_integer(t, "edge", "relay_port_min", 1024, 65535, e.relay_port_min);
    read_integer(t, "edge", "relay_port_max", 1024, 65535, e.relay_port_max);
    if (e.relay_port_min > e.relay_port_max)
      fail("\"edge.relay_port_min\" (" + std::to_string(e.relay_port_min) +
           ") must not be greater than \"edge.relay_port_max\" (" +
           std::to_string(e.relay_port_max) + ")");
    if (auto v = get_string(t, "edge", "realm")) {
      // RFC 8489 §14.9: fewer than 128 characters, sent as a quoted string.
      if (v->size() > 127 || std::any_of(v->begin(), v->end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '"' || c == '\\';
          }))
        fail("\"edge.realm\" is \"" + printable(*v) +
             "\", expected up to 127 characters without quotes, backslashes or control "
             "characters");
      e.realm = *v;
    }
    if (auto v = get_string(t, "edge", "public_host")) {
      std::string folded = lower(*v);
      if (!folded.empty() && !is_dns_name(folded) && !is_ip_literal(folded))
        fail("\"edge.public_host\" is \"" + printable(*v) +
             "\", expected a DNS name such as \"edge.example.org\" or an IP address (\"\" "
             "for the external site's fqdn)");
      e.public_host = std::move(folded);
    }
    // Left out while the transport's first listener takes any free port (":0"): the server fills
    // in the port it got, so that clients are told where the relay really listens.
    const auto public_port = [&](std::string_view key, const std::vector<ListenAddress>& listeners,
                                 std::uint16_t& out, bool& from_listener) {
      from_listener = !t.contains(key) && !listeners.empty() && listeners.front().port == 0;
      read_integer(t, "edge", key, 0, 65535, out);
    };
    public_port("public_udp_port", e.udp, e.public_udp_port, e.udp_port_from_listener);
    public_port("public_tcp_port", e.tcp, e.public_tcp_port, e.tcp_port_from_listener);
    public_port("public_tls_port", e.tls, e.public_tls_port, e.tls_port_from_listener);
    e.shared_secrets = read_string_list(t, "edge", "shared_secrets", 16);
    for (std::size_t i = 0; i < e.shared_secrets.size(); ++i)
      if (e.shared_secrets[i].size() < 16)
        fail("\"edge.shared_secrets[" + std::to_string(i) +
             "]\" is shorter than 16 characters; a guessable secret lets anyone mint relay "
             "credentials");
    read_integer(t, "edge", "credential_lifetime_seconds", 60, 7 * 86400,
                 e.credential_lifetime_seconds);
    read_relay_users(t, e);
    e.allowed_peers = read_cidr_list(t, "allowed_peers");
    e.denied_peers = read_cidr_list(t, "denied_peers");
    read_integer(t, "edge", "nonce_lifetime_seconds", 10, 86400, e.nonce_lifetime_seconds);
    read_integer(t, "edge", "default_lifetime_seconds", 1, 86400, e.default_lifetime_seconds);
    read_integer(t, "edge", "max_lifetime_seconds", 1, 86400, e.max_lifetime_seconds);
    if (e.default_lifetime_seconds > e.max_lifetime_seconds)
      fail("\"edge.default_lifetime_seconds\" (" + std::to_string(e.default_lifetime_seconds) +
           ") must not be greater than \"edge.max_lifetime_seconds\" (" +
           std::to_string(e.max_lifetime_seconds) + ")");
    read_integer(t, "edge", "max_allocations", 1, 1000000, e.max_allocations);
    read_integer(t, "edge", "max_allocations_per_user", 1, 100000, e.max_allocations_per_user);
    read_integer(t, "edge", "max_bandwidth_bytes_per_second", 0, 1'000'000'000'000LL,
                 e.max_bandwidth_bytes_per_second);
    read_integer(t, "edge", "threads", 0, 256, e.threads);
  }

  void require_listener(const std::string& prefix, const SiteConfig& site) const {
    if (!site.https && !site.http)
      fail("\"" + prefix + "\" has no listener: set \"" + prefix + ".https\" or \"" + prefix +
           ".http\" to a \"host:port\"");
  }

  void read_tls(const toml::table& t, TlsConfig& tls) const {
    check_keys(t, "tls", {"certificate", "key", "chain"});
    if (auto v = path_value(t, "tls", "certificate", true)) tls.certificate = *v;
    if (auto v = path_value(t, "tls", "key", true)) tls.key = *v;
    if (auto v = path_value(t, "tls", "chain", true)) tls.chain = *v;
    if (tls.certificate.empty() != tls.key.empty())
      fail("\"tls.certificate\" and \"tls.key\" must be set together (or both left empty to "
           "use the development CA)");
    if (!tls.chain.empty() && tls.certificate.empty())
      fail("\"tls.chain\" is set but \"tls.certificate\" is not");
  }

  void read_limits(const toml::table& t, LimitsConfig& limits) const {
    check_keys(t, "limits", {"header_bytes", "body_bytes", "read_timeout_seconds",
                             "idle_timeout_seconds", "shutdown_grace_seconds",
                             "max_connections"});
    read_integer(t, "limits", "header_bytes", 1024, 1024 * 1024, limits.header_bytes);
    read_integer(t, "limits", "body_bytes", 1024, 256LL * 1024 * 1024, limits.body_bytes);
    read_integer(t, "limits", "read_timeout_seconds", 1, 3600, limits.read_timeout_seconds);
    read_integer(t, "limits", "idle_timeout_seconds", 1, 86400, limits.idle_timeout_seconds);
    read_integer(t, "limits", "shutdown_grace_seconds", 0, 600, limits.shutdown_grace_seconds);
    read_integer(t, "limits", "max_connections", 1, 1000000, limits.max_connections);
  }

  void read_passwords(const toml::table& t, PasswordConfig& pw) const {
    check_keys(t, "passwords", {"opslimit", "memlimit"});
    read_integer(t, "passwords", "opslimit",
                 static_cast<std::int64_t>(crypto_pwhash_opslimit_min()),
                 // 32 passes is far beyond any sensible sign-in cost; auth::hash_password and
                 // verify_password refuse more, so the configuration does too.
                 std::int64_t{32}, pw.opslimit);
    // 4 GiB keeps a single sign-in from taking the whole machine's memory.
    const auto mem_max =
        std::min<std::uint64_t>(crypto_pwhash_memlimit_max(), 4ULL * 1024 * 1024 * 1024);
    read_integer(t, "passwords", "memlimit",
                 static_cast<std::int64_t>(crypto_pwhash_memlimit_min()),
                 static_cast<std::int64_t>(mem_max), pw.memlimit);
  }

  std::string source_;
};

}  // namespace

Config parse_config(std::string_view toml_text, std::string_view source_name) {
  const std::string source(source_name);
  Reader reader(source);
  if (toml_text.size() > kMaxConfigBytes)
    reader.fail("file is larger than " + std::to_string(kMaxConfigBytes) + " bytes");
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    throw ConfigError(source + ": syntax error at line " + std::to_string(begin.line) +
                      ", column " + std::to_string(begin.column) + ": " +
                      std::string(e.description()));
  }
  return reader.read(root);
}

Config load_config(const std::filesystem::path& file) {
  const std::string name = file.string();
  auto cannot_read = [&](const std::string& reason) -> ConfigError {
    return ConfigError("cannot read config file " + name + ": " + reason);
  };
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) throw cannot_read("it is a directory");

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(name.c_str(), "rb"), &std::fclose);
  if (!f) throw cannot_read(std::strerror(errno));
  std::string text;
  std::array<char, 16384> buf;
  while (true) {
    const std::size_t n = std::fread(buf.data(), 1, buf.size(), f.get());
    text.append(buf.data(), n);
    if (text.size() > kMaxConfigBytes)
      throw cannot_read("larger than " + std::to_string(kMaxConfigBytes) + " bytes");
    if (n < buf.size()) {
      if (std::ferror(f.get())) throw cannot_read(std::strerror(errno));
      break;
    }
  }
  return parse_config(text, name);
}

std::string to_string(const ListenAddress& a) {
  if (a.host.find(':') != std::string::npos)
    return "[" + a.host + "]:" + std::to_string(a.port);
  return a.host + ":" + std::to_string(a.port);
}

}  // namespace parley
