#include "admin/admin_api.hpp"

#include "admin/json_body.hpp"
#include "admin/user_json.hpp"
#include "auth/password.hpp"
#include "common/crypto.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "common/log.hpp"
#include "http/target.hpp"

#include <boost/json/array.hpp>

#include <charconv>
#include <memory>
#include <set>

namespace parley::admin {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;

constexpr std::size_t kMaxImportRows = 500;
constexpr std::size_t kMaxListLimit = 1000;

}  // namespace

void require_admin(const AdminContext& ctx, const Request& req) {
  const std::string_view auth = req.headers.get("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() <= kBearer.size() || auth.substr(0, kBearer.size()) != kBearer ||
      !constant_time_equal(sha256_hex(auth.substr(kBearer.size())), ctx.credential_sha256))
    throw Unauthorized("a valid admin credential is required (Authorization: Bearer ...)");
}

namespace {

std::string sip_param(const Request& req) {
  return normalize_sip_uri(req.params.at("sip"));
}

storage::UserProfile apply(storage::UserProfile u, const storage::UserPatch& p) {
  if (p.display_name) u.display_name = *p.display_name;
  if (p.email) u.email = *p.email;
  if (p.title) u.title = *p.title;
  if (p.department) u.department = *p.department;
  if (p.office) u.office = *p.office;
  if (p.site) u.site = *p.site;
  if (p.phone_work) u.phones.work = *p.phone_work;
  if (p.phone_mobile) u.phones.mobile = *p.phone_mobile;
  if (p.phone_home) u.phones.home = *p.phone_home;
  if (p.phone_other) u.phones.other = *p.phone_other;
  return u;
}

std::size_t parse_limit(const std::string& text) {
  std::size_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < 1 || v > kMaxListLimit)
    throw ParameterValidationFailure("\"limit\" must be a whole number from 1 to 1000");
  return v;
}

class AdminApi : public std::enable_shared_from_this<AdminApi> {
public:
  explicit AdminApi(AdminContext ctx) : ctx_(std::move(ctx)) {}

  awaitable<Response> list(Request& req) {
    storage::ListQuery q;
    bool present = false;
    q.after = http::query_param(req.query, "after", &present);
    if (present && !q.after.empty()) q.after = normalize_sip_uri(q.after);
    const std::string limit = http::query_param(req.query, "limit", &present);
    q.limit = present ? parse_limit(limit) : 100;
    const std::string enabled = http::query_param(req.query, "enabled", &present);
    if (present) {
      if (enabled == "true") q.enabled = true;
      else if (enabled == "false") q.enabled = false;
      else throw ParameterValidationFailure("\"enabled\" must be true or false");
    }
    const std::size_t want = q.limit;
    q.limit = want + 1;  // one more tells whether there is a next page
    auto job = [this, q] { return ctx_.store->list_users(q); };
    auto users = co_await ctx_.pool->store(job);
    boost::json::object out;
    out["next"] = nullptr;
    if (users.size() > want) {
      users.resize(want);
      out["next"] = users.back().sip_uri;
    }
    boost::json::array arr;
    for (const auto& u : users) arr.push_back(user_to_json(u));
    out["users"] = std::move(arr);
    co_return json_response(200, out);
  }

  awaitable<Response> create(Request& req) {
    const auto body = parse_json_object(req);
    auto in = parse_user_input(body);
    if (!in.sip_uri) throw ParameterValidationFailure("\"sipUri\" is required");
    std::string hash;
    if (in.password) {
      auto pw = *in.password;
      auto job = [pw, cost = ctx_.passwords] { return auth::hash_password(pw, cost); };
      hash = co_await ctx_.pool->run(job);
    }
    const auto profile = profile_from(in.patch);
    const bool enabled = in.patch.enabled.value_or(true);
    const std::string sip = *in.sip_uri;
    auto job = [this, sip, profile, enabled, hash] {
      return ctx_.store->create_user(sip, profile, enabled, hash);
    };
    auto user = co_await ctx_.pool->store(job);
    logger("admin")->info("user {} created", user.sip_uri);
    auto res = json_response(201, user_to_json(user));
    res.headers.set("Location", "/admin/v1/users/" + user.sip_uri);
    co_return res;
  }

  awaitable<Response> get(Request& req) {
    const auto sip = sip_param(req);
    auto job = [this, sip] { return ctx_.store->find_user(sip); };
    auto user = co_await ctx_.pool->store(job);
    if (!user) throw NotFound("no user " + sip);
    co_return json_response(200, user_to_json(*user));
  }

