// `parley user import`: header mapping, row checks, and turning server answers into counts and
// messages that name CSV lines.
#include "cli/user_import.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <unistd.h>
#include <filesystem>
#include <fstream>

namespace parley::cli {
namespace {

ImportPlan plan(std::string_view csv) { return plan_import(parse_csv(csv)); }

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ImportFileError& e) {
    return e.what();
  }
  return "(no ImportFileError)";
}

TEST(ImportHeader, ColumnsInAnyOrderAndAnyCase) {
  const auto cols = map_import_header({"DisplayName", " SIPURI ", "phonemobile", "Enabled"});
  EXPECT_EQ(cols, (std::vector<ImportColumn>{ImportColumn::display_name, ImportColumn::sip_uri,
                                             ImportColumn::phone_mobile, ImportColumn::enabled}));
}

TEST(ImportHeader, UnknownColumnIsNamed) {
  const auto msg = message_of([] { map_import_header({"sipUri", "manager"}); });
  EXPECT_NE(msg.find("unknown column \"manager\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("displayName"), std::string::npos) << "lists the known columns: " << msg;
}

TEST(ImportHeader, SipUriIsRequiredAndColumnsAreUnique) {
  EXPECT_NE(message_of([] { map_import_header({"displayName", "email"}); }).find("sipUri"), std::string::npos);
  EXPECT_NE(message_of([] { map_import_header({"sipUri", "email", "EMAIL"}); }).find("twice"), std::string::npos);
  EXPECT_NE(message_of([] { map_import_header({"sipUri", ""}); }).find("column 2"), std::string::npos);
}

TEST(ImportEnabled, AcceptsTheDocumentedWordsOnly) {
  for (auto t : {"true", "TRUE", "yes", "Yes", "1", " true "}) EXPECT_EQ(parse_enabled(t), true) << t;
  for (auto f : {"false", "No", "0"}) EXPECT_EQ(parse_enabled(f), false) << f;
  for (auto bad : {"", "maybe", "2", "y", "on", "truee"}) EXPECT_EQ(parse_enabled(bad), std::nullopt) << bad;
}

TEST(ImportPlan, BuildsApiRowsFromColumns) {
  const auto p = plan(
      "sipUri,displayName,phoneWork,phoneMobile,enabled,password\n"
      "alice@example.org,\"Example, Alice\",+49 30 1,,no,secret-password\n"
      "bob@example.org,Bob,,,,\n");
  ASSERT_TRUE(p.errors.empty());
  ASSERT_EQ(p.rows.size(), 2u);
  const auto& a = p.rows[0].user;
  EXPECT_EQ(p.rows[0].line, 2u);
  EXPECT_EQ(a.at("sipUri").as_string(), "alice@example.org");
  EXPECT_EQ(a.at("displayName").as_string(), "Example, Alice");
  EXPECT_EQ(a.at("phones").at("work").as_string(), "+49 30 1");
  EXPECT_EQ(a.at("phones").at("mobile").as_string(), "") << "an empty cell clears the field";
  EXPECT_FALSE(a.contains("phoneWork"));
  EXPECT_EQ(a.at("enabled").as_bool(), false);
  EXPECT_EQ(a.at("password").as_string(), "secret-password");
  const auto& b = p.rows[1].user;
  EXPECT_FALSE(b.contains("enabled")) << "empty enabled is left to the server (new users start enabled)";
  EXPECT_FALSE(b.contains("password")) << "an empty password cell sets no password";
  EXPECT_FALSE(b.contains("email")) << "columns the file does not have are not sent";
}

TEST(ImportPlan, BadRowsAreReportedByLineAndSkipped) {
  const auto p = plan(
      "sipUri,displayName,enabled\n"
      "a@x.org,A,true\n"
      "b@x.org,B\n"               // too few fields
      "c@x.org,C,maybe\n"         // bad enabled
      ",D,true\n"                 // empty sipUri
      "\"e@x.org\",\"E\nnewline\",1\n"
      "A@X.org,dup,true\n"        // the same user as line 2
      "f@x.org,\"open,true\n");   // unterminated
  std::vector<std::size_t> lines;
  for (const auto& r : p.rows) lines.push_back(r.line);
  EXPECT_EQ(lines, (std::vector<std::size_t>{2, 6}));
  ASSERT_EQ(p.errors.size(), 5u);
  EXPECT_EQ(p.errors[0].line, 3u);
  EXPECT_NE(p.errors[0].message.find("expected 3 fields"), std::string::npos) << p.errors[0].message;
  EXPECT_EQ(p.errors[1].line, 4u);
  EXPECT_NE(p.errors[1].message.find("maybe"), std::string::npos);
  EXPECT_EQ(p.errors[2].line, 5u);
  EXPECT_EQ(p.errors[3].line, 8u);
  EXPECT_NE(p.errors[3].message.find("line 2"), std::string::npos) << p.errors[3].message;
  EXPECT_EQ(p.errors[4].line, 9u);
  EXPECT_NE(p.errors[4].message.find("unterminated"), std::string::npos);
}

TEST(ImportPlan, InvalidUtf8IsARowErrorNotABatchFailure) {
  const auto p = plan("sipUri,displayName\na@x.org,M\xFCller\nb@x.org,ok\n");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].line, 2u);
  EXPECT_NE(p.errors[0].message.find("UTF-8"), std::string::npos);
  ASSERT_EQ(p.rows.size(), 1u);
}

