// The `parley policy ...` and `parley config ...` verbs, named after the cmdlets they replace
// (New-/Set-/Get-/Remove-/Grant-CsMobilityPolicy; Get-/Set-CsMcxConfiguration,
// -CsPushNotificationConfiguration, -CsWebServiceConfiguration). Every field of a kind is one
// flag, derived from policy::fields so that the CLI and the server never disagree on names.
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/policy_commands.hpp"
#include "cli/policy_flags.hpp"
#include "cli/text.hpp"
#include "cli/verb.hpp"

#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <memory>

namespace parley::cli {

boost::json::object admin_call(CommandContext& ctx, std::string_view method, const std::string& path,
                               const boost::json::object* body, long expected_status) {
  const HttpHeaders accept{{"Accept", "application/json"}};
  const HttpResult r = body ? ctx.http().request(method, path, boost::json::serialize(*body), "application/json", accept)
                            : ctx.http().request(method, path, {}, {}, accept);
  if (r.status != expected_status) throw server_error_from(r);
  if (expected_status == 204) return {};
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object())
    throw ServerError(r.status, "InvalidResponse", "",
                      "the server's answer to " + std::string(method) + " " + path + " is not a JSON object");
  return std::move(v.as_object());
}

namespace {

using policy::Kind;

constexpr Kind kPolicyKinds[] = {Kind::mobility};
constexpr Kind kConfigKinds[] = {Kind::mcx, Kind::push, Kind::webservice};

std::string kind_word(Kind k) { return std::string(policy::to_string(k)); }

Kind parse_policy_kind(const std::string& text) {
  const auto k = policy::parse_kind(text);
  if (!k || *k != Kind::mobility) throw UsageError("unknown policy kind \"" + printable(text) + "\" (mobility)");
  return *k;
}

std::string policies_path(Kind k) { return "/admin/v1/policies/" + kind_word(k); }
std::string policy_path(Kind k, const std::string& name) {
  return policies_path(k) + "/" + url_encode_component(name);
}

// One flag per field of a kind; only the flags given go into the request.
class FieldFlags {
public:
  void add_to(CLI::App& sub, Kind kind) {
    kind_ = kind;
    const auto& specs = policy::fields(kind);
    values_.resize(specs.size());
    options_.resize(specs.size());
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const auto& f = specs[i];
      std::string help(f.help);
      if (help.empty()) help = std::string(f.name);
      help += " (" + std::string(f.name) + ")";
      const char* type = f.type == policy::FieldSpec::Type::boolean   ? "true|false"
                         : f.type == policy::FieldSpec::Type::integer ? "N"
                                                                      : "CHOICE";
      std::string type_name = type;
      if (f.type == policy::FieldSpec::Type::choice) {
        type_name.clear();
        for (const auto& c : f.choices) type_name += (type_name.empty() ? "" : "|") + std::string(c);
      }
      options_[i] = sub.add_option("--" + flag_name(f.name), values_[i], help)->type_name(type_name);
    }
  }

  // Throws UsageError for a value of the wrong type.
  boost::json::object to_json() const {
    boost::json::object out;
    const auto& specs = policy::fields(kind_);
    for (std::size_t i = 0; i < specs.size(); ++i)
      if (options_[i]->count() > 0) out[specs[i].name] = parse_field_value(specs[i], values_[i]);
    return out;
  }

  Kind kind() const { return kind_; }

private:
  Kind kind_ = Kind::mobility;
  std::vector<std::string> values_;
  std::vector<CLI::Option*> options_;
};

CLI::App* add_verb(CLI::App& parent, const std::string& name, const std::string& help) {
  auto* sub = parent.add_subcommand(name, help);
  sub->fallthrough();
  return sub;
}

// ---- policy ----

struct PolicyNewVerb {
  std::string name;
  FieldFlags fields;
};

