#pragma once
// The `parley` admin command line as a function, so that main() stays one line and tests can
// drive it with string streams. Exit codes are part of the interface (docs/cli.md).

#include "cli/discovery.hpp"

#include <istream>
#include <ostream>

namespace parley::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitServerError = 1,  // the server answered with an error, or an import row failed
  kExitUsage = 2,        // bad arguments or input (options, CSV file, password on stdin)
  kExitUnreachable = 3,  // cannot reach the server, or no admin credential
};

// What run_cli may learn from the process around it.
struct CliEnvironment {
  EnvLookup env;                    // PARLEY_DATA_DIR, PARLEY_SERVER, PARLEY_CREDENTIAL_FILE
  bool stdin_is_terminal = false;   // prompt for passwords with echo off
  bool stderr_is_terminal = false;  // draw the import progress bar
};

// Parses argv (argv[0] is the program name) and runs the chosen verb. Human output and --json
// documents go to `out`; errors, warnings, prompts and progress go to `err`.
int run_cli(int argc, const char* const* argv, std::istream& in, std::ostream& out, std::ostream& err,
            const CliEnvironment& environment);

// As above with the real environment; terminals are detected only when `in`/`err` are
// std::cin/std::cerr.
int run_cli(int argc, const char* const* argv, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace parley::cli
