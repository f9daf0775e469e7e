#pragma once
// Where the CLI finds the server and its credential. Each setting comes from, in order: the
// command-line option, its environment variable, then the data directory that parleyd writes:
//   <data_dir>/parleyd.endpoints.json   where the running server listens (internal.https)
//   <data_dir>/pki/ca.pem               the development CA that signed its certificate
//   <data_dir>/admin.credential         the admin bearer token
// The environment is passed in, so tests decide what it holds.

#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace parley::cli {

inline constexpr std::string_view kDefaultDataDir = "./var/parley";
inline constexpr std::string_view kDefaultServerUrl = "https://127.0.0.1:5443";
inline constexpr std::string_view kEndpointsFileName = "parleyd.endpoints.json";
inline constexpr std::string_view kCredentialFileName = "admin.credential";

// A setting the user gave is unusable (a plain-http server URL, a CA file that does not exist).
class UsageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// No credential could be read. The message says where the CLI looked and how to get one.
class CredentialMissing : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// What the command line said; empty strings mean "not given".
struct ConnectionOptions {
  std::string data_dir;
  std::string server;
  std::string ca_file;
  std::string credential_file;
};

// Returns the variable's value, or nullopt when unset or empty.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
EnvLookup process_environment();

struct Connection {
  std::filesystem::path data_dir;
  std::string server_url;
  std::string server_source;      // where server_url came from, for error messages
  std::string ca_file;            // empty: the system trust store
  std::filesystem::path credential_file;
  std::string credential_source;
  std::vector<std::string> warnings;  // e.g. an endpoints file that could not be read
};

// Throws UsageError for a server URL that is not https:// or a --ca file that does not exist.
Connection resolve_connection(const ConnectionOptions& options, const EnvLookup& env);

// internal.https from an endpoints file. nullopt when the file does not exist; nullopt with
// `problem` set when it exists but cannot be used (not JSON, too large, no https URL).
std::optional<std::string> internal_url_from_endpoints(const std::filesystem::path& file,
                                                       std::string* problem = nullptr);

// Reads the token (surrounding white space removed). Throws CredentialMissing.
std::string read_credential(const Connection& c);

}  // namespace parley::cli
