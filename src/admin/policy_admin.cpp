#include "admin/policy_admin.hpp"

#include "admin/json_body.hpp"
#include "admin/user_json.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "common/time.hpp"
#include "http/target.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <limits>
#include <memory>

namespace parley::admin {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;
using policy::Kind;

constexpr std::string_view kActor = "admin";
constexpr std::size_t kMaxPolicyName = 64;
constexpr std::size_t kDefaultAuditLimit = 100;
// The store answers at most 1000 rows; one more than a page must fit.
constexpr std::size_t kMaxAuditLimit = 500;

// Named policies exist for mobility only; mcx, push and webservice are service configuration.
Kind policy_kind(const Request& req) {
  const auto k = policy::parse_kind(req.params.at("kind"));
  if (!k || *k != Kind::mobility) throw NotFound("no policy kind " + req.params.at("kind") + " (mobility)");
  return *k;
}

Kind config_kind(const Request& req) {
  const auto k = policy::parse_kind(req.params.at("kind"));
  if (!k || *k == Kind::mobility)
    throw NotFound("no service configuration " + req.params.at("kind") + " (mcx, push, webservice)");
  return *k;
}

boost::json::object parse_object_text(const std::string& text) {
  if (text.empty()) return {};
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

boost::json::value parse_value_text(const std::string& text) {
  if (text.empty()) return nullptr;
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec) return boost::json::value(text);  // not JSON: show it as it was recorded
  return v;
}

boost::json::object policy_json(const storage::NamedPolicy& p) {
  boost::json::object o;
  o["name"] = p.name;
  o["settings"] = parse_object_text(p.settings);
  o["updatedAt"] = p.updated_at_ms > 0 ? boost::json::value(iso8601_utc(p.updated_at_ms)) : nullptr;
  return o;
}

boost::json::object source_json(const std::map<std::string, std::string>& source) {
  boost::json::object o;
  for (const auto& [field, label] : source) o[field] = label;
  return o;
}

// The settings of a PATCH: the body itself ({"EnableMobility": false}), or the same wrapped as
// {"settings": {...}} the way POST sends them.
boost::json::object settings_of_patch(const boost::json::object& body) {
  if (body.size() == 1) {
    const auto* wrapped = find_property(body, "settings");
    if (wrapped) {
      if (!wrapped->is_object()) throw ParameterValidationFailure("\"settings\" must be a JSON object");
      return wrapped->as_object();
    }
  }
  return body;
}

std::string policy_name_param(const Request& req) {
  std::string name = req.params.at("name");
  if (name.empty() || name.size() > kMaxPolicyName) throw NotFound("no policy " + name);
  return name;
}

struct GrantTarget {
  std::string scope;  // "site" | "user"
  std::string key;
};

GrantTarget grant_target(const boost::json::object& body) {
  reject_unknown_properties(body, {"site", "user"});
  auto site = string_property(body, "site", 128);
  auto user = string_property(body, "user", 256);
  if (site.has_value() == user.has_value())
    throw ParameterValidationFailure("give exactly one of \"site\" or \"user\"");
  if (site) {
    if (site->empty()) throw ParameterValidationFailure("\"site\" must not be empty");
    return {"site", *site};
  }
  const std::string sip = normalize_sip_uri(*user);
  if (sip.empty()) throw ParameterValidationFailure("\"user\" must be a SIP URI (user@domain)");
  return {"user", sip};
}

// "global" or "site:<name>".
std::string config_scope(const Request& req) {
  bool present = false;
  std::string scope = http::query_param(req.query, "scope", &present);
  if (!present || scope.empty() || iequals(scope, "global")) return "global";
  constexpr std::string_view kSite = "site:";
  if (scope.size() > kSite.size() && iequals(std::string_view(scope).substr(0, kSite.size()), kSite))
    return "site:" + scope.substr(kSite.size());
  throw ParameterValidationFailure("\"scope\" must be global or site:NAME");
}

template <class T>
T parse_number(const std::string& text, T min, T max, const char* message) {
  T v{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < min || v > max)
    throw ParameterValidationFailure(message);
  return v;
}

boost::json::object session_json(const SessionInfo& s) {
  boost::json::object o;
  o["id"] = s.id;
  o["user"] = s.user;
  o["deviceClass"] = s.device_class;
  o["userAgent"] = s.user_agent;
  o["site"] = s.site;
  o["clientNetworkType"] = s.client_network_type;
  o["networkType"] = s.network_type;
  o["idleSeconds"] = s.idle_seconds;
  o["available"] = s.available;
  o["eventChannels"] = s.event_channels;
  o["parked"] = s.parked;
  return o;
}

boost::json::object audit_json(const storage::AuditRecord& r) {
  boost::json::object o;
  o["id"] = r.id;
  o["at"] = iso8601_utc(r.at_ms);
  o["actor"] = r.actor;
  o["action"] = r.action;
  o["target"] = r.target;
  o["old"] = parse_value_text(r.old_value);
  o["new"] = parse_value_text(r.new_value);
  return o;
}

class PolicyAdmin {
public:
  PolicyAdmin(AdminContext ctx, policy::PolicyService& policies, SessionDirectory sessions)
      : ctx_(std::move(ctx)), policies_(policies), sessions_(std::move(sessions)) {}