TEST(ImportPlan, FileLevelProblemsStopEverything) {
  EXPECT_NE(message_of([] { plan(""); }).find("empty"), std::string::npos);
  EXPECT_NE(message_of([] { plan("sipUri,\"bad\n"); }).find("header"), std::string::npos);
  EXPECT_NE(message_of([] { plan("sipUri,nickname\na@b.c,x\n"); }).find("nickname"), std::string::npos);
  CsvLimits limits;
  limits.max_records = 3;
  EXPECT_NE(message_of([&] { plan_import(parse_csv("sipUri\na@b.c\nb@b.c\nc@b.c\n", limits)); }).find("more than"),
            std::string::npos);
}

TEST(ImportPlan, FileLimits) {
  const auto dir = std::filesystem::temp_directory_path() / ("parley-cli-import-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto big = dir / "big.csv";
  {
    std::ofstream out(big, std::ios::binary);
    out << "sipUri\n";
    const std::string line(1023, 'a');
    for (std::size_t i = 0; i <= kMaxImportFileBytes / 1024; ++i) out << line << '\n';
  }
  EXPECT_NE(message_of([&] { plan_import_file(big.string()); }).find("50 MB"), std::string::npos);
  {
    std::ofstream out(big, std::ios::binary | std::ios::trunc);
    out << "sipUri\n";
    for (std::size_t i = 0; i <= kMaxImportRows; ++i) out << "u" << i << "@x.org\n";
  }
  EXPECT_NE(message_of([&] { plan_import_file(big.string()); }).find("100000 rows"), std::string::npos);
  EXPECT_NE(message_of([&] { plan_import_file((dir / "missing.csv").string()); }).find("cannot open"),
            std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(ImportResults, CountsOutcomesAndMapsErrorsToCsvLines) {
  const auto p = plan("sipUri\na@x.org\nb@x.org\n\nc@x.org\nd@x.org\n");
  ASSERT_EQ(p.rows.size(), 4u);
  const auto answer = boost::json::parse(R"({"results":[
    {"index":0,"sipUri":"a@x.org","outcome":"created"},
    {"index":1,"error":{"code":"BadRequest","subcode":"ParameterValidationFailure","message":"bad b"}},
    {"index":2,"sipUri":"c@x.org","outcome":"unchanged"}]})");
  ImportTally tally;
  std::vector<LineError> errors;
  boost::json::array json;
  apply_import_results(answer, p.rows, tally, errors, &json);
  EXPECT_EQ(tally.created, 1u);
  EXPECT_EQ(tally.unchanged, 1u);
  EXPECT_EQ(tally.failed, 2u) << "d@x.org got no result";
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].line, 3u);
  EXPECT_EQ(errors[0].message, "bad b (BadRequest/ParameterValidationFailure)");
  EXPECT_EQ(errors[1].line, 6u);
  ASSERT_EQ(json.size(), 4u);
  EXPECT_EQ(json[0].at("line").to_number<int>(), 2);
  EXPECT_FALSE(json[0].as_object().contains("index"));
  EXPECT_EQ(format_import_summary(tally), "created 1, updated 0, unchanged 1, failed 2");
}

TEST(ImportResults, GarbageAnswerFailsEveryRow) {
  const auto p = plan("sipUri\na@x.org\nb@x.org\n");
  ImportTally tally;
  std::vector<LineError> errors;
  apply_import_results(boost::json::parse(R"({"results":[{"index":7,"outcome":"created"},{"index":-1},"x"]})"),
                       p.rows, tally, errors, nullptr);
  EXPECT_EQ(tally.created, 0u);
  EXPECT_EQ(tally.failed, 2u);
}

TEST(ImportProgress, BarShowsTheFractionDone) {
  EXPECT_EQ(format_progress(240, 1000, 10), "[##........] 240/1000 rows");
  EXPECT_EQ(format_progress(0, 5, 4), "[....] 0/5 rows");
  EXPECT_EQ(format_progress(5, 5, 4), "[####] 5/5 rows");
}

}  // namespace
}  // namespace parley::cli
