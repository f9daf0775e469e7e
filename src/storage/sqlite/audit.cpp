#include "storage/sqlite/audit.hpp"

#include <algorithm>
#include <limits>

#include "common/time.hpp"
#include "storage/sqlite/input.hpp"

namespace parley::storage::sqlite {
namespace {

constexpr std::size_t kMaxListLimit = 1000;

// ---- SQL. Statements are cached by the address of these constants. ----

constexpr char kInsertAudit[] =
    "INSERT INTO audit_log (at_ms, actor, action, target, old_value, new_value)"
    " VALUES (?, ?, ?, ?, ?, ?) RETURNING id";
// AUTOINCREMENT ids only grow, so "older than the newest N" is a range on the primary key.
constexpr char kTrimAudit[] = "DELETE FROM audit_log WHERE id <= ?";
constexpr char kListAudit[] =
    "SELECT id, at_ms, actor, action, target, old_value, new_value FROM audit_log"
    " WHERE id < ? ORDER BY id DESC LIMIT ?";

}  // namespace

void check_audit(const AuditRecord& record) {
  check_size(record.actor, kMaxAuditFieldBytes, "the audit actor");
  check_size(record.action, kMaxAuditFieldBytes, "the audit action");
  check_size(record.target, kMaxAuditFieldBytes, "the audit target");
  check_size(record.old_value, kMaxAuditFieldBytes, "the audit old value");
  check_size(record.new_value, kMaxAuditFieldBytes, "the audit new value");
}

std::int64_t insert_audit(Connection& db, const AuditRecord& record) {
  std::int64_t id = 0;
  {
    Statement st = db.prepare(kInsertAudit);
    st.bind_int(1, record.at_ms != 0 ? record.at_ms : now_ms())
        .bind_text(2, record.actor)
        .bind_text(3, record.action)
        .bind_text(4, record.target)
        .bind_text(5, record.old_value)
        .bind_text(6, record.new_value);
    if (!st.step()) db.fail("insert audit entry returned no id");
    id = st.column_int(0);
    st.run();
  }
  if (id > kAuditLogRows) db.prepare(kTrimAudit).bind_int(1, id - kAuditLogRows).run();
  return id;
}

std::int64_t append_audit(Connection& db, const AuditRecord& record) {
  check_audit(record);
  Transaction tx(db);
  const std::int64_t id = insert_audit(db, record);
  tx.commit();
  return id;
}

std::vector<AuditRecord> list_audit(Connection& db, std::int64_t before_id, std::size_t limit) {
  std::vector<AuditRecord> out;
  const auto clamped = static_cast<std::int64_t>(std::clamp<std::size_t>(limit, 1, kMaxListLimit));
  const std::int64_t before =
      before_id == 0 ? std::numeric_limits<std::int64_t>::max() : before_id;
  Statement st = db.prepare(kListAudit);
  st.bind_int(1, before).bind_int(2, clamped);
  while (st.step()) {
    AuditRecord r;
    r.id = st.column_int(0);
    r.at_ms = st.column_int(1);
    r.actor = st.column_text(2);
    r.action = st.column_text(3);
    r.target = st.column_text(4);
    r.old_value = st.column_text(5);
    r.new_value = st.column_text(6);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace parley::storage::sqlite