int run_policy_new(CommandContext& ctx, const PolicyNewVerb& v) {
  const Kind k = v.fields.kind();
  boost::json::object body{{"name", v.name}, {"settings", v.fields.to_json()}};
  const auto created = admin_call(ctx, "POST", policies_path(k), &body, 201);
  if (ctx.options.json) ctx.out << pretty_json(created);
  else ctx.out << "created " << kind_word(k) << " policy " << printable(v.name) << '\n' << format_policy(created);
  return kExitOk;
}

struct PolicySetVerb {
  std::string name;
  FieldFlags fields;
  std::vector<std::string> clear;
};

int run_policy_set(CommandContext& ctx, const PolicySetVerb& v) {
  const Kind k = v.fields.kind();
  boost::json::object body = v.fields.to_json();
  for (const auto& c : v.clear) {
    const auto* f = find_field(k, c);
    if (!f) throw UsageError("--clear: " + kind_word(k) + " has no setting \"" + printable(c) + "\"");
    if (body.contains(f->name)) throw UsageError("--clear " + printable(c) + " and --" + flag_name(f->name) + " contradict each other");
    body[f->name] = nullptr;
  }
  if (body.empty()) throw UsageError("nothing to change: give at least one setting flag or --clear FIELD");
  const auto updated = admin_call(ctx, "PATCH", policy_path(k, v.name), &body, 200);
  if (ctx.options.json) ctx.out << pretty_json(updated);
  else ctx.out << "changed " << kind_word(k) << " policy " << printable(v.name) << '\n' << format_policy(updated);
  return kExitOk;
}

struct PolicyGetVerb {
  std::string kind;
  std::string name;
};

int run_policy_get(CommandContext& ctx, const PolicyGetVerb& v) {
  const Kind k = parse_policy_kind(v.kind);
  if (!v.name.empty()) {
    const auto p = admin_call(ctx, "GET", policy_path(k, v.name), nullptr, 200);
    ctx.out << (ctx.options.json ? pretty_json(p) : format_policy(p));
    return kExitOk;
  }
  const auto all = admin_call(ctx, "GET", policies_path(k), nullptr, 200);
  if (ctx.options.json) {
    ctx.out << pretty_json(all);
    return kExitOk;
  }
  const auto* p = all.if_contains("policies");
  const auto* a = all.if_contains("assignments");
  if (!p || !p->is_array() || !a || !a->is_array())
    throw ServerError(200, "InvalidResponse", "", "the server's policy list has no \"policies\"/\"assignments\" arrays");
  ctx.out << format_policy_list(p->as_array(), a->as_array());
  return kExitOk;
}

struct PolicyRemoveVerb {
  std::string kind;
  std::string name;
};

int run_policy_remove(CommandContext& ctx, const PolicyRemoveVerb& v) {
  const Kind k = parse_policy_kind(v.kind);
  admin_call(ctx, "DELETE", policy_path(k, v.name), nullptr, 204);
  if (!ctx.options.json) ctx.out << "removed " << kind_word(k) << " policy " << printable(v.name) << '\n';
  return kExitOk;
}

struct PolicyGrantVerb {
  std::string kind;
  std::string name;
  std::string site;
  std::string user;
  bool none = false;
};

int run_policy_grant(CommandContext& ctx, const PolicyGrantVerb& v) {
  const Kind k = parse_policy_kind(v.kind);
  if (v.site.empty() == v.user.empty()) throw UsageError("give exactly one of --site SITE or --user SIPURI");
  if (v.none == !v.name.empty())
    throw UsageError(v.none ? "--none removes the assignment; do not name a policy with it"
                            : "name the policy to grant, or --none to remove the assignment");
  boost::json::object body;
  if (!v.site.empty()) body["site"] = v.site;
  else body["user"] = v.user;
  const std::string who = v.site.empty() ? "user " + printable(v.user) : "site " + printable(v.site);
  if (v.none) {
    admin_call(ctx, "POST", policies_path(k) + "/revoke", &body, 204);
    if (!ctx.options.json) ctx.out << who << " now has no " << kind_word(k) << " policy of its own\n";
  } else {
    admin_call(ctx, "POST", policy_path(k, v.name) + "/grant", &body, 204);
    if (!ctx.options.json) ctx.out << "granted " << kind_word(k) << " policy " << printable(v.name) << " to " << who << '\n';
  }
  return kExitOk;
}

