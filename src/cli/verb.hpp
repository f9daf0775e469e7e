#pragma once
// How each `parley` verb is registered: its parsed options live in a State that lasts as long
// as the app, and the subcommand's callback only records what to run once parsing succeeded.

#include "cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <memory>

namespace parley::cli {

template <typename State, typename Run>
std::shared_ptr<State> verb(CommandContext& ctx, CLI::App* sub, Run run) {
  auto state = std::make_shared<State>();
  sub->callback([&ctx, state, run] { ctx.action = [&ctx, state, run] { return run(ctx, *state); }; });
  return state;
}

}  // namespace parley::cli
