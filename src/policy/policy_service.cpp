#include "policy/policy_service.hpp"

#include "common/error.hpp"
#include "common/text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <utility>

namespace parley::policy {
namespace {

namespace json = boost::json;

constexpr std::array kAllKinds{Kind::mobility, Kind::mcx, Kind::push, Kind::webservice};
constexpr std::string_view kGlobal = "global";
constexpr std::string_view kSitePrefix = "site:";
constexpr std::size_t kMaxNameLength = 64;

std::size_t index_of(Kind k) { return static_cast<std::size_t>(k); }

bool is_policy_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
  });
}

bool is_site_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == ' ' || c == '-';
  });
}

// A user as assignments key her: lower-case, without the "sip:" scheme.
std::string user_key(std::string_view user) {
  std::string u = lower(trim(user));
  if (u.starts_with("sip:")) u.erase(0, 4);
  return u;
}

// Stored settings are our own JSON; text that does not parse as an object reads as empty rather
// than taking the whole service down.
json::object parse_object(std::string_view text) {
  if (text.empty()) return {};
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

// `validated` comes from validate(): canonical names, and null meaning "remove".
json::object merged(json::object current, const json::object& validated) {
  for (const auto& [key, value] : validated) {
    // Stored keys are canonical, but drop any other spelling of the same field too.
    for (auto it = current.begin(); it != current.end();) {
      if (iequals(it->key(), key)) it = current.erase(it);
      else ++it;
    }
    if (!value.is_null()) current[key] = value;
  }
  return current;
}

json::object without_nulls(const json::object& validated) {
  json::object out;
  for (const auto& [key, value] : validated)
    if (!value.is_null()) out[key] = value;
  return out;
}

std::string text_of(const json::object& o) { return json::serialize(o); }
std::string name_json(std::string_view name) {
  return name.empty() ? std::string() : json::serialize(json::value(name));
}

void require_named_policies(Kind kind) {
  if (kind != Kind::mobility)
    throw ParameterValidationFailure(std::string(to_string(kind)) +
                                     " has no named policies; set its service configuration");
}

void require_service_config(Kind kind) {
  if (kind == Kind::mobility)
    throw ParameterValidationFailure(
        "mobility settings are named policies, not service configuration");
}

// "global" or "site:<name>", spelled canonically.
std::string canonical_scope(std::string_view scope) {
  if (iequals(scope, kGlobal)) return std::string(kGlobal);
  if (scope.size() > kSitePrefix.size() && iequals(scope.substr(0, kSitePrefix.size()), kSitePrefix)) {
    const auto site = scope.substr(kSitePrefix.size());
    if (is_site_name(site)) return std::string(kSitePrefix) + std::string(site);
  }
  throw ParameterValidationFailure("scope must be \"global\" or \"site:<name>\" (name of 1 to 64 "
                                   "letters, digits, spaces, '.', '_' or '-'), not \"" +
                                   printable_ascii(scope, 80) + "\"");
}

storage::AuditRecord audit_of(std::string_view actor, std::string action, std::string target,
                              std::string old_value, std::string new_value) {
  storage::AuditRecord a;
  a.actor = std::string(actor);
  a.action = std::move(action);
  a.target = std::move(target);
  a.old_value = std::move(old_value);
  a.new_value = std::move(new_value);
  return a;
}

struct KindState {
  std::vector<storage::NamedPolicy> policies;           // "global" first, then by name
  std::map<std::string, json::object> policy_settings;  // lower-cased name -> settings
  std::vector<storage::PolicyAssignment> assignments;
  std::map<std::string, std::string> site_policy;  // site -> policy name
  std::map<std::string, std::string> user_policy;  // user key -> policy name
  std::map<std::string, json::object> service_config;  // scope -> settings
  Layer config_file;  // what the TOML file says, beneath every stored scope
};

}  // namespace

struct PolicyService::State {
  std::array<KindState, kAllKinds.size()> kinds;
  const KindState& of(Kind k) const { return kinds[index_of(k)]; }
};

