#pragma once
// parleyd as a whole: prepares the data directory, opens the store, sets up TLS, registers each
// site's routes and serves until SIGTERM/SIGINT, then shuts down gracefully.

#include "common/config.hpp"

#include <iosfwd>

namespace parley::server {

// Runs the server; returns the process exit code. Progress for the operator (where the sites
// listen, where the data is, how to add a user) goes to `out`; logs go to stderr.
int run_server(const Config& config, std::ostream& out);

}  // namespace parley::server