struct PolicyEffectiveVerb {
  std::vector<std::string> args;  // [KIND] SIPURI
};

int run_policy_effective(CommandContext& ctx, const PolicyEffectiveVerb& v) {
  if (v.args.empty() || v.args.size() > 2) throw UsageError("usage: parley policy effective [mobility] SIPURI");
  const Kind k = v.args.size() == 2 ? parse_policy_kind(v.args[0]) : Kind::mobility;
  const std::string& sip = v.args.back();
  const auto r = admin_call(ctx, "GET", policies_path(k) + "/effective/" + url_encode_component(sip), nullptr, 200);
  if (ctx.options.json) {
    ctx.out << pretty_json(r);
    return kExitOk;
  }
  const auto* values = r.if_contains("values");
  const auto* source = r.if_contains("source");
  if (!values || !values->is_object() || !source || !source->is_object())
    throw ServerError(200, "InvalidResponse", "", "the server's answer has no \"values\"/\"source\" objects");
  const auto* site = r.if_contains("site");
  const std::string site_text = site && site->is_string() && !site->as_string().empty()
                                    ? "site " + printable(site->as_string())
                                    : "no site";
  ctx.out << "Effective " << kind_word(k) << " policy of " << printable(sip) << " (" << site_text << ")\n"
          << format_values(k, values->as_object(), source->as_object());
  return kExitOk;
}

// ---- config ----

std::string config_path(Kind k, const std::string& site) {
  std::string path = "/admin/v1/config/" + kind_word(k);
  if (!site.empty()) path += "?scope=" + url_encode_component("site:" + site);
  return path;
}

int print_config(CommandContext& ctx, Kind k, const boost::json::object& r, const std::string& intro) {
  if (ctx.options.json) {
    ctx.out << pretty_json(r);
    return kExitOk;
  }
  const auto* values = r.if_contains("effective");
  const auto* source = r.if_contains("source");
  if (!values || !values->is_object() || !source || !source->is_object())
    throw ServerError(200, "InvalidResponse", "", "the server's answer has no \"effective\"/\"source\" objects");
  const auto* scope = r.if_contains("scope");
  ctx.out << intro << kind_word(k) << " configuration at " << (scope ? value_text(*scope) : "global") << '\n'
          << format_values(k, values->as_object(), source->as_object());
  return kExitOk;
}

struct ConfigGetVerb {
  std::string kind;
  std::string site;
};

int run_config_get(CommandContext& ctx, const ConfigGetVerb& v) {
  const auto k = policy::parse_kind(v.kind);
  if (!k || *k == Kind::mobility)
    throw UsageError("unknown configuration \"" + printable(v.kind) + "\" (mcx, push, webservice)");
  const auto r = admin_call(ctx, "GET", config_path(*k, v.site), nullptr, 200);
  return print_config(ctx, *k, r, "");
}

struct ConfigSetVerb {
  FieldFlags fields;
  std::string site;
  std::vector<std::string> clear;
};

int run_config_set(CommandContext& ctx, const ConfigSetVerb& v) {
  const Kind k = v.fields.kind();
  boost::json::object body = v.fields.to_json();
  for (const auto& c : v.clear) {
    const auto* f = find_field(k, c);
    if (!f) throw UsageError("--clear: " + kind_word(k) + " has no setting \"" + printable(c) + "\"");
    body[f->name] = nullptr;
  }
  if (body.empty()) throw UsageError("nothing to change: give at least one setting flag or --clear FIELD");
  const auto r = admin_call(ctx, "PATCH", config_path(k, v.site), &body, 200);
  return print_config(ctx, k, r, "changed ");
}

}  // namespace

