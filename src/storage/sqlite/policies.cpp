#include "storage/sqlite/policies.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/time.hpp"
#include "storage/sqlite/audit.hpp"
#include "storage/sqlite/input.hpp"

namespace parley::storage::sqlite {
namespace {

// The global scope of a kind: it applies to everyone, so it is neither removed nor assigned.
constexpr std::string_view kGlobal = "global";
constexpr std::size_t kMaxConfigScopeBytes = kMaxSiteNameBytes + 5;  // "site:" + site name

// ---- SQL. Statements are cached by the address of these constants. ----

constexpr char kListPolicies[] =
    "SELECT kind, name, settings, updated_at_ms FROM policies WHERE kind = ?"
    " ORDER BY name_folded <> 'global', name_folded";
constexpr char kFindPolicy[] =
    "SELECT kind, name, settings, updated_at_ms FROM policies WHERE kind = ? AND name_folded = ?";
constexpr char kPolicyName[] = "SELECT name FROM policies WHERE kind = ? AND name_folded = ?";
// Replacing keeps the name as first spelled.
constexpr char kPutPolicy[] =
    "INSERT INTO policies (kind, name, name_folded, settings, updated_at_ms) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (kind, name_folded) DO UPDATE SET settings = excluded.settings,"
    " updated_at_ms = excluded.updated_at_ms";
constexpr char kDeletePolicy[] = "DELETE FROM policies WHERE kind = ? AND name_folded = ?";
constexpr char kDeleteAssignmentsOf[] =
    "DELETE FROM policy_assignments WHERE kind = ? AND name = ?";
constexpr char kUserExists[] = "SELECT 1 FROM users WHERE sip_uri = ?";
constexpr char kPutAssignment[] =
    "INSERT INTO policy_assignments (scope, key, kind, name) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (scope, key, kind) DO UPDATE SET name = excluded.name";
constexpr char kDeleteAssignment[] =
    "DELETE FROM policy_assignments WHERE scope = ? AND key = ? AND kind = ?";
constexpr char kListAssignments[] =
    "SELECT scope, key, kind, name FROM policy_assignments WHERE kind = ? ORDER BY scope, key";
constexpr char kDeleteUserAssignments[] =
    "DELETE FROM policy_assignments WHERE scope = 'user' AND key = ?";
constexpr char kGetConfig[] = "SELECT settings FROM service_config WHERE kind = ? AND scope = ?";
constexpr char kListConfig[] =
    "SELECT scope, settings FROM service_config WHERE kind = ? ORDER BY scope";
constexpr char kPutConfig[] =
    "INSERT INTO service_config (kind, scope, settings, updated_at_ms) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (kind, scope) DO UPDATE SET settings = excluded.settings,"
    " updated_at_ms = excluded.updated_at_ms";
constexpr char kDeleteConfig[] = "DELETE FROM service_config WHERE kind = ? AND scope = ?";

// ---- Input checks ----

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxPolicyNameChars) return false;
  for (const char c : name)
    if (!is_name_char(c)) return false;
  return true;
}

// Throws ParameterValidationFailure naming `what` ("the policy name") when `name` is not one.
void check_name(std::string_view name, std::string_view what) {
  if (valid_name(name)) return;
  // Quote at most a prefix: the rejected text may be anything, of any length.
  throw ParameterValidationFailure(fmt::format(
      "{} \"{}\" is not valid: use 1 to {} letters, digits, '.', '_' or '-'", what,
      name.substr(0, kMaxPolicyNameChars), kMaxPolicyNameChars));
}

void check_settings(std::string_view settings, std::string_view what) {
  check_size(settings, kMaxPolicySettingsBytes, what);
}

void check_config_scope(std::string_view scope) {
  if (scope.empty()) throw ParameterValidationFailure("the configuration scope is empty");
  check_size(scope, kMaxConfigScopeBytes, "the configuration scope");
}

