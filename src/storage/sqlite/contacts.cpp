#include "storage/sqlite/contacts.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <sqlite3.h>

#include "common/error.hpp"
#include "common/time.hpp"
#include "storage/sqlite/input.hpp"

namespace parley::storage::sqlite {
namespace {

constexpr std::string_view kPinned = "pinned";
constexpr std::string_view kDefault = "default";
constexpr std::string_view kUserKind = "user";

// ---- SQL. Statements are cached by the address of these constants. ----

constexpr char kOwnerId[] = "SELECT id FROM users WHERE sip_uri = ?";
constexpr char kCountBuiltins[] =
    "SELECT COUNT(*) FROM contact_groups WHERE owner_id = ? AND kind IN ('pinned', 'default')";
// Idempotent: a built-in group the owner already has is left alone.
constexpr char kEnsureBuiltin[] =
    "INSERT INTO contact_groups (owner_id, name, kind, name_folded)"
    " SELECT ?1, ?2, ?3, ?4"
    " WHERE NOT EXISTS (SELECT 1 FROM contact_groups WHERE owner_id = ?1 AND kind = ?3)";
constexpr char kListGroups[] =
    "SELECT id, name, kind FROM contact_groups WHERE owner_id = ?"
    " ORDER BY CASE kind WHEN 'pinned' THEN 0 WHEN 'default' THEN 1 ELSE 2 END, name_folded, id";
constexpr char kCountGroups[] = "SELECT COUNT(*) FROM contact_groups WHERE owner_id = ?";
constexpr char kInsertGroup[] =
    "INSERT INTO contact_groups (owner_id, name, kind, name_folded) VALUES (?, ?, 'user', ?)"
    " RETURNING id";
constexpr char kGroupKind[] = "SELECT kind FROM contact_groups WHERE id = ? AND owner_id = ?";
constexpr char kRenameGroup[] =
    "UPDATE contact_groups SET name = ?, name_folded = ? WHERE id = ? AND owner_id = ?";
constexpr char kRemoveGroup[] = "DELETE FROM contact_groups WHERE id = ? AND owner_id = ?";

constexpr char kListMemberships[] =
    "SELECT m.contact_uri, m.group_id, m.added_at_ms FROM group_memberships m"
    " JOIN users u ON u.id = m.owner_id WHERE u.sip_uri = ?"
    " ORDER BY m.contact_uri, m.group_id";
constexpr char kHasMembership[] =
    "SELECT 1 FROM group_memberships WHERE owner_id = ? AND contact_uri = ? AND group_id = ?";
constexpr char kHasContact[] =
    "SELECT 1 FROM group_memberships WHERE owner_id = ? AND contact_uri = ? LIMIT 1";
constexpr char kCountContacts[] =
    "SELECT COUNT(DISTINCT contact_uri) FROM group_memberships WHERE owner_id = ?";
constexpr char kInsertMembership[] =
    "INSERT INTO group_memberships (owner_id, contact_uri, group_id, added_at_ms)"
    " VALUES (?, ?, ?, ?)";
constexpr char kRemoveMembership[] =
    "DELETE FROM group_memberships WHERE owner_id = (SELECT id FROM users WHERE sip_uri = ?)"
    " AND contact_uri = ? AND group_id = ?";
constexpr char kRemoveContact[] =
    "DELETE FROM group_memberships WHERE owner_id = (SELECT id FROM users WHERE sip_uri = ?)"
    " AND contact_uri = ?";

std::optional<std::int64_t> owner_id(Connection& db, std::string_view owner) {
  const auto uri = uri_for_lookup(owner);
  if (!uri) return std::nullopt;
  Statement st = db.prepare(kOwnerId);
  st.bind_text(1, *uri);
  if (!st.step()) return std::nullopt;
  return st.column_int(0);
}

std::int64_t owner_id_or_throw(Connection& db, std::string_view owner) {
  const auto id = owner_id(db, owner);
  if (!id) throw NotFound(fmt::format("no user {}", owner.substr(0, kMaxSipUriBytes)));
  return *id;
}

std::int64_t count(Connection& db, const char* sql, std::int64_t owner) {
  Statement st = db.prepare(sql);
  st.bind_int(1, owner);
  if (!st.step()) db.fail(sql);
  return st.column_int(0);
}

void ensure_builtins(Connection& db, std::int64_t owner) {
  db.prepare(kEnsureBuiltin)
      .bind_int(1, owner)
      .bind_text(2, "Favorites")
      .bind_text(3, kPinned)
      .bind_text(4, "favorites")
      .run();
  db.prepare(kEnsureBuiltin)
      .bind_int(1, owner)
      .bind_text(2, "Other Contacts")
      .bind_text(3, kDefault)
      .bind_text(4, "other contacts")
      .run();
}

// Names are shown in every client's contact list: no control characters, and not blank.
void check_group_name(std::string_view name) {
  const bool blank = std::all_of(name.begin(), name.end(), [](char c) { return c == ' '; });
  if (name.empty() || blank) throw ParameterValidationFailure("the group name is empty");
  const auto chars = std::count_if(name.begin(), name.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
  if (static_cast<std::size_t>(chars) > kMaxGroupNameChars)
    throw ParameterValidationFailure(fmt::format(
        "the group name is {} characters long; at most {} are allowed", chars,
        kMaxGroupNameChars));
  const bool control = std::any_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (control) throw ParameterValidationFailure("the group name holds a control character");
}

// "sip:Bob@Example.org" and "bob@example.org" are the same contact.
std::string contact_key(std::string_view contact_uri) {
  std::string key = lower_ascii(contact_uri);
  if (key.starts_with("sip:")) key.erase(0, 4);
  return key;
}

std::string checked_contact(std::string_view contact_uri) {
  std::string key = contact_key(contact_uri);
  if (key.empty()) throw ParameterValidationFailure("the contact URI is empty");
  check_size(key, kMaxSipUriBytes, "the contact URI");
  return key;
}

// The kind of the owner's group; nullopt when she has no such group.
std::optional<std::string> group_kind(Connection& db, std::int64_t owner, std::int64_t group_id) {
  Statement st = db.prepare(kGroupKind);
  st.bind_int(1, group_id).bind_int(2, owner);
  if (!st.step()) return std::nullopt;
  return st.column_text(0);
}

[[noreturn]] void refuse_builtin(std::string_view action) {
  throw Forbidden(fmt::format("a built-in group cannot be {}", action));
}

}  // namespace

std::vector<ContactGroup> list_groups(Connection& db, std::string_view owner) {
  std::vector<ContactGroup> groups;
  auto id = owner_id(db, owner);
  if (!id) return groups;
  if (count(db, kCountBuiltins, *id) < 2) {
    // Re-resolve under the write lock: the user may have gone meanwhile (the CLI, in another
    // process), and the foreign key would refuse her groups.
    Transaction tx(db);
    id = owner_id(db, owner);
    if (!id) return groups;
    ensure_builtins(db, *id);
    tx.commit();
  }
  Statement st = db.prepare(kListGroups);
  st.bind_int(1, *id);
  while (st.step()) {
    ContactGroup g;
    g.id = st.column_int(0);
    g.name = st.column_text(1);
    g.kind = st.column_text(2);
    groups.push_back(std::move(g));
  }
  return groups;
}

ContactGroup create_group(Connection& db, std::string_view owner, std::string_view name) {
  check_group_name(name);
  Transaction tx(db);
  const std::int64_t id = owner_id_or_throw(db, owner);
  ensure_builtins(db, id);
  if (count(db, kCountGroups, id) >= static_cast<std::int64_t>(kMaxGroupsPerOwner))
    throw Forbidden(fmt::format("a contact list holds at most {} groups", kMaxGroupsPerOwner),
                    "LimitExceeded");
  ContactGroup group;
  try {
    Statement st = db.prepare(kInsertGroup);
    st.bind_int(1, id).bind_text(2, name).bind_text(3, lower_ascii(name));
    if (!st.step()) db.fail("insert group returned no id");
    group.id = st.column_int(0);
    st.run();
  } catch (const SqliteError& e) {
    if (e.code() == SQLITE_CONSTRAINT_UNIQUE)
      throw Conflict(fmt::format("there is already a group named \"{}\"", name));
    throw;
  }
  tx.commit();
  group.name = std::string(name);
  group.kind = std::string(kUserKind);
  return group;
}

bool rename_group(Connection& db, std::string_view owner, std::int64_t group_id,
                  std::string_view name) {
  check_group_name(name);
  Transaction tx(db);
  const auto id = owner_id(db, owner);
  if (!id) return false;
  const auto kind = group_kind(db, *id, group_id);
  if (!kind) return false;
  if (*kind != kUserKind) refuse_builtin("renamed");
  try {
    db.prepare(kRenameGroup)
        .bind_text(1, name)
        .bind_text(2, lower_ascii(name))
        .bind_int(3, group_id)
        .bind_int(4, *id)
        .run();
  } catch (const SqliteError& e) {
    if (e.code() == SQLITE_CONSTRAINT_UNIQUE)
      throw Conflict(fmt::format("there is already a group named \"{}\"", name));
    throw;
  }
  tx.commit();
  return true;
}

bool remove_group(Connection& db, std::string_view owner, std::int64_t group_id) {
  Transaction tx(db);
  const auto id = owner_id(db, owner);
  if (!id) return false;
  const auto kind = group_kind(db, *id, group_id);
  if (!kind) return false;
  if (*kind != kUserKind) refuse_builtin("removed");
  // Its memberships go with it, through ON DELETE CASCADE.
  db.prepare(kRemoveGroup).bind_int(1, group_id).bind_int(2, *id).run();
  tx.commit();
  return true;
}

std::vector<GroupMembership> list_memberships(Connection& db, std::string_view owner) {
  std::vector<GroupMembership> memberships;
  const auto uri = uri_for_lookup(owner);
  if (!uri) return memberships;
  Statement st = db.prepare(kListMemberships);
  st.bind_text(1, *uri);
  while (st.step()) {
    GroupMembership m;
    m.contact_uri = st.column_text(0);
    m.group_id = st.column_int(1);
    m.added_at_ms = st.column_int(2);
    memberships.push_back(std::move(m));
  }
  return memberships;
}

bool add_membership(Connection& db, std::string_view owner, std::string_view contact_uri,
                    std::int64_t group_id) {
  const std::string contact = checked_contact(contact_uri);
  Transaction tx(db);
  const auto id = owner_id(db, owner);
  if (!id || !group_kind(db, *id, group_id))
    throw NotFound(fmt::format("no group {} in the contact list of {}", group_id,
                               owner.substr(0, kMaxSipUriBytes)));
  {
    Statement st = db.prepare(kHasMembership);
    st.bind_int(1, *id).bind_text(2, contact).bind_int(3, group_id);
    if (st.step()) return false;
  }
  bool known = false;
  {
    Statement st = db.prepare(kHasContact);
    st.bind_int(1, *id).bind_text(2, contact);
    known = st.step();
  }
  // Only a new contact counts against the limit: filing a known one in another group is free.
  if (!known &&
      count(db, kCountContacts, *id) >= static_cast<std::int64_t>(kMaxContactsPerOwner))
    throw Forbidden(
        fmt::format("a contact list holds at most {} contacts", kMaxContactsPerOwner),
        "LimitExceeded");
  db.prepare(kInsertMembership)
      .bind_int(1, *id)
      .bind_text(2, contact)
      .bind_int(3, group_id)
      .bind_int(4, now_ms())
      .run();
  tx.commit();
  return true;
}

bool remove_membership(Connection& db, std::string_view owner, std::string_view contact_uri,
                       std::int64_t group_id) {
  const auto uri = uri_for_lookup(owner);
  if (!uri) return false;
  db.prepare(kRemoveMembership)
      .bind_text(1, *uri)
      .bind_text(2, contact_key(contact_uri))
      .bind_int(3, group_id)
      .run();
  return db.changes() > 0;
}

std::size_t remove_contact(Connection& db, std::string_view owner, std::string_view contact_uri) {
  const auto uri = uri_for_lookup(owner);
  if (!uri) return 0;
  db.prepare(kRemoveContact).bind_text(1, *uri).bind_text(2, contact_key(contact_uri)).run();
  return static_cast<std::size_t>(db.changes());
}

}  // namespace parley::storage::sqlite
