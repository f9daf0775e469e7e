// The `parley user ...` verbs, named after the Skype for Business cmdlets they replace
// (New-CsUser → add, Get-CsUser → get/list, Set-CsUser → set, Remove-CsUser → remove, ...).
#include "cli/commands.hpp"
#include "cli/verb.hpp"
#include "cli/output.hpp"
#include "cli/password_input.hpp"
#include "cli/text.hpp"

#include <CLI/CLI.hpp>

#include <array>
#include <memory>

namespace parley::cli {
namespace {

constexpr std::size_t kMaxPageSize = 1000;

struct FieldOption {
  const char* flag;
  const char* help;
  const char* key;  // the admin API property; phones go under "phones"
  bool phone;
};

constexpr std::array<FieldOption, 10> kFieldOptions{{
    {"--name", "display name", "displayName", false},
    {"--email", "e-mail address", "email", false},
    {"--title", "job title", "title", false},
    {"--department", "department", "department", false},
    {"--office", "office", "office", false},
    {"--phone-work", "work phone number", "work", true},
    {"--phone-mobile", "mobile phone number", "mobile", true},
    {"--phone-home", "home phone number", "home", true},
    {"--phone-other", "other phone number", "other", true},
    {"--site", "site (selects site-level policies)", "site", false},
}};

// The profile options shared by `add` and `set`. Only options given on the command line go into
// the request, so `set` changes exactly what was named; "" is a value (it clears the field).
class FieldValues {
public:
  void add_to(CLI::App& sub) {
    for (std::size_t i = 0; i < kFieldOptions.size(); ++i)
      options_[i] = sub.add_option(kFieldOptions[i].flag, values_[i], kFieldOptions[i].help)->type_name("TEXT");
  }

