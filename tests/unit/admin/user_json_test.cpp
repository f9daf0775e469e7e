#include "admin/json_body.hpp"
#include "admin/user_json.hpp"

#include "common/error.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace parley::admin {
namespace {

boost::json::object obj(std::string_view text) { return boost::json::parse(text).as_object(); }

TEST(SipUri, NormalisesCaseAndPrefix) {
  EXPECT_EQ(normalize_sip_uri("sip:Alice@Example.ORG"), "alice@example.org");
  EXPECT_EQ(normalize_sip_uri("o'brien.j-x+1@sub.example.org"), "o'brien.j-x+1@sub.example.org");
}

TEST(SipUri, RejectsWhatIsNotUserAtDomain) {
  for (const char* bad : {"", "alice", "@example.org", "alice@", "a@b@c", "al ice@example.org",
                          "alice@exa_mple.org", "alice@-example.org", "alice@example..org",
                          "alice@example.org\n"})
    EXPECT_THROW(normalize_sip_uri(bad), ParameterValidationFailure) << bad;
  EXPECT_THROW(normalize_sip_uri(std::string(65, 'a') + "@example.org"), ParameterValidationFailure);
}

TEST(UserInput, ReadsPropertiesCaseInsensitively) {
  auto in = parse_user_input(obj(R"({"SipUri":"Bob@Example.org","DisplayName":"Bob","Enabled":false,
                                     "phones":{"Mobile":"+1 (555) 0100"}})"));
  ASSERT_TRUE(in.sip_uri);
  EXPECT_EQ(*in.sip_uri, "bob@example.org");
  EXPECT_EQ(in.patch.display_name, "Bob");
  EXPECT_EQ(in.patch.enabled, false);
  EXPECT_EQ(in.patch.phone_mobile, "+1 (555) 0100");
  EXPECT_FALSE(in.patch.title);  // absent stays absent
}

TEST(UserInput, NamesTheOffendingProperty) {
  auto message = [](std::string_view text) {
    try {
      parse_user_input(obj(text));
    } catch (const ParameterValidationFailure& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message(R"({"colour":"red"})").find("colour"), std::string::npos);
  EXPECT_NE(message(R"({"displayName":5})").find("displayName"), std::string::npos);
  EXPECT_NE(message(R"({"enabled":"yes"})").find("enabled"), std::string::npos);
  EXPECT_NE(message(R"({"phones":{"work":"call me"}})").find("phones.work"), std::string::npos);
  EXPECT_NE(message(R"({"title":")" + std::string(257, 'x') + R"("})").find("title"), std::string::npos);
  EXPECT_NE(message(R"({"password":"short"})").find("password"), std::string::npos);
  EXPECT_NE(message(R"({"office":"a\u0001b"})").find("control"), std::string::npos);
}

TEST(UserInput, CountsCharactersNotBytes) {
  // 256 two-byte characters are within the limit of 256 characters.
  std::string name;
  for (int i = 0; i < 256; ++i) name += "\xC3\xA9";
  EXPECT_NO_THROW(parse_user_input(obj(R"({"displayName":")" + name + R"("})")));
}

TEST(JsonBody, RequiresJsonContentTypeAndAnObject) {
  http::Request req;
  req.body = R"({"a":1})";
  EXPECT_THROW(parse_json_object(req), UnsupportedMediaType);
  req.headers.set("Content-Type", "application/json; charset=utf-8");
  EXPECT_NO_THROW(parse_json_object(req));
  req.body = "[1,2]";
  EXPECT_THROW(parse_json_object(req), BadRequest);
  req.body = "{\"a\":";
  EXPECT_THROW(parse_json_object(req), BadRequest);
}

}  // namespace
}  // namespace parley::admin