  // ---- named policies ----

  awaitable<Response> list_policies(Request& req) {
    require_admin(ctx_, req);
    const Kind kind = policy_kind(req);
    boost::json::array list;
    for (const auto& p : policies_.policies(kind)) list.push_back(policy_json(p));
    boost::json::array assigned;
    for (const auto& a : policies_.assignments(kind))
      assigned.push_back(boost::json::object{{"scope", a.scope}, {"key", a.key}, {"name", a.name}});
    co_return json_response(200, boost::json::object{{"policies", std::move(list)},
                                                     {"assignments", std::move(assigned)}});
  }

  awaitable<Response> get_policy(Request& req) {
    require_admin(ctx_, req);
    const Kind kind = policy_kind(req);
    const std::string name = policy_name_param(req);
    const auto p = policies_.policy(kind, name);
    if (!p) throw NotFound("no " + std::string(policy::to_string(kind)) + " policy " + name);
    co_return json_response(200, policy_json(*p));
  }

  awaitable<Response> create_policy(Request& req) {
    require_admin(ctx_, req);
    const Kind kind = policy_kind(req);
    const auto body = parse_json_object(req);
    reject_unknown_properties(body, {"name", "settings"});
    const auto name = string_property(body, "name", kMaxPolicyName);
    if (!name || name->empty()) throw ParameterValidationFailure("\"name\" is required");
    boost::json::object settings;
    if (const auto* s = find_property(body, "settings")) {
      if (!s->is_object()) throw ParameterValidationFailure("\"settings\" must be a JSON object");
      settings = s->as_object();
    }
    const std::string n = *name;
    auto job = [this, kind, n, settings] {
      policies_.create_policy(kind, n, settings, kActor);
      return policies_.policy(kind, n);
    };
    const auto created = co_await ctx_.pool->run(job);
    if (!created) throw NotFound("policy " + n + " vanished");
    logger("admin")->info("{} policy {} created", policy::to_string(kind), n);
    auto res = json_response(201, policy_json(*created));
    res.headers.set("Location", "/admin/v1/policies/" + std::string(policy::to_string(kind)) + "/" + created->name);
    co_return res;
  }

  awaitable<Response> update_policy(Request& req) {
    require_admin(ctx_, req);
    const Kind kind = policy_kind(req);
    const std::string name = policy_name_param(req);
    const auto settings = settings_of_patch(parse_json_object(req));
    auto job = [this, kind, name, settings] {
      policies_.set_policy(kind, name, settings, kActor);
      return policies_.policy(kind, name);
    };
    const auto updated = co_await ctx_.pool->run(job);
    if (!updated) throw NotFound("no " + std::string(policy::to_string(kind)) + " policy " + name);
    logger("admin")->info("{} policy {} changed", policy::to_string(kind), name);
    co_return json_response(200, policy_json(*updated));
  }

