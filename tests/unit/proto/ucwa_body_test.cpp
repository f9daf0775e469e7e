#include "proto/ucwa/body.hpp"

#include "common/error.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace parley::proto::ucwa {
namespace {

// Runs `f`, expecting an ApiError; returns it for inspection (a default error when none came).
template <class F>
ApiError error_of(F&& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no ApiError thrown";
  return ApiError(0, "", "", "");
}

void expect_deserialization_failure(std::string_view text) {
  const auto e = error_of([&] { Body::parse(text); });
  EXPECT_EQ(e.status(), 400) << text;
  EXPECT_EQ(e.code(), "BadRequest") << text;
  EXPECT_EQ(e.subcode(), "DeserializationFailure") << text;
}

void expect_invalid(const std::function<void()>& f, std::string_view property) {
  const auto e = error_of(f);
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.subcode(), "ParameterValidationFailure");
  EXPECT_NE(std::string(e.what()).find(property), std::string::npos) << e.what();
}

std::string nested(unsigned depth) {
  std::string s;
  for (unsigned i = 1; i < depth; ++i) s += "{\"a\":";
  s += "{}";
  s.append(depth - 1, '}');
  return s;
}

TEST(UcwaBody, NamesMatchWhateverTheCase) {
  const auto body = Body::parse(R"({"UserAgent":"UCWA Samples","EndpointId":"123","culture":"en-US"})");
  EXPECT_EQ(body.string("userAgent", 256), "UCWA Samples");
  EXPECT_EQ(body.string("endpointid", 256), "123");
  EXPECT_EQ(body.string("Culture", 256), "en-US");
  EXPECT_TRUE(body.has("USERAGENT"));
  EXPECT_FALSE(body.has("UserAgen"));
  EXPECT_EQ(body.string("missing", 10), std::nullopt);
}

TEST(UcwaBody, LinksAndEmbeddedDoNotGetInTheWay) {
  const auto body = Body::parse(
      R"({"_links":{"self":{"href":"/ucwa/oauth/v1/applications/1"}},"_embedded":{"me":{"name":"x"}},)"
      R"("availability":"Busy"})");
  EXPECT_EQ(body.string("availability", 32), "Busy");
  EXPECT_EQ(body.object().size(), 3u);
}

TEST(UcwaBody, EmptyBodyIsAnEmptyObject) {
  for (std::string_view text : {"", " ", "\r\n\t "}) {
    const auto body = Body::parse(text);
    EXPECT_TRUE(body.object().empty());
    EXPECT_EQ(body.string("availability", 32), std::nullopt);
  }
  EXPECT_TRUE(Body::parse("{}").object().empty());
}

TEST(UcwaBody, OnlyObjectsAreBodies) {
  for (std::string_view text : {"[]", "\"Busy\"", "42", "null", "true", "{", "{\"a\":}", "{\"a\":1} {}",
                                "{\"a\":1,}", "{'a':1}", "{\"a\":1 // note\n}", "\xef\xbb\xbf{}"}) {
    expect_deserialization_failure(text);
  }
}

TEST(UcwaBody, InvalidUtf8IsRejected) {
  expect_deserialization_failure("{\"note\":\"\xc3\"}");
  expect_deserialization_failure("{\"note\":\"\xed\xa0\x80\"}");  // a lone surrogate
}

TEST(UcwaBody, NestingIsLimited) {
  EXPECT_NO_THROW(Body::parse(nested(kMaxDepth)));
  expect_deserialization_failure(nested(kMaxDepth + 1));
  expect_deserialization_failure(std::string(10000, '['));
}

TEST(UcwaBody, TooLargeIsEntityTooLarge) {
  const std::string text = R"({"message":"0123456789"})";  // 24 bytes
  EXPECT_NO_THROW(Body::parse(text, text.size()));
  const auto e = error_of([&] { Body::parse(text, text.size() - 1); });
  EXPECT_EQ(e.status(), 413);
  EXPECT_EQ(e.code(), "EntityTooLarge");

  std::string big = "{\"message\":\"" + std::string(kMaxBodyBytes, 'x') + "\"}";
  EXPECT_EQ(error_of([&] { Body::parse(big); }).status(), 413);
}

TEST(UcwaBody, DuplicatePropertiesAreRejected) {
  expect_deserialization_failure(R"({"signInAs":"Busy","signInAs":"Away"})");
  expect_deserialization_failure(R"({"signInAs":"Busy","SignInAs":"Away"})");
  expect_deserialization_failure(R"({"x":{"b":1,"B":2}})");
  expect_deserialization_failure(R"({"a\u0062":1,"ab":2})");  // same name once unescaped
  // The same name in two different objects is fine.
  EXPECT_NO_THROW(Body::parse(R"({"x":{"b":1},"y":{"b":1},"z":[{"b":1},{"b":2}]})"));
}

TEST(UcwaBody, WrongTypesNameTheProperty) {
  const auto body = Body::parse(
      R"({"signInAs":5,"inactiveTimeout":"5","includeInContactCard":"true","supportedModalities":"Messaging"})");
  expect_invalid([&] { body.string("signInAs", 32); }, "signInAs");
  expect_invalid([&] { body.integer("inactiveTimeout", 1, 60); }, "inactiveTimeout");
  expect_invalid([&] { body.boolean("includeInContactCard"); }, "includeInContactCard");
  expect_invalid([&] { body.strings("supportedModalities", 10, 32); }, "supportedModalities");
  expect_invalid([&] { body.required_string("signInAs", 32); }, "signInAs");
}

