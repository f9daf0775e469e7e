// What an administrator sees: the user table, a user's details, and --json documents.
#include "cli/output.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace parley::cli {
namespace {

boost::json::object user(std::string sip, std::string name, bool enabled, std::string dept) {
  return {{"sipUri", sip}, {"displayName", name}, {"email", ""}, {"title", ""},
          {"department", dept}, {"office", ""},
          {"phones", {{"work", "+1 555"}, {"mobile", ""}, {"home", ""}, {"other", ""}}},
          {"site", ""}, {"enabled", enabled}, {"hasPassword", true},
          {"created", "2026-11-24T09:00:00.000Z"}, {"updated", "2026-11-24T09:00:00.000Z"}};
}

TEST(UserTable, AlignedColumnsAndACount) {
  boost::json::array users{user("alice@example.org", "Alice Example", true, "R&D"),
                           user("bo@example.org", "Bö", false, "")};
  EXPECT_EQ(format_user_table(users),
            "SIP URI            DISPLAY NAME   ENABLED  DEPARTMENT\n"
            "alice@example.org  Alice Example  yes      R&D\n"
            "bo@example.org     Bö             no\n"
            "2 users\n");
}

TEST(UserTable, EmptyAndSingularAndCutShort) {
  EXPECT_EQ(format_user_table({}), "no users\n");
  boost::json::array one{user("a@x.org", "A", true, "")};
  const auto text = format_user_table(one);
  EXPECT_NE(text.find("\n1 user\n"), std::string::npos) << text;
  EXPECT_NE(format_user_table(one, true).find("there are more"), std::string::npos);
}

TEST(UserTable, ControlCharactersAndLongNamesAreTamed) {
  boost::json::array users{user("a@x.org", "evil\x1b[2Jname", true, std::string(100, 'd'))};
  const auto text = format_user_table(users);
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << "escape sequences never reach the terminal";
  EXPECT_NE(text.find("evil?[2Jname"), std::string::npos) << text;
  EXPECT_NE(text.find(std::string(37, 'd') + "..."), std::string::npos) << text;
  EXPECT_EQ(text.find(std::string(38, 'd')), std::string::npos) << text;
}

TEST(UserDetails, KeyValueLinesWithFlattenedPhones) {
  const auto text = format_user_details(user("alice@example.org", "Alice", false, "R&D"));
  EXPECT_EQ(text.substr(0, text.find('\n') + 1), "sipUri:      alice@example.org\n");
  EXPECT_NE(text.find("\nphoneWork:   +1 555\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nenabled:     false\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nhasPassword: true\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nemail:\n"), std::string::npos) << "no trailing blanks: " << text;
  EXPECT_EQ(text.find("phones"), std::string::npos) << text;
}

TEST(PrettyJson, IndentedAndRoundTrips) {
  const auto v = boost::json::parse(R"({"users":[{"a":1,"b":"x\"y"}],"next":null,"e":{},"f":[]})");
  const auto text = pretty_json(v);
  EXPECT_EQ(text,
            "{\n"
            "  \"users\": [\n"
            "    {\n"
            "      \"a\": 1,\n"
            "      \"b\": \"x\\\"y\"\n"
            "    }\n"
            "  ],\n"
            "  \"next\": null,\n"
            "  \"e\": {},\n"
            "  \"f\": []\n"
            "}\n");
  EXPECT_EQ(boost::json::parse(text), v);
}

}  // namespace
}  // namespace parley::cli
