// parleyd: the Parley server. Reads its configuration, then hands over to server::run_server.
#include "common/config.hpp"
#include "server/server.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"parleyd: the Parley unified-communications server"};
  std::string config_file;
  bool check_only = false;
  app.add_option("-c,--config", config_file, "TOML configuration file (see deploy/parleyd.toml)");
  app.add_flag("--check-config", check_only, "validate the configuration and exit");
  app.set_version_flag("--version", "parleyd 0.1.0");
  CLI11_PARSE(app, argc, argv);

  parley::Config config;
  try {
    config = config_file.empty() ? parley::Config{} : parley::load_config(config_file);
  } catch (const parley::ConfigError& e) {
    std::cerr << "parleyd: invalid configuration: " << e.what() << "\n";
    return 2;
  }
  if (check_only) {
    std::cout << "configuration " << (config_file.empty() ? "(built-in defaults)" : config_file)
              << " is valid\n";
    return 0;
  }
  return parley::server::run_server(config, std::cout);
}
