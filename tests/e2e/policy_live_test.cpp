// Policies and service configuration take effect on the running server (issue: mobility
// policies, enforced by the server): an administrator changes them with the `parley` CLI and
// signed-in clients feel it without a restart.
#include "ucwa_client.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

namespace parley::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string str(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

json::object app_body(const std::string& endpoint, const std::string& type, const std::string& agent) {
  return json::object{{"culture", "en-US"}, {"endpointId", endpoint}, {"userAgent", agent}, {"type", type}};
}

class PolicyLive : public ::testing::Test {
protected:
  void start(const std::string& extra_toml = "") {
    server.start_with_test_config(dir.path(), extra_toml);
    add_user(server, "alice@example.org", {"--site", "field-staff"});
    add_user(server, "bob@example.org");
    alice = sign_in(server, "alice@example.org");
    bob = sign_in(server, "bob@example.org");
  }
  CommandResult parley(std::vector<std::string> args) {
    return run_parley(server, args);
  }
  void ok(std::vector<std::string> args) {
    const auto r = parley(args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  TempDir dir;
  Parleyd server;
  std::string alice, bob;
};

TEST_F(PolicyLive, AContractorLosesMobilityOnTheSpot) {
  start();
  UcwaApp phone(server, bob, app_body("bob-phone", "Phone", "Parley/1.0 (iPhone)"));
  UcwaApp laptop(server, bob, app_body("bob-laptop", "Browser", "Mozilla/5.0 Chrome/120"));
  phone.make_me_available();
  phone.pget();
  auto waiting = std::async(std::launch::async, [&] { return phone.pget_raw(); });
  std::this_thread::sleep_for(300ms);

  ok({"policy", "new", "mobility", "contractor", "--enable-mobility", "false"});
  ok({"policy", "grant", "mobility", "contractor", "--user", "bob@example.org"});

  // The phone's waiting event channel is told at once, with the documented subcode.
  const auto told = waiting.get();
  EXPECT_EQ(told.status, 403);
  EXPECT_EQ(subcode_of(told), "MobileApplicationNoLongerAllowed");
  // A new phone application is refused; the browser goes on.
  EXPECT_THROW(UcwaApp(server, bob, app_body("bob-phone-2", "Phone", "Parley/1.0 (iPhone)")),
               std::runtime_error);
  const auto refused = http_request("POST", server.external_https + "/ucwa/oauth/v1/applications",
                                    server.ca_file(), json::serialize(app_body("x", "Phone", "p")), bob,
                                    {"Content-Type: application/json"});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(laptop.get(laptop.href() + "/me").status, 200);
  // Alice, under no such policy, keeps her phone.
  UcwaApp alice_phone(server, alice, app_body("alice-phone", "Phone", "Parley/1.0 (iPhone)"));
  EXPECT_EQ(alice_phone.get(alice_phone.href()).status, 200);

  // Granting nothing gives mobility back.
  ok({"policy", "grant", "mobility", "--none", "--user", "bob@example.org"});
  UcwaApp again(server, bob, app_body("bob-phone-3", "Phone", "Parley/1.0 (iPhone)"));
  EXPECT_EQ(again.create_status(), 201);
}

TEST_F(PolicyLive, SiteAndUserPoliciesShowInThePoliciesResource) {
  start();
  UcwaApp app(server, alice);
  const auto flag = [&](const char* name) {
    return str(parse_json(app.get(app.href() + "/policies").body).at(name));
  };
  EXPECT_EQ(flag("videoOnlyOnWifi"), "Disabled");
  ok({"policy", "new", "mobility", "fieldwork", "--require-wifi-for-ip-video", "true",
      "--require-wifi-for-sharing", "true"});
  ok({"policy", "grant", "mobility", "fieldwork", "--site", "field-staff"});
  EXPECT_EQ(flag("videoOnlyOnWifi"), "Enabled");
  EXPECT_EQ(flag("sharingOnlyOnWifi"), "Enabled");
  // One user overridden: her own policy wins where it speaks, the site's elsewhere.
  ok({"policy", "new", "mobility", "alice-video", "--require-wifi-for-ip-video", "false"});
  ok({"policy", "grant", "mobility", "alice-video", "--user", "alice@example.org"});
  EXPECT_EQ(flag("videoOnlyOnWifi"), "Disabled");
  EXPECT_EQ(flag("sharingOnlyOnWifi"), "Enabled");
  const auto effective = parley({"policy", "effective", "mobility", "alice@example.org"});
  ASSERT_EQ(effective.exit_code, 0) << effective.err;
  EXPECT_NE(effective.out.find("alice-video"), std::string::npos) << effective.out;
  EXPECT_NE(effective.out.find("fieldwork"), std::string::npos) << effective.out;
}

TEST_F(PolicyLive, AShorterSessionForAndroidAppliesAtTheNextIdleCheck) {
  // time_scale 100: 120 s = 1.2 s; the configured short interval (1 hour) is far away. The
  // iPhone registers for push (a Web Push subscription aimed at a closed loopback port) and so
  // keeps the long session; the Android phone has no push registration and gets the short one.
  start("[ucwa]\ntime_scale = 100\nexpiry_check_seconds = 1\nresume_after_seconds = 86400\n"
        "[push.webpush]\nallow_private_endpoints = true\n");
  ok({"config", "set", "push", "--enable-web-push", "true"});
  const std::string android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36";
  UcwaApp phone(server, alice, app_body("pixel", "", android));
  UcwaApp iphone(server, alice, app_body("iphone", "", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148"));
  const auto registered = iphone.post(
      iphone.href() + "/pushNotificationRegistration",
      R"({"provider":"webpush","subscription":{"endpoint":"https://127.0.0.1:9/wp/iphone","keys":{)"
      R"("p256dh":"BGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU",)"
      R"("auth":"MDEyMzQ1Njc4OWFiY2RlZg"}}})");
  ASSERT_EQ(registered.status, 201) << registered.body;
  for (auto* a : {&phone, &iphone}) {
    auto first = std::async(std::launch::async, [a] { return a->pget_raw(); });
    ASSERT_EQ(first.get().status, 200);
  }
  ok({"config", "set", "mcx", "--site", "field-staff", "--session-short-expiration-interval", "120",
      "--session-expiration-interval", "100000"});
  std::this_thread::sleep_for(3000ms);
  EXPECT_EQ(subcode_of(phone.get(phone.href())), "ApplicationNotFound");
  EXPECT_EQ(iphone.get(iphone.href()).status, 200);
  // A value outside Set-CsMcxConfiguration's range changes nothing.
  const auto bad = parley({"config", "set", "mcx", "--session-short-expiration-interval", "60"});
  EXPECT_NE(bad.exit_code, 0);
}

TEST_F(PolicyLive, TheMobilityUrlCanBeRestrictedToTheInternalNetwork) {
  start();
  const auto user_link = [&] {
    const auto r = http_request("GET", server.external_https + "/?originalDomain=example.org", server.ca_file(),
                                "", "", {"Accept: application/json"});
    return str(parse_json(r.body).at("_links").at("user").at("href"));
  };
  const std::string external_port = std::to_string(server.port_of(server.external_https));
  const std::string internal_port = std::to_string(server.port_of(server.internal_https));
  EXPECT_NE(user_link().find(":" + external_port + "/"), std::string::npos);
  ok({"config", "set", "mcx", "--exposed-web-url", "Internal"});
  EXPECT_NE(user_link().find(":" + internal_port + "/"), std::string::npos) << user_link();
  ok({"config", "set", "mcx", "--exposed-web-url", "External"});
  EXPECT_NE(user_link().find(":" + external_port + "/"), std::string::npos);
}

TEST_F(PolicyLive, TokenLifetimeAndReportedNetworkShowAtOnce) {
  start();
  ok({"config", "set", "webservice", "--token-lifetime-seconds", "600"});
  const auto r = http_request("POST", server.external_https + "/WebTicket/oauthtoken", server.ca_file(),
                              "grant_type=password&username=bob%40example.org&password=correct+horse+battery",
                              "", {"Content-Type: application/x-www-form-urlencoded"});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse_json(r.body).at("expires_in").to_number<int>(), 600);

  UcwaApp app(server, bob, app_body("bob-phone", "Phone", "Parley/1.0 (iPhone)"));
  EXPECT_EQ(app.post(app.href() + "/reportMyNetwork", R"({"clientNetworkType":"External","networkType":"Cellular"})").status, 204);
  EXPECT_EQ(app.post(app.href() + "/reportMyNetwork", R"({"clientNetworkType":"External","networkType":"Carrier pigeon"})").status, 400);
  const auto sessions = parley({"session", "list", "--user", "bob@example.org"});
  ASSERT_EQ(sessions.exit_code, 0) << sessions.err;
  EXPECT_NE(sessions.out.find(app.id()), std::string::npos) << sessions.out;
  EXPECT_NE(sessions.out.find("Cellular"), std::string::npos) << sessions.out;
  EXPECT_NE(sessions.out.find("Phone"), std::string::npos) << sessions.out;
  ok({"session", "end", app.id()});
  EXPECT_EQ(subcode_of(app.get(app.href())), "ApplicationNotFound");
}

}  // namespace
}  // namespace parley::e2e
