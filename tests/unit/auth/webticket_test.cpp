// The token endpoint in process: OAuth answers, no user enumeration, throttling, the audit.
#include "auth/webticket.hpp"

#include "auth/password.hpp"
#include "auth/token_service.hpp"
#include "common/crypto.hpp"
#include "fake_store.hpp"
#include "http/target.hpp"
#include "support/run_awaitable.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace parley::auth {
namespace {

using testing::FakeStore;
using parley::testing::run_awaitable;

constexpr std::string_view kForm = "application/x-www-form-urlencoded;charset=UTF-8";
const PasswordConfig kCheap{.opslimit = 1, .memlimit = 8192};

class WebTicketTest : public ::testing::Test {
protected:
  WebTicketTest() {
    init_crypto();
    config.passwords = kCheap;
    config.sip_domains = {"example.org"};
    config.internal_site.fqdn = "pool.corp.example.org";
    config.external_site.fqdn = "web.example.org";
    config.webticket.token_lifetime_seconds = 8 * 3600;
    config.webticket.throttle.account_failures = 2;
    config.webticket.throttle.address_failures = 100;
    config.webticket.throttle.base_delay_seconds = 1;
    config.webticket.throttle.max_delay_seconds = 4;
    store.create_user("alice@example.org", {}, true, hash_password("correct horse", kCheap));
    store.create_user("dave@example.org", {}, false, hash_password("correct horse", kCheap));
    store.create_user("erin@example.org", {}, true, "");
  }

  void start() {
    tokens.emplace(store, pool, config.webticket, [this] { return now; });
    register_webticket_routes(routers, {&store, &pool, &*tokens, config, [this] { return now; }});
  }

  http::Response post(std::string body, std::string_view content_type = kForm,
                      http::Site site = http::Site::external, std::string address = "192.0.2.7") {
    http::Request req;
    req.method = "POST";
    req.target = "/WebTicket/oauthtoken";
    auto t = http::parse_target(req.target);
    req.segments = t.segments;
    req.path = t.path;
    req.site = site;
    req.secure = true;
    req.remote_address = address;
    if (!content_type.empty()) req.headers.add("Content-Type", std::string(content_type));
    req.headers.add("User-Agent", "UnitTest/1.0");
    req.body = std::move(body);
    auto match = routers.select(site, true).match(req);
    EXPECT_TRUE(match.handler);
    if (!match.handler) return http::Response::empty(404);
    return run_awaitable((*match.handler)(req));
  }
  http::Response password_grant(std::string_view user, std::string_view pw, std::string address = "192.0.2.7") {
    return post("grant_type=password&username=" + std::string(user) + "&password=" + std::string(pw), kForm,
                http::Site::external, std::move(address));
  }
  static std::string error_of(const http::Response& r) {
    return std::string(boost::json::parse(r.body).at("error").as_string());
  }
  storage::SigninRecord last_signin() {
    auto all = store.signins();
    return all.empty() ? storage::SigninRecord{} : all.back();
  }

  FakeStore store;
  runtime::BlockingPool pool{2};
  Config config;
  std::optional<TokenService> tokens;
  http::SiteRouters routers;
  std::int64_t now = 1'700'000'000'000;
};

TEST_F(WebTicketTest, PasswordGrantReturnsABearerToken) {
  start();
  const auto res = password_grant("alice%40example.org", "correct+horse");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.headers.get("Cache-Control"), "no-store");
  EXPECT_EQ(res.headers.get("Pragma"), "no-cache");
  EXPECT_EQ(res.headers.get("Content-Type").substr(0, 16), "application/json");
  const auto body = boost::json::parse(res.body).as_object();
  ASSERT_EQ(body.size(), 4u) << res.body;
  const std::string token(body.at("access_token").as_string());
  EXPECT_EQ(token.rfind("cwt=", 0), 0u);
  EXPECT_EQ(body.at("expires_in").as_int64(), 8 * 3600);
  EXPECT_EQ(body.at("ms_rtc_identityscope").as_string(), "local");
  EXPECT_EQ(body.at("token_type").as_string(), "Bearer");
  const auto id = run_awaitable(tokens->validate(token));
  ASSERT_TRUE(id);
  EXPECT_EQ(id->sip_uri, "alice@example.org");

  const auto audit = last_signin();
  EXPECT_EQ(audit.outcome, "success");
  EXPECT_EQ(audit.username, "alice@example.org");
  EXPECT_EQ(audit.sip_uri, "alice@example.org");
  EXPECT_EQ(audit.client_address, "192.0.2.7");
  EXPECT_EQ(audit.site, "external");
  EXPECT_EQ(audit.user_agent, "UnitTest/1.0");
  EXPECT_EQ(audit.grant_type, "password");
}

