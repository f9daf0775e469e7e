#pragma once
// parleyd's configuration: one TOML file, every key with a default (deploy/parleyd.toml documents
// them all). load_config() validates as it reads; an unknown key, a wrong type or an out-of-range
// value is a ConfigError whose message names the key and what is allowed.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace parley {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "host:port" as written in the config; port 0 asks the kernel for an ephemeral port.
struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

struct SiteConfig {
  std::optional<ListenAddress> https;  // absent: this site has no HTTPS listener
  std::optional<ListenAddress> http;   // absent: no plain-HTTP listener
  std::string fqdn;                    // the web-services FQDN advertised for this site
  // The HTTPS port clients reach this site on, used in the absolute URLs Parley advertises:
  // 443 behind a reverse proxy; 0 means the port of the site's own HTTPS listener.
  std::uint16_t advertised_port = 0;
};

enum class ExposedWebUrl { internal, external };

// Another front-end pool of the same deployment; users whose site belongs to it are sent there
// by discovery (UCWA.md §1.3, "User homed on another pool").
struct PoolConfig {
  std::string name;
  std::string internal_fqdn;
  std::string external_fqdn;
  std::vector<std::string> sites;  // user sites homed on that pool
};

struct DiscoveryConfig {
  // Which web-services URL mobility links advertise (Set-CsMcxConfiguration -ExposedWebURL).
  ExposedWebUrl exposed_web_url = ExposedWebUrl::external;
  // Answer discovery on the external site's plain-HTTP listener (for certificates without
  // lyncdiscover names); its links still point to HTTPS.
  bool http_discovery = false;
  // Origins allowed to use the XFrame relay (CrossDomainAuthorizationList), e.g.
  // "https://app.example.org".
  std::vector<std::string> cross_domain_origins;
  std::vector<PoolConfig> other_pools;
};

struct ThrottleConfig {
  unsigned account_failures = 5;    // failures of one account before back-off starts
  unsigned address_failures = 20;   // failures from one client address before back-off starts
  unsigned base_delay_seconds = 1;  // first back-off; doubles with every further failure
  unsigned max_delay_seconds = 900;
};

struct WebTicketConfig {
  unsigned token_lifetime_seconds = 8 * 3600;
  ThrottleConfig throttle;
};

struct TlsConfig {
  std::filesystem::path certificate;  // empty: use (and on first start generate) the development CA
  std::filesystem::path key;
  std::filesystem::path chain;  // optional intermediates, PEM
};

struct LimitsConfig {
  std::size_t header_bytes = 16 * 1024;
  std::size_t body_bytes = 1024 * 1024;
  unsigned read_timeout_seconds = 30;      // a request must arrive whole within this
  unsigned idle_timeout_seconds = 120;     // keep-alive connection with no request
  unsigned shutdown_grace_seconds = 10;    // in-flight requests get this long on SIGTERM
  unsigned max_connections = 10000;
};

struct PasswordConfig {
  // argon2id cost, as libsodium's crypto_pwhash_str takes it.
  unsigned long long opslimit = 2;            // crypto_pwhash_OPSLIMIT_INTERACTIVE
  std::size_t memlimit = 64 * 1024 * 1024;    // crypto_pwhash_MEMLIMIT_INTERACTIVE
};

// The mobility service (Set-CsMcxConfiguration, UCWA.md §6.2): how long an application may stay
// silent before it expires and must be created again.
struct MobilityConfig {
  // Push-capable mobile applications (device class phone or tablet).
  std::uint32_t session_expiration_interval = 259200;
  // Every other application (desktop, browser). Must be less than the long interval.
  std::uint32_t session_short_expiration_interval = 3600;
};