  awaitable<Response> remove_policy(Request& req) {
    require_admin(ctx_, req);
    const Kind kind = policy_kind(req);
    const std::string name = policy_name_param(req);
    auto job = [this, kind, name] { policies_.remove_policy(kind, name, kActor); };
    co_await ctx_.pool->run(job);
    logger("admin")->info("{} policy {} removed", policy::to_string(kind), name);
    co_return Response::empty(204);
  }

  awaitable<Response> grant(Request& req) {
    require_admin(ctx_, req);
    const Kind kind = policy_kind(req);
    const std::string name = policy_name_param(req);
    const auto target = grant_target(parse_json_object(req));
    auto job = [this, kind, target, name] { policies_.grant(kind, target.scope, target.key, name, kActor); };
    co_await ctx_.pool->run(job);
    logger("admin")->info("{} policy {} granted to {} {}", policy::to_string(kind), name, target.scope, target.key);
    co_return Response::empty(204);
  }

  awaitable<Response> revoke(Request& req) {
    require_admin(ctx_, req);
    const Kind kind = policy_kind(req);
    const auto target = grant_target(parse_json_object(req));
    auto job = [this, kind, target] { policies_.grant(kind, target.scope, target.key, "", kActor); };
    co_await ctx_.pool->run(job);
    logger("admin")->info("{} policy assignment of {} {} removed", policy::to_string(kind), target.scope, target.key);
    co_return Response::empty(204);
  }

  // The user's site comes from the directory, as it does when she signs in.
  awaitable<Response> effective(Request& req) {
    require_admin(ctx_, req);
    const Kind kind = policy_kind(req);
    const std::string sip = normalize_sip_uri(req.params.at("sip"));
    auto job = [this, sip] { return ctx_.store->find_user(sip); };
    const auto user = co_await ctx_.pool->store(job);
    if (!user) throw NotFound("no user " + sip);
    const std::string site = user->profile.site;
    const auto r = policies_.effective(kind, sip, site);
    boost::json::object out;
    out["user"] = sip;
    out["site"] = site;
    out["values"] = r.values;
    out["source"] = source_json(r.source);
    co_return json_response(200, out);
  }

  // ---- service configuration ----

  awaitable<Response> get_config(Request& req) {
    require_admin(ctx_, req);
    const Kind kind = config_kind(req);
    const std::string scope = config_scope(req);
    co_return json_response(200, config_json(kind, scope));
  }

  awaitable<Response> set_config(Request& req) {
    require_admin(ctx_, req);
    const Kind kind = config_kind(req);
    const std::string scope = config_scope(req);
    const auto settings = settings_of_patch(parse_json_object(req));
    auto job = [this, kind, scope, settings] { policies_.set_service_config(kind, scope, settings, kActor); };
    co_await ctx_.pool->run(job);
    logger("admin")->info("{} configuration at {} changed", policy::to_string(kind), scope);
    co_return json_response(200, config_json(kind, scope));
  }

  // ---- live sessions ----

  awaitable<Response> list_sessions(Request& req) {
    require_admin(ctx_, req);
    bool present = false;
    std::string user = http::query_param(req.query, "user", &present);
    if (present && !user.empty()) user = normalize_sip_uri(user);
    const std::string device = http::query_param(req.query, "deviceClass");
    boost::json::array list;
    if (sessions_.list)
      for (const auto& s : sessions_.list()) {
        if (!user.empty() && s.user != user) continue;
        if (!device.empty() && !iequals(s.device_class, device)) continue;
        list.push_back(session_json(s));
      }
    co_return json_response(200, boost::json::object{{"sessions", std::move(list)}});
  }

  awaitable<Response> end_session(Request& req) {
    require_admin(ctx_, req);
    const std::string id = req.params.at("id");
    auto job = [this, id] {
      std::optional<SessionInfo> found;
      if (sessions_.list)
        for (auto& s : sessions_.list())
          if (s.id == id) found = std::move(s);
      if (!found || !sessions_.end || !sessions_.end(id)) return false;
      storage::AuditRecord record;
      record.actor = std::string(kActor);
      record.action = "session.end";
      record.target = "session " + id;
      record.old_value = boost::json::serialize(boost::json::object{
          {"user", found->user}, {"deviceClass", found->device_class}, {"userAgent", found->user_agent}});
      ctx_.store->append_audit(record);
      return true;
    };
    const bool ended = co_await ctx_.pool->run(job);
    if (!ended) throw NotFound("no session " + id);
    logger("admin")->info("session {} ended by the administrator", id);
    co_return Response::empty(204);
  }