TEST_F(WebTicketTest, EveryUsernameFormSignsIn) {
  start();
  for (std::string_view user : {"sip%3Aalice%40example.org", "ALICE%40EXAMPLE.ORG", "EXAMPLE%5Calice"})
    EXPECT_EQ(password_grant(user, "correct+horse").status, 200) << user;
}

TEST_F(WebTicketTest, BothSitesServeTheEndpoint) {
  start();
  const auto res = post("grant_type=password&username=alice%40example.org&password=correct+horse", kForm,
                        http::Site::internal);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(last_signin().site, "internal");
  // Not on plain HTTP: a password never travels without TLS.
  http::Request plain;
  plain.method = "POST";
  plain.segments = http::parse_target("/WebTicket/oauthtoken").segments;
  EXPECT_FALSE(routers.external_plain.match(plain).handler);
  EXPECT_FALSE(routers.internal_plain.match(plain).handler);
}

TEST_F(WebTicketTest, WrongPasswordUnknownDisabledAndPasswordlessLookTheSame) {
  config.webticket.throttle.account_failures = 100;
  start();
  const http::Response answers[] = {
      password_grant("alice%40example.org", "wrong"),     // wrong password
      password_grant("nobody%40example.org", "wrong"),    // unknown user
      password_grant("dave%40example.org", "wrong"),      // disabled, wrong password
      password_grant("erin%40example.org", "anything"),   // no password set
      password_grant("not+a+name", "anything"),           // not even a user name
  };
  for (const auto& r : answers) {
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body, answers[0].body);
    EXPECT_EQ(r.headers.fields(), answers[0].headers.fields());
  }
  EXPECT_EQ(error_of(answers[0]), "invalid_grant");
  EXPECT_EQ(answers[0].headers.get("Cache-Control"), "no-store");

  const auto audit = store.signins();
  ASSERT_EQ(audit.size(), 5u);
  for (const auto& r : audit) EXPECT_EQ(r.outcome, "invalid_grant");
  EXPECT_EQ(audit[0].sip_uri, "alice@example.org");
  EXPECT_EQ(audit[1].sip_uri, "");  // no such account
  EXPECT_EQ(audit[2].sip_uri, "dave@example.org");
  EXPECT_EQ(audit[4].username, "not a name");

  // Only with the right password does a disabled account learn why it was refused.
  const auto disabled = password_grant("dave%40example.org", "correct+horse");
  EXPECT_EQ(disabled.status, 400);
  EXPECT_EQ(error_of(disabled), "invalid_grant");
  EXPECT_NE(disabled.body.find("The account is disabled."), std::string::npos) << disabled.body;
  EXPECT_EQ(store.signins().back().outcome, "account_disabled");
}

TEST_F(WebTicketTest, OtherGrantTypesAreNotAllowedYet) {
  start();
  for (std::string_view grant : {"urn%3Amicrosoft.rtc%3Awindows", "urn%3Amicrosoft.rtc%3Aanonmeeting",
                                 "urn%3Amicrosoft.rtc%3Apassive", "client_credentials"}) {
    const auto res = post("grant_type=" + std::string(grant));
    EXPECT_EQ(res.status, 400);
    EXPECT_EQ(error_of(res), "unsupported_grant_type");
    EXPECT_EQ(res.headers.get("X-Ms-diagnostics"),
              "28029;source=\"web.example.org\";reason=\"Authentication type not allowed.\"");
    EXPECT_EQ(last_signin().outcome, "unsupported_grant_type");
  }
  const auto internal = post("grant_type=urn%3Amicrosoft.rtc%3Awindows", kForm, http::Site::internal);
  EXPECT_EQ(internal.headers.get("X-Ms-diagnostics"),
            "28029;source=\"pool.corp.example.org\";reason=\"Authentication type not allowed.\"");
  EXPECT_EQ(last_signin().grant_type, "urn:microsoft.rtc:windows");
}

TEST_F(WebTicketTest, BadRequestsAreInvalidRequest) {
  start();
  const std::string good = "grant_type=password&username=alice%40example.org&password=correct+horse";
  struct Case {
    std::string body;
    std::string content_type;
  };
  const Case cases[] = {
      {good, "application/json"},
      {good, ""},
      {good, "text/plain"},
      {"grant_type=password&username=alice%40example.org", std::string(kForm)},
      {"grant_type=password&password=correct+horse", std::string(kForm)},
      {"username=alice%40example.org&password=correct+horse", std::string(kForm)},
      {"grant_type=&username=alice%40example.org&password=correct+horse", std::string(kForm)},
      {"grant_type=password&username=&password=x", std::string(kForm)},
      {"grant_type=password&username=alice%40example.org&password=", std::string(kForm)},
      {good + "&password=again", std::string(kForm)},
      {good + "&x=%FF", std::string(kForm)},
      {good + "&x=%00", std::string(kForm)},
      {good + "&x=%G0", std::string(kForm)},
      {good + "&pad=" + std::string(9000, 'p'), std::string(kForm)},
  };
  for (const auto& c : cases) {
    const auto res = post(c.body, c.content_type);
    EXPECT_EQ(res.status, 400) << c.body.substr(0, 100) << " / " << c.content_type;
    EXPECT_EQ(error_of(res), "invalid_request") << c.body.substr(0, 100);
    EXPECT_EQ(res.headers.get("Cache-Control"), "no-store");
    EXPECT_EQ(last_signin().outcome, "invalid_request");
  }
  EXPECT_EQ(store.token_count(), 0u);
}

