#pragma once
// The administrative audit trail of the SQLite store (`audit_log`), internal to parley_storage.
// Each function runs on a connection the caller has to itself (the store holds its lock).
//
// Unlike the sign-in log, nothing here is cut short: an audit entry that could not be kept whole
// would misstate what changed. Each of actor, action, target, old_value and new_value is at most
// kMaxAuditFieldBytes (ParameterValidationFailure beyond), checked before anything is written.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "storage/sqlite/connection.hpp"
#include "storage/store.hpp"

namespace parley::storage::sqlite {

constexpr std::size_t kMaxAuditFieldBytes = 16 * 1024;
// The log keeps the entries with the newest kAuditLogRows ids; each append deletes what falls
// out of that window (one range seek on the primary key, nothing to do most of the time).
constexpr std::int64_t kAuditLogRows = 100'000;

// Throws ParameterValidationFailure when a field is too long.
void check_audit(const AuditRecord& record);

// Writes the record inside the caller's transaction, so it is kept exactly when the change it
// describes is. An `at_ms` of 0 is taken as "now". Returns the new id. Call check_audit first.
std::int64_t insert_audit(Connection& db, const AuditRecord& record);

// An entry on its own, in its own transaction.
std::int64_t append_audit(Connection& db, const AuditRecord& record);

// Newest first, ids below `before_id` (0: from the newest); `limit` is clamped to 1..1000.
std::vector<AuditRecord> list_audit(Connection& db, std::int64_t before_id, std::size_t limit);

}  // namespace parley::storage::sqlite