// UCWA applications and their event channels (UCWA.md §3, §4).
struct UcwaConfig {
  // An application that has never opened its event channel expires after this many idle seconds.
  unsigned idle_timeout_without_event_channel = 300;
  // A P-GET arriving after a gap this long answers `resume`: subscriptions were reset meanwhile.
  unsigned resume_after_seconds = 900;
  unsigned max_applications_per_user = 16;   // more: 403 TooManyApplications
  unsigned max_pending_events = 1024;        // per event channel; more: the channel resyncs
  unsigned max_presence_subscriptions = 16;  // per application; more: 403 LimitExceeded
  unsigned max_subscribed_contacts = 1000;   // per application over all its subscriptions
  // Medium- and low-urgency events wait this long for others to share their package, unless
  // the client asked for longer (`medium`, `low`); high-urgency events go at once.
  unsigned batch_delay_ms = 20;
  unsigned expiry_check_seconds = 30;        // how often idle applications are looked for
  // For tests only: every UCWA timer (P-GET timeout, holds, expiry, idle presence, subscription
  // durations) runs this many times faster.
  unsigned time_scale = 1;
};

// Machine presence (UCWA.md §3.1 "Presence keep-alive"): without reportMyActivity an endpoint
// becomes inactive, and later away.
struct PresenceConfig {
  unsigned inactive_after_seconds = 300;   // makeMeAvailable's inactiveTimeout overrides it
  unsigned away_after_inactive_seconds = 300;
};

// Instant messaging (UCWA.md §5.4, §5.8).
struct ImConfig {
  // Messages and conversation history older than this many days are deleted; 0 keeps them.
  unsigned retention_days = 0;
  // An invitation nobody answers fails after this many seconds (the recipient's: missed).
  unsigned ring_timeout_seconds = 30;
};

// Audio and video calls (UCWA.md §5.5, docs/calls.md).
struct CallsConfig {
  // A call nobody answers fails after this many seconds; the callee finds it as a missed call.
  unsigned ring_timeout_seconds = 30;
};

// Which parts of parleyd run in this process (DESIGN.md §2). Both by default: one machine is a
// complete system.
struct RolesConfig {
  bool frontend = true;
  bool edge = true;
};

// A long-term STUN/TURN user configured by name (tests, fixed devices); everyone else gets
// time-limited credentials from the front end.
struct RelayUser {
  std::string name;
  std::string password;
};

// The Edge: STUN/TURN relay (RFC 8489, RFC 8656, RFC 6062).
struct EdgeConfig {
  std::vector<ListenAddress> udp = {{"0.0.0.0", 3478}};
  std::vector<ListenAddress> tcp = {{"0.0.0.0", 3478}};
  std::vector<ListenAddress> tls = {{"0.0.0.0", 5349}};  // certificate: the [tls] one
  // Address advertised in XOR-RELAYED-ADDRESS and to the front end when the edge sits behind
  // 1:1 NAT; empty: the address the relay socket is bound to.
  std::string external_address;
  // Addresses relay sockets bind to; empty: the address of the listener the client used
  // (a wildcard listener then relays on the matching loopback/any address).
  std::vector<std::string> relay_addresses;
  std::uint16_t relay_port_min = 49152;
  std::uint16_t relay_port_max = 65535;
  std::string realm;  // empty: the first SIP domain
  // The host name and ports clients are told to use (mediaRelayAccessToken); empty host: the
  // external site's FQDN.
  std::string public_host;
  std::uint16_t public_udp_port = 3478;
  std::uint16_t public_tcp_port = 3478;
  std::uint16_t public_tls_port = 5349;
  // Set when a public port was left out and its transport's first listener takes any free port
  // (":0"): the server fills in the port the listener got once it is bound.
  bool udp_port_from_listener = false, tcp_port_from_listener = false, tls_port_from_listener = false;
  // Shared secrets for time-limited credentials: the first mints, every one verifies (rotation).
  // Empty: a random secret is generated into the data directory on first start.
  std::vector<std::string> shared_secrets;
  unsigned credential_lifetime_seconds = 8 * 3600;
  std::vector<RelayUser> users;
  // Peers normally refused (loopback, RFC 1918, link-local, ULA, multicast, the relay's own
  // addresses) that are allowed anyway, as CIDR prefixes ("127.0.0.0/8", "10.1.0.0/16").
  std::vector<std::string> allowed_peers;
  std::vector<std::string> denied_peers;  // refused in addition to the defaults
  unsigned nonce_lifetime_seconds = 600;
  unsigned default_lifetime_seconds = 600;  // allocation lifetime when the client names none
  unsigned max_lifetime_seconds = 3600;
  unsigned max_allocations = 10000;
  unsigned max_allocations_per_user = 10;
  // Per-allocation relayed bandwidth cap in bytes per second (both directions); 0: no cap.
  std::uint64_t max_bandwidth_bytes_per_second = 1'250'000;  // 10 Mbit/s
  unsigned threads = 0;  // 0: one per core
};

