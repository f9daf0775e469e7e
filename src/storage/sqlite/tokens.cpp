#include "storage/sqlite/tokens.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include "common/error.hpp"
#include "storage/sqlite/input.hpp"

namespace parley::storage::sqlite {
namespace {

constexpr std::size_t kTokenHashHexDigits = 64;  // SHA-256
constexpr std::size_t kMaxClientAddressBytes = 64;
constexpr std::size_t kMaxUserAgentBytes = 512;
constexpr std::size_t kMaxSiteBytes = 16;
constexpr std::size_t kMaxGrantTypeBytes = 64;

// ---- SQL. Statements are cached by the address of these constants. ----

#define PARLEY_TOKEN_COLUMNS                                                                  \
  "t.token_sha256, u.sip_uri, t.issued_at_ms, t.expires_at_ms, t.client_address, t.user_agent, " \
  "t.site, t.grant_type"

// One statement resolves the user and inserts, so a user removed meanwhile (by the CLI, in
// another process) cannot leave a token behind: no row is inserted and we report NotFound.
constexpr char kInsertToken[] =
    "INSERT INTO tokens (token_sha256, user_id, issued_at_ms, expires_at_ms, client_address, "
    "user_agent, site, grant_type) "
    "SELECT ?1, id, ?3, ?4, ?5, ?6, ?7, ?8 FROM users WHERE sip_uri = ?2";
constexpr char kFindToken[] = "SELECT " PARLEY_TOKEN_COLUMNS
                              " FROM tokens t JOIN users u ON u.id = t.user_id"
                              " WHERE t.token_sha256 = ?";
constexpr char kListTokens[] = "SELECT " PARLEY_TOKEN_COLUMNS
                               " FROM tokens t JOIN users u ON u.id = t.user_id"
                               " WHERE u.sip_uri = ? ORDER BY t.issued_at_ms DESC, t.token_sha256";
constexpr char kRevokeUserTokens[] =
    "DELETE FROM tokens WHERE user_id IN (SELECT id FROM users WHERE sip_uri = ?)";
constexpr char kRevokeTokensOfUserId[] = "DELETE FROM tokens WHERE user_id = ?";
constexpr char kRevokeToken[] = "DELETE FROM tokens WHERE token_sha256 = ?";
constexpr char kPurgeExpiredTokens[] = "DELETE FROM tokens WHERE expires_at_ms < ?";

#undef PARLEY_TOKEN_COLUMNS

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The stored form of a token hash; nullopt when it is not 64 hex digits. Upper-case digits are
// accepted and folded, so a hash from any hex encoder finds the same row.
std::optional<std::string> token_key(std::string_view token_sha256) {
  if (token_sha256.size() != kTokenHashHexDigits) return std::nullopt;
  for (const char c : token_sha256)
    if (!is_hex_digit(c)) return std::nullopt;
  return lower_ascii(token_sha256);
}

TokenRecord read_token(const Statement& st) {
  TokenRecord t;
  t.token_sha256 = st.column_text(0);
  t.sip_uri = st.column_text(1);
  t.issued_at_ms = st.column_int(2);
  t.expires_at_ms = st.column_int(3);
  t.client_address = st.column_text(4);
  t.user_agent = st.column_text(5);
  t.site = st.column_text(6);
  t.grant_type = st.column_text(7);
  return t;
}

std::size_t changed_rows(const Connection& db) {
  return static_cast<std::size_t>(db.changes());
}

}  // namespace

void insert_token(Connection& db, const TokenRecord& token) {
  const auto key = token_key(token.token_sha256);
  if (!key)
    throw ParameterValidationFailure(fmt::format(
        "the token hash must be {} hex digits (a SHA-256); got {} bytes", kTokenHashHexDigits,
        token.token_sha256.size()));
  check_size(token.client_address, kMaxClientAddressBytes, "the client address");
  check_size(token.site, kMaxSiteBytes, "the site");
  check_size(token.grant_type, kMaxGrantTypeBytes, "the grant type");
  const auto uri = uri_for_lookup(token.sip_uri);
  if (!uri) throw NotFound(fmt::format("no user {}", token.sip_uri.substr(0, kMaxSipUriBytes)));

  try {
    db.prepare(kInsertToken)
        .bind_text(1, *key)
        .bind_text(2, *uri)
        .bind_int(3, token.issued_at_ms)
        .bind_int(4, token.expires_at_ms)
        .bind_text(5, token.client_address)
        .bind_text(6, truncate_utf8(token.user_agent, kMaxUserAgentBytes))
        .bind_text(7, token.site)
        .bind_text(8, token.grant_type)
        .run();
  } catch (const SqliteError& e) {
    // The hash is a credential's fingerprint: it stays out of the message.
    if (e.code() == SQLITE_CONSTRAINT_PRIMARYKEY || e.code() == SQLITE_CONSTRAINT_UNIQUE)
      throw Conflict("a token with this hash already exists");
    throw;
  }
  if (db.changes() == 0) throw NotFound(fmt::format("no user {}", *uri));
}

std::optional<TokenRecord> find_token(Connection& db, std::string_view token_sha256) {
  const auto key = token_key(token_sha256);
  if (!key) return std::nullopt;
  Statement st = db.prepare(kFindToken);
  st.bind_text(1, *key);
  if (!st.step()) return std::nullopt;
  return read_token(st);
}

std::vector<TokenRecord> list_tokens(Connection& db, std::string_view sip_uri) {
  std::vector<TokenRecord> tokens;
  const auto uri = uri_for_lookup(sip_uri);
  if (!uri) return tokens;
  Statement st = db.prepare(kListTokens);
  st.bind_text(1, *uri);
  while (st.step()) tokens.push_back(read_token(st));
  return tokens;
}

std::size_t revoke_user_tokens(Connection& db, std::string_view sip_uri) {
  const auto uri = uri_for_lookup(sip_uri);
  if (!uri) return 0;
  db.prepare(kRevokeUserTokens).bind_text(1, *uri).run();
  return changed_rows(db);
}

std::size_t revoke_tokens_of_user_id(Connection& db, std::int64_t user_id) {
  db.prepare(kRevokeTokensOfUserId).bind_int(1, user_id).run();
  return changed_rows(db);
}

bool revoke_token(Connection& db, std::string_view token_sha256) {
  const auto key = token_key(token_sha256);
  if (!key) return false;
  db.prepare(kRevokeToken).bind_text(1, *key).run();
  return db.changes() > 0;
}

std::size_t purge_expired_tokens(Connection& db, std::int64_t now_ms) {
  db.prepare(kPurgeExpiredTokens).bind_int(1, now_ms).run();
  return changed_rows(db);
}

}  // namespace parley::storage::sqlite
