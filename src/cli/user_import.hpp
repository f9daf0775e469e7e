#pragma once
// The pure half of `parley user import`: turning a parsed CSV file into admin-API import rows,
// and turning the server's per-row answers back into counts and messages that name CSV lines.
// Nothing here does I/O, so every rule is unit-tested; user_commands.cpp sends the batches.

#include "cli/csv.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace parley::cli {

inline constexpr std::size_t kMaxImportFileBytes = 50u << 20;
inline constexpr std::size_t kMaxImportRows = 100'000;
inline constexpr std::size_t kImportBatchRows = 100;  // the server takes at most 500

// A problem with the file as a whole (unknown column, no header, too large): nothing is sent.
class ImportFileError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

enum class ImportColumn {
  sip_uri, display_name, email, title, department, office,
  phone_work, phone_mobile, phone_home, phone_other, site, enabled, password,
};

// The column's name as the header spells it ("sipUri", "phoneWork", ...).
std::string_view column_name(ImportColumn c);

// Maps header cells to columns by name, case-insensitively and ignoring surrounding blanks.
// Throws ImportFileError naming an unknown, empty or repeated column, or a missing sipUri.
std::vector<ImportColumn> map_import_header(const std::vector<std::string>& names);

// true/false/yes/no/1/0 in any case; nullopt for anything else (including "").
std::optional<bool> parse_enabled(std::string_view text);

struct ImportRow {
  std::size_t line = 0;
  boost::json::object user;  // the admin API's user fields, plus "password" when given
};

struct LineError {
  std::size_t line = 0;
  std::string message;
};

struct ImportPlan {
  std::vector<ImportRow> rows;     // valid rows in file order
  std::vector<LineError> errors;   // rows that will not be sent, sorted by line
};

// Checks the whole file: CSV syntax errors, field counts, the enabled column, UTF-8, empty or
// repeated SIP URIs. Empty cells are sent as "" (the file is the truth for its columns) except
// `enabled` and `password`, which are then left out. Throws ImportFileError when the file cannot
// be imported at all.
ImportPlan plan_import(const CsvDocument& doc);

// Reads and plans a file, enforcing kMaxImportFileBytes and kMaxImportRows.
ImportPlan plan_import_file(const std::string& path);

struct ImportTally {
  std::size_t created = 0;
  std::size_t updated = 0;
  std::size_t unchanged = 0;
  std::size_t failed = 0;
};

// "created 3, updated 0, unchanged 1, failed 2"
std::string format_import_summary(const ImportTally& t);

// "[#######.......................] 240/1000 rows"
std::string format_progress(std::size_t done, std::size_t total, std::size_t width = 30);

// Applies one batch's answer ({"results":[...]}) to the tally. Failed rows are appended to
// `errors` with their CSV line; each result, with a "line" member added, goes to `json_results`
// when it is not null. A row the answer does not mention counts as failed.
void apply_import_results(const boost::json::value& answer, std::span<const ImportRow> batch,
                          ImportTally& tally, std::vector<LineError>& errors,
                          boost::json::array* json_results);

}  // namespace parley::cli
