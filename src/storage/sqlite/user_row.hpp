#pragma once
// How a row of `users` is read, shared by the store and the directory search, internal to
// parley_storage. A statement that reads users selects PARLEY_SQLITE_USER_COLUMNS first, in this
// order, and hands the row to read_user().

#include "storage/sqlite/connection.hpp"
#include "storage/store.hpp"

#define PARLEY_SQLITE_USER_COLUMNS                                                               \
  "users.id, users.sip_uri, users.display_name, users.email, users.title, users.department, "   \
  "users.office, users.phone_work, users.phone_mobile, users.phone_home, users.phone_other, "   \
  "users.site, users.enabled, CASE WHEN users.password_hash <> '' THEN 1 ELSE 0 END, "           \
  "users.created_at_ms, users.updated_at_ms"

namespace parley::storage::sqlite {

inline User read_user(const Statement& st) {
  User u;
  u.id = st.column_int(0);
  u.sip_uri = st.column_text(1);
  u.profile.display_name = st.column_text(2);
  u.profile.email = st.column_text(3);
  u.profile.title = st.column_text(4);
  u.profile.department = st.column_text(5);
  u.profile.office = st.column_text(6);
  u.profile.phones.work = st.column_text(7);
  u.profile.phones.mobile = st.column_text(8);
  u.profile.phones.home = st.column_text(9);
  u.profile.phones.other = st.column_text(10);
  u.profile.site = st.column_text(11);
  u.enabled = st.column_bool(12);
  u.has_password = st.column_bool(13);
  u.created_at_ms = st.column_int(14);
  u.updated_at_ms = st.column_int(15);
  return u;
}

}  // namespace parley::storage::sqlite
