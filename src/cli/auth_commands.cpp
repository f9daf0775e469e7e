// The sign-in verbs: `parley token revoke` (every bearer token of a user dies at once) and
// `parley signin-log` (the audit trail of sign-in attempts, newest first).
#include "cli/commands.hpp"
#include "cli/verb.hpp"
#include "cli/output.hpp"
#include "cli/text.hpp"

#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <memory>
#include <vector>

namespace parley::cli {
namespace {

constexpr std::size_t kMaxPageSize = 500;  // the admin API's largest sign-in log page
constexpr std::size_t kMaxCellWidth = 40;

boost::json::object parse_object(const HttpResult& r, std::string_view what) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object())
    throw ServerError(r.status, "InvalidResponse", "", "the server's answer to " + std::string(what) +
                                                           " is not a JSON object");
  return std::move(v.as_object());
}

std::string cell(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return "-";
  std::string text = v->is_string() ? printable(v->as_string()) : printable(boost::json::serialize(*v));
  if (text.empty()) return "-";
  if (display_width(text) > kMaxCellWidth) {
    // Cut on a character boundary and mark the cut.
    std::size_t chars = 0, i = 0;
    while (i < text.size() && chars < kMaxCellWidth - 1) {
      ++i;
      while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0u) == 0x80u) ++i;
      ++chars;
    }
    text = text.substr(0, i) + "~";
  }
  return text;
}

constexpr std::array<std::string_view, 7> kHeadings{"TIME", "OUTCOME", "USERNAME", "ACCOUNT",
                                                    "CLIENT", "SITE", "USER AGENT"};
constexpr std::array<std::string_view, 7> kKeys{"at", "outcome", "username", "sipUri",
                                                "clientAddress", "site", "userAgent"};

std::string format_signin_table(const boost::json::array& entries, bool more) {
  if (entries.empty()) return "no sign-in attempts\n";
  std::vector<std::array<std::string, 7>> rows;
  for (const auto& e : entries) {
    const boost::json::object empty;
    const auto& o = e.is_object() ? e.as_object() : empty;
    std::array<std::string, 7> row;
    for (std::size_t c = 0; c < row.size(); ++c) row[c] = cell(o, kKeys[c]);
    rows.push_back(std::move(row));
  }
  std::array<std::size_t, 7> width{};
  for (std::size_t c = 0; c < width.size(); ++c) {
    width[c] = kHeadings[c].size();
    for (const auto& r : rows) width[c] = std::max(width[c], display_width(r[c]));
  }
  std::string out;
  auto emit = [&](auto cell_of) {
    std::string line;
    for (std::size_t c = 0; c < width.size(); ++c) {
      const std::string text = cell_of(c);
      line += text;
      if (c + 1 < width.size()) line.append(width[c] - display_width(text) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  };
  emit([&](std::size_t c) { return std::string(kHeadings[c]); });
  for (const auto& r : rows) emit([&](std::size_t c) { return r[c]; });
  out += std::to_string(entries.size()) + (entries.size() == 1 ? " attempt" : " attempts");
  if (more) out += " shown; there are older ones (raise --limit to see them)";
  out += '\n';
  return out;
}

int run_revoke(CommandContext& ctx, const std::string& sip) {
  const std::string path = AdminClient::user_path(sip) + "/tokens";
  const HttpResult r = ctx.http().request("DELETE", path, {}, {}, {{"Accept", "application/json"}});
  if (r.status != 200) throw server_error_from(r);
  const auto answer = parse_object(r, "DELETE " + path);
  const auto* n = answer.if_contains("revoked");
  if (!n || !n->is_int64())
    throw ServerError(r.status, "InvalidResponse", "", "the server's answer has no \"revoked\" count");
  if (ctx.options.json) {
    ctx.out << pretty_json(answer);
  } else {
    const auto count = n->as_int64();
    ctx.out << "revoked " << count << (count == 1 ? " token" : " tokens") << " of " << printable(sip) << '\n';
  }
  return kExitOk;
}

struct SigninLogVerb {
  std::string user;
  std::size_t limit = 100;
};

// Follows `next` until the server has no more or --limit entries are in hand.
int run_signin_log(CommandContext& ctx, const SigninLogVerb& v) {
  boost::json::array entries;
  boost::json::value next = nullptr;
  std::string before;
  for (;;) {
    const std::size_t page_size = std::min(v.limit - entries.size(), kMaxPageSize);
    std::string path = "/admin/v1/signin-log?limit=" + std::to_string(page_size);
    if (!v.user.empty()) path += "&user=" + url_encode_component(v.user);
    if (!before.empty()) path += "&before=" + before;
    const HttpResult r = ctx.http().request("GET", path, {}, {}, {{"Accept", "application/json"}});
    if (r.status != 200) throw server_error_from(r);
    auto page = parse_object(r, "GET /admin/v1/signin-log");
    auto* got = page.if_contains("entries");
    if (!got || !got->is_array())
      throw ServerError(r.status, "InvalidResponse", "", "the server's sign-in log has no \"entries\" array");
    for (auto& e : got->as_array()) {
      if (entries.size() == v.limit) break;
      entries.push_back(std::move(e));
    }
    const auto* n = page.if_contains("next");
    next = n && n->is_int64() ? *n : boost::json::value(nullptr);
    if (next.is_null() || entries.size() >= v.limit) break;
    const std::string cursor = std::to_string(next.as_int64());
    // A cursor that does not move would loop for ever; a conforming server never sends one.
    if (got->as_array().empty() || cursor == before)
      throw ServerError(200, "InvalidResponse", "", "the server's sign-in log does not advance past " + cursor);
    before = cursor;
  }
  if (ctx.options.json)
    ctx.out << pretty_json(boost::json::object{{"entries", std::move(entries)}, {"next", std::move(next)}});
  else
    ctx.out << format_signin_table(entries, !next.is_null());
  return kExitOk;
}


}  // namespace

void add_auth_commands(CLI::App& app, CommandContext& ctx) {
  auto* token = app.add_subcommand("token", "manage users' bearer tokens (revoke)");
  token->require_subcommand(1);
  token->fallthrough();
  {
    auto* sub = token->add_subcommand("revoke", "end every sign-in of a user now: all her tokens stop working");
    sub->fallthrough();
    auto st = verb<std::string>(ctx, sub, [](CommandContext& c, const std::string& sip) { return run_revoke(c, sip); });
    sub->add_option("SIPURI", *st, "the user's SIP URI (user@domain)")->required();
  }
  {
    auto* sub = app.add_subcommand("signin-log", "show sign-in attempts, newest first");
    sub->fallthrough();
    auto st = verb<SigninLogVerb>(ctx, sub, run_signin_log);
    sub->add_option("--user", st->user, "only attempts that resolved to this user (user@domain)")->type_name("SIPURI");
    sub->add_option("--limit", st->limit, "show at most N attempts (default 100)")
        ->type_name("N")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  }
}

}  // namespace parley::cli