TEST(UcwaBody, NullIsAbsent) {
  const auto body = Body::parse(R"({"message":null,"duration":null,"flag":null,"uris":null})");
  EXPECT_TRUE(body.has("message"));
  EXPECT_EQ(body.string("message", 10), std::nullopt);
  EXPECT_EQ(body.integer("duration", 0, 10), std::nullopt);
  EXPECT_EQ(body.boolean("flag"), std::nullopt);
  EXPECT_EQ(body.strings("uris", 10, 10), std::nullopt);
  expect_invalid([&] { body.required_string("message", 10); }, "message");
}

TEST(UcwaBody, Integers) {
  const auto body = Body::parse(
      R"({"a":5,"b":5.0,"c":5.5,"d":-3,"e":18446744073709551615,"f":1e3,"g":9223372036854775807,)"
      R"("h":1e300,"i":true})");
  EXPECT_EQ(body.integer("a", 0, 10), 5);
  EXPECT_EQ(body.integer("b", 0, 10), 5);
  expect_invalid([&] { body.integer("c", 0, 10); }, "c");
  EXPECT_EQ(body.integer("d", -10, 10), -3);
  expect_invalid([&] { body.integer("d", 0, 10); }, "d");
  expect_invalid([&] { body.integer("a", 6, 10); }, "a");
  expect_invalid([&] { body.integer("a", 0, 4); }, "a");
  expect_invalid([&] { body.integer("e", 0, INT64_MAX); }, "e");
  EXPECT_EQ(body.integer("f", 0, 1000), 1000);
  EXPECT_EQ(body.integer("g", 0, INT64_MAX), INT64_MAX);
  expect_invalid([&] { body.integer("h", INT64_MIN, INT64_MAX); }, "h");
  expect_invalid([&] { body.integer("i", 0, 1); }, "i");
}

TEST(UcwaBody, Booleans) {
  const auto body = Body::parse(R"({"yes":true,"no":false,"one":1})");
  EXPECT_EQ(body.boolean("YES"), true);
  EXPECT_EQ(body.boolean("no"), false);
  expect_invalid([&] { body.boolean("one"); }, "one");
}

TEST(UcwaBody, StringArrays) {
  const auto body = Body::parse(
      R"({"SupportedModalities":["Messaging","PhoneAudio"],"empty":[],"mixed":["a",1],"long":["abcd"]})");
  EXPECT_EQ(body.strings("supportedModalities", 7, 32), (std::vector<std::string>{"Messaging", "PhoneAudio"}));
  EXPECT_EQ(body.strings("empty", 7, 32), std::vector<std::string>{});
  expect_invalid([&] { body.strings("supportedModalities", 1, 32); }, "supportedModalities");
  expect_invalid([&] { body.strings("mixed", 7, 32); }, "mixed");
  expect_invalid([&] { body.strings("long", 7, 3); }, "long");
  EXPECT_EQ(body.strings("long", 7, 4), std::vector<std::string>{"abcd"});
}

TEST(UcwaBody, LengthsCountCharactersNotBytes) {
  std::string e_acute;
  for (int i = 0; i < 100; ++i) e_acute += "\xc3\xa9";
  const auto body = Body::parse("{\"location\":\"" + e_acute + "\",\"emoji\":\"\\ud83d\\ude00\"}");
  EXPECT_EQ(body.string("location", 100), e_acute);
  expect_invalid([&] { body.string("location", 99); }, "location");
  EXPECT_EQ(body.string("emoji", 1), "\xf0\x9f\x98\x80");
  EXPECT_EQ(utf8_length(e_acute), 100u);
  EXPECT_EQ(utf8_length("\xf0\x9f\x98\x80"), 1u);
  EXPECT_EQ(utf8_length(""), 0u);
}

TEST(UcwaBody, RequiredString) {
  const auto body = Body::parse(R"({"message":"hello","blank":"","number":3})");
  EXPECT_EQ(body.required_string("Message", 5), "hello");
  expect_invalid([&] { body.required_string("message", 4); }, "message");
  expect_invalid([&] { body.required_string("blank", 10); }, "blank");
  expect_invalid([&] { body.required_string("absent", 10); }, "absent");
  expect_invalid([&] { body.required_string("number", 10); }, "number");
}

TEST(UcwaBody, ContentTypes) {
  const std::string text = R"({"availability":"Away"})";
  for (std::string_view ct : {"application/json", "Application/JSON; charset=utf-8",
                              " application/vnd.microsoft.com.ucwa+json ;charset=UTF-8",
                              "APPLICATION/VND.MICROSOFT.COM.UCWA+JSON"}) {
    EXPECT_EQ(Body::parse_json_request(ct, text).string("availability", 32), "Away") << ct;
  }
  for (std::string_view ct : {"application/xml", "application/vnd.microsoft.com.ucwa+xml", "text/plain",
                              "application/jsonp", "application/x-www-form-urlencoded", "", "; charset=utf-8"}) {
    const auto e = error_of([&] { Body::parse_json_request(ct, text); });
    EXPECT_EQ(e.status(), 415) << ct;
    EXPECT_EQ(e.code(), "UnsupportedMediaType") << ct;
  }
  // No Content-Type is fine when there is nothing to read.
  EXPECT_TRUE(Body::parse_json_request("", "").object().empty());
  // The media type is right but the body is not JSON.
  EXPECT_EQ(error_of([] { Body::parse_json_request("application/json", "availability=Away"); }).subcode(),
            "DeserializationFailure");
  EXPECT_EQ(error_of([&] { Body::parse_json_request("application/json", text, 5); }).status(), 413);
}

}  // namespace
}  // namespace parley::proto::ucwa