bool is_global(std::string_view folded_name) { return folded_name == kGlobal; }

// The spelling a policy was created with; nullopt when it does not exist.
std::optional<std::string> stored_name(Connection& db, const std::string& kind,
                                       const std::string& folded) {
  Statement st = db.prepare(kPolicyName);
  st.bind_text(1, kind).bind_text(2, folded);
  if (!st.step()) return std::nullopt;
  return st.column_text(0);
}

NamedPolicy read_policy(const Statement& st) {
  NamedPolicy p;
  p.kind = st.column_text(0);
  p.name = st.column_text(1);
  p.settings = st.column_text(2);
  p.updated_at_ms = st.column_int(3);
  return p;
}

}  // namespace

std::vector<NamedPolicy> list_policies(Connection& db, std::string_view kind) {
  std::vector<NamedPolicy> out;
  if (!valid_name(kind)) return out;
  Statement st = db.prepare(kListPolicies);
  st.bind_text(1, lower_ascii(kind));
  while (st.step()) out.push_back(read_policy(st));
  return out;
}

std::optional<NamedPolicy> find_policy(Connection& db, std::string_view kind,
                                       std::string_view name) {
  if (!valid_name(kind) || !valid_name(name)) return std::nullopt;
  Statement st = db.prepare(kFindPolicy);
  st.bind_text(1, lower_ascii(kind)).bind_text(2, lower_ascii(name));
  if (!st.step()) return std::nullopt;
  return read_policy(st);
}

void put_policy(Connection& db, const NamedPolicy& policy, bool create_only,
                const AuditRecord& audit) {
  check_name(policy.kind, "the policy kind");
  check_name(policy.name, "the policy name");
  if (policy.settings.empty()) throw ParameterValidationFailure("the policy settings are empty");
  check_settings(policy.settings, "the policy settings");
  check_audit(audit);
  const std::string kind = lower_ascii(policy.kind);
  const std::string folded = lower_ascii(policy.name);
  Transaction tx(db);
  if (create_only) {
    if (const auto existing = stored_name(db, kind, folded))
      throw Conflict(fmt::format("{} policy {} already exists", kind, *existing));
  }
  db.prepare(kPutPolicy)
      .bind_text(1, kind)
      .bind_text(2, policy.name)
      .bind_text(3, folded)
      .bind_text(4, policy.settings)
      .bind_int(5, policy.updated_at_ms != 0 ? policy.updated_at_ms : now_ms())
      .run();
  insert_audit(db, audit);
  tx.commit();
}

bool remove_policy(Connection& db, std::string_view kind_in, std::string_view name,
                   const AuditRecord& audit) {
  if (!valid_name(kind_in) || !valid_name(name)) return false;
  const std::string kind = lower_ascii(kind_in);
  const std::string folded = lower_ascii(name);
  if (is_global(folded))
    throw Forbidden(fmt::format("the global {} policy cannot be removed", kind));
  check_audit(audit);
  Transaction tx(db);
  const auto existing = stored_name(db, kind, folded);
  if (!existing) return false;
  db.prepare(kDeleteAssignmentsOf).bind_text(1, kind).bind_text(2, *existing).run();
  db.prepare(kDeletePolicy).bind_text(1, kind).bind_text(2, folded).run();
  insert_audit(db, audit);
  tx.commit();
  return true;
}

