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
};

// Reads and validates a TOML file. Throws ConfigError.
Config load_config(const std::filesystem::path& file);
// Validates TOML text (the file name is only used in messages). Throws ConfigError.
Config parse_config(std::string_view toml_text, std::string_view source_name = "config");

std::string to_string(const ListenAddress& a);

}  // namespace parley