  awaitable<Response> update(Request& req) {
    const auto sip = sip_param(req);
    const auto body = parse_json_object(req);
    auto in = parse_user_input(body);
    if (in.sip_uri && *in.sip_uri != sip)
      throw ParameterValidationFailure("\"sipUri\" cannot be changed");
    if (in.password)
      throw ParameterValidationFailure("set a password with PUT /admin/v1/users/{sipUri}/password");
    auto patch = in.patch;
    auto job = [this, sip, patch] {
      auto user = ctx_.store->update_user(sip, patch);
      if (user && !user->enabled && ctx_.end_sessions) ctx_.end_sessions(sip);
      return user;
    };
    auto user = co_await ctx_.pool->store(job);
    if (!user) throw NotFound("no user " + sip);
    if (patch.enabled)
      logger("admin")->info("user {} {}", sip, *patch.enabled ? "enabled" : "disabled");
    co_return json_response(200, user_to_json(*user));
  }

  awaitable<Response> set_password(Request& req) {
    const auto sip = sip_param(req);
    const auto body = parse_json_object(req);
    reject_unknown_properties(body, {"password"});
    const auto* pw = find_property(body, "password");
    if (!pw || !pw->is_string()) throw ParameterValidationFailure("\"password\" is required");
    std::string password(pw->as_string());
    check_password(password);
    auto job = [password, cost = ctx_.passwords] {
      return auth::hash_password(password, cost);
    };

    auto hash = co_await ctx_.pool->run(job);
    auto save = [this, sip, hash] {
      const bool found = ctx_.store->set_password_hash(sip, hash);
      if (found && ctx_.end_sessions) ctx_.end_sessions(sip);
      return found;
    };
    const bool found = co_await ctx_.pool->store(save);
    if (!found) throw NotFound("no user " + sip);
    logger("admin")->info("password of {} changed", sip);
    co_return Response::empty(204);
  }

  // The photo UCWA clients show for the user (GET {app}/photos/{sip}). The bytes must be what
  // the Content-Type says, so a browser never sniffs them into something else.
  awaitable<Response> put_photo(Request& req) {
    const auto sip = sip_param(req);
    const std::string type = lower(trim(req.headers.get("Content-Type")));
    const bool jpeg = type == "image/jpeg" && req.body.size() >= 3 &&
                      req.body.compare(0, 3, "\xFF\xD8\xFF") == 0;
    const bool png = type == "image/png" && req.body.size() >= 8 &&
                     req.body.compare(0, 8, "\x89PNG\r\n\x1A\n") == 0;
    if (!jpeg && !png)
      throw ParameterValidationFailure("the photo must be a JPEG or PNG image sent with its Content-Type");
    storage::Photo photo{type, req.body, 0};
    auto job = [this, sip, photo] {
      if (!ctx_.store->find_user(sip)) return false;
      ctx_.store->put_photo(sip, photo);
      return true;
    };
    const bool found = co_await ctx_.pool->store(job);
    if (!found) throw NotFound("no user " + sip);
    logger("admin")->info("photo of {} set ({} bytes)", sip, req.body.size());
    co_return Response::empty(204);
  }

  awaitable<Response> remove_photo(Request& req) {
    const auto sip = sip_param(req);
    auto job = [this, sip] { return ctx_.store->remove_photo(sip); };
    const bool found = co_await ctx_.pool->store(job);
    if (!found) throw NotFound("no photo for " + sip);
    co_return Response::empty(204);
  }

  awaitable<Response> remove(Request& req) {
    const auto sip = sip_param(req);
    auto job = [this, sip] {
      if (ctx_.end_sessions) ctx_.end_sessions(sip);
      return ctx_.store->remove_user(sip);
    };
    const bool found = co_await ctx_.pool->store(job);
    if (!found) throw NotFound("no user " + sip);
    logger("admin")->info("user {} removed", sip);
    co_return Response::empty(204);
  }