void add_policy_commands(CLI::App& app, CommandContext& ctx) {
  auto* pol = add_verb(app, "policy", "manage mobility policies (the Cs*MobilityPolicy cmdlets)");
  pol->require_subcommand(1);
  {
    auto* sub = add_verb(*pol, "new", "create a named policy (New-CsMobilityPolicy)");
    sub->require_subcommand(1);
    for (Kind k : kPolicyKinds) {
      auto* kind = add_verb(*sub, kind_word(k), "create a " + kind_word(k) + " policy");
      auto st = verb<PolicyNewVerb>(ctx, kind, run_policy_new);
      kind->add_option("NAME", st->name, "the policy's name")->required();
      st->fields.add_to(*kind, k);
    }
  }
  {
    auto* sub = add_verb(*pol, "set", "change a policy's settings (Set-CsMobilityPolicy)");
    sub->require_subcommand(1);
    for (Kind k : kPolicyKinds) {
      auto* kind = add_verb(*sub, kind_word(k), "change a " + kind_word(k) + " policy, or the global one");
      auto st = verb<PolicySetVerb>(ctx, kind, run_policy_set);
      kind->add_option("NAME", st->name, "the policy's name, or global")->required();
      st->fields.add_to(*kind, k);
      kind->add_option("--clear", st->clear, "remove a setting, so the value comes from a less specific scope")
          ->type_name("FIELD");
    }
  }
  {
    auto* sub = add_verb(*pol, "get", "show one policy, or every policy and assignment (Get-CsMobilityPolicy)");
    auto st = verb<PolicyGetVerb>(ctx, sub, run_policy_get);
    sub->add_option("KIND", st->kind, "mobility")->required();
    sub->add_option("NAME", st->name, "the policy's name (default: list them all)");
  }
  {
    auto* sub = add_verb(*pol, "remove", "remove a named policy and its assignments (Remove-CsMobilityPolicy)");
    auto st = verb<PolicyRemoveVerb>(ctx, sub, run_policy_remove);
    sub->add_option("KIND", st->kind, "mobility")->required();
    sub->add_option("NAME", st->name, "the policy's name")->required();
  }
  {
    auto* sub = add_verb(*pol, "grant", "assign a policy to a site or a user, or remove the assignment (Grant-CsMobilityPolicy)");
    auto st = verb<PolicyGrantVerb>(ctx, sub, run_policy_grant);
    sub->add_option("KIND", st->kind, "mobility")->required();
    sub->add_option("NAME", st->name, "the policy to grant (omit with --none)");
    sub->add_option("--site", st->site, "the site whose users get the policy")->type_name("SITE");
    sub->add_option("--user", st->user, "the user who gets the policy (user@domain)")->type_name("SIPURI");
    sub->add_flag("--none", st->none, "remove the site's or user's assignment");
  }
  {
    auto* sub = add_verb(*pol, "effective", "show the values in force for a user and the scope each comes from");
    auto st = verb<PolicyEffectiveVerb>(ctx, sub, run_policy_effective);
    sub->add_option("ARGS", st->args, "[mobility] SIPURI")->required()->expected(1, 2);
  }

  auto* config = add_verb(app, "config", "manage service configuration (mcx, push, webservice)");
  config->require_subcommand(1);
  {
    auto* sub = add_verb(*config, "get", "show a configuration's values and where each comes from");
    auto st = verb<ConfigGetVerb>(ctx, sub, run_config_get);
    sub->add_option("KIND", st->kind, "mcx, push or webservice")->required();
    sub->add_option("--site", st->site, "the site scope (default: global)")->type_name("SITE");
  }
  {
    auto* sub = add_verb(*config, "set", "change a configuration at the global or a site scope");
    sub->require_subcommand(1);
    for (Kind k : kConfigKinds) {
      auto* kind = add_verb(*sub, kind_word(k), "change the " + kind_word(k) + " configuration");
      auto st = verb<ConfigSetVerb>(ctx, kind, run_config_set);
      st->fields.add_to(*kind, k);
      kind->add_option("--site", st->site, "the site scope (default: global)")->type_name("SITE");
      kind->add_option("--clear", st->clear, "remove a setting at this scope")->type_name("FIELD");
    }
  }
}

}  // namespace parley::cli