namespace {

Layer config_layer(Kind kind, const Config& config) {
  Layer layer{"config file", {}};
  switch (kind) {
    case Kind::mcx:
      layer.settings["SessionExpirationInterval"] =
          static_cast<std::int64_t>(config.mobility.session_expiration_interval);
      layer.settings["SessionShortExpirationInterval"] =
          static_cast<std::int64_t>(config.mobility.session_short_expiration_interval);
      layer.settings["ExposedWebURL"] =
          config.discovery.exposed_web_url == ExposedWebUrl::internal ? "Internal" : "External";
      break;
    case Kind::webservice:
      layer.settings["TokenLifetimeSeconds"] =
          static_cast<std::int64_t>(config.webticket.token_lifetime_seconds);
      break;
    case Kind::mobility:
    case Kind::push:
      break;
  }
  return layer;
}

KindState load_kind(storage::Store& store, Kind kind, const Config& config) {
  KindState s;
  const std::string kind_name(to_string(kind));
  s.policies = store.list_policies(kind_name);
  const bool has_global = std::any_of(s.policies.begin(), s.policies.end(),
                                      [](const auto& p) { return iequals(p.name, kGlobal); });
  // The global mobility policy always exists, even before anything was stored in it.
  if (kind == Kind::mobility && !has_global) {
    storage::NamedPolicy global;
    global.kind = kind_name;
    global.name = std::string(kGlobal);
    global.settings = "{}";
    s.policies.push_back(std::move(global));
  }
  std::sort(s.policies.begin(), s.policies.end(), [](const auto& a, const auto& b) {
    const bool a_global = iequals(a.name, kGlobal), b_global = iequals(b.name, kGlobal);
    if (a_global != b_global) return a_global;
    return lower(a.name) < lower(b.name);
  });
  for (const auto& p : s.policies) s.policy_settings[lower(p.name)] = parse_object(p.settings);

  s.assignments = store.list_assignments(kind_name);
  for (const auto& a : s.assignments) {
    if (a.scope == "site") s.site_policy[a.key] = a.name;
    else if (a.scope == "user") s.user_policy[user_key(a.key)] = a.name;
  }
  for (const auto& [scope, text] : store.list_service_config(kind_name))
    s.service_config[scope] = parse_object(text);
  s.config_file = config_layer(kind, config);
  return s;
}

}  // namespace

PolicyService::PolicyService(storage::Store& store, const Config& config)
    : store_(store), config_(config) {
  reload();
}

PolicyService::~PolicyService() = default;

void PolicyService::reload() {
  auto next = std::make_shared<State>();
  for (Kind k : kAllKinds) next->kinds[index_of(k)] = load_kind(store_, k, config_);
  std::atomic_store(&state_, std::shared_ptr<const State>(std::move(next)));
}

void PolicyService::notify(Kind kind) {
  std::vector<std::function<void(Kind)>> listeners;
  {
    std::lock_guard lock(change_mutex_);
    listeners = listeners_;
  }
  for (const auto& l : listeners) l(kind);
}

void PolicyService::on_change(std::function<void(Kind)> listener) {
  std::lock_guard lock(change_mutex_);
  listeners_.push_back(std::move(listener));
}

// ---- reads ----

Resolved PolicyService::effective(Kind kind, std::string_view user, std::string_view site) const {
  const auto state = std::atomic_load(&state_);
  const KindState& s = state->of(kind);
  std::vector<Layer> layers;
  if (kind == Kind::mobility) {
    auto settings_of = [&s](const std::string& name) -> const json::object* {
      const auto it = s.policy_settings.find(lower(name));
      return it == s.policy_settings.end() ? nullptr : &it->second;
    };
    if (const auto* g = settings_of(std::string(kGlobal))) layers.push_back({"global", *g});
    if (!site.empty()) {
      if (const auto it = s.site_policy.find(std::string(site)); it != s.site_policy.end())
        if (const auto* p = settings_of(it->second))
          layers.push_back({"site " + std::string(site) + " (policy " + it->second + ")", *p});
    }
    const std::string key = user_key(user);
    if (!key.empty()) {
      if (const auto it = s.user_policy.find(key); it != s.user_policy.end())
        if (const auto* p = settings_of(it->second))
          layers.push_back({"user " + key + " (policy " + it->second + ")", *p});
    }
  } else {
    layers.push_back(s.config_file);
    if (const auto it = s.service_config.find(std::string(kGlobal)); it != s.service_config.end())
      layers.push_back({"global", it->second});
    if (!site.empty()) {
      const std::string scope = std::string(kSitePrefix) + std::string(site);
      if (const auto it = s.service_config.find(scope); it != s.service_config.end())
        layers.push_back({"site " + std::string(site), it->second});
    }
  }
  return resolve(kind, layers);
}