TEST_F(WebTicketTest, ThrottlingRefusesEvenTheRightPasswordUntilTheWindowPasses) {
  start();
  EXPECT_EQ(error_of(password_grant("alice%40example.org", "wrong1")), "invalid_grant");
  EXPECT_EQ(error_of(password_grant("alice%40example.org", "wrong2")), "invalid_grant");
  auto refused = password_grant("alice%40example.org", "correct+horse");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(error_of(refused), "invalid_grant");
  EXPECT_EQ(refused.headers.get("Retry-After"), "1");
  EXPECT_EQ(last_signin().outcome, "throttled");
  EXPECT_EQ(last_signin().sip_uri, "alice@example.org");
  // Another spelling of the same account is the same account.
  EXPECT_EQ(password_grant("EXAMPLE%5Calice", "correct+horse").headers.get("Retry-After"), "1");

  now += 1000;
  ASSERT_EQ(password_grant("alice%40example.org", "correct+horse").status, 200);
  // Success reset the counter: two failures are needed again before back-off.
  EXPECT_TRUE(password_grant("alice%40example.org", "wrong3").headers.get("Retry-After").empty());
  EXPECT_EQ(password_grant("alice%40example.org", "correct+horse").status, 200);
}

TEST_F(WebTicketTest, UnknownAccountsAreThrottledJustLikeKnownOnes) {
  start();
  password_grant("ghost%40example.org", "a");
  password_grant("ghost%40example.org", "b");
  const auto res = password_grant("ghost%40example.org", "c");
  EXPECT_EQ(error_of(res), "invalid_grant");
  EXPECT_EQ(res.headers.get("Retry-After"), "1");
  EXPECT_EQ(last_signin().outcome, "throttled");
  EXPECT_EQ(last_signin().sip_uri, "");
}

TEST_F(WebTicketTest, AnAddressThatSpraysManyAccountsIsThrottled) {
  config.webticket.throttle.address_failures = 3;
  start();
  password_grant("a%40example.org", "x", "2001:db8:1:2::10");
  password_grant("b%40example.org", "x", "2001:db8:1:2::11");
  password_grant("c%40example.org", "x", "2001:db8:1:2:ffff::1");  // same /64
  EXPECT_EQ(password_grant("alice%40example.org", "correct+horse", "2001:db8:1:2::99").headers.get("Retry-After"),
            "1");
  EXPECT_EQ(password_grant("alice%40example.org", "correct+horse", "2001:db8:1:3::99").status, 200);
}

TEST_F(WebTicketTest, ThePasswordIsNeverRecorded) {
  start();
  password_grant("alice%40example.org", "correct+horse");
  password_grant("alice%40example.org", "SuperSecret-42");
  post("grant_type=password&username=alice%40example.org&password=SuperSecret-42&password=x");
  for (const auto& r : store.signins()) {
    for (const auto* field : {&r.username, &r.sip_uri, &r.outcome, &r.client_address, &r.site, &r.user_agent,
                              &r.grant_type}) {
      EXPECT_EQ(field->find("SuperSecret"), std::string::npos);
      EXPECT_EQ(field->find("correct"), std::string::npos);
    }
  }
}

TEST_F(WebTicketTest, AFailingAuditDoesNotChangeTheAnswer) {
  start();
  store.fail_signins = true;
  EXPECT_EQ(password_grant("alice%40example.org", "correct+horse").status, 200);
  EXPECT_EQ(error_of(password_grant("alice%40example.org", "nope")), "invalid_grant");
}

TEST_F(WebTicketTest, AnOldCostIsUpgradedAtSignIn) {
  const PasswordConfig old_cost{.opslimit = 2, .memlimit = 8192};
  store.set_password_hash("alice@example.org", hash_password("correct horse", old_cost));
  const int updates = store.password_updates();
  start();
  ASSERT_EQ(password_grant("alice%40example.org", "correct+horse").status, 200);
  EXPECT_EQ(store.password_updates(), updates + 1);
  const auto hash = store.password_hash("alice@example.org");
  EXPECT_FALSE(password_needs_rehash(*hash, kCheap));
  EXPECT_TRUE(verify_password(*hash, "correct horse"));
  ASSERT_EQ(password_grant("alice%40example.org", "correct+horse").status, 200);
  EXPECT_EQ(store.password_updates(), updates + 1);  // only once
}

}  // namespace
}  // namespace parley::auth
