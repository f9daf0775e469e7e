#include "cli/app.hpp"

#include "cli/commands.hpp"
#include "cli/password_input.hpp"
#include "cli/text.hpp"
#include "cli/user_import.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <unistd.h>

namespace parley::cli {

AdminClient& CommandContext::admin() {
  if (admin_) return *admin_;
  Connection c = resolve_connection(options.connection, environment.env);
  for (const auto& w : c.warnings) err << "warning: " << w << '\n';
  connection_ = c;
  std::string token = read_credential(c);
  HttpClientOptions http_options;
  http_options.base_url = c.server_url;
  http_options.ca_file = c.ca_file;
  http_options.bearer_token = std::move(token);
  http_options.timeout = std::chrono::seconds(options.timeout_seconds);
  http_ = std::make_unique<HttpClient>(std::move(http_options));
  admin_ = std::make_unique<AdminClient>(*http_);
  return *admin_;
}

HttpClient& CommandContext::http() {
  admin();
  return *http_;
}

namespace {

// Adds the options every verb understands. They are declared on the top-level app; the
// subcommands fall through to it, so `parley user list --json` works as well.
void add_global_options(CLI::App& app, GlobalOptions& o) {
  app.add_option("--data-dir", o.connection.data_dir,
                 "parleyd's data directory (default ./var/parley, env PARLEY_DATA_DIR)")
      ->type_name("DIR");
  app.add_option("--server", o.connection.server,
                 "internal site URL, https only (env PARLEY_SERVER; default: from the data "
                 "directory's parleyd.endpoints.json, else https://127.0.0.1:5443)")
      ->type_name("URL");
  app.add_option("--ca", o.connection.ca_file,
                 "PEM CA file to trust (default <data-dir>/pki/ca.pem if present, else the system store)")
      ->type_name("FILE");
  app.add_option("--credential", o.connection.credential_file,
                 "file holding the admin credential (env PARLEY_CREDENTIAL_FILE; default "
                 "<data-dir>/admin.credential)")
      ->type_name("FILE");
  app.add_flag("--json", o.json, "print the server's JSON instead of human-readable output");
  app.add_option("--timeout", o.timeout_seconds, "seconds to wait for each answer (default 30)")
      ->type_name("SECONDS")
      ->check(CLI::Range(1L, 3600L));
}

void print_transport_error(const CommandContext& ctx, const HttpTransportError& e) {
  const auto& c = ctx.connection();
  ctx.err << "error: cannot reach parleyd";
  if (c) ctx.err << " at " << c->server_url << " (from " << c->server_source << ")";
  ctx.err << ": " << e.what() << '\n';
  const std::string what = e.what();
  if (c && c->ca_file.empty() && (what.find("certificate") != std::string::npos || what.find("SSL") != std::string::npos))
    ctx.err << "hint: no CA file was found; pass --ca FILE (parleyd's development CA is "
            << (c->data_dir / "pki" / "ca.pem").string() << ")\n";
}

void print_server_error(const CommandContext& ctx, const ServerError& e) {
  ctx.err << "error: " << printable(format_api_error(e.what(), e.code(), e.subcode())) << '\n';
  if (e.status() == 401 && ctx.connection())
    ctx.err << "hint: " << ctx.connection()->server_url << " did not accept the credential in "
            << ctx.connection()->credential_file.string()
            << "; it must be the admin.credential of that server's data directory\n";
}

int run_action(CommandContext& ctx) {
  try {
    return ctx.action();
  } catch (const ServerError& e) {
    print_server_error(ctx, e);
    return kExitServerError;
  } catch (const HttpTransportError& e) {
    print_transport_error(ctx, e);
    return kExitUnreachable;
  } catch (const CredentialMissing& e) {
    ctx.err << "error: " << e.what() << '\n';
    return kExitUnreachable;
  } catch (const UsageError& e) {
    ctx.err << "error: " << e.what() << '\n';
    return kExitUsage;
  } catch (const InputError& e) {
    ctx.err << "error: " << e.what() << '\n';
    return kExitUsage;
  } catch (const ImportFileError& e) {
    ctx.err << "error: " << e.what() << '\n';
    return kExitUsage;
  } catch (const std::exception& e) {
    // The CLI's one boundary: anything else unexpected still ends with a message, not abort().
    ctx.err << "error: " << printable(e.what()) << '\n';
    return kExitServerError;
  }
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::istream& in, std::ostream& out, std::ostream& err,
            const CliEnvironment& environment) {
  CommandContext ctx(in, out, err, environment);
  CLI::App app{"parley: administer a running parleyd through its internal admin API"};
  app.name("parley");
  app.set_version_flag("--version", "parley 0.1.0");
  app.require_subcommand(1);
  add_global_options(app, ctx.options);
  add_user_commands(app, ctx);
  add_auth_commands(app, ctx);
  add_policy_commands(app, ctx);
  add_session_commands(app, ctx);
  add_push_commands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (!ctx.action) {
    err << "error: no command given; see parley --help\n";
    return kExitUsage;
  }
  return run_action(ctx);
}

int run_cli(int argc, const char* const* argv, std::istream& in, std::ostream& out, std::ostream& err) {
  CliEnvironment environment;
  environment.env = process_environment();
  environment.stdin_is_terminal = &in == &std::cin && isatty(STDIN_FILENO) == 1;
  environment.stderr_is_terminal = &err == &std::cerr && isatty(STDERR_FILENO) == 1;
  return run_cli(argc, argv, in, out, err, environment);
}

}  // namespace parley::cli
