// The policy and config verbs' flags: names derived from the cmdlet parameters, values typed the
// way the admin API wants them, and the tables an administrator reads.
#include "cli/app.hpp"
#include "cli/discovery.hpp"
#include "cli/policy_flags.hpp"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

namespace parley::cli {
namespace {

using policy::FieldSpec;
using policy::Kind;

TEST(FlagName, CmdletNamesBecomeKebabCaseWithAcronymsAsOneWord) {
  EXPECT_EQ(flag_name("EnableMobility"), "enable-mobility");
  EXPECT_EQ(flag_name("RequireWIFIForIPVideo"), "require-wifi-for-ip-video");
  EXPECT_EQ(flag_name("EnableIPAudioVideo"), "enable-ip-audio-video");
  EXPECT_EQ(flag_name("VoiceSettings"), "voice-settings");
  EXPECT_EQ(flag_name("AllowSaveIMHistory"), "allow-save-im-history");
  EXPECT_EQ(flag_name("ExposedWebURL"), "exposed-web-url");
  EXPECT_EQ(flag_name("SessionShortExpirationInterval"), "session-short-expiration-interval");
  EXPECT_EQ(flag_name("RequireWiFiForSharing"), "require-wifi-for-sharing");
}

TEST(FlagName, EveryFieldOfEveryKindHasItsOwnFlag) {
  for (Kind k : {Kind::mobility, Kind::mcx, Kind::push, Kind::webservice}) {
    std::set<std::string> seen;
    for (const auto& f : policy::fields(k)) {
      const std::string flag = flag_name(f.name);
      EXPECT_TRUE(seen.insert(flag).second) << flag << " twice in " << policy::to_string(k);
      // The flag leads back to the field, so --clear accepts either spelling.
      EXPECT_EQ(find_field(k, "--" + flag), &f);
      EXPECT_EQ(find_field(k, f.name), &f);
    }
  }
  EXPECT_NE(find_field(Kind::mobility, "--require-wifi-for-ip-video"), nullptr);
  EXPECT_EQ(find_field(Kind::mobility, "--session-expiration-interval"), nullptr);
}

FieldSpec boolean_field() {
  FieldSpec f{"EnableMobility", FieldSpec::Type::boolean, true, 0, 0, {}, "mobile sign-in"};
  return f;
}

TEST(FieldValue, BooleansAreSentAsJsonBooleans) {
  const auto f = boolean_field();
  EXPECT_EQ(parse_field_value(f, "false"), boost::json::value(false));
  EXPECT_EQ(parse_field_value(f, "TRUE"), boost::json::value(true));
  try {
    parse_field_value(f, "maybe");
    FAIL() << "no UsageError";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--enable-mobility"), std::string::npos) << what;
    EXPECT_NE(what.find("true or false"), std::string::npos) << what;
  }
}

TEST(FieldValue, IntegersAreSentAsNumbersAndTheServerChecksTheRange) {
  FieldSpec f{"SessionExpirationInterval", FieldSpec::Type::integer, 259200, 120, 4294967295, {}, ""};
  EXPECT_EQ(parse_field_value(f, "7200"), boost::json::value(std::int64_t{7200}));
  // Out of range still goes to the server, which refuses it and changes nothing.
  EXPECT_EQ(parse_field_value(f, "5"), boost::json::value(std::int64_t{5}));
  EXPECT_THROW(parse_field_value(f, "2h"), UsageError);
  EXPECT_THROW(parse_field_value(f, ""), UsageError);
  EXPECT_THROW(parse_field_value(f, "1.5"), UsageError);
}

TEST(FieldValue, ChoicesMatchAnyCaseAndAreSentCanonically) {
  FieldSpec f{"ExposedWebURL", FieldSpec::Type::choice, "External", 0, 0, {"Internal", "External"}, ""};
  EXPECT_EQ(parse_field_value(f, "internal"), boost::json::value("Internal"));
  try {
    parse_field_value(f, "Both");
    FAIL() << "no UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("Internal or External"), std::string::npos) << e.what();
  }
}

TEST(Tables, AuditRowsShowOldAndNewValues) {
  boost::json::array entries{boost::json::object{
      {"id", 3}, {"at", "2024-05-01T10:00:00Z"}, {"actor", "admin"}, {"action", "policy.set"},
      {"target", "mobility/fieldwork"},
      {"old", boost::json::object{{"RequireWIFIForIPVideo", false}}},
      {"new", boost::json::object{{"RequireWIFIForIPVideo", true}}}}};
  const std::string out = format_audit(entries, false);
  EXPECT_NE(out.find("mobility/fieldwork"), std::string::npos) << out;
  EXPECT_NE(out.find("{\"RequireWIFIForIPVideo\":false} -> {\"RequireWIFIForIPVideo\":true}"), std::string::npos) << out;
  EXPECT_NE(out.find("1 entry"), std::string::npos) << out;
}

TEST(Tables, EffectiveValuesNameTheScopeEachComesFrom) {
  boost::json::object values{{"EnableMobility", false}, {"VoiceSettings", "VoIPAlways"}};
  boost::json::object source{{"EnableMobility", "user bob@example.org (policy contractor)"},
                             {"VoiceSettings", "default"}};
  const std::string out = format_values(Kind::mobility, values, source);
  std::istringstream lines(out);
  std::string line;
  bool mobility = false, voice = false;
  while (std::getline(lines, line)) {
    if (line.rfind("EnableMobility", 0) == 0)
      mobility = line.find("false") != std::string::npos && line.find("user bob@example.org (policy contractor)") != std::string::npos;
    if (line.rfind("VoiceSettings", 0) == 0) voice = line.find("default") != std::string::npos;
  }
  EXPECT_TRUE(mobility) << out;
  EXPECT_TRUE(voice) << out;
}

TEST(Tables, ColumnsAlign) {
  const std::string out = format_table({"A", "B"}, {{"long value", "x"}, {"s", "y"}});
  EXPECT_EQ(out, "A           B\nlong value  x\ns           y\n");
}

// A bad flag value is a usage error found before any server is needed.
TEST(PolicyCli, WrongValueTypeIsAUsageErrorWithoutContactingTheServer) {
  const char* argv[] = {"parley", "--server", "https://127.0.0.1:1", "policy", "new", "mobility", "p1",
                        "--enable-mobility", "perhaps"};
  std::istringstream in;
  std::ostringstream out, err;
  CliEnvironment env;
  env.env = [](const char*) -> std::optional<std::string> { return std::nullopt; };
  const int code = run_cli(static_cast<int>(std::size(argv)), argv, in, out, err, env);
  EXPECT_EQ(code, kExitUsage) << err.str();
  EXPECT_NE(err.str().find("--enable-mobility"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace parley::cli