// Push notifications (issue: APNs, FCM, Web Push). Each provider works once it is configured here
// and enabled by `parley config set push` (EnableApplePushNotificationService, ...). Every URL is
// configurable so that tests and air-gapped sites can point at their own endpoints.
struct ApnsConfig {
  std::filesystem::path key_file;  // Apple's .p8 signing key (PKCS#8 EC P-256); empty: no APNs
  std::string key_id;              // 10 characters, from the Apple developer account
  std::string team_id;             // 10 characters
  std::string topic;               // the app's bundle id, when a registration names none
  std::string url = "https://api.push.apple.com";
  std::string sandbox_url = "https://api.sandbox.push.apple.com";  // registrations "development"
  std::filesystem::path ca_file;   // PEM bundle to verify Apple with; empty: the system's
};
struct FcmConfig {
  // The service account's JSON key file (project_id, client_email, private_key, token_uri).
  std::filesystem::path service_account_file;  // empty: no FCM
  std::string url = "https://fcm.googleapis.com";
  std::string token_url;  // empty: the key file's token_uri
  std::filesystem::path ca_file;
};
struct WebPushConfig {
  // The VAPID key (PEM, EC P-256); empty: <data_dir>/push/vapid.pem, generated on first start.
  std::filesystem::path vapid_key_file;
  std::string subject;  // "mailto:..." or "https://..." (RFC 8292); empty: mailto:postmaster@<first SIP domain>
  std::filesystem::path ca_file;
  // Subscriptions name the URL the server posts to; by default one whose host is a loopback,
  // private or link-local address is refused, so that a client cannot aim the server at the
  // internal network. Tests with a local push service allow it.
  bool allow_private_endpoints = false;
};
struct PushSettings {
  // An event waits this long for the application's own event channel before its device is woken.
  unsigned grace_ms = 2000;
  // A notification the provider does not take (429/5xx) is retried with back-off this long.
  unsigned ttl_seconds = 600;
  ApnsConfig apns;
  FcmConfig fcm;
  WebPushConfig webpush;
};

// The web client (a static PWA) served on the external site.
struct WebConfig {
  // Its built files (index.html, assets/, sw.js); empty: the build's own client/dist, or
  // $PARLEY_CLIENT_DIR when set.
  std::filesystem::path client_dir;
};

struct Config {
  std::filesystem::path data_dir = "./var/parley";
  unsigned threads = 0;  // 0: one per core
  bool demo = false;     // seed demo users on a new data directory
  std::vector<std::string> sip_domains = {"example.org"};
  std::string log_level = "info";

  SiteConfig internal_site{ListenAddress{"127.0.0.1", 5443}, std::nullopt, "localhost"};
  SiteConfig external_site{ListenAddress{"0.0.0.0", 4443}, ListenAddress{"0.0.0.0", 8080},
                           "localhost"};
  TlsConfig tls;
  LimitsConfig limits;
  PasswordConfig passwords;
  DiscoveryConfig discovery;
  WebTicketConfig webticket;
  MobilityConfig mobility;
  UcwaConfig ucwa;
  PresenceConfig presence;
  ImConfig im;
  CallsConfig calls;
  PushSettings push;
  RolesConfig roles;
  EdgeConfig edge;
  WebConfig web;
};

// Reads and validates a TOML file. Throws ConfigError.
Config load_config(const std::filesystem::path& file);
// Validates TOML text (the file name is only used in messages). Throws ConfigError.
Config parse_config(std::string_view toml_text, std::string_view source_name = "config");

std::string to_string(const ListenAddress& a);

}  // namespace parley