MobilityPolicy PolicyService::mobility(std::string_view user, std::string_view site) const {
  return mobility_of(effective(Kind::mobility, user, site).values);
}
McxConfig PolicyService::mcx(std::string_view site) const {
  return mcx_of(effective(Kind::mcx, "", site).values);
}
PushConfig PolicyService::push(std::string_view site) const {
  return push_of(effective(Kind::push, "", site).values);
}
WebServiceConfig PolicyService::webservice(std::string_view site) const {
  return webservice_of(effective(Kind::webservice, "", site).values);
}

std::vector<storage::NamedPolicy> PolicyService::policies(Kind kind) const {
  return std::atomic_load(&state_)->of(kind).policies;
}

std::optional<storage::NamedPolicy> PolicyService::policy(Kind kind, std::string_view name) const {
  const auto state = std::atomic_load(&state_);
  for (const auto& p : state->of(kind).policies)
    if (iequals(p.name, name)) return p;
  return std::nullopt;
}

std::vector<storage::PolicyAssignment> PolicyService::assignments(Kind kind) const {
  return std::atomic_load(&state_)->of(kind).assignments;
}

json::object PolicyService::service_config(Kind kind, std::string_view scope) const {
  const auto state = std::atomic_load(&state_);
  const auto& configs = state->of(kind).service_config;
  const auto it = configs.find(canonical_scope(scope));
  return it == configs.end() ? json::object{} : it->second;
}

// ---- changes ----

void PolicyService::create_policy(Kind kind, std::string_view name, const json::object& settings,
                                  std::string_view actor) {
  require_named_policies(kind);
  if (!is_policy_name(name))
    throw ParameterValidationFailure("a policy name is 1 to 64 letters, digits, '.', '_' or '-'");
  if (iequals(name, kGlobal))
    throw Conflict("the global " + std::string(to_string(kind)) + " policy always exists");
  const json::object values = without_nulls(validate(kind, settings));
  check_consistent(kind, resolve(kind, {{"new", values}}).values);
  {
    std::lock_guard lock(change_mutex_);
    const std::string kind_name(to_string(kind));
    if (const auto existing = store_.find_policy(kind_name, name))
      throw Conflict("a " + kind_name + " policy " + existing->name + " already exists");
    storage::NamedPolicy p;
    p.kind = kind_name;
    p.name = std::string(name);
    p.settings = text_of(values);
    store_.put_policy(p, true,
                      audit_of(actor, "policy.new", kind_name + "/" + p.name, "", p.settings));
    reload();
  }
  notify(kind);
}

void PolicyService::set_policy(Kind kind, std::string_view name, const json::object& settings,
                               std::string_view actor) {
  require_named_policies(kind);
  const json::object validated = validate(kind, settings);
  {
    std::lock_guard lock(change_mutex_);
    const std::string kind_name(to_string(kind));
    auto current = store_.find_policy(kind_name, name);
    if (!current) {
      if (!iequals(name, kGlobal))
        throw NotFound("no " + kind_name + " policy " + printable_ascii(name, 80));
      current.emplace();
      current->kind = kind_name;
      current->name = std::string(kGlobal);
    }
    const json::object next = merged(parse_object(current->settings), validated);
    check_consistent(kind, resolve(kind, {{current->name, next}}).values);
    storage::NamedPolicy p = *current;
    p.settings = text_of(next);
    store_.put_policy(p, false,
                      audit_of(actor, "policy.set", kind_name + "/" + p.name, current->settings,
                               p.settings));
    reload();
  }
  notify(kind);
}

