// The web-ticket service's form parser: what a client may send and every way it can be wrong.
#include "auth/form.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::auth {
namespace {

constexpr std::string_view kForm = "application/x-www-form-urlencoded";

ParsedForm parse(std::string_view body) { return parse_form(kForm, body); }

TEST(Form, DecodesThePasswordGrantAsClientsSendIt) {
  const auto f = parse("grant_type=password&username=alice%40example.org&password=p%26ss+w%3Drd%2B");
  ASSERT_TRUE(f.ok()) << describe(f.error);
  ASSERT_EQ(f.fields.size(), 3u);
  EXPECT_EQ(f.get("grant_type"), "password");
  EXPECT_EQ(f.get("username"), "alice@example.org");
  EXPECT_EQ(f.get("password"), "p&ss w=rd+");
  EXPECT_EQ(f.get("scope"), std::nullopt);
  EXPECT_EQ(f.get("Password"), std::nullopt);  // names are case-sensitive
  EXPECT_EQ(f.fields[0].name, "grant_type");   // order kept
}

TEST(Form, DecodesMultibyteUtf8AndLowerCaseHex) {
  const auto f = parse("username=EXAMPLE%5c%C3%A9lise&password=%e2%82%ac");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f.get("username"), "EXAMPLE\\\xC3\xA9lise");
  EXPECT_EQ(f.get("password"), "\xE2\x82\xAC");
}

TEST(Form, EmptyPiecesAreSkippedAndBareNamesHaveEmptyValues) {
  const auto f = parse("&a=1&&b&c=&");
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f.fields.size(), 3u);
  EXPECT_EQ(f.get("a"), "1");
  EXPECT_EQ(f.get("b"), "");
  EXPECT_EQ(f.get("c"), "");
  EXPECT_TRUE(parse("").ok());
  EXPECT_TRUE(parse("").fields.empty());
  EXPECT_EQ(parse("a==b").get("a"), "=b");  // only the first '=' separates
}

TEST(Form, AcceptsTheContentTypeInItsUsualSpellings) {
  for (std::string_view ct : {"application/x-www-form-urlencoded", "Application/X-WWW-Form-URLEncoded",
                              "application/x-www-form-urlencoded;charset=UTF-8",
                              "application/x-www-form-urlencoded; charset=utf-8",
                              "application/x-www-form-urlencoded ; Charset=\"UTF-8\"",
                              "application/x-www-form-urlencoded;charset=utf8;"}) {
    EXPECT_TRUE(is_form_content_type(ct)) << ct;
    EXPECT_TRUE(parse_form(ct, "a=1").ok()) << ct;
  }
}

TEST(Form, RefusesOtherContentTypes) {
  for (std::string_view ct : {"", "application/json", "multipart/form-data; boundary=x", "text/plain",
                              "application/x-www-form-urlencodedx", "application/x-www-form",
                              "application/x-www-form-urlencoded;charset=ISO-8859-1",
                              "application/x-www-form-urlencoded;boundary=x",
                              "application/x-www-form-urlencoded;charset"}) {
    EXPECT_FALSE(is_form_content_type(ct)) << ct;
    EXPECT_EQ(parse_form(ct, "a=1").error, FormError::wrong_content_type) << ct;
  }
}

TEST(Form, BodyLimitIsEightKibibytes) {
  const std::string fits = "a=" + std::string(1022, 'x') + std::string(8192 - 1024, '&');
  ASSERT_EQ(fits.size(), 8192u);
  EXPECT_TRUE(parse(fits).ok());
  EXPECT_EQ(parse(fits + "&").error, FormError::body_too_large);
  EXPECT_TRUE(parse(fits + "&").fields.empty());
}

TEST(Form, AtMostThirtyTwoFields) {
  std::string body;
  for (int i = 0; i < 32; ++i) body += "f" + std::to_string(i) + "=v&";
  EXPECT_TRUE(parse(body).ok());
  EXPECT_EQ(parse(body + "f32=v").error, FormError::too_many_fields);
}

TEST(Form, NamesAndValuesAreLimitedAfterDecoding) {
  EXPECT_TRUE(parse("a=" + std::string(1024, 'x')).ok());
  EXPECT_EQ(parse("a=" + std::string(1025, 'x')).error, FormError::field_too_long);
  EXPECT_EQ(parse(std::string(1025, 'n') + "=1").error, FormError::field_too_long);
  std::string encoded;
  for (int i = 0; i < 1024; ++i) encoded += "%41";  // 3 KiB on the wire, 1 KiB decoded
  const auto f = parse("a=" + encoded);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f.get("a"), std::string(1024, 'A'));
}

TEST(Form, DuplicateNamesAreRefusedEvenWhenEncodedDifferently) {
  EXPECT_EQ(parse("username=a&username=b").error, FormError::duplicate_field);
  EXPECT_EQ(parse("username=a&user%6Eame=a").error, FormError::duplicate_field);
  EXPECT_EQ(parse("password=&password").error, FormError::duplicate_field);
  EXPECT_TRUE(parse("username=a&Username=b").ok());
}

TEST(Form, BadPercentEncodingIsRefused) {
  for (std::string_view body : {"a=%", "a=%4", "a=%zz", "a=%4g", "a%=1", "a=1%2", "a=%%41"})
    EXPECT_EQ(parse(body).error, FormError::bad_percent_encoding) << body;
}

TEST(Form, NulBytesAreRefusedEncodedOrRaw) {
  EXPECT_EQ(parse("a=%00").error, FormError::nul_byte);
  EXPECT_EQ(parse(std::string("a=x\0y", 5)).error, FormError::nul_byte);
  EXPECT_EQ(parse("%00=1").error, FormError::nul_byte);
}

TEST(Form, NonUtf8IsRefused) {
  for (std::string_view body : {"a=%FF", "a=%C0%AF", "a=%ED%A0%80", "a=%E2%82", "a=%F4%90%80%80", "%80=1",
                                "a=\xC3"})
    EXPECT_EQ(parse(body).error, FormError::not_utf8) << body;
}

TEST(Form, AFieldWithoutANameIsRefused) {
  EXPECT_EQ(parse("=value").error, FormError::empty_name);
  EXPECT_EQ(parse("a=1&=2").error, FormError::empty_name);
}

TEST(Form, Utf8Validator) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF"));
  EXPECT_FALSE(is_valid_utf8("\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));          // overlong two-byte
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong three-byte
  EXPECT_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));  // overlong four-byte
  EXPECT_FALSE(is_valid_utf8("\xED\xBF\xBF"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xE2\x28\xA1"));      // bad continuation
}

TEST(Form, EveryErrorHasADescription) {
  for (auto e : {FormError::wrong_content_type, FormError::body_too_large, FormError::too_many_fields,
                 FormError::field_too_long, FormError::empty_name, FormError::duplicate_field,
                 FormError::bad_percent_encoding, FormError::nul_byte, FormError::not_utf8})
    EXPECT_FALSE(describe(e).empty());
}

}  // namespace
}  // namespace parley::auth
