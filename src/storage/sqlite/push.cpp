#include "storage/sqlite/push.hpp"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sqlite3.h>

#include "common/error.hpp"
#include "common/time.hpp"
#include "storage/sqlite/input.hpp"

namespace parley::storage::sqlite {
namespace {

// ---- SQL. Statements are cached by the address of these constants. ----

#define PARLEY_SQLITE_PUSH_COLUMNS                                                            \
  "id, owner, endpoint_id, provider, token, p256dh, auth, app_id, environment, voip, locale," \
  " device_name, created_at_ms, updated_at_ms, last_attempt_ms, last_success_ms, last_status," \
  " last_error, voip_token"

constexpr char kFindById[] =
    "SELECT " PARLEY_SQLITE_PUSH_COLUMNS " FROM push_registrations WHERE id = ?";
constexpr char kFindByEndpoint[] =
    "SELECT " PARLEY_SQLITE_PUSH_COLUMNS
    " FROM push_registrations WHERE owner = ? AND endpoint_id = ?";
// Walks push_registrations_by_owner: no sort.
constexpr char kListByOwner[] =
    "SELECT " PARLEY_SQLITE_PUSH_COLUMNS
    " FROM push_registrations WHERE owner = ? ORDER BY created_at_ms, id";
constexpr char kCountByOwner[] = "SELECT COUNT(*) FROM push_registrations WHERE owner = ?";
constexpr char kInsert[] =
    "INSERT INTO push_registrations (id, owner, endpoint_id, provider, token, p256dh, auth,"
    " app_id, environment, voip, locale, device_name, created_at_ms, updated_at_ms, voip_token)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
// A re-registration may carry a new token: what the old one did says nothing about it.
constexpr char kReplace[] =
    "UPDATE push_registrations SET provider = ?, token = ?, p256dh = ?, auth = ?, app_id = ?,"
    " environment = ?, voip = ?, locale = ?, device_name = ?, updated_at_ms = ?, voip_token = ?,"
    " last_attempt_ms = 0, last_success_ms = 0, last_status = 0, last_error = ''"
    " WHERE id = ?";
constexpr char kDelete[] = "DELETE FROM push_registrations WHERE id = ?";
constexpr char kRecordSuccess[] =
    "UPDATE push_registrations SET last_attempt_ms = ?, last_success_ms = ?, last_status = ?,"
    " last_error = '' WHERE id = ?";
constexpr char kRecordFailure[] =
    "UPDATE push_registrations SET last_attempt_ms = ?, last_status = ?, last_error = ?"
    " WHERE id = ?";
constexpr char kDeleteUserRegistrations[] = "DELETE FROM push_registrations WHERE owner = ?";

// ---- Input checks ----

bool valid_id(std::string_view id) { return !id.empty() && id.size() <= kMaxPushIdBytes; }

bool valid_endpoint_id(std::string_view endpoint_id) {
  return !endpoint_id.empty() && endpoint_id.size() <= kMaxPushEndpointIdBytes;
}

void check_not_empty(std::string_view value, std::string_view what) {
  if (value.empty()) throw ParameterValidationFailure(fmt::format("{} is empty", what));
}

void check_chars(std::string_view value, std::size_t max, std::string_view what) {
  if (const std::size_t chars = utf8_length(value); chars > max)
    throw ParameterValidationFailure(fmt::format(
        "{} is {} characters long; at most {} are allowed", what, chars, max));
}

void check_registration(const PushRegistration& r) {
  check_not_empty(r.id, "the push registration id");
  check_size(r.id, kMaxPushIdBytes, "the push registration id");
  check_not_empty(r.endpoint_id, "the endpoint id");
  check_size(r.endpoint_id, kMaxPushEndpointIdBytes, "the endpoint id");
  check_one_of(r.provider, {"apns", "fcm", "webpush"}, "the push provider");
  check_not_empty(r.token, "the push token");
  check_size(r.token, kMaxPushTokenBytes, "the push token");
  check_size(r.voip_token, kMaxPushTokenBytes, "the VoIP push token");
  if (!r.voip_token.empty() && (r.provider != "apns" || r.voip))
    throw ParameterValidationFailure(
        "a VoIP push token goes beside an APNs alert token only (not with fcm, webpush or voip)");
  check_size(r.p256dh, kMaxPushKeyBytes, "the p256dh key");
  check_size(r.auth, kMaxPushKeyBytes, "the auth key");
  check_size(r.app_id, kMaxPushAppIdBytes, "the app id");
  check_one_of(r.environment, {"production", "development"}, "the push environment");
  check_chars(r.locale, kMaxPushLocaleChars, "the locale");
  check_chars(r.device_name, kMaxPushDeviceNameChars, "the device name");
}

// Reads a row of PARLEY_SQLITE_PUSH_COLUMNS.
PushRegistration read_registration(const Statement& st) {
  PushRegistration r;
  r.id = st.column_text(0);
  r.owner = st.column_text(1);
  r.endpoint_id = st.column_text(2);
  r.provider = st.column_text(3);
  r.token = st.column_text(4);
  r.p256dh = st.column_text(5);
  r.auth = st.column_text(6);
  r.app_id = st.column_text(7);
  r.environment = st.column_text(8);
  r.voip = st.column_bool(9);
  r.locale = st.column_text(10);
  r.device_name = st.column_text(11);
  r.created_at_ms = st.column_int(12);
  r.updated_at_ms = st.column_int(13);
  r.last_attempt_ms = st.column_int(14);
  r.last_success_ms = st.column_int(15);
  r.last_status = st.column_int(16);
  r.last_error = st.column_text(17);
  r.voip_token = st.column_text(18);
  return r;
}

std::optional<PushRegistration> find_by_id(Connection& db, std::string_view id) {
  Statement st = db.prepare(kFindById);
  st.bind_text(1, id);
  if (!st.step()) return std::nullopt;
  return read_registration(st);
}

std::optional<PushRegistration> find_by_endpoint(Connection& db, std::string_view owner,
                                                 std::string_view endpoint_id) {
  Statement st = db.prepare(kFindByEndpoint);
  st.bind_text(1, owner).bind_text(2, endpoint_id);
  if (!st.step()) return std::nullopt;
  return read_registration(st);
}

std::int64_t count_of(Connection& db, std::string_view owner) {
  Statement st = db.prepare(kCountByOwner);
  st.bind_text(1, owner);
  if (!st.step()) db.fail(kCountByOwner);
  return st.column_int(0);
}

}  // namespace

PushRegistration put_push_registration(Connection& db, const PushRegistration& r) {
  check_registration(r);
  const std::string owner = uri_for_write(r.owner);
  const std::int64_t now = r.updated_at_ms != 0 ? r.updated_at_ms : now_ms();

  Transaction tx(db);
  if (const auto taken = find_by_id(db, r.id);
      taken && (taken->owner != owner || taken->endpoint_id != r.endpoint_id))
    throw Conflict(fmt::format("push registration {} belongs to another device", r.id));

  const std::optional<PushRegistration> existing = find_by_endpoint(db, owner, r.endpoint_id);
  std::string id;
  if (existing) {
    id = existing->id;
    db.prepare(kReplace)
        .bind_text(1, r.provider)
        .bind_text(2, r.token)
        .bind_text(3, r.p256dh)
        .bind_text(4, r.auth)
        .bind_text(5, r.app_id)
        .bind_text(6, r.environment)
        .bind_bool(7, r.voip)
        .bind_text(8, r.locale)
        .bind_text(9, r.device_name)
        .bind_int(10, now)
        .bind_text(11, r.voip_token)
        .bind_text(12, id)
        .run();
  } else {
    if (count_of(db, owner) >= static_cast<std::int64_t>(kMaxPushRegistrationsPerOwner))
      throw Conflict(fmt::format("{} has {} push registrations already; remove one first", owner,
                                 kMaxPushRegistrationsPerOwner));
    id = r.id;
    try {
      db.prepare(kInsert)
          .bind_text(1, id)
          .bind_text(2, owner)
          .bind_text(3, r.endpoint_id)
          .bind_text(4, r.provider)
          .bind_text(5, r.token)
          .bind_text(6, r.p256dh)
          .bind_text(7, r.auth)
          .bind_text(8, r.app_id)
          .bind_text(9, r.environment)
          .bind_bool(10, r.voip)
          .bind_text(11, r.locale)
          .bind_text(12, r.device_name)
          .bind_int(13, r.created_at_ms != 0 ? r.created_at_ms : now)
          .bind_int(14, now)
          .bind_text(15, r.voip_token)
          .run();
    } catch (const SqliteError& e) {
      if (e.code() == SQLITE_CONSTRAINT_PRIMARYKEY || e.code() == SQLITE_CONSTRAINT_UNIQUE)
        throw Conflict(fmt::format("push registration {} already exists", id));
      throw;
    }
  }
  std::optional<PushRegistration> stored = find_by_id(db, id);
  if (!stored) db.fail("push registration vanished while being written");
  tx.commit();
  return std::move(*stored);
}

std::optional<PushRegistration> find_push_registration(Connection& db, std::string_view id) {
  if (!valid_id(id)) return std::nullopt;
  return find_by_id(db, id);
}

std::optional<PushRegistration> find_push_registration_of(Connection& db, std::string_view owner,
                                                          std::string_view endpoint_id) {
  const auto uri = uri_for_lookup(owner);
  if (!uri || !valid_endpoint_id(endpoint_id)) return std::nullopt;
  return find_by_endpoint(db, *uri, endpoint_id);
}

std::vector<PushRegistration> list_push_registrations(Connection& db, std::string_view owner) {
  std::vector<PushRegistration> out;
  const auto uri = uri_for_lookup(owner);
  if (!uri) return out;
  Statement st = db.prepare(kListByOwner);
  st.bind_text(1, *uri);
  while (st.step()) out.push_back(read_registration(st));
  return out;
}

bool delete_push_registration(Connection& db, std::string_view id) {
  if (!valid_id(id)) return false;
  db.prepare(kDelete).bind_text(1, id).run();
  return db.changes() > 0;
}

bool record_push_attempt(Connection& db, std::string_view id, std::int64_t at_ms, bool success,
                         std::int64_t status, std::string_view error) {
  if (!valid_id(id)) return false;
  if (success) {
    db.prepare(kRecordSuccess)
        .bind_int(1, at_ms)
        .bind_int(2, at_ms)
        .bind_int(3, status)
        .bind_text(4, id)
        .run();
  } else {
    db.prepare(kRecordFailure)
        .bind_int(1, at_ms)
        .bind_int(2, status)
        .bind_text(3, truncate_utf8(error, kMaxPushErrorBytes))
        .bind_text(4, id)
        .run();
  }
  return db.changes() > 0;
}

void remove_user_push_registrations(Connection& db, std::string_view sip_uri) {
  db.prepare(kDeleteUserRegistrations).bind_text(1, sip_uri).run();
}

}  // namespace parley::storage::sqlite
