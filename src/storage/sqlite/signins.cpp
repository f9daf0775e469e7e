#include "storage/sqlite/signins.hpp"

#include <algorithm>
#include <limits>

#include "common/time.hpp"
#include "storage/sqlite/input.hpp"

namespace parley::storage::sqlite {
namespace {

constexpr std::size_t kMaxUsernameBytes = 256;
constexpr std::size_t kMaxUserAgentBytes = 512;
constexpr std::size_t kMaxOutcomeBytes = 64;
constexpr std::size_t kMaxClientAddressBytes = 64;
constexpr std::size_t kMaxSiteBytes = 16;
constexpr std::size_t kMaxGrantTypeBytes = 64;
constexpr std::size_t kMaxListLimit = 1000;

// ---- SQL. Statements are cached by the address of these constants. ----

#define PARLEY_SIGNIN_COLUMNS \
  "id, at_ms, username, sip_uri, outcome, client_address, site, user_agent, grant_type"

constexpr char kAppendSignin[] =
    "INSERT INTO signins (at_ms, username, sip_uri, outcome, client_address, site, user_agent, "
    "grant_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
// Ids only grow (the newest row is never deleted, so SQLite never hands an id out twice), which
// makes "the oldest rows" a cheap range on the primary key.
constexpr char kTrimSignins[] = "DELETE FROM signins WHERE id <= ?";
constexpr char kListSignins[] =
    "SELECT " PARLEY_SIGNIN_COLUMNS " FROM signins WHERE id < ? ORDER BY id DESC LIMIT ?";
constexpr char kListSigninsOf[] = "SELECT " PARLEY_SIGNIN_COLUMNS
                                  " FROM signins WHERE sip_uri = ? AND id < ?"
                                  " ORDER BY id DESC LIMIT ?";

#undef PARLEY_SIGNIN_COLUMNS

SigninRecord read_signin(const Statement& st) {
  SigninRecord r;
  r.id = st.column_int(0);
  r.at_ms = st.column_int(1);
  r.username = st.column_text(2);
  r.sip_uri = st.column_text(3);
  r.outcome = st.column_text(4);
  r.client_address = st.column_text(5);
  r.site = st.column_text(6);
  r.user_agent = st.column_text(7);
  r.grant_type = st.column_text(8);
  return r;
}

}  // namespace

std::int64_t append_signin(Connection& db, const SigninRecord& record) {
  const std::string sip_uri = lower_ascii(truncate_utf8(record.sip_uri, kMaxSipUriBytes));
  Transaction tx(db);
  std::int64_t id = 0;
  {
    Statement st = db.prepare(kAppendSignin);
    st.bind_int(1, record.at_ms != 0 ? record.at_ms : now_ms())
        .bind_text(2, truncate_utf8(record.username, kMaxUsernameBytes))
        .bind_text(3, sip_uri)
        .bind_text(4, truncate_utf8(record.outcome, kMaxOutcomeBytes))
        .bind_text(5, truncate_utf8(record.client_address, kMaxClientAddressBytes))
        .bind_text(6, truncate_utf8(record.site, kMaxSiteBytes))
        .bind_text(7, truncate_utf8(record.user_agent, kMaxUserAgentBytes))
        .bind_text(8, truncate_utf8(record.grant_type, kMaxGrantTypeBytes));
    if (!st.step()) db.fail("insert sign-in returned no id");
    id = st.column_int(0);
    st.run();
  }
  if (id % kSigninTrimEvery == 0 && id > kSigninLogRows)
    db.prepare(kTrimSignins).bind_int(1, id - kSigninLogRows).run();
  tx.commit();
  return id;
}

std::vector<SigninRecord> list_signins(Connection& db, const SigninQuery& q) {
  std::vector<SigninRecord> out;
  const auto limit = static_cast<std::int64_t>(std::clamp<std::size_t>(q.limit, 1, kMaxListLimit));
  const std::int64_t before =
      q.before_id == 0 ? std::numeric_limits<std::int64_t>::max() : q.before_id;
  if (q.sip_uri.empty()) {
    Statement st = db.prepare(kListSignins);
    st.bind_int(1, before).bind_int(2, limit);
    while (st.step()) out.push_back(read_signin(st));
    return out;
  }
  const auto uri = uri_for_lookup(q.sip_uri);
  if (!uri) return out;
  Statement st = db.prepare(kListSigninsOf);
  st.bind_text(1, *uri).bind_int(2, before).bind_int(3, limit);
  while (st.step()) out.push_back(read_signin(st));
  return out;
}

}  // namespace parley::storage::sqlite
