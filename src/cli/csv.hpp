#pragma once
// An RFC 4180 CSV reader for `parley user import`: comma-separated fields, fields in double
// quotes may hold commas, line breaks and doubled quotes (""), records end with CRLF, LF or a
// lone CR, and a UTF-8 byte-order mark at the start is skipped. It is a pure function of the
// text: a broken record becomes an error with its line number and reading goes on with the next
// line, so that one bad row never hides the others.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace parley::cli {

struct CsvRecord {
  std::size_t line = 0;  // 1-based line on which the record starts
  std::vector<std::string> fields;
};

struct CsvError {
  std::size_t line = 0;
  std::string message;
};

struct CsvLimits {
  std::size_t max_records = 100'001;  // header included; reading stops after this many
  std::size_t max_fields = 1'000;     // per record
  std::size_t max_field_bytes = 1u << 20;
};

struct CsvDocument {
  std::vector<CsvRecord> records;  // in file order; blank lines are skipped
  std::vector<CsvError> errors;    // in file order
  bool truncated = false;          // more than max_records records; the rest was not read
};

CsvDocument parse_csv(std::string_view text, const CsvLimits& limits = {});

}  // namespace parley::cli
