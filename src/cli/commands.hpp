#pragma once
// Internal to the CLI: the state a verb runs with, and the registration of the verbs. A verb's
// CLI11 callback only records what to run; run_cli runs it after parsing, inside the one place
// that turns exceptions into messages and exit codes.

#include "cli/admin_client.hpp"
#include "cli/app.hpp"
#include "cli/discovery.hpp"
#include "cli/http_client.hpp"

#include <functional>
#include <memory>
#include <optional>

namespace CLI {
class App;
}

namespace parley::cli {

struct GlobalOptions {
  ConnectionOptions connection;
  bool json = false;
  long timeout_seconds = 30;
};

class CommandContext {
public:
  CommandContext(std::istream& in, std::ostream& out, std::ostream& err, const CliEnvironment& environment)
      : in(in), out(out), err(err), environment(environment) {}

  // Resolves the server and reads the credential on first use, so that --help and local errors
  // (a bad CSV header) never need a server. Throws UsageError, CredentialMissing.
  AdminClient& admin();
  HttpClient& http();
  // Set once admin() has resolved it; error messages name the server from here.
  const std::optional<Connection>& connection() const { return connection_; }

  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  const CliEnvironment& environment;
  GlobalOptions options;
  std::function<int()> action;  // the verb chosen on the command line

private:
  std::optional<Connection> connection_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<AdminClient> admin_;
};

void add_user_commands(CLI::App& app, CommandContext& ctx);
// `parley token revoke` and `parley signin-log` (auth_commands.cpp).
void add_auth_commands(CLI::App& app, CommandContext& ctx);
// `parley policy ...` and `parley config ...` (policy_commands.cpp).
void add_policy_commands(CLI::App& app, CommandContext& ctx);
// `parley session ...` and `parley audit` (session_commands.cpp).
void add_session_commands(CLI::App& app, CommandContext& ctx);
// `parley push status` and `parley test-push` (push_commands.cpp).
void add_push_commands(CLI::App& app, CommandContext& ctx);

// `parley user import`, kept apart from the other verbs for size.
int run_user_import(CommandContext& ctx, const std::string& csv_path);

}  // namespace parley::cli
