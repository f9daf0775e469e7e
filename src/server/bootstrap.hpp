#pragma once
// What parleyd prepares in its data directory before it serves: the directory itself (0700),
// the admin credential the CLI uses (0600), the demo users of a first look, and the endpoints
// file that tells local tools where the sites really listen.

#include "net/http_server.hpp"
#include "storage/store.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace parley::server {

// Creates the directory if needed and restricts it to its owner. Throws std::runtime_error.
void prepare_data_dir(const std::filesystem::path& dir);


// Reads <data_dir>/admin.credential, creating it (random, 0600) when missing. Returns the
// credential's SHA-256 (hex); the credential itself is not kept in memory.
std::string load_or_create_admin_credential(const std::filesystem::path& data_dir);

struct DemoUser {
  std::string sip_uri;
  std::string display_name;
  std::string password;
};
// Creates alice@<domain> and bob@<domain> with random passwords. Only for a new data directory
// in a demo configuration; the caller decides.
std::vector<DemoUser> seed_demo_users(storage::Store& store, const PasswordConfig& cost,
                                      const std::string& domain);

// A URL local tools can reach a listener at: unspecified addresses become loopback.
std::string local_url(const net::BoundListener& l);

// "https://fqdn[:port]": how clients reach a site over HTTPS, for the absolute URLs Parley
// advertises. The port is the site's advertised_port, or its HTTPS listener's real port; ":443"
// is left out. Empty when the site has no HTTPS listener and no advertised port.
std::string advertised_https_base(const SiteConfig& site, http::Site which,
                                  const std::vector<net::BoundListener>& bound);

// "127.0.0.1:3478"-style addresses of a running edge, for the banner and endpoints file.
struct EdgeAddresses {
  std::vector<std::string> udp, tcp, tls;
};

// <data_dir>/parleyd.endpoints.json, read by `parley` and the tests. `edge`: where the relay
// listens, when this process runs it.
std::filesystem::path endpoints_file(const std::filesystem::path& data_dir);
void write_endpoints_file(const std::filesystem::path& data_dir,
                          const std::vector<net::BoundListener>& listeners,
                          const EdgeAddresses* edge = nullptr);

}  // namespace parley::server
