// `parley session list|end` (the running UCWA applications, and signing one out) and
// `parley audit` (who changed which policy or configuration, from what to what).
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/policy_commands.hpp"
#include "cli/policy_flags.hpp"
#include "cli/text.hpp"
#include "cli/verb.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>

namespace parley::cli {
namespace {

constexpr std::size_t kMaxAuditPage = 500;  // the admin API's largest audit page

struct SessionListVerb {
  std::string user;
  std::string device_class;
};

int run_session_list(CommandContext& ctx, const SessionListVerb& v) {
  std::string path = "/admin/v1/sessions";
  char sep = '?';
  if (!v.user.empty()) {
    path += sep + std::string("user=") + url_encode_component(v.user);
    sep = '&';
  }
  if (!v.device_class.empty()) path += sep + std::string("deviceClass=") + url_encode_component(v.device_class);
  const auto r = admin_call(ctx, "GET", path, nullptr, 200);
  const auto* sessions = r.if_contains("sessions");
  if (!sessions || !sessions->is_array())
    throw ServerError(200, "InvalidResponse", "", "the server's session list has no \"sessions\" array");
  ctx.out << (ctx.options.json ? pretty_json(r) : format_sessions(sessions->as_array()));
  return kExitOk;
}

int run_session_end(CommandContext& ctx, const std::string& id) {
  admin_call(ctx, "DELETE", "/admin/v1/sessions/" + url_encode_component(id), nullptr, 204);
  if (!ctx.options.json) ctx.out << "ended session " << printable(id) << '\n';
  return kExitOk;
}

struct AuditVerb {
  std::size_t limit = 100;
};

// Follows `next` until the server has no more or --limit entries are in hand.
int run_audit(CommandContext& ctx, const AuditVerb& v) {
  boost::json::array entries;
  boost::json::value next = nullptr;
  std::string before;
  for (;;) {
    const std::size_t page = std::min(v.limit - entries.size(), kMaxAuditPage);
    std::string path = "/admin/v1/audit?limit=" + std::to_string(page);
    if (!before.empty()) path += "&before=" + before;
    auto r = admin_call(ctx, "GET", path, nullptr, 200);
    auto* got = r.if_contains("entries");
    if (!got || !got->is_array())
      throw ServerError(200, "InvalidResponse", "", "the server's audit trail has no \"entries\" array");
    for (auto& e : got->as_array()) {
      if (entries.size() == v.limit) break;
      entries.push_back(std::move(e));
    }
    const auto* n = r.if_contains("next");
    next = n && n->is_int64() ? *n : boost::json::value(nullptr);
    if (next.is_null() || entries.size() >= v.limit) break;
    const std::string cursor = std::to_string(next.as_int64());
    if (got->as_array().empty() || cursor == before)
      throw ServerError(200, "InvalidResponse", "", "the server's audit trail does not advance past " + cursor);
    before = cursor;
  }
  if (ctx.options.json)
    ctx.out << pretty_json(boost::json::object{{"entries", std::move(entries)}, {"next", std::move(next)}});
  else
    ctx.out << format_audit(entries, !next.is_null());
  return kExitOk;
}

}  // namespace

void add_session_commands(CLI::App& app, CommandContext& ctx) {
  auto* session = app.add_subcommand("session", "list running UCWA applications, or sign one out");
  session->require_subcommand(1);
  session->fallthrough();
  {
    auto* sub = session->add_subcommand("list", "list running applications");
    sub->fallthrough();
    auto st = verb<SessionListVerb>(ctx, sub, run_session_list);
    sub->add_option("--user", st->user, "only this user's applications (user@domain)")->type_name("SIPURI");
    sub->add_option("--device-class", st->device_class, "only Phone, Tablet, Desktop or Browser applications")
        ->type_name("CLASS");
  }
  {
    auto* sub = session->add_subcommand("end", "sign an application out now; its next request gets 404");
    sub->fallthrough();
    auto st = verb<std::string>(ctx, sub, [](CommandContext& c, const std::string& id) { return run_session_end(c, id); });
    sub->add_option("ID", *st, "the application's id (from parley session list)")->required();
  }
  {
    auto* sub = app.add_subcommand("audit", "show administrative changes, newest first");
    sub->fallthrough();
    auto st = verb<AuditVerb>(ctx, sub, run_audit);
    sub->add_option("--limit", st->limit, "show at most N entries (default 100)")
        ->type_name("N")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  }
}

}  // namespace parley::cli
