// The CSV reader behind `parley user import`: RFC 4180 quoting, line endings, and errors that
// carry the line a user would look at in an editor.
#include "cli/csv.hpp"

#include <gtest/gtest.h>

namespace parley::cli {
namespace {

using Fields = std::vector<std::string>;

TEST(Csv, PlainRecordsWithLineNumbers) {
  const auto doc = parse_csv("a,b,c\n1,2,3\n");
  ASSERT_TRUE(doc.errors.empty());
  ASSERT_EQ(doc.records.size(), 2u);
  EXPECT_EQ(doc.records[0].fields, (Fields{"a", "b", "c"}));
  EXPECT_EQ(doc.records[1].fields, (Fields{"1", "2", "3"}));
  EXPECT_EQ(doc.records[0].line, 1u);
  EXPECT_EQ(doc.records[1].line, 2u);
}

TEST(Csv, LastLineWithoutNewlineAndEmptyFields) {
  const auto doc = parse_csv("x,,z\n,,");
  ASSERT_TRUE(doc.errors.empty());
  ASSERT_EQ(doc.records.size(), 2u);
  EXPECT_EQ(doc.records[0].fields, (Fields{"x", "", "z"}));
  EXPECT_EQ(doc.records[1].fields, (Fields{"", "", ""}));
}

TEST(Csv, QuotedFieldsHoldCommasAndDoubledQuotes) {
  const auto doc = parse_csv("\"Hopper, Grace\",\"say \"\"hi\"\"\",\"\"\n");
  ASSERT_TRUE(doc.errors.empty());
  ASSERT_EQ(doc.records.size(), 1u);
  EXPECT_EQ(doc.records[0].fields, (Fields{"Hopper, Grace", "say \"hi\"", ""}));
}

TEST(Csv, NewlinesInsideQuotesStayInTheValueAndCountAsLines) {
  const auto doc = parse_csv("name,note\n\"a\",\"two\nlines\"\n\"b\",\"x\r\ny\"\nc,plain\n");
  ASSERT_TRUE(doc.errors.empty());
  ASSERT_EQ(doc.records.size(), 4u);
  EXPECT_EQ(doc.records[1].fields[1], "two\nlines");
  EXPECT_EQ(doc.records[2].fields[1], "x\r\ny");
  EXPECT_EQ(doc.records[1].line, 2u);
  EXPECT_EQ(doc.records[2].line, 4u);
  EXPECT_EQ(doc.records[3].line, 6u);  // the line an editor shows for "c,plain"
}

TEST(Csv, CrlfLfAndLoneCrAllEndRecords) {
  const auto doc = parse_csv("a,b\r\n1,2\r\n3,4\n5,6\r7,8");
  ASSERT_TRUE(doc.errors.empty());
  ASSERT_EQ(doc.records.size(), 5u);
  EXPECT_EQ(doc.records[1].fields, (Fields{"1", "2"}));  // no stray '\r' in the last field
  EXPECT_EQ(doc.records[4].fields, (Fields{"7", "8"}));
  EXPECT_EQ(doc.records[4].line, 5u);
}

TEST(Csv, ByteOrderMarkIsSkipped) {
  const auto doc = parse_csv("\xEF\xBB\xBFsipUri,enabled\r\na@b.c,true\r\n");
  ASSERT_TRUE(doc.errors.empty());
  ASSERT_EQ(doc.records.size(), 2u);
  EXPECT_EQ(doc.records[0].fields[0], "sipUri");
}

TEST(Csv, BlankLinesAreSkippedButCounted) {
  const auto doc = parse_csv("h\n\n\r\nv\n\n");
  ASSERT_TRUE(doc.errors.empty());
  ASSERT_EQ(doc.records.size(), 2u);
  EXPECT_EQ(doc.records[1].fields, (Fields{"v"}));
  EXPECT_EQ(doc.records[1].line, 4u);
}

TEST(Csv, EmptyInputHasNoRecords) {
  EXPECT_TRUE(parse_csv("").records.empty());
  EXPECT_TRUE(parse_csv("\xEF\xBB\xBF").records.empty());
}

TEST(Csv, UnterminatedQuoteIsAnErrorOnItsLineAndEarlierRowsSurvive) {
  const auto doc = parse_csv("h1,h2\nok,1\nbad,\"never closed\nmore,2\n");
  ASSERT_EQ(doc.records.size(), 2u);
  ASSERT_EQ(doc.errors.size(), 1u);
  EXPECT_EQ(doc.errors[0].line, 3u);
  EXPECT_NE(doc.errors[0].message.find("unterminated"), std::string::npos) << doc.errors[0].message;
}

TEST(Csv, QuoteInsideUnquotedFieldIsAnErrorAndReadingGoesOn) {
  const auto doc = parse_csv("h\nab\"c\nnext\n");
  ASSERT_EQ(doc.errors.size(), 1u);
  EXPECT_EQ(doc.errors[0].line, 2u);
  ASSERT_EQ(doc.records.size(), 2u);
  EXPECT_EQ(doc.records[1].fields, (Fields{"next"}));
  EXPECT_EQ(doc.records[1].line, 3u);
}

TEST(Csv, TextAfterClosingQuoteIsAnError) {
  const auto doc = parse_csv("\"a\"b,c\nd,e\n");
  ASSERT_EQ(doc.errors.size(), 1u);
  EXPECT_EQ(doc.errors[0].line, 1u);
  ASSERT_EQ(doc.records.size(), 1u);
  EXPECT_EQ(doc.records[0].line, 2u);
}

TEST(Csv, ErrorInAMultiLineRecordNamesWhereTheRecordStarts) {
  const auto doc = parse_csv("a,\"x\ny\"z\nb,c\n");
  ASSERT_EQ(doc.errors.size(), 1u);
  EXPECT_EQ(doc.errors[0].line, 1u);
  ASSERT_EQ(doc.records.size(), 1u);
  EXPECT_EQ(doc.records[0].line, 3u);
}

TEST(Csv, LimitsStopRunawayInput) {
  CsvLimits limits;
  limits.max_records = 2;
  const auto doc = parse_csv("a\nb\nc\n", limits);
  EXPECT_TRUE(doc.truncated);
  EXPECT_EQ(doc.records.size(), 2u);
  EXPECT_FALSE(parse_csv("a\nb\n", limits).truncated);

  limits = {};
  limits.max_fields = 3;
  auto wide = parse_csv("1,2,3,4\n1,2,3\n", limits);
  ASSERT_EQ(wide.errors.size(), 1u);
  EXPECT_EQ(wide.errors[0].line, 1u);
  ASSERT_EQ(wide.records.size(), 1u);

  limits = {};
  limits.max_field_bytes = 4;
  auto big = parse_csv("12345,x\n\"123456\nmore\",y\nok,z\n", limits);
  ASSERT_EQ(big.errors.size(), 2u);
  EXPECT_EQ(big.errors[0].line, 1u);
  EXPECT_EQ(big.errors[1].line, 2u);
  ASSERT_EQ(big.records.size(), 1u);
  EXPECT_EQ(big.records[0].fields, (Fields{"ok", "z"}));
}

}  // namespace
}  // namespace parley::cli
