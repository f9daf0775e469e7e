// Mobility policies, service configuration, live sessions and the audit trail, driven through
// the real `parley` CLI against a running parleyd, the way an administrator does it.
#include "harness.hpp"
#include "ucwa_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace parley::e2e {
namespace {

namespace json = boost::json;

class PolicyCli : public ::testing::Test {
protected:
  void SetUp() override { server.start_with_test_config(dir.path()); }

  CommandResult parley(std::vector<std::string> args) {
    return run_parley(server, args);
  }
  // Runs with --json, expects success and parses the output.
  json::object parley_json(std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    const auto r = parley(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return parse_json(r.out).as_object();
  }
  std::size_t audit_count() { return parley_json({"audit", "--limit", "1000"}).at("entries").as_array().size(); }

  TempDir dir;
  Parleyd server;
};

std::string text(const json::value& v) { return std::string(v.as_string()); }

TEST_F(PolicyCli, PoliciesAssignedToSitesAndUsersResolveWithTheirSource) {
  add_user(server, "bob@example.org", {"--site", "field-staff"});
  add_user(server, "carol@example.org", {"--site", "field-staff"});
  add_user(server, "dave@example.org");

  auto created = parley({"policy", "new", "mobility", "fieldwork", "--require-wifi-for-ip-video", "true",
                         "--require-wifi-for-sharing", "true"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  ASSERT_EQ(parley({"policy", "grant", "mobility", "fieldwork", "--site", "field-staff"}).exit_code, 0);
  ASSERT_EQ(parley({"policy", "new", "mobility", "contractor", "--enable-mobility", "false"}).exit_code, 0);
  auto grant = parley({"policy", "grant", "mobility", "contractor", "--user", "carol@example.org"});
  ASSERT_EQ(grant.exit_code, 0) << grant.err;

  // Bob gets the site's policy; Dave, on no site, the defaults.
  auto bob = parley_json({"policy", "effective", "mobility", "bob@example.org"});
  EXPECT_EQ(text(bob.at("site")), "field-staff");
  EXPECT_TRUE(bob.at("values").at("RequireWIFIForIPVideo").as_bool());
  EXPECT_NE(text(bob.at("source").at("RequireWIFIForIPVideo")).find("fieldwork"), std::string::npos)
      << json::serialize(bob);
  EXPECT_EQ(text(bob.at("source").at("EnableMobility")), "default");
  auto dave = parley_json({"policy", "effective", "dave@example.org"});
  EXPECT_FALSE(dave.at("values").at("RequireWIFIForIPVideo").as_bool());

  // Carol's own policy overrides the site's for what it sets; the rest still comes from the site.
  auto carol = parley_json({"policy", "effective", "carol@example.org"});
  EXPECT_FALSE(carol.at("values").at("EnableMobility").as_bool());
  EXPECT_NE(text(carol.at("source").at("EnableMobility")).find("carol@example.org"), std::string::npos);
  EXPECT_TRUE(carol.at("values").at("RequireWIFIForIPVideo").as_bool());

  // The human form names the scope beside each value.
  auto human = parley({"policy", "effective", "carol@example.org"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("contractor"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("fieldwork"), std::string::npos) << human.out;

  // Set and --clear change exactly what was named.
  auto set = parley({"policy", "set", "mobility", "fieldwork", "--clear", "RequireWiFiForSharing",
                     "--voice-settings", "voipoverwifi"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  auto fieldwork = parley_json({"policy", "get", "mobility", "fieldwork"});
  const auto& settings = fieldwork.at("settings").as_object();
  EXPECT_TRUE(settings.at("RequireWIFIForIPVideo").as_bool());
  EXPECT_EQ(text(settings.at("VoiceSettings")), "VoIPOverWiFi");
  EXPECT_EQ(settings.size(), 2u) << json::serialize(settings);

  // The global policy applies to everybody without a more specific value.
  ASSERT_EQ(parley({"policy", "set", "mobility", "global", "--enable-outside-voice", "false"}).exit_code, 0);
  dave = parley_json({"policy", "effective", "dave@example.org"});
  EXPECT_FALSE(dave.at("values").at("EnableOutsideVoice").as_bool());
  EXPECT_EQ(text(dave.at("source").at("EnableOutsideVoice")), "global");

  // Listing shows policies and assignments.
  auto list = parley({"policy", "get", "mobility"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("site field-staff"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("user carol@example.org"), std::string::npos) << list.out;

  // --none removes the user's assignment; removing a policy removes its assignments.
  ASSERT_EQ(parley({"policy", "grant", "mobility", "--none", "--user", "carol@example.org"}).exit_code, 0);
  carol = parley_json({"policy", "effective", "carol@example.org"});
  EXPECT_TRUE(carol.at("values").at("EnableMobility").as_bool());
  ASSERT_EQ(parley({"policy", "remove", "mobility", "fieldwork"}).exit_code, 0);
  auto gone = parley({"policy", "get", "mobility", "fieldwork"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("NotFound"), std::string::npos) << gone.err;
  bob = parley_json({"policy", "effective", "bob@example.org"});
  EXPECT_FALSE(bob.at("values").at("RequireWIFIForIPVideo").as_bool());

  auto unknown = parley({"policy", "effective", "nobody@example.org"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("NotFound"), std::string::npos) << unknown.err;
}

TEST_F(PolicyCli, BadFlagValuesAreUsageErrors) {
  auto bad = parley({"policy", "new", "mobility", "x", "--voice-settings", "Carrier pigeon"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("VoIPAlways"), std::string::npos) << bad.err;
  EXPECT_EQ(parley({"policy", "get", "mobility", "x"}).exit_code, 1);
}

TEST_F(PolicyCli, ConfigChangesAreValidatedAndScopedToTheSite) {
  auto global = parley_json({"config", "get", "mcx"});
  EXPECT_EQ(global.at("effective").at("SessionShortExpirationInterval").as_int64(), 3600);
  const std::size_t entries_before = audit_count();

  // Below the 120 s minimum: refused, nothing stored, nothing audited.
  auto refused = parley({"config", "set", "mcx", "--site", "field-staff", "--session-short-expiration-interval", "5"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("SessionShortExpirationInterval"), std::string::npos) << refused.err;
  auto site = parley_json({"config", "get", "mcx", "--site", "field-staff"});
  EXPECT_TRUE(site.at("settings").as_object().empty()) << json::serialize(site);
  EXPECT_EQ(site.at("effective").at("SessionShortExpirationInterval").as_int64(), 3600);
  EXPECT_EQ(audit_count(), entries_before);

  auto ok = parley({"config", "set", "mcx", "--site", "field-staff", "--session-short-expiration-interval", "1800",
                    "--exposed-web-url", "internal"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  site = parley_json({"config", "get", "mcx", "--site", "field-staff"});
  EXPECT_EQ(site.at("effective").at("SessionShortExpirationInterval").as_int64(), 1800);
  EXPECT_EQ(text(site.at("effective").at("ExposedWebURL")), "Internal");
  EXPECT_NE(text(site.at("source").at("SessionShortExpirationInterval")).find("field-staff"), std::string::npos);
  EXPECT_EQ(parley_json({"config", "get", "mcx"}).at("effective").at("SessionShortExpirationInterval").as_int64(), 3600);
  EXPECT_EQ(audit_count(), entries_before + 1);

  auto human = parley({"config", "get", "mcx", "--site", "field-staff"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("1800"), std::string::npos) << human.out;
}

TEST_F(PolicyCli, AuditShowsWhoChangedWhatFromOldToNew) {
  ASSERT_EQ(parley({"policy", "new", "mobility", "p1", "--enable-mobility", "true"}).exit_code, 0);
  ASSERT_EQ(parley({"policy", "set", "mobility", "p1", "--enable-mobility", "false"}).exit_code, 0);
  auto audit = parley_json({"audit", "--limit", "5"});
  const auto& newest = audit.at("entries").as_array().at(0).as_object();
  EXPECT_EQ(text(newest.at("actor")), "admin");
  EXPECT_EQ(text(newest.at("action")), "policy.set");
  EXPECT_NE(text(newest.at("target")).find("p1"), std::string::npos);
  EXPECT_TRUE(newest.at("old").at("EnableMobility").as_bool()) << json::serialize(newest);
  EXPECT_FALSE(newest.at("new").at("EnableMobility").as_bool()) << json::serialize(newest);

  auto human = parley({"audit"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("policy.set"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("policy.new"), std::string::npos) << human.out;
}

TEST_F(PolicyCli, SessionsAreListedAndCanBeEnded) {
  add_user(server, "alice@example.org");
  json::object body{{"culture", "en-US"}, {"endpointId", "phone-1"}, {"userAgent", "Parley e2e/1.0"}, {"type", "Phone"}};
  UcwaApp app(server, sign_in(server, "alice@example.org"), body);
  ASSERT_EQ(app.create_status(), 201);

  auto list = parley_json({"session", "list", "--user", "alice@example.org"});
  const auto& sessions = list.at("sessions").as_array();
  ASSERT_EQ(sessions.size(), 1u) << json::serialize(list);
  EXPECT_EQ(text(sessions[0].at("id")), app.id());
  EXPECT_EQ(text(sessions[0].at("deviceClass")), "Phone");
  auto human = parley({"session", "list"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find(app.id()), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("Phone"), std::string::npos) << human.out;
  EXPECT_TRUE(parley_json({"session", "list", "--device-class", "Desktop"}).at("sessions").as_array().empty());

  auto end = parley({"session", "end", app.id()});
  ASSERT_EQ(end.exit_code, 0) << end.err;
  EXPECT_EQ(app.get(app.href()).status, 404);
  EXPECT_TRUE(parley_json({"session", "list"}).at("sessions").as_array().empty());
  auto audit = parley_json({"audit", "--limit", "1"});
  EXPECT_EQ(text(audit.at("entries").as_array().at(0).at("action")), "session.end");

  auto again = parley({"session", "end", app.id()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("NotFound"), std::string::npos) << again.err;
}

TEST_F(PolicyCli, TheRoutesExistOnlyOnTheInternalSiteAndOnlyForTheAdmin) {
  const std::string credential = server.admin_credential();
  for (const std::string path : {"/admin/v1/policies/mobility", "/admin/v1/policies/mobility/global",
                                 "/admin/v1/config/mcx", "/admin/v1/sessions", "/admin/v1/audit"}) {
    auto external = http_request("GET", server.external_https + path, server.ca_file(), "", credential);
    EXPECT_EQ(external.status, 404) << path;
    auto anonymous = http_request("GET", server.internal_https + path, server.ca_file());
    EXPECT_EQ(anonymous.status, 401) << path;
    auto admin = http_request("GET", server.internal_https + path, server.ca_file(), "", credential);
    EXPECT_EQ(admin.status, 200) << path << ": " << admin.body;
  }
  auto patch = http_request("PATCH", server.external_https + "/admin/v1/config/mcx", server.ca_file(),
                            R"({"SessionShortExpirationInterval":1800})", credential, {"Content-Type: application/json"});
  EXPECT_EQ(patch.status, 404);
}

}  // namespace
}  // namespace parley::e2e
