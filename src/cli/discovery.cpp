#include "cli/discovery.hpp"

#include "cli/text.hpp"

#include <boost/json/parse.hpp>

#include <array>
#include <cstdlib>
#include <fstream>

namespace parley::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxEndpointsBytes = 64 * 1024;
constexpr std::size_t kMaxCredentialBytes = 4096;
constexpr std::size_t kMaxUrlBytes = 2048;

// Reads up to `limit` + 1 bytes; nullopt when the file cannot be opened.
std::optional<std::string> read_bounded(const fs::path& file, std::size_t limit) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text;
  std::array<char, 4096> chunk{};
  while (text.size() <= limit && in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return std::nullopt;
  return text;
}

bool is_https_url(std::string_view url) {
  return url.size() > 8 && url.size() <= kMaxUrlBytes && url.rfind("https://", 0) == 0 &&
         url.find_first_of(" \t\r\n") == std::string_view::npos;
}

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

}  // namespace

EnvLookup process_environment() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
}

std::optional<std::string> internal_url_from_endpoints(const fs::path& file, std::string* problem) {
  auto set_problem = [&](std::string why) {
    if (problem) *problem = "ignoring " + file.string() + ": " + std::move(why);
    return std::nullopt;
  };
  if (problem) problem->clear();
  if (!path_exists(file)) return std::nullopt;
  const auto text = read_bounded(file, kMaxEndpointsBytes);
  if (!text) return set_problem("it cannot be read");
  if (text->size() > kMaxEndpointsBytes) return set_problem("it is larger than 64 KiB");
  boost::system::error_code ec;
  const auto v = boost::json::parse(*text, ec);
  if (ec || !v.is_object()) return set_problem("it is not a JSON object");
  const auto* internal = v.as_object().if_contains("internal");
  const auto* https = internal && internal->is_object() ? internal->as_object().if_contains("https") : nullptr;
  if (!https || !https->is_string() || !is_https_url(https->as_string()))
    return set_problem("it names no internal https address");
  return std::string(https->as_string());
}

Connection resolve_connection(const ConnectionOptions& options, const EnvLookup& env) {
  Connection c;
  if (!options.data_dir.empty()) c.data_dir = options.data_dir;
  else if (auto v = env("PARLEY_DATA_DIR")) c.data_dir = *v;
  else c.data_dir = std::string(kDefaultDataDir);

  const fs::path endpoints = c.data_dir / std::string(kEndpointsFileName);
  if (!options.server.empty()) {
    c.server_url = options.server;
    c.server_source = "--server";
  } else if (auto v = env("PARLEY_SERVER")) {
    c.server_url = *v;
    c.server_source = "PARLEY_SERVER";
  } else {
    std::string problem;
    if (auto url = internal_url_from_endpoints(endpoints, &problem)) {
      c.server_url = *url;
      c.server_source = endpoints.string();
    } else {
      if (!problem.empty()) c.warnings.push_back(problem);
      c.server_url = std::string(kDefaultServerUrl);
      c.server_source = "the default (no " + endpoints.string() + "; is parleyd running?)";
    }
  }
  // The admin credential is a bearer token: it never travels without TLS.
  if (!is_https_url(c.server_url))
    throw UsageError("the server URL must start with https:// (the admin API is served over HTTPS "
                     "only), got \"" + printable(c.server_url) + "\" from " + c.server_source);

  if (!options.ca_file.empty()) {
    if (!path_exists(options.ca_file)) throw UsageError("the CA file " + options.ca_file + " does not exist");
    c.ca_file = options.ca_file;
  } else if (const fs::path dev_ca = c.data_dir / "pki" / "ca.pem"; path_exists(dev_ca)) {
    c.ca_file = dev_ca.string();
  }

  if (!options.credential_file.empty()) {
    c.credential_file = options.credential_file;
    c.credential_source = "--credential";
  } else if (auto v = env("PARLEY_CREDENTIAL_FILE")) {
    c.credential_file = *v;
    c.credential_source = "PARLEY_CREDENTIAL_FILE";
  } else {
    c.credential_file = c.data_dir / std::string(kCredentialFileName);
    c.credential_source = "the data directory";
  }
  return c;
}

std::string read_credential(const Connection& c) {
  const std::string where = c.credential_file.string() + " (from " + c.credential_source + ")";
  const std::string how =
      ". parleyd creates " + std::string(kCredentialFileName) +
      " in its data directory on first start: start parleyd once, then point the CLI at that "
      "directory with --data-dir or PARLEY_DATA_DIR, or name the file with --credential FILE "
      "or PARLEY_CREDENTIAL_FILE";
  if (!path_exists(c.credential_file)) throw CredentialMissing("no admin credential at " + where + how);
  auto text = read_bounded(c.credential_file, kMaxCredentialBytes);
  if (!text) throw CredentialMissing("cannot read the admin credential " + where + " (check its permissions)");
  if (text->size() > kMaxCredentialBytes)
    throw CredentialMissing("the admin credential " + where + " is larger than 4 KiB; it is not a credential file");
  const auto first = text->find_first_not_of(" \t\r\n");
  const auto last = text->find_last_not_of(" \t\r\n");
  std::string token = first == std::string::npos ? std::string() : text->substr(first, last - first + 1);
  wipe(*text);
  if (token.empty()) throw CredentialMissing("the admin credential " + where + " is empty" + how);
  for (unsigned char ch : token)
    if (ch <= 0x20 || ch >= 0x7F) {
      wipe(token);
      throw CredentialMissing("the admin credential " + where + " holds characters a token cannot have");
    }
  return token;
}

}  // namespace parley::cli
