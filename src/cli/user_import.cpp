#include "cli/user_import.hpp"

#include "cli/admin_client.hpp"
#include "cli/text.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>

namespace parley::cli {
namespace {

struct ColumnInfo {
  ImportColumn column;
  std::string_view name;
};

constexpr std::array<ColumnInfo, 13> kColumns{{
    {ImportColumn::sip_uri, "sipUri"},
    {ImportColumn::display_name, "displayName"},
    {ImportColumn::email, "email"},
    {ImportColumn::title, "title"},
    {ImportColumn::department, "department"},
    {ImportColumn::office, "office"},
    {ImportColumn::phone_work, "phoneWork"},
    {ImportColumn::phone_mobile, "phoneMobile"},
    {ImportColumn::phone_home, "phoneHome"},
    {ImportColumn::phone_other, "phoneOther"},
    {ImportColumn::site, "site"},
    {ImportColumn::enabled, "enabled"},
    {ImportColumn::password, "password"},
}};

std::string known_columns() {
  std::string out;
  for (const auto& c : kColumns) {
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

// The JSON property a text column fills; phones go into the nested "phones" object.
std::string_view json_name(ImportColumn c) {
  switch (c) {
    case ImportColumn::phone_work: return "work";
    case ImportColumn::phone_mobile: return "mobile";
    case ImportColumn::phone_home: return "home";
    case ImportColumn::phone_other: return "other";
    default: return column_name(c);
  }
}

bool is_phone(ImportColumn c) {
  return c == ImportColumn::phone_work || c == ImportColumn::phone_mobile ||
         c == ImportColumn::phone_home || c == ImportColumn::phone_other;
}

// The key under which the server will store a SIP URI, so that repeats are caught here.
std::string sip_key(std::string_view sip) {
  std::string s = to_lower(trim(sip));
  if (s.rfind("sip:", 0) == 0) s.erase(0, 4);
  return s;
}

// Builds one row's JSON, or returns the reason it cannot be sent.
std::optional<std::string> build_row(const CsvRecord& rec, const std::vector<ImportColumn>& columns,
                                     boost::json::object& user) {
  if (rec.fields.size() != columns.size())
    return "expected " + std::to_string(columns.size()) + " fields as in the header, found " +
           std::to_string(rec.fields.size());
  boost::json::object phones;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const ImportColumn c = columns[i];
    const std::string& value = rec.fields[i];
    if (!valid_utf8(value))
      return "column " + std::string(column_name(c)) + " is not valid UTF-8 (save the file as UTF-8)";
    switch (c) {
      case ImportColumn::sip_uri: {
        const auto sip = trim(value);
        if (sip.empty()) return std::string("sipUri is empty");
        user["sipUri"] = sip;
        break;
      }
      case ImportColumn::enabled: {
        if (trim(value).empty()) break;  // left to the server: new users start enabled
        const auto b = parse_enabled(value);
        if (!b) return "enabled must be true/false/yes/no/1/0, not \"" + printable(value) + "\"";
        user["enabled"] = *b;
        break;
      }
      case ImportColumn::password:
        if (!value.empty()) user["password"] = value;
        break;
      default:
        if (is_phone(c)) phones[json_name(c)] = value;
        else user[json_name(c)] = value;
    }
  }
  if (!phones.empty()) user["phones"] = std::move(phones);
  return std::nullopt;
}

}  // namespace

std::string_view column_name(ImportColumn c) {
  for (const auto& info : kColumns)
    if (info.column == c) return info.name;
  return "?";
}

std::vector<ImportColumn> map_import_header(const std::vector<std::string>& names) {
  std::vector<ImportColumn> columns;
  columns.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto name = trim(names[i]);
    if (name.empty())
      throw ImportFileError("column " + std::to_string(i + 1) + " of the header row has no name");
    const auto it = std::find_if(kColumns.begin(), kColumns.end(),
                                 [&](const ColumnInfo& c) { return iequals(c.name, name); });
    if (it == kColumns.end())
      throw ImportFileError("unknown column \"" + printable(name) + "\" in the header row (known: " +
                            known_columns() + ")");
    if (std::find(columns.begin(), columns.end(), it->column) != columns.end())
      throw ImportFileError("column \"" + std::string(it->name) + "\" appears twice in the header row");
    columns.push_back(it->column);
  }
  if (std::find(columns.begin(), columns.end(), ImportColumn::sip_uri) == columns.end())
    throw ImportFileError("the header row has no sipUri column, which is required");
  return columns;
}

std::optional<bool> parse_enabled(std::string_view text) {
  const auto v = to_lower(trim(text));
  if (v == "true" || v == "yes" || v == "1") return true;
  if (v == "false" || v == "no" || v == "0") return false;
  return std::nullopt;
}

ImportPlan plan_import(const CsvDocument& doc) {
  if (doc.truncated)
    throw ImportFileError("the file has more than " + std::to_string(kMaxImportRows) +
                          " rows; split it into smaller files");
  if (doc.records.empty() || (!doc.errors.empty() && doc.errors.front().line < doc.records.front().line)) {
    if (!doc.errors.empty())
      throw ImportFileError("the header row (line " + std::to_string(doc.errors.front().line) +
                            ") is not valid CSV: " + doc.errors.front().message);
    throw ImportFileError("the file is empty; it needs a header row such as sipUri,displayName,enabled");
  }
  const auto columns = map_import_header(doc.records.front().fields);

  ImportPlan plan;
  plan.errors.reserve(doc.errors.size());
  for (const auto& e : doc.errors) plan.errors.push_back({e.line, e.message});
  std::map<std::string, std::size_t> first_line_of;
  for (std::size_t r = 1; r < doc.records.size(); ++r) {
    const auto& rec = doc.records[r];
    ImportRow row;
    row.line = rec.line;
    if (auto problem = build_row(rec, columns, row.user)) {
      plan.errors.push_back({rec.line, std::move(*problem)});
      continue;
    }
    const auto key = sip_key(row.user["sipUri"].as_string());
    const auto [it, fresh] = first_line_of.emplace(key, rec.line);
    if (!fresh) {
      plan.errors.push_back({rec.line, "sipUri " + printable(key) + " already appears on line " +
                                           std::to_string(it->second)});
      continue;
    }
    plan.rows.push_back(std::move(row));
  }
  std::stable_sort(plan.errors.begin(), plan.errors.end(),
                   [](const LineError& a, const LineError& b) { return a.line < b.line; });
  return plan;
}

ImportPlan plan_import_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw ImportFileError(path + " is a directory, not a CSV file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ImportFileError("cannot open " + path);
  // Read at most one byte past the limit: enough to know the file is too large, whatever it is
  // (a pipe or device has no size to ask for).
  std::string text;
  std::array<char, 64 * 1024> chunk{};
  while (text.size() <= kMaxImportFileBytes && in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw ImportFileError("cannot read " + path);
  if (text.size() > kMaxImportFileBytes)
    throw ImportFileError(path + " is larger than " + std::to_string(kMaxImportFileBytes >> 20) +
                          " MB; split it into smaller files");
  CsvLimits limits;
  limits.max_records = kMaxImportRows + 1;
  return plan_import(parse_csv(text, limits));
}

std::string format_import_summary(const ImportTally& t) {
  return "created " + std::to_string(t.created) + ", updated " + std::to_string(t.updated) +
         ", unchanged " + std::to_string(t.unchanged) + ", failed " + std::to_string(t.failed);
}

std::string format_progress(std::size_t done, std::size_t total, std::size_t width) {
  const std::size_t filled = total == 0 ? width : std::min(width, done * width / total);
  std::string bar = "[";
  bar.append(filled, '#');
  bar.append(width - filled, '.');
  bar += "] " + std::to_string(done) + "/" + std::to_string(total) + " rows";
  return bar;
}

void apply_import_results(const boost::json::value& answer, std::span<const ImportRow> batch,
                          ImportTally& tally, std::vector<LineError>& errors,
                          boost::json::array* json_results) {
  std::vector<bool> reported(batch.size(), false);
  const boost::json::array empty;
  const auto* results = answer.is_object() ? answer.as_object().if_contains("results") : nullptr;
  const auto& list = results && results->is_array() ? results->as_array() : empty;
  for (const auto& item : list) {
    if (!item.is_object()) continue;
    const auto& o = item.as_object();
    const auto* index = o.if_contains("index");
    if (!index || !index->is_number()) continue;
    boost::system::error_code ec;
    const auto i = index->to_number<std::size_t>(ec);
    if (ec || i >= batch.size() || reported[i]) continue;
    reported[i] = true;
    const std::size_t line = batch[i].line;

    std::optional<std::string> failure;
    if (const auto* err = o.if_contains("error"); err && err->is_object()) {
      const auto& e = err->as_object();
      auto text = [&](std::string_view k) {
        const auto* v = e.if_contains(k);
        return v && v->is_string() ? printable(v->as_string()) : std::string();
      };
      failure = format_api_error(text("message"), text("code"), text("subcode"));
    } else {
      const auto* outcome = o.if_contains("outcome");
      const std::string_view word = outcome && outcome->is_string() ? std::string_view(outcome->as_string())
                                                                    : std::string_view();
      if (word == "created") ++tally.created;
      else if (word == "updated") ++tally.updated;
      else if (word == "unchanged") ++tally.unchanged;
      else failure = "the server reported an unknown outcome \"" + printable(word) + "\"";
    }
    if (failure) {
      ++tally.failed;
      errors.push_back({line, std::move(*failure)});
    }
    if (json_results) {
      boost::json::object copy{{"line", line}};
      for (const auto& kv : o)
        if (kv.key() != "index") copy.insert(kv);
      json_results->push_back(std::move(copy));
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (reported[i]) continue;
    ++tally.failed;
    errors.push_back({batch[i].line, "the server did not report on this row"});
    if (json_results)
      json_results->push_back(boost::json::object{
          {"line", batch[i].line},
          {"error", {{"code", "InvalidResponse"}, {"subcode", ""}, {"message", "no result for this row"}}}});
  }
}

}  // namespace parley::cli
