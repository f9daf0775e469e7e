#pragma once
// Address-book search over the `directory_terms` table of the SQLite store, internal to
// parley_storage. Each function runs on a connection the caller has to itself (the store holds
// its lock); see Store::search_directory for the contract.
//
// Every string a user can be found by is kept folded (ASCII letters lower-cased, runs of blanks
// made one space; phone numbers as digits only), so that a prefix query is one range scan of an
// index instead of a pass over every user. Letters outside ASCII are compared as they are.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "storage/sqlite/connection.hpp"
#include "storage/store.hpp"

namespace parley::storage::sqlite {

constexpr std::size_t kMaxSearchQueryChars = 256;

// Replaces the search terms of one user. Callers run it inside the transaction that writes the
// user, so the index never disagrees with the row.
void index_user(Connection& db, std::int64_t user_id, std::string_view sip_uri,
                const UserProfile& profile);
// Recomputes the terms of every user; for the migration that introduced the table.
void index_all_users(Connection& db);

// Throws ParameterValidationFailure for a query longer than kMaxSearchQueryChars characters.
std::vector<User> search_directory(Connection& db, std::string_view query, std::size_t limit);

}  // namespace parley::storage::sqlite
