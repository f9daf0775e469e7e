#include "cli/csv.hpp"

namespace parley::cli {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Walks the text once. Positions and line numbers move together: every line break consumed,
// inside quotes or not, advances `line_`.
class Reader {
public:
  Reader(std::string_view text, const CsvLimits& limits) : text_(text), limits_(limits) {
    if (text_.substr(0, kBom.size()) == kBom) pos_ = kBom.size();
  }

  CsvDocument read() {
    std::size_t attempted = 0;
    while (pos_ < text_.size()) {
      if (at_line_break()) {  // a blank line is not a record
        consume_line_break();
        continue;
      }
      if (attempted == limits_.max_records) {
        doc_.truncated = true;
        break;
      }
      ++attempted;
      read_record();
    }
    return std::move(doc_);
  }

private:
  bool at_end() const { return pos_ >= text_.size(); }
  bool at_line_break() const { return !at_end() && (text_[pos_] == '\n' || text_[pos_] == '\r'); }

  // CRLF, LF and a lone CR each end one line.
  void consume_line_break() {
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }

  void skip_rest_of_line() {
    while (!at_end() && !at_line_break()) ++pos_;
    if (!at_end()) consume_line_break();
  }

  void fail(std::size_t line, std::string message) {
    doc_.errors.push_back({line, std::move(message)});
  }

  void read_record() {
    CsvRecord rec;
    rec.line = line_;
    for (;;) {
      std::string field;
      bool ok = !at_end() && text_[pos_] == '"' ? read_quoted(field, rec.line) : read_unquoted(field, rec.line);
      if (!ok) return;  // the error is recorded and the reader has moved on
      if (field.size() > limits_.max_field_bytes) {
        fail(rec.line, "a field is longer than " + std::to_string(limits_.max_field_bytes) + " bytes");
        skip_rest_of_line();
        return;
      }
      if (rec.fields.size() == limits_.max_fields) {
        fail(rec.line, "more than " + std::to_string(limits_.max_fields) + " fields");
        skip_rest_of_line();
        return;
      }
      rec.fields.push_back(std::move(field));
      if (!at_end() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (!at_end()) consume_line_break();
      doc_.records.push_back(std::move(rec));
      return;
    }
  }

  bool read_unquoted(std::string& field, std::size_t record_line) {
    const std::size_t end = text_.find_first_of(std::string_view(",\r\n\"", 4), pos_);
    const std::size_t stop = end == std::string_view::npos ? text_.size() : end;
    field.assign(text_.substr(pos_, stop - pos_));
    pos_ = stop;
    if (!at_end() && text_[pos_] == '"') {
      fail(record_line,
           "a double quote inside an unquoted field (quote the whole field and write the quote twice)");
      skip_rest_of_line();
      return false;
    }
    return true;
  }

  bool read_quoted(std::string& field, std::size_t record_line) {
    const std::size_t opened_on = line_;
    ++pos_;  // the opening quote
    for (;;) {
      if (at_end()) {
        std::string msg = "unterminated quoted field";
        if (opened_on != record_line) msg += " (opened on line " + std::to_string(opened_on) + ")";
        fail(record_line, msg + "; the rest of the file was not read");
        return false;
      }
      const char c = text_[pos_];
      if (c == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
          field.push_back('"');
          pos_ += 2;
          continue;
        }
        ++pos_;
        break;
      }
      if (c == '\r' || c == '\n') {
        const std::size_t from = pos_;
        consume_line_break();  // counts the line; the break itself stays part of the value
        field.append(text_.substr(from, pos_ - from));
        continue;
      }
      if (field.size() > limits_.max_field_bytes) {
        // Keep reading to find the record's end but stop growing the value.
        ++pos_;
        continue;
      }
      field.push_back(c);
      ++pos_;
    }
    if (!at_end() && text_[pos_] != ',' && !at_line_break()) {
      fail(record_line, "unexpected text after a closing double quote");
      skip_rest_of_line();
      return false;
    }
    return true;
  }

  std::string_view text_;
  const CsvLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  CsvDocument doc_;
};

}  // namespace

CsvDocument parse_csv(std::string_view text, const CsvLimits& limits) {
  return Reader(text, limits).read();
}

}  // namespace parley::cli
