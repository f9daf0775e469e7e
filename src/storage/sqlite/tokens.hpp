#pragma once
// The `tokens` table of the SQLite store, internal to parley_storage. Each function runs on a
// connection the caller has to itself (the store holds its lock); see Store for the contract.
//
// Limits: token_sha256 is exactly 64 hex digits (kept lower-case); client_address at most 64
// bytes, site 16, grant_type 64 (ParameterValidationFailure beyond); user_agent is cut to 512
// bytes on a UTF-8 boundary, since a client's own header need not be kept whole.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "storage/sqlite/connection.hpp"
#include "storage/store.hpp"

namespace parley::storage::sqlite {

void insert_token(Connection& db, const TokenRecord& token);
std::optional<TokenRecord> find_token(Connection& db, std::string_view token_sha256);
// Newest first (by issued_at_ms).
std::vector<TokenRecord> list_tokens(Connection& db, std::string_view sip_uri);
std::size_t revoke_user_tokens(Connection& db, std::string_view sip_uri);
// For callers that already hold the user's row id, inside their own transaction.
std::size_t revoke_tokens_of_user_id(Connection& db, std::int64_t user_id);
bool revoke_token(Connection& db, std::string_view token_sha256);
std::size_t purge_expired_tokens(Connection& db, std::int64_t now_ms);

}  // namespace parley::storage::sqlite
