#include "storage/sqlite/directory.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "common/error.hpp"
#include "storage/sqlite/input.hpp"
#include "storage/sqlite/user_row.hpp"

namespace parley::storage::sqlite {
namespace {

// The kinds of directory_terms (see 0003_contacts_photos.sql). The numbers double as the rank of
// a prefix match, except an address, which ranks 0 when it matches whole and kRankAddressPrefix
// otherwise.
constexpr int kAddress = 0;
constexpr int kName = 1;
constexpr int kNameWord = 2;
constexpr int kPhone = 4;

// A display name may be 4096 bytes; nobody types that much of one into a search box, and the
// index stays small. A query longer than this simply matches nothing, as it would anyway.
constexpr std::size_t kMaxTermBytes = 1024;
// A phone query needs this many digits: fewer would match a large part of any directory.
constexpr std::size_t kMinPhoneDigits = 3;

// ---- SQL. Statements are cached by the address of these constants. ----

constexpr char kDeleteTerms[] = "DELETE FROM directory_terms WHERE user_id = ?";
constexpr char kInsertTerm[] =
    "INSERT INTO directory_terms (user_id, kind, term) VALUES (?, ?, ?)";
constexpr char kAllUsers[] =
    "SELECT id, sip_uri, display_name, email, phone_work, phone_mobile, phone_home, phone_other "
    "FROM users";

// Both halves are range scans of directory_terms_by_term (term >= prefix AND term < bound); a
// user found several ways keeps her best rank. The text half uses ?1..?2, the phone half ?3..?4
// (an empty range when the query is no phone number). Only then are users joined, filtered and
// sorted, so the work grows with the number of matches, not with the directory.
constexpr char kSearch[] =
    "SELECT " PARLEY_SQLITE_USER_COLUMNS
    " FROM (SELECT user_id, MIN(rank) AS rank FROM ("
    "   SELECT user_id,"
    "          CASE WHEN kind = 0 AND term = ?1 THEN 0 WHEN kind = 0 THEN 3 ELSE kind END AS rank"
    "     FROM directory_terms WHERE term >= ?1 AND term < ?2 AND kind < 4"
    "   UNION ALL"
    "   SELECT user_id, 4 AS rank"
    "     FROM directory_terms WHERE term >= ?3 AND term < ?4 AND kind = 4"
    " ) GROUP BY user_id) AS matched"
    " JOIN users ON users.id = matched.user_id"
    " WHERE users.enabled"
    " ORDER BY matched.rank, users.display_name COLLATE NOCASE, users.sip_uri"
    " LIMIT ?5";

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// ASCII letters lower-cased, blanks trimmed, and each inner run of blanks one space: "Alice
// \t Smith " and "alice smith" fold alike.
std::string fold(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (const char c : text) {
    if (is_blank(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

std::string digits_of(std::string_view text) {
  std::string out;
  for (const char c : text)
    if (is_digit(c)) out.push_back(c);
  return out;
}

// Words of a folded name: "jean-luc o'neill (sales)" gives jean, luc, o'neill, sales. An
// apostrophe stays inside its word, since people type "o'neill" rather than "neill".
std::vector<std::string> words_of(std::string_view folded) {
  constexpr std::string_view kSeparators = " ,;:()[]/\\-_.\"&+";
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < folded.size()) {
    const std::size_t end = folded.find_first_of(kSeparators, start);
    const std::size_t stop = end == std::string_view::npos ? folded.size() : end;
    if (stop > start) words.emplace_back(folded.substr(start, stop - start));
    start = stop + 1;
  }
  return words;
}

// The first string after every string that starts with `prefix`: UTF-8 never holds the byte
// 0xFF, so nothing that starts with the prefix sorts at or above prefix + "\xff" (SQLite compares
// TEXT bytewise).
std::string upper_bound_of(std::string_view prefix) {
  std::string bound(prefix);
  bound.push_back('\xff');
  return bound;
}

std::size_t utf8_chars(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

using Terms = std::set<std::pair<int, std::string>>;

void add_term(Terms& terms, int kind, std::string_view term) {
  if (term.empty()) return;
  terms.emplace(kind, std::string(truncate_utf8(term, kMaxTermBytes)));
}

// The SIP URI's user part is not kept apart: it is a prefix of the whole URI, so a prefix search
// of the URI finds it already.
Terms terms_of(std::string_view sip_uri, const UserProfile& p) {
  Terms terms;
  add_term(terms, kAddress, fold(sip_uri));
  add_term(terms, kAddress, fold(p.email));
  const std::string name = fold(p.display_name);
  add_term(terms, kName, name);
  for (const std::string& word : words_of(name)) add_term(terms, kNameWord, word);
  for (const std::string* phone : {&p.phones.work, &p.phones.mobile, &p.phones.home,
                                   &p.phones.other})
    add_term(terms, kPhone, digits_of(*phone));
  return terms;
}

void insert_terms(Connection& db, std::int64_t user_id, const Terms& terms) {
  for (const auto& [kind, term] : terms)
    db.prepare(kInsertTerm).bind_int(1, user_id).bind_int(2, kind).bind_text(3, term).run();
}

}  // namespace

void index_user(Connection& db, std::int64_t user_id, std::string_view sip_uri,
                const UserProfile& profile) {
  db.prepare(kDeleteTerms).bind_int(1, user_id).run();
  insert_terms(db, user_id, terms_of(sip_uri, profile));
}

void index_all_users(Connection& db) {
  // Read everything first: inserting into the index while a scan of users is open works in
  // SQLite, but reasoning about it is not worth the memory saved once.
  std::vector<std::pair<std::int64_t, Terms>> all;
  {
    Statement st = db.prepare(kAllUsers);
    while (st.step()) {
      UserProfile p;
      p.display_name = st.column_text(2);
      p.email = st.column_text(3);
      p.phones.work = st.column_text(4);
      p.phones.mobile = st.column_text(5);
      p.phones.home = st.column_text(6);
      p.phones.other = st.column_text(7);
      all.emplace_back(st.column_int(0), terms_of(st.column_text(1), p));
    }
  }
  for (const auto& [id, terms] : all) {
    db.prepare(kDeleteTerms).bind_int(1, id).run();
    insert_terms(db, id, terms);
  }
}

std::vector<User> search_directory(Connection& db, std::string_view query, std::size_t limit) {
  if (utf8_chars(query) > kMaxSearchQueryChars)
    throw ParameterValidationFailure(fmt::format(
        "the search query is {} characters long; at most {} are allowed", utf8_chars(query),
        kMaxSearchQueryChars));
  std::vector<User> users;
  const std::string text = fold(query);
  if (text.empty() || limit == 0) return users;

  // A query is a phone number when it has enough digits and nothing that could be a letter
  // (every byte outside ASCII might be one): "+1 (425) 555" is, "bob 2" is not.
  const std::string digits = digits_of(text);
  const bool has_letters = std::any_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (static_cast<unsigned char>(c) & 0x80) != 0;
  });
  const bool phone = digits.size() >= kMinPhoneDigits && !has_letters;

  Statement st = db.prepare(kSearch);
  st.bind_text(1, text).bind_text(2, upper_bound_of(text));
  if (phone)
    st.bind_text(3, digits).bind_text(4, upper_bound_of(digits));
  else
    st.bind_text(3, "").bind_text(4, "");
  st.bind_int(5, static_cast<std::int64_t>(
                     std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max())));
  while (st.step()) users.push_back(read_user(st));
  return users;
}

}  // namespace parley::storage::sqlite
