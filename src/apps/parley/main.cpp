// parley: the admin command line for a running parleyd (docs/cli.md).
#include "cli/app.hpp"

#include <iostream>

int main(int argc, char** argv) {
  return parley::cli::run_cli(argc, argv, std::cin, std::cout, std::cerr);
}