  // ---- audit trail ----

  awaitable<Response> audit(Request& req) {
    require_admin(ctx_, req);
    bool present = false;
    const std::string limit = http::query_param(req.query, "limit", &present);
    const std::size_t want =
        present ? parse_number<std::size_t>(limit, 1, kMaxAuditLimit, "\"limit\" must be a whole number from 1 to 500")
                : kDefaultAuditLimit;
    std::int64_t before = 0;
    const std::string before_text = http::query_param(req.query, "before", &present);
    if (present)
      before = parse_number<std::int64_t>(before_text, 1, std::numeric_limits<std::int64_t>::max(),
                                          "\"before\" must be a positive entry id");
    auto job = [this, before, want] { return ctx_.store->list_audit(before, want + 1); };
    auto entries = co_await ctx_.pool->store(job);
    boost::json::object out;
    out["next"] = nullptr;
    if (entries.size() > want) {
      entries.resize(want);
      out["next"] = entries.back().id;
    }
    boost::json::array arr;
    for (const auto& e : entries) arr.push_back(audit_json(e));
    out["entries"] = std::move(arr);
    co_return json_response(200, out);
  }

private:
  boost::json::object config_json(Kind kind, const std::string& scope) const {
    const std::string site = scope.rfind("site:", 0) == 0 ? scope.substr(5) : std::string();
    const auto r = policies_.effective(kind, "", site);
    boost::json::object out;
    out["scope"] = scope;
    out["settings"] = policies_.service_config(kind, scope);
    out["effective"] = r.values;
    out["source"] = source_json(r.source);
    return out;
  }

  AdminContext ctx_;
  policy::PolicyService& policies_;
  SessionDirectory sessions_;
};

using Method = awaitable<Response> (PolicyAdmin::*)(Request&);

// The handler is not a coroutine itself: the shared_ptr it holds keeps the object alive.
http::Handler route(const std::shared_ptr<PolicyAdmin>& api, Method m) {
  return [api, m](Request& req) { return ((*api).*m)(req); };
}

}  // namespace

void register_policy_admin_routes(http::Router& internal, const AdminContext& ctx,
                                  policy::PolicyService& policies, SessionDirectory sessions) {
  auto api = std::make_shared<PolicyAdmin>(ctx, policies, std::move(sessions));
  // Literal segments first: the router takes the first pattern that matches.
  internal.add("POST", "/admin/v1/policies/{kind}/revoke", route(api, &PolicyAdmin::revoke));
  internal.add("GET", "/admin/v1/policies/{kind}/effective/{sip}", route(api, &PolicyAdmin::effective));
  internal.add("GET", "/admin/v1/policies/{kind}", route(api, &PolicyAdmin::list_policies));
  internal.add("POST", "/admin/v1/policies/{kind}", route(api, &PolicyAdmin::create_policy));
  internal.add("GET", "/admin/v1/policies/{kind}/{name}", route(api, &PolicyAdmin::get_policy));
  internal.add("PATCH", "/admin/v1/policies/{kind}/{name}", route(api, &PolicyAdmin::update_policy));
  internal.add("DELETE", "/admin/v1/policies/{kind}/{name}", route(api, &PolicyAdmin::remove_policy));
  internal.add("POST", "/admin/v1/policies/{kind}/{name}/grant", route(api, &PolicyAdmin::grant));
  internal.add("GET", "/admin/v1/config/{kind}", route(api, &PolicyAdmin::get_config));
  internal.add("PATCH", "/admin/v1/config/{kind}", route(api, &PolicyAdmin::set_config));
  internal.add("GET", "/admin/v1/sessions", route(api, &PolicyAdmin::list_sessions));
  internal.add("DELETE", "/admin/v1/sessions/{id}", route(api, &PolicyAdmin::end_session));
  internal.add("GET", "/admin/v1/audit", route(api, &PolicyAdmin::audit));
}

}  // namespace parley::admin
