#pragma once
// The `signins` table of the SQLite store: the sign-in audit trail, internal to parley_storage.
// Each function runs on a connection the caller has to itself (the store holds its lock).
//
// Nothing here throws for over-long input: an attempt must be recorded even when the client sent
// garbage, so every field is cut on a UTF-8 boundary instead — username to 256 bytes, user_agent
// to 512, sip_uri to 1024, outcome, client_address and grant_type to 64, site to 16.

#include <cstdint>
#include <vector>

#include "storage/sqlite/connection.hpp"
#include "storage/store.hpp"

namespace parley::storage::sqlite {

// The log keeps the newest kSigninLogRows attempts. Trimming it on every append would cost a
// DELETE each time, so it happens on every kSigninTrimEvery-th id: the table may hold up to
// kSigninTrimEvery - 1 rows more than the bound between two trims, never more.
constexpr std::int64_t kSigninLogRows = 1'000'000;
constexpr std::int64_t kSigninTrimEvery = 1'000;

// Returns the new row's id. An `at_ms` of 0 is taken as "now".
std::int64_t append_signin(Connection& db, const SigninRecord& record);
// Newest first; `limit` is clamped to 1..1000.
std::vector<SigninRecord> list_signins(Connection& db, const SigninQuery& q);

}  // namespace parley::storage::sqlite
