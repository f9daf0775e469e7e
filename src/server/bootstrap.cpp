#include "server/bootstrap.hpp"

#include "auth/password.hpp"
#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/log.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace parley::server {

namespace fs = std::filesystem;

void prepare_data_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create data directory " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) throw std::runtime_error("cannot restrict data directory " + dir.string() + ": " + ec.message());
}

std::string load_or_create_admin_credential(const fs::path& data_dir) {
  const fs::path file = data_dir / "admin.credential";
  if (fs::exists(file)) {
    std::ifstream in(file);
    std::string token;
    std::getline(in, token);
    if (token.size() >= 32) return sha256_hex(token);
    logger("admin")->warn("{} is empty or too short; writing a new admin credential", file.string());
  }
  const std::string token = random_token(32);
  write_file_atomic(file, token + "\n", 0600);
  logger("admin")->info("new admin credential written to {}", file.string());
  return sha256_hex(token);
}

std::vector<DemoUser> seed_demo_users(storage::Store& store, const PasswordConfig& cost,
                                      const std::string& domain) {
  std::vector<DemoUser> users = {{"alice@" + domain, "Alice Example", random_token(12)},
                                 {"bob@" + domain, "Bob Example", random_token(12)}};
  for (const auto& u : users) {
    storage::UserProfile profile;
    profile.display_name = u.display_name;
    profile.email = u.sip_uri;
    store.create_user(u.sip_uri, profile, true, auth::hash_password(u.password, cost));
  }
  return users;
}

std::string local_url(const net::BoundListener& l) {
  std::string host = l.host;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(l.tls ? "https://" : "http://") + host + ":" + std::to_string(l.port);
}

std::string advertised_https_base(const SiteConfig& site, http::Site which,
                                  const std::vector<net::BoundListener>& bound) {
  std::uint16_t port = site.advertised_port;
  if (port == 0)
    for (const auto& l : bound)
      if (l.site == which && l.tls) port = l.port;
  if (port == 0) return {};
  return "https://" + site.fqdn + (port == 443 ? std::string() : ":" + std::to_string(port));
}

fs::path endpoints_file(const fs::path& data_dir) { return data_dir / "parleyd.endpoints.json"; }

void write_endpoints_file(const fs::path& data_dir, const std::vector<net::BoundListener>& listeners,
                          const EdgeAddresses* edge) {
  boost::json::object sites;
  for (auto site : {http::Site::internal, http::Site::external}) {
    boost::json::object o{{"https", nullptr}, {"http", nullptr}};
    for (const auto& l : listeners)
      if (l.site == site) o[l.tls ? "https" : "http"] = local_url(l);
    sites[http::to_string(site)] = std::move(o);
  }
  if (edge) {
    auto list = [](const std::vector<std::string>& v) {
      boost::json::array a;
      for (const auto& x : v) a.emplace_back(x);
      return a;
    };
    sites["edge"] = boost::json::object{{"udp", list(edge->udp)}, {"tcp", list(edge->tcp)},
                                        {"tls", list(edge->tls)}};
  }
  sites["pid"] = static_cast<std::int64_t>(::getpid());
  write_file_atomic(endpoints_file(data_dir), boost::json::serialize(sites) + "\n", 0600);
}

}  // namespace parley::server