  awaitable<Response> import(Request& req) {
    const auto body = parse_json_object(req);
    reject_unknown_properties(body, {"users"});
    const auto* users = find_property(body, "users");
    if (!users || !users->is_array()) throw ParameterValidationFailure("\"users\" must be an array");
    const auto& rows = users->as_array();
    if (rows.size() > kMaxImportRows)
      throw ParameterValidationFailure("at most 500 users per import request");

    struct Row {
      std::size_t index;
      UserInput input;
    };
    std::vector<Row> valid;
    boost::json::array results;
    std::vector<boost::json::object> by_index(rows.size());
    std::set<std::string> seen;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      try {
        if (!rows[i].is_object()) throw ParameterValidationFailure("each user must be a JSON object");
        auto in = parse_user_input(rows[i].as_object());
        if (!in.sip_uri) throw ParameterValidationFailure("\"sipUri\" is required");
        if (!seen.insert(*in.sip_uri).second)
          throw ParameterValidationFailure("\"sipUri\" " + *in.sip_uri + " appears twice in this import");
        valid.push_back({i, std::move(in)});
      } catch (const ApiError& e) {
        boost::json::object err{{"code", e.code()}, {"subcode", e.subcode()}, {"message", e.what()}};
        by_index[i] = {{"index", i}, {"error", std::move(err)}};
      }
    }

    auto job = [this, valid] {
      std::vector<storage::Store::ImportRow> import_rows;
      std::vector<std::string> newly_disabled;
      for (const auto& r : valid) {
        storage::Store::ImportRow row;
        row.sip_uri = *r.input.sip_uri;
        auto existing = ctx_.store->find_user(row.sip_uri);
        if (existing) {
          row.profile = apply(existing->profile, r.input.patch);
          row.enabled = r.input.patch.enabled.value_or(existing->enabled);
          if (existing->enabled && !row.enabled) newly_disabled.push_back(row.sip_uri);
        } else {
          row.profile = profile_from(r.input.patch);
          row.enabled = r.input.patch.enabled.value_or(true);
          if (r.input.password) row.password_hash = auth::hash_password(*r.input.password, ctx_.passwords);
        }
        import_rows.push_back(std::move(row));
      }
      auto outcomes = ctx_.store->import_users(import_rows);
      if (ctx_.end_sessions)
        for (const auto& sip : newly_disabled) ctx_.end_sessions(sip);
      return outcomes;
    };

    auto outcomes = co_await ctx_.pool->run(job);

    std::size_t created = 0;
    for (std::size_t k = 0; k < valid.size(); ++k) {
      const char* word = outcomes[k] == storage::ImportOutcome::created   ? "created"
                         : outcomes[k] == storage::ImportOutcome::updated ? "updated"
                                                                          : "unchanged";
      if (outcomes[k] == storage::ImportOutcome::created) ++created;
      by_index[valid[k].index] = {{"index", valid[k].index}, {"sipUri", *valid[k].input.sip_uri}, {"outcome", word}};
    }
    for (auto& o : by_index) results.push_back(std::move(o));
    logger("admin")->info("import: {} row(s), {} created", rows.size(), created);
    co_return json_response(200, boost::json::object{{"results", std::move(results)}});
  }

  AdminContext ctx_;
};

using Method = awaitable<Response> (AdminApi::*)(Request&);

awaitable<Response> call_guarded(std::shared_ptr<AdminApi> api, Method m, Request& req) {
  require_admin(api->ctx_, req);
  co_return co_await ((*api).*m)(req);
}

// The handler itself is not a coroutine: its captures are copied into call_guarded's frame.
http::Handler guarded(const std::shared_ptr<AdminApi>& api, Method m) {
  return [api, m](Request& req) { return call_guarded(api, m, req); };
}

}  // namespace

void register_admin_routes(http::Router& internal, const AdminContext& ctx) {
  auto api = std::make_shared<AdminApi>(ctx);
  internal.add("GET", "/admin/v1/users", guarded(api, &AdminApi::list));
  internal.add("POST", "/admin/v1/users", guarded(api, &AdminApi::create));
  internal.add("POST", "/admin/v1/users/import", guarded(api, &AdminApi::import));
  internal.add("GET", "/admin/v1/users/{sip}", guarded(api, &AdminApi::get));
  internal.add("PATCH", "/admin/v1/users/{sip}", guarded(api, &AdminApi::update));
  internal.add("DELETE", "/admin/v1/users/{sip}", guarded(api, &AdminApi::remove));
  internal.add("PUT", "/admin/v1/users/{sip}/password", guarded(api, &AdminApi::set_password));
  internal.add("PUT", "/admin/v1/users/{sip}/photo", guarded(api, &AdminApi::put_photo));
  internal.add("DELETE", "/admin/v1/users/{sip}/photo", guarded(api, &AdminApi::remove_photo));
}

}  // namespace parley::admin