  // Throws UsageError for a value that is not UTF-8 (the server would refuse the whole body).
  boost::json::object to_json() const {
    boost::json::object fields;
    boost::json::object phones;
    for (std::size_t i = 0; i < kFieldOptions.size(); ++i) {
      if (options_[i]->count() == 0) continue;
      if (!valid_utf8(values_[i]))
        throw UsageError(std::string(kFieldOptions[i].flag) + " is not valid UTF-8");
      (kFieldOptions[i].phone ? phones : fields)[kFieldOptions[i].key] = values_[i];
    }
    if (!phones.empty()) fields["phones"] = std::move(phones);
    return fields;
  }

private:
  std::array<std::string, kFieldOptions.size()> values_;
  std::array<CLI::Option*, kFieldOptions.size()> options_{};
};

std::string sip_of(const boost::json::object& user, const std::string& fallback) {
  const auto* v = user.if_contains("sipUri");
  return v && v->is_string() ? printable(v->as_string()) : printable(fallback);
}

// Prints the server's user (JSON mode) or a one-line confirmation.
int report_user(CommandContext& ctx, const boost::json::object& user, std::string_view verb,
                const std::string& sip) {
  if (ctx.options.json) ctx.out << pretty_json(user);
  else ctx.out << verb << ' ' << sip_of(user, sip) << '\n';
  return kExitOk;
}

std::string password_prompt(const std::string& sip) {
  return "New password for " + printable(sip) + ": ";
}

CLI::App* add_verb(CLI::App& parent, const char* name, const char* help) {
  auto* sub = parent.add_subcommand(name, help);
  sub->fallthrough();
  return sub;
}

void add_sip(CLI::App& sub, std::string& sip) {
  sub.add_option("SIPURI", sip, "the user's SIP URI (user@domain)")->required();
}

// Overwrites the "password" member of a request body when the scope ends.
class WipePasswordMember {
public:
  explicit WipePasswordMember(boost::json::object& body) : body_(body) {}
  ~WipePasswordMember() {
    if (auto* v = body_.if_contains("password"); v && v->is_string()) {
      auto& s = v->as_string();
      std::fill(s.begin(), s.end(), '\0');
    }
  }
  WipePasswordMember(const WipePasswordMember&) = delete;
  WipePasswordMember& operator=(const WipePasswordMember&) = delete;

private:
  boost::json::object& body_;
};

struct AddVerb {
  std::string sip;
  FieldValues fields;
  bool disabled = false;
  bool password_stdin = false;
};

int run_add(CommandContext& ctx, const AddVerb& v) {
  boost::json::object body = v.fields.to_json();
  body["sipUri"] = v.sip;
  if (v.disabled) body["enabled"] = false;
  const WipePasswordMember guard(body);
  if (v.password_stdin) {
    std::string pw = read_password(ctx.in, ctx.err, ctx.environment.stdin_is_terminal,
                                   password_prompt(v.sip), true);
    const WipeOnExit pw_guard(pw);
    body["password"] = pw;
  }
  return report_user(ctx, ctx.admin().create_user(body), "created", v.sip);
}

struct SetVerb {
  std::string sip;
  FieldValues fields;
  bool enabled = false;
  bool disabled = false;
};

int run_set(CommandContext& ctx, const SetVerb& v) {
  boost::json::object patch = v.fields.to_json();
  if (v.enabled) patch["enabled"] = true;
  if (v.disabled) patch["enabled"] = false;
  if (patch.empty())
    throw UsageError("nothing to change: name at least one field, e.g. --department R&D "
                     "(see parley user set --help)");
  return report_user(ctx, ctx.admin().update_user(v.sip, patch), "updated", v.sip);
}

int run_get(CommandContext& ctx, const std::string& sip) {
  const auto user = ctx.admin().get_user(sip);
  ctx.out << (ctx.options.json ? pretty_json(user) : format_user_details(user));
  return kExitOk;
}

int run_switch(CommandContext& ctx, const std::string& sip, bool enable) {
  const auto user = ctx.admin().update_user(sip, boost::json::object{{"enabled", enable}});
  return report_user(ctx, user, enable ? "enabled" : "disabled", sip);
}

int run_remove(CommandContext& ctx, const std::string& sip) {
  ctx.admin().remove_user(sip);
  if (!ctx.options.json) ctx.out << "removed " << printable(sip) << '\n';
  return kExitOk;
}

int run_set_password(CommandContext& ctx, const std::string& sip) {
  std::string pw = read_password(ctx.in, ctx.err, ctx.environment.stdin_is_terminal,
                                 password_prompt(sip), true);
  const WipeOnExit guard(pw);
  ctx.admin().set_password(sip, pw);
  if (!ctx.options.json) ctx.out << "password set for " << printable(sip) << '\n';
  return kExitOk;
}

struct ListVerb {
  bool enabled = false;
  bool disabled = false;
  std::size_t limit = 0;  // 0: no limit
};

// Follows `next` until the server says there is no more, or --limit users are in hand.
int run_list(CommandContext& ctx, const ListVerb& v) {
  UserListQuery q;
  if (v.enabled) q.enabled = true;
  if (v.disabled) q.enabled = false;
  boost::json::array users;
  boost::json::value next = nullptr;
  auto& admin = ctx.admin();
  for (;;) {
    const std::size_t want = v.limit ? v.limit - users.size() : kMaxPageSize;
    q.limit = std::min(want, kMaxPageSize);
    boost::json::object page;
    try {
      page = admin.list_users(q);
    } catch (const ServerError& e) {
      // The user list always exists on the internal site; a 404 means another site answered.
      if (e.status() != 404) throw;
      throw ServerError(e.status(), e.code(), e.subcode(),
                        std::string(e.what()) + "; is " + ctx.http().options().base_url +
                            " parleyd's internal site? The admin API does not answer on the external one");
    }
    auto& got = page["users"].as_array();
    for (auto& u : got) {
      if (v.limit && users.size() == v.limit) break;
      users.push_back(std::move(u));
    }
    next = page.contains("next") ? page["next"] : boost::json::value(nullptr);
    if (!next.is_string()) {
      next = nullptr;
      break;
    }
    if (v.limit && users.size() >= v.limit) break;
    // A cursor that does not move would loop for ever; a conforming server never sends one.
    if (got.empty() || next.as_string() == q.after)
      throw ServerError(200, "InvalidResponse", "", "the server's user list does not advance past " +
                                                        printable(next.as_string()));
    q.after = std::string(next.as_string());
  }
  if (ctx.options.json) {
    ctx.out << pretty_json(boost::json::object{{"users", std::move(users)}, {"next", std::move(next)}});
  } else {
    ctx.out << format_user_table(users, !next.is_null());
  }
  return kExitOk;
}


struct SetPasswordVerb {
  std::string sip;
  bool password_stdin = false;  // required, so that the command says where the password comes from
};

struct OneArgument {
  std::string value;  // the SIP URI, or the CSV file for import
};

}  // namespace

void add_user_commands(CLI::App& app, CommandContext& ctx) {
  auto* user = app.add_subcommand("user", "manage users (add, get, list, set, disable, enable, remove, "
                                          "set-password, import)");
  user->require_subcommand(1);
  user->fallthrough();

  {
    auto* sub = add_verb(*user, "add", "create a user (New-CsUser)");
    auto st = verb<AddVerb>(ctx, sub, run_add);
    add_sip(*sub, st->sip);
    st->fields.add_to(*sub);
    sub->add_flag("--disabled", st->disabled, "create the user disabled (she cannot sign in)");
    sub->add_flag("--password-stdin", st->password_stdin,
                  "read the password from standard input (one line; prompted without echo on a terminal)");
  }
  {
    auto* sub = add_verb(*user, "get", "show one user (Get-CsUser)");
    auto st = verb<OneArgument>(ctx, sub, [](CommandContext& c, const OneArgument& s) { return run_get(c, s.value); });
    add_sip(*sub, st->value);
  }
  {
    auto* sub = add_verb(*user, "list", "list users, following every page (Get-CsUser)");
    auto st = verb<ListVerb>(ctx, sub, run_list);
    auto* en = sub->add_flag("--enabled", st->enabled, "only enabled users");
    auto* dis = sub->add_flag("--disabled", st->disabled, "only disabled users");
    en->excludes(dis);
    dis->excludes(en);
    sub->add_option("--limit", st->limit, "show at most N users")->type_name("N")->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}));
  }
  {
    auto* sub = add_verb(*user, "set", "change the named fields of a user (Set-CsUser)");
    auto st = verb<SetVerb>(ctx, sub, run_set);
    add_sip(*sub, st->sip);
    st->fields.add_to(*sub);
    auto* en = sub->add_flag("--enabled", st->enabled, "enable the user");
    auto* dis = sub->add_flag("--disabled", st->disabled, "disable the user");
    en->excludes(dis);
    dis->excludes(en);
  }
  {
    auto* sub = add_verb(*user, "disable", "disable a user: she is signed out at once and cannot sign in");
    auto st = verb<OneArgument>(ctx, sub, [](CommandContext& c, const OneArgument& s) { return run_switch(c, s.value, false); });
    add_sip(*sub, st->value);
  }
  {
    auto* sub = add_verb(*user, "enable", "enable a disabled user");
    auto st = verb<OneArgument>(ctx, sub, [](CommandContext& c, const OneArgument& s) { return run_switch(c, s.value, true); });
    add_sip(*sub, st->value);
  }
  {
    auto* sub = add_verb(*user, "remove", "delete a user and everything she owns (Remove-CsUser)");
    auto st = verb<OneArgument>(ctx, sub, [](CommandContext& c, const OneArgument& s) { return run_remove(c, s.value); });
    add_sip(*sub, st->value);
  }
  {
    auto* sub = add_verb(*user, "set-password", "set a user's password, read from standard input");
    auto st = verb<SetPasswordVerb>(ctx, sub, [](CommandContext& c, const SetPasswordVerb& s) {
      return run_set_password(c, s.sip);
    });
    add_sip(*sub, st->sip);
    sub->add_flag("--password-stdin", st->password_stdin,
                  "read the password from standard input (required: passwords are never taken as arguments)")
        ->required();
  }
  {
    auto* sub = add_verb(*user, "import", "create or update users from a CSV file (see docs/cli.md)");
    auto st = verb<OneArgument>(ctx, sub, [](CommandContext& c, const OneArgument& s) { return run_user_import(c, s.value); });
    sub->add_option("FILE", st->value, "CSV file with a header row; sipUri is required")->required();
  }
}

}  // namespace parley::cli
