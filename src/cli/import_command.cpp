// `parley user import FILE.csv`: the whole file is checked first (nothing is sent when its
// header is wrong), then valid rows go to POST /admin/v1/users/import in batches; every failure
// is reported by the CSV line it came from.
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/text.hpp"
#include "cli/user_import.hpp"

#include <algorithm>
#include <cstdint>
#include <span>

namespace parley::cli {
namespace {

// Hashing a batch's passwords takes the server a while; one batch may outlast --timeout.
constexpr std::chrono::seconds kMinImportTimeout{300};

// Redraws "[####....] n/total rows" on one terminal line; silent when stderr is not a terminal.
class ProgressBar {
public:
  ProgressBar(std::ostream& err, bool enabled, std::size_t total) : err_(err), enabled_(enabled), total_(total) {}
  ~ProgressBar() { clear(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void draw(std::size_t done) {
    if (!enabled_) return;
    const std::string bar = format_progress(done, total_);
    err_ << '\r' << bar << std::flush;
    drawn_ = bar.size();
  }
  // Wipes the bar so that a message can take the line.
  void clear() {
    if (!enabled_ || drawn_ == 0) return;
    err_ << '\r' << std::string(drawn_, ' ') << '\r' << std::flush;
    drawn_ = 0;
  }

private:
  std::ostream& err_;
  bool enabled_;
  std::size_t total_;
  std::size_t drawn_ = 0;
};

boost::json::object error_json(std::string_view code, std::string_view subcode, std::string_view message) {
  return {{"code", code}, {"subcode", subcode}, {"message", message}};
}

void fail_rows(std::span<const ImportRow> rows, const std::string& why, ImportTally& tally,
               std::vector<LineError>& errors, boost::json::array& json_results, const boost::json::object& err) {
  for (const auto& r : rows) {
    ++tally.failed;
    errors.push_back({r.line, why});
    json_results.push_back(boost::json::object{{"line", r.line}, {"error", err}});
  }
}

void print_errors(std::ostream& err, const std::vector<LineError>& errors) {
  for (const auto& e : errors) err << "line " << e.line << ": " << e.message << '\n';
}

}  // namespace

int run_user_import(CommandContext& ctx, const std::string& csv_path) {
  const ImportPlan plan = plan_import_file(csv_path);
  const bool json = ctx.options.json;

  ImportTally tally;
  tally.failed = plan.errors.size();
  boost::json::array json_results;
  for (const auto& e : plan.errors)
    json_results.push_back(boost::json::object{{"line", e.line}, {"error", error_json("BadRequest", "CsvError", e.message)}});
  // CSV errors are printed beside the server's, in line order, as the import reaches them.
  std::size_t csv_printed = 0;
  auto take_csv_errors = [&](std::size_t up_to_line, std::vector<LineError>& into) {
    while (csv_printed < plan.errors.size() && plan.errors[csv_printed].line <= up_to_line)
      into.push_back(plan.errors[csv_printed++]);
  };

  auto finish = [&] {
    if (json) {
      const auto line_of = [](const boost::json::value& v) { return v.at("line").to_number<std::size_t>(); };
      std::stable_sort(json_results.begin(), json_results.end(),
                       [&](const boost::json::value& a, const boost::json::value& b) { return line_of(a) < line_of(b); });
      boost::json::object summary{{"created", tally.created}, {"updated", tally.updated},
                                  {"unchanged", tally.unchanged}, {"failed", tally.failed}};
      ctx.out << pretty_json(boost::json::object{{"results", std::move(json_results)}, {"summary", std::move(summary)}});
    } else {
      ctx.out << format_import_summary(tally) << '\n';
    }
    return tally.failed > 0 ? kExitServerError : kExitOk;
  };
  if (plan.rows.empty()) {
    if (!json) {
      std::vector<LineError> all;
      take_csv_errors(SIZE_MAX, all);
      print_errors(ctx.err, all);
      if (all.empty()) ctx.err << "the file has a header row but no users\n";
    }
    return finish();
  }

  auto& admin = ctx.admin();
  auto& http = ctx.http();
  if (http.options().timeout < kMinImportTimeout) http.set_timeout(kMinImportTimeout);

  const std::span<const ImportRow> rows(plan.rows);
  ProgressBar progress(ctx.err, ctx.environment.stderr_is_terminal && !json, rows.size());
  progress.draw(0);
  for (std::size_t start = 0; start < rows.size(); start += kImportBatchRows) {
    const auto batch = rows.subspan(start, std::min(kImportBatchRows, rows.size() - start));
    boost::json::array body;
    body.reserve(batch.size());
    for (const auto& r : batch) body.push_back(r.user);
    std::vector<LineError> errors;
    bool stop = false;
    try {
      const auto answer = admin.import_users(body);
      apply_import_results(answer, batch, tally, errors, &json_results);
    } catch (const ServerError& e) {
      const auto why = printable(format_api_error(e.what(), e.code(), e.subcode()));
      const auto err = error_json(e.code(), e.subcode(), e.what());
      if (e.status() == 400) {
        fail_rows(batch, why, tally, errors, json_results, err);  // about this batch's content
      } else {
        // 401, 413, 5xx: every later batch would meet the same answer, so stop here.
        const auto rest = rows.subspan(start);
        std::vector<LineError> unprinted;
        fail_rows(rest, why, tally, unprinted, json_results, err);
        progress.clear();
        if (!json)
          ctx.err << "error: " << why << "\nthe import stopped: " << rest.size() << " row(s) from line "
                  << batch.front().line << " on were not imported\n";
        stop = true;
      }
    } catch (const HttpTransportError&) {
      progress.clear();
      const std::size_t not_sent = rows.size() - start;
      tally.failed += not_sent;
      ctx.err << "the import stopped: " << not_sent << " row(s) from line " << batch.front().line
              << " on were not confirmed by the server\n";
      if (!json) ctx.out << format_import_summary(tally) << '\n';
      throw;
    }
    for (auto& b : body) b = nullptr;  // drop the passwords this batch carried
    take_csv_errors(stop ? SIZE_MAX : batch.back().line, errors);
    if (!json && !errors.empty()) {
      std::stable_sort(errors.begin(), errors.end(),
                       [](const LineError& a, const LineError& b) { return a.line < b.line; });
      progress.clear();
      print_errors(ctx.err, errors);
    }
    if (stop) break;
    progress.draw(std::min(start + batch.size(), rows.size()));
  }
  progress.clear();
  if (!json) {
    std::vector<LineError> rest;
    take_csv_errors(SIZE_MAX, rest);
    print_errors(ctx.err, rest);
  }
  return finish();
}

}  // namespace parley::cli