void assign_policy(Connection& db, const PolicyAssignment& assignment, const AuditRecord& audit) {
  check_name(assignment.kind, "the policy kind");
  const std::string kind = lower_ascii(assignment.kind);
  std::string key;
  if (assignment.scope == "user") {
    key = uri_for_write(assignment.key);
  } else if (assignment.scope == "site") {
    if (assignment.key.empty()) throw ParameterValidationFailure("the site name is empty");
    check_size(assignment.key, kMaxSiteNameBytes, "the site name");
    key = assignment.key;
  } else {
    throw ParameterValidationFailure(fmt::format(
        "a policy is assigned to a \"site\" or a \"user\", not \"{}\"",
        std::string_view(assignment.scope).substr(0, 64)));
  }
  const bool removing = assignment.name.empty();
  std::string folded;
  if (!removing) {
    check_name(assignment.name, "the policy name");
    folded = lower_ascii(assignment.name);
    if (is_global(folded))
      throw Forbidden(fmt::format(
          "the global {} policy applies to everyone already; it cannot be assigned", kind));
  }
  check_audit(audit);

  Transaction tx(db);
  if (removing) {
    db.prepare(kDeleteAssignment)
        .bind_text(1, assignment.scope)
        .bind_text(2, key)
        .bind_text(3, kind)
        .run();
    if (db.changes() == 0) return;  // nothing was assigned: nothing changed, nothing to audit
  } else {
    const auto name = stored_name(db, kind, folded);
    if (!name)
      throw NotFound(fmt::format("there is no {} policy {}", kind, assignment.name));
    if (assignment.scope == "user") {
      Statement st = db.prepare(kUserExists);
      st.bind_text(1, key);
      if (!st.step()) throw NotFound(fmt::format("no user {}", key));
    }
    db.prepare(kPutAssignment)
        .bind_text(1, assignment.scope)
        .bind_text(2, key)
        .bind_text(3, kind)
        .bind_text(4, *name)
        .run();
  }
  insert_audit(db, audit);
  tx.commit();
}

std::vector<PolicyAssignment> list_assignments(Connection& db, std::string_view kind) {
  std::vector<PolicyAssignment> out;
  if (!valid_name(kind)) return out;
  Statement st = db.prepare(kListAssignments);
  st.bind_text(1, lower_ascii(kind));
  while (st.step()) {
    PolicyAssignment a;
    a.scope = st.column_text(0);
    a.key = st.column_text(1);
    a.kind = st.column_text(2);
    a.name = st.column_text(3);
    out.push_back(std::move(a));
  }
  return out;
}

std::optional<std::string> get_service_config(Connection& db, std::string_view kind,
                                              std::string_view scope) {
  if (!valid_name(kind) || scope.empty() || scope.size() > kMaxConfigScopeBytes)
    return std::nullopt;
  Statement st = db.prepare(kGetConfig);
  st.bind_text(1, lower_ascii(kind)).bind_text(2, scope);
  if (!st.step()) return std::nullopt;
  return st.column_text(0);
}

std::vector<std::pair<std::string, std::string>> list_service_config(Connection& db,
                                                                     std::string_view kind) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!valid_name(kind)) return out;
  Statement st = db.prepare(kListConfig);
  st.bind_text(1, lower_ascii(kind));
  while (st.step()) out.emplace_back(st.column_text(0), st.column_text(1));
  return out;
}

void put_service_config(Connection& db, std::string_view kind_in, std::string_view scope,
                        std::string_view settings, const AuditRecord& audit) {
  check_name(kind_in, "the configuration kind");
  check_config_scope(scope);
  check_settings(settings, "the configuration settings");
  check_audit(audit);
  const std::string kind = lower_ascii(kind_in);
  Transaction tx(db);
  if (settings.empty()) {
    db.prepare(kDeleteConfig).bind_text(1, kind).bind_text(2, scope).run();
    if (db.changes() == 0) return;  // nothing was set there: nothing changed, nothing to audit
  } else {
    db.prepare(kPutConfig)
        .bind_text(1, kind)
        .bind_text(2, scope)
        .bind_text(3, settings)
        .bind_int(4, now_ms())
        .run();
  }
  insert_audit(db, audit);
  tx.commit();
}

void remove_user_assignments(Connection& db, std::string_view sip_uri) {
  db.prepare(kDeleteUserAssignments).bind_text(1, sip_uri).run();
}

}  // namespace parley::storage::sqlite
