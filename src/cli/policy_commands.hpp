#pragma once
// Shared by the policy, config, session and audit verbs: one admin API call with a JSON answer.

#include "cli/commands.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace parley::cli {

// Sends `body` (when given) as JSON and expects `expected_status`; any other answer becomes a
// ServerError. Returns the answer's JSON object ({} for 204).
boost::json::object admin_call(CommandContext& ctx, std::string_view method, const std::string& path,
                               const boost::json::object* body, long expected_status);

}  // namespace parley::cli
