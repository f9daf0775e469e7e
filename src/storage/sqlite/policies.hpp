#pragma once
// Named policies, their assignments and service configuration in the SQLite store (`policies`,
// `policy_assignments`, `service_config`), internal to parley_storage. Each function runs on a
// connection the caller has to itself (the store holds its lock); see Store for the contract.
//
// Every write checks all of its input, its audit record included, before it starts, and writes
// the audit record in the same transaction as the change: a refused change (an exception) leaves
// neither behind. A write that changes nothing (removing an assignment or a configuration entry
// that is not there) writes no audit record either.
//
// Limits (ParameterValidationFailure on a write; lookups that break one find nothing):
// - kind: 1..64 characters of [A-Za-z0-9._-], kept lower-case (kinds compare case-insensitively);
// - policy name: 1..64 characters of [A-Za-z0-9._-], compared case-insensitively, kept as
//   spelled when the policy was created (replacing it later does not respell it);
// - settings: 1 byte..16 KiB for a policy; up to 16 KiB for service configuration, where empty
//   removes the entry;
// - assignment scope: "site" or "user"; key: a site name of 1..4096 bytes as given, or a SIP URI
//   of 1..1024 bytes, kept lower-case;
// - configuration scope: 1..4101 bytes ("site:" and a site name), as given.
//
// Assigning a policy to a user who does not exist is NotFound, like assigning one that does not
// exist: an assignment left waiting under an address would silently apply to whoever is created
// with it later.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/sqlite/connection.hpp"
#include "storage/store.hpp"

namespace parley::storage::sqlite {

constexpr std::size_t kMaxPolicyNameChars = 64;
constexpr std::size_t kMaxPolicySettingsBytes = 16 * 1024;
constexpr std::size_t kMaxSiteNameBytes = 4096;

std::vector<NamedPolicy> list_policies(Connection& db, std::string_view kind);
std::optional<NamedPolicy> find_policy(Connection& db, std::string_view kind,
                                       std::string_view name);
void put_policy(Connection& db, const NamedPolicy& policy, bool create_only,
                const AuditRecord& audit);
bool remove_policy(Connection& db, std::string_view kind, std::string_view name,
                   const AuditRecord& audit);
void assign_policy(Connection& db, const PolicyAssignment& assignment, const AuditRecord& audit);
std::vector<PolicyAssignment> list_assignments(Connection& db, std::string_view kind);

std::optional<std::string> get_service_config(Connection& db, std::string_view kind,
                                              std::string_view scope);
std::vector<std::pair<std::string, std::string>> list_service_config(Connection& db,
                                                                     std::string_view kind);
void put_service_config(Connection& db, std::string_view kind, std::string_view scope,
                        std::string_view settings, const AuditRecord& audit);

// The user-scope assignments of a user being removed; the caller holds the transaction that
// removes her. `sip_uri` is in stored form.
void remove_user_assignments(Connection& db, std::string_view sip_uri);

}  // namespace parley::storage::sqlite
