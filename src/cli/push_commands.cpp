// `parley push status USER` (a user's devices and the health of each) and `parley test-push USER
// [--device ID]` (a test notification through the real pipeline, as Test-CsMcxPushNotification
// did for Skype for Business): per device the provider, HTTP status, provider reason, latency.
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/policy_commands.hpp"
#include "cli/policy_flags.hpp"
#include "cli/text.hpp"
#include "cli/verb.hpp"

#include <CLI/CLI.hpp>

#include <boost/json/array.hpp>

namespace parley::cli {
namespace {

std::string cell(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v ? value_text(*v) : "-";
}

// "/Date(1732470000000)/" as UTC "2024-11-24 17:40:00"; "-" when absent.
std::string when(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return "-";
  const std::string_view s = v->as_string();
  if (!s.starts_with("/Date(")) return std::string(s);
  const std::int64_t ms = std::atoll(std::string(s.substr(6)).c_str());
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// An iPhone's PushKit token: its own (masked) when it sits beside the alert token, "= TOKEN" when
// the registration's one token is the PushKit token (voip: true, calls only), "-" for none.
std::string voip_cell(const boost::json::object& o) {
  if (o.contains("voipToken")) return cell(o, "voipToken");
  const auto* voip = o.if_contains("voip");
  return voip && voip->is_bool() && voip->as_bool() ? "= TOKEN" : "-";
}

int run_status(CommandContext& ctx, const std::string& user) {
  const auto r = admin_call(ctx, "GET", "/admin/v1/users/" + url_encode_component(user) + "/push", nullptr, 200);
  if (ctx.options.json) {
    ctx.out << pretty_json(r);
    return kExitOk;
  }
  const auto* devices = r.if_contains("devices");
  if (!devices || !devices->is_array() || devices->as_array().empty()) {
    ctx.out << printable(user) << " has no device registered for push notifications\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : devices->as_array()) {
    if (!d.is_object()) continue;
    const auto& o = d.as_object();
    rows.push_back({cell(o, "id"), cell(o, "provider"), cell(o, "deviceName"), cell(o, "token"), voip_cell(o),
                    when(o, "lastAttempt"), when(o, "lastSuccess"), cell(o, "lastStatus"), cell(o, "lastError")});
  }
  ctx.out << format_table({"DEVICE", "PROVIDER", "NAME", "TOKEN", "VOIP TOKEN", "LAST ATTEMPT (UTC)",
                           "LAST SUCCESS (UTC)", "STATUS", "LAST ERROR"},
                          rows);
  return kExitOk;
}

struct TestVerb {
  std::string user;
  std::string device;
};

int run_test(CommandContext& ctx, const TestVerb& v) {
  boost::json::object body;
  if (!v.device.empty()) body["device"] = v.device;
  const auto r = admin_call(ctx, "POST", "/admin/v1/users/" + url_encode_component(v.user) + "/push/test",
                            &body, 200);
  const auto* results = r.if_contains("results");
  bool all_ok = results && results->is_array() && !results->as_array().empty();
  if (results && results->is_array())
    for (const auto& row : results->as_array())
      if (row.is_object())
        if (const auto* ok = row.as_object().if_contains("ok"); !ok || !ok->is_bool() || !ok->as_bool()) all_ok = false;
  if (ctx.options.json) {
    ctx.out << pretty_json(r);
  } else if (!results || !results->is_array() || results->as_array().empty()) {
    ctx.out << printable(v.user) << " has no device registered for push notifications; nothing was sent\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& row : results->as_array()) {
      if (!row.is_object()) continue;
      const auto& o = row.as_object();
      const auto* latency = o.if_contains("latencyMs");
      char ms[32] = "-";
      if (latency && latency->is_number()) std::snprintf(ms, sizeof ms, "%.1f ms", latency->to_number<double>());
      rows.push_back({cell(o, "device"), cell(o, "provider"), cell(o, "deviceName"), cell(o, "status"),
                      cell(o, "reason"), ms});
    }
    ctx.out << format_table({"DEVICE", "PROVIDER", "NAME", "HTTP", "RESULT", "LATENCY"}, rows);
  }
  // A test that reached no device is a failed test: scripts can rely on the exit code.
  return all_ok ? kExitOk : kExitServerError;
}

}  // namespace

void add_push_commands(CLI::App& app, CommandContext& ctx) {
  auto* push = app.add_subcommand("push", "push notifications: a user's devices and their health");
  push->require_subcommand(1);
  push->fallthrough();
  {
    auto* sub = push->add_subcommand("status", "a user's registered devices: provider, last attempt, last success, last error");
    sub->fallthrough();
    auto st = verb<std::string>(ctx, sub, [](CommandContext& c, const std::string& user) { return run_status(c, user); });
    sub->add_option("USER", *st, "the user (user@domain)")->required()->type_name("SIPURI");
  }
  {
    auto* sub = app.add_subcommand("test-push", "send a test notification to a user's devices and report each provider's answer");
    sub->fallthrough();
    auto st = verb<TestVerb>(ctx, sub, run_test);
    sub->add_option("USER", st->user, "the user (user@domain)")->required()->type_name("SIPURI");
    sub->add_option("--device", st->device, "only this device (its id from parley push status)")->type_name("ID");
  }
}

}  // namespace parley::cli