void PolicyService::remove_policy(Kind kind, std::string_view name, std::string_view actor) {
  require_named_policies(kind);
  {
    std::lock_guard lock(change_mutex_);
    const std::string kind_name(to_string(kind));
    if (iequals(name, kGlobal))
      throw Forbidden("the global " + kind_name + " policy cannot be removed");
    const auto current = store_.find_policy(kind_name, name);
    if (!current) throw NotFound("no " + kind_name + " policy " + printable_ascii(name, 80));
    const auto audit =
        audit_of(actor, "policy.remove", kind_name + "/" + current->name, current->settings, "");
    if (!store_.remove_policy(kind_name, current->name, audit))
      throw NotFound("no " + kind_name + " policy " + current->name);
    reload();
  }
  notify(kind);
}

void PolicyService::grant(Kind kind, std::string_view scope, std::string_view key,
                          std::string_view name, std::string_view actor) {
  require_named_policies(kind);
  storage::PolicyAssignment a;
  a.kind = std::string(to_string(kind));
  if (iequals(scope, "user")) {
    a.scope = "user";
    a.key = user_key(key);
    if (a.key.find('@') == std::string::npos)
      throw ParameterValidationFailure("a user is a SIP address such as bob@example.org, not \"" +
                                       printable_ascii(key, 80) + "\"");
  } else if (iequals(scope, "site")) {
    a.scope = "site";
    a.key = std::string(key);
    if (!is_site_name(a.key))
      throw ParameterValidationFailure(
          "a site name is 1 to 64 letters, digits, spaces, '.', '_' or '-'");
  } else {
    throw ParameterValidationFailure("a policy is granted to a \"site\" or a \"user\", not \"" +
                                     printable_ascii(scope, 40) + "\"");
  }
  {
    std::lock_guard lock(change_mutex_);
    if (!name.empty()) {
      const auto p = store_.find_policy(a.kind, name);
      if (!p) throw NotFound("no " + a.kind + " policy " + printable_ascii(name, 80));
      a.name = p->name;  // as it was spelled at creation
    }
    std::string previous;
    for (const auto& existing : store_.list_assignments(a.kind))
      if (existing.scope == a.scope && (a.scope == "site" ? existing.key == a.key
                                                           : user_key(existing.key) == a.key))
        previous = existing.name;
    // Revoking what was never granted, or granting what is already granted, changes nothing.
    if (previous == a.name) return;
    store_.assign_policy(a, audit_of(actor, "policy.grant", a.scope + " " + a.key,
                                     name_json(previous), name_json(a.name)));
    reload();
  }
  notify(kind);
}

void PolicyService::set_service_config(Kind kind, std::string_view scope,
                                       const json::object& settings, std::string_view actor) {
  require_service_config(kind);
  const std::string canonical = canonical_scope(scope);
  const json::object validated = validate(kind, settings);
  {
    std::lock_guard lock(change_mutex_);
    const std::string kind_name(to_string(kind));
    const auto current_text = store_.get_service_config(kind_name, canonical).value_or("");
    const json::object next = merged(parse_object(current_text), validated);
    const Layer base = config_layer(kind, config_);

    if (canonical == kGlobal) {
      check_consistent(kind, resolve(kind, {base, {"global", next}}).values);
      // A global change reaches every site that does not override it.
      for (const auto& [site_scope, text] : store_.list_service_config(kind_name)) {
        if (!site_scope.starts_with(kSitePrefix)) continue;
        try {
          check_consistent(kind,
                           resolve(kind, {base, {"global", next}, {site_scope, parse_object(text)}})
                               .values);
        } catch (const ParameterValidationFailure& e) {
          throw ParameterValidationFailure("at " + site_scope + ": " + e.what());
        }
      }
    } else {
      const json::object global =
          parse_object(store_.get_service_config(kind_name, kGlobal).value_or(""));
      check_consistent(kind, resolve(kind, {base, {"global", global}, {canonical, next}}).values);
    }

    const std::string next_text = next.empty() ? std::string() : text_of(next);
    if (next_text == current_text) return;  // nothing to store, nothing to announce
    store_.put_service_config(kind_name, canonical, next_text,
                              audit_of(actor, "config.set", kind_name + "/" + canonical,
                                       current_text, next_text));
    reload();
  }
  notify(kind);
}

}  // namespace parley::policy
