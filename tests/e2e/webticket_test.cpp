// Sign-in through the web-ticket service (UCWA.md §2.1) against the real parleyd: the password
// grant, identical failures, throttling, the audit log through `parley signin-log`, revocation
// through `parley token revoke`, bad input, and curl as a real third-party client.
#include "harness.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

namespace parley::e2e {
namespace {

constexpr char kPassword[] = "correct horse battery";
constexpr char kForm[] = "Content-Type: application/x-www-form-urlencoded;charset=UTF-8";
constexpr char kTokenPath[] = "/WebTicket/oauthtoken";
constexpr char kUserResource[] = "/Autodiscover/AutodiscoverService.svc/root/oauth/user";

std::string form_encode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out.push_back(static_cast<char>(c));
    else if (c == ' ') out.push_back('+');
    else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string password_body(const std::string& user, const std::string& password) {
  return "grant_type=password&username=" + form_encode(user) + "&password=" + form_encode(password);
}

std::string error_of(const Reply& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("error")) return "(no OAuth error in: " + r.body + ")";
  return std::string(v.at("error").as_string());
}

class WebTicket : public ::testing::Test {
protected:
  void start(const std::string& extra_toml = "") { server.start_with_test_config(dir.path(), extra_toml); }

  CommandResult parley(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> argv{parley_binary(), "--data-dir", server.data_dir().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, input);
  }
  void add_user(const std::string& sip, bool enabled = true) {
    std::vector<std::string> args{"user", "add", sip, "--password-stdin"};
    if (!enabled) args.push_back("--disabled");
    const auto r = parley(args, std::string(kPassword) + "\n");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  Reply post_token(const std::string& body, const std::string& base = "",
                   std::vector<std::string> headers = {kForm}) {
    return http_request("POST", (base.empty() ? server.external_https : base) + kTokenPath, server.ca_file(),
                        body, "", headers);
  }
  Reply sign_in(const std::string& user, const std::string& password) {
    return post_token(password_body(user, password));
  }
  std::string token_for(const std::string& user) {
    const auto r = sign_in(user, kPassword);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return {};
    return std::string(boost::json::parse(r.body).at("access_token").as_string());
  }
  Reply user_resource(const std::string& token) {
    return http_request("GET", server.external_https + kUserResource, server.ca_file(), "", token,
                        {"Accept: application/json"});
  }

  TempDir dir;
  Parleyd server;
};

TEST_F(WebTicket, PasswordGrantGivesABearerTokenThatIsNotCached) {
  start();
  add_user("alice@example.org");
  for (const auto& base : {server.external_https, server.internal_https}) {
    const auto r = post_token(password_body("alice@example.org", kPassword), base);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(r.header("Pragma"), "no-cache");
    EXPECT_NE(r.header("Content-Type").find("application/json"), std::string::npos);
    const auto body = boost::json::parse(r.body).as_object();
    const std::string token(body.at("access_token").as_string());
    EXPECT_TRUE(std::regex_match(token, std::regex("cwt=[A-Za-z0-9_-]{43}"))) << token;
    EXPECT_EQ(body.at("expires_in").as_int64(), 8 * 3600);
    EXPECT_EQ(body.at("ms_rtc_identityscope").as_string(), "local");
    EXPECT_EQ(body.at("token_type").as_string(), "Bearer");
  }
  // The other name forms of the same account.
  EXPECT_EQ(sign_in("sip:Alice@Example.org", kPassword).status, 200);
  EXPECT_EQ(sign_in("EXAMPLE\\alice", kPassword).status, 200);
}

TEST_F(WebTicket, TokenLifetimeComesFromTheConfiguration) {
  start("[webticket]\ntoken_lifetime_seconds = 600\n");
  add_user("alice@example.org");
  const auto r = sign_in("alice@example.org", kPassword);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(boost::json::parse(r.body).at("expires_in").as_int64(), 600);
}

TEST_F(WebTicket, WrongPasswordUnknownUserAndDisabledUserGetTheSameAnswer) {
  start();
  add_user("alice@example.org");
  add_user("dave@example.org", false);
  const Reply answers[] = {sign_in("alice@example.org", "not her password"),
                           sign_in("nobody@example.org", kPassword),
                           sign_in("dave@example.org", "not his password")};
  auto header_names = [](const Reply& r) {
    std::vector<std::string> names;
    for (const auto& h : r.headers) names.push_back(h.first);
    std::sort(names.begin(), names.end());
    return names;
  };
  for (const auto& r : answers) {
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body, R"({"error":"invalid_grant"})");
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    EXPECT_EQ(header_names(r), header_names(answers[0]));
    EXPECT_TRUE(r.header("Retry-After").empty());
  }
  // With the right password, a disabled account is told why: the user can stop retrying.
  const auto disabled = sign_in("dave@example.org", kPassword);
  EXPECT_EQ(disabled.status, 400);
  EXPECT_EQ(disabled.body, R"({"error":"invalid_grant","error_description":"The account is disabled."})");
}

// Writes a config like the harness's, with a realistic argon2id cost (the harness's is the
// cheapest possible, which would make any timing difference look large) and no throttling.
std::string timing_config(const fs::path& data_dir) {
  return "data_dir = \"" + data_dir.string() + "\"\nthreads = 2\n" +
         "[sites.internal]\nhttps = \"127.0.0.1:0\"\nhttp = \"\"\n"
         "[sites.external]\nhttps = \"127.0.0.1:0\"\nhttp = \"\"\n"
         "[passwords]\nopslimit = 2\nmemlimit = 16777216\n"
         "[webticket.throttle]\naccount_failures = 1000\naddress_failures = 100000\n";
}

TEST(WebTicketTiming, UnknownUserTakesAsLongAsAWrongPassword) {
  TempDir dir;
  const auto config = dir.path() / "parleyd.toml";
  { std::ofstream(config) << timing_config(dir.path() / "data"); }
  Parleyd server;
  server.start({"--config", config.string()}, dir.path() / "data");
  const auto add = run_command({parley_binary(), "--data-dir", server.data_dir().string(), "user", "add",
                                "alice@example.org", "--password-stdin"},
                               std::string(kPassword) + "\n");
  ASSERT_EQ(add.exit_code, 0) << add.err;

  auto timed = [&](const std::string& user) {
    const auto started = std::chrono::steady_clock::now();
    const auto r = http_request("POST", server.external_https + kTokenPath, server.ca_file(),
                                password_body(user, "wrong password"), "", {kForm});
    const auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
    EXPECT_EQ(r.status, 400);
    return elapsed.count();
  };
  timed("alice@example.org");  // warm-up: first connection, first hash
  std::vector<double> unknown, wrong;
  for (int i = 0; i < 15; ++i) {  // interleaved, so that drift hits both alike
    unknown.push_back(timed("nobody" + std::to_string(i) + "@example.org"));
    wrong.push_back(timed("alice@example.org"));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double ratio = median(unknown) / median(wrong);
  EXPECT_GT(ratio, 0.5) << "unknown " << median(unknown) << " ms, wrong password " << median(wrong) << " ms";
  EXPECT_LT(ratio, 2.0) << "unknown " << median(unknown) << " ms, wrong password " << median(wrong) << " ms";
  RecordProperty("unknown_median_ms", std::to_string(median(unknown)));
  RecordProperty("wrong_password_median_ms", std::to_string(median(wrong)));
}

TEST_F(WebTicket, RepeatedFailuresAreThrottledUntilTheBackOffPasses) {
  start("[webticket.throttle]\naccount_failures = 2\nbase_delay_seconds = 1\nmax_delay_seconds = 2\n");
  add_user("alice@example.org");
  EXPECT_EQ(error_of(sign_in("alice@example.org", "guess 1")), "invalid_grant");
  EXPECT_EQ(error_of(sign_in("alice@example.org", "guess 2")), "invalid_grant");

  const auto throttled = sign_in("alice@example.org", kPassword);  // right password, too soon
  EXPECT_EQ(throttled.status, 400);
  EXPECT_EQ(error_of(throttled), "invalid_grant");
  const std::string retry = throttled.header("Retry-After");
  ASSERT_FALSE(retry.empty());
  EXPECT_GE(std::stoi(retry), 1);
  EXPECT_LE(std::stoi(retry), 2);
  // An unknown account is throttled the same way: no enumeration through the throttle.
  sign_in("ghost@example.org", "a");
  sign_in("ghost@example.org", "b");
  EXPECT_FALSE(sign_in("ghost@example.org", "c").header("Retry-After").empty());

  std::this_thread::sleep_for(std::chrono::seconds(std::stoi(retry)) + std::chrono::milliseconds(100));
  ASSERT_EQ(sign_in("alice@example.org", kPassword).status, 200);
  // The success reset the account's counter: one failure is not enough to throttle again.
  EXPECT_TRUE(sign_in("alice@example.org", "guess 3").header("Retry-After").empty());
  EXPECT_EQ(sign_in("alice@example.org", kPassword).status, 200);
}

TEST_F(WebTicket, EveryAttemptIsInTheSigninLog) {
  start();
  add_user("alice@example.org");
  ASSERT_EQ(sign_in("alice@example.org", kPassword).status, 200);
  sign_in("alice@example.org", "nope");
  sign_in("mallory@example.org", "guess");
  post_token("grant_type=urn%3Amicrosoft.rtc%3Awindows");

  const auto mine = parley({"signin-log", "--user", "alice@example.org"});
  ASSERT_EQ(mine.exit_code, 0) << mine.err;
  EXPECT_NE(mine.out.find("success"), std::string::npos) << mine.out;
  EXPECT_NE(mine.out.find("invalid_grant"), std::string::npos) << mine.out;
  EXPECT_EQ(mine.out.find("mallory"), std::string::npos) << mine.out;
  EXPECT_NE(mine.out.find("127.0.0.1"), std::string::npos) << mine.out;
  EXPECT_EQ(mine.out.find("nope"), std::string::npos) << "a password reached the log:\n" << mine.out;

  const auto all = parley({"--json", "signin-log"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const auto doc = boost::json::parse(all.out);
  const auto& entries = doc.at("entries").as_array();
  ASSERT_EQ(entries.size(), 4u) << all.out;
  EXPECT_EQ(entries[0].at("outcome").as_string(), "unsupported_grant_type");  // newest first
  EXPECT_EQ(entries[0].at("grantType").as_string(), "urn:microsoft.rtc:windows");
  EXPECT_EQ(entries[1].at("username").as_string(), "mallory@example.org");
  EXPECT_TRUE(entries[1].at("sipUri").is_null());
  EXPECT_EQ(entries[2].at("outcome").as_string(), "invalid_grant");
  EXPECT_EQ(entries[3].at("outcome").as_string(), "success");
  EXPECT_EQ(entries[3].at("sipUri").as_string(), "alice@example.org");
  EXPECT_EQ(entries[3].at("site").as_string(), "external");
  EXPECT_EQ(entries[3].at("clientAddress").as_string(), "127.0.0.1");
  EXPECT_TRUE(doc.at("next").is_null());

  const auto one = parley({"--json", "signin-log", "--limit", "1"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto page = boost::json::parse(one.out);
  EXPECT_EQ(page.at("entries").as_array().size(), 1u);
  EXPECT_FALSE(page.at("next").is_null());

  // The admin API behind it: internal site only, credential required, paged by id.
  const auto cred = server.admin_credential();
  EXPECT_EQ(http_request("GET", server.external_https + "/admin/v1/signin-log", server.ca_file(), "", cred).status,
            404);
  EXPECT_EQ(http_request("GET", server.internal_https + "/admin/v1/signin-log", server.ca_file()).status, 401);
  const auto paged = http_request("GET", server.internal_https + "/admin/v1/signin-log?limit=2", server.ca_file(),
                                  "", cred);
  ASSERT_EQ(paged.status, 200) << paged.body;
  const auto next = boost::json::parse(paged.body).at("next").as_int64();
  const auto rest = http_request("GET", server.internal_https + "/admin/v1/signin-log?before=" +
                                            std::to_string(next), server.ca_file(), "", cred);
  ASSERT_EQ(rest.status, 200);
  EXPECT_EQ(boost::json::parse(rest.body).at("entries").as_array().size(), 2u);
  EXPECT_EQ(http_request("GET", server.internal_https + "/admin/v1/signin-log?limit=0", server.ca_file(), "", cred)
                .status,
            400);
}

TEST_F(WebTicket, BadRequestsGetInvalidRequest) {
  start();
  add_user("alice@example.org");
  const std::string good = password_body("alice@example.org", kPassword);
  struct Case {
    std::string name;
    std::string body;
    std::vector<std::string> headers;
  };
  const std::vector<Case> cases = {
      {"JSON content type", R"({"grant_type":"password"})", {"Content-Type: application/json"}},
      {"no content type", good, {"Content-Type:"}},
      {"text/plain", good, {"Content-Type: text/plain"}},
      {"duplicate field", good + "&username=bob%40example.org", {kForm}},
      {"non-UTF-8", good + "&x=%FF%FE", {kForm}},
      {"NUL byte", good + "&x=%00", {kForm}},
      {"bad percent-encoding", good + "&x=%Z1", {kForm}},
      {"missing password", "grant_type=password&username=alice%40example.org", {kForm}},
      {"missing username", "grant_type=password&password=x", {kForm}},
      {"missing grant_type", "username=alice%40example.org&password=x", {kForm}},
      {"over 8 KiB", good + "&pad=" + std::string(9000, 'p'), {kForm}},
  };
  for (const auto& c : cases) {
    const auto r = post_token(c.body, "", c.headers);
    EXPECT_EQ(r.status, 400) << c.name << ": " << r.body;
    EXPECT_EQ(error_of(r), "invalid_request") << c.name;
    EXPECT_EQ(r.header("Cache-Control"), "no-store") << c.name;
  }
  // Far over the transport's body limit: refused before the service sees it.
  const auto huge = post_token("a=" + std::string(2 * 1024 * 1024, 'x'));
  EXPECT_TRUE(huge.status == 413 || (huge.status == 400 && error_of(huge) == "invalid_request")) << huge.status;
  EXPECT_EQ(http_request("GET", server.external_https + kTokenPath, server.ca_file()).status, 405);
  // None of this hurt the service.
  EXPECT_EQ(sign_in("alice@example.org", kPassword).status, 200);
}

TEST_F(WebTicket, OtherGrantTypesAreRefusedWithADiagnostic) {
  start();
  for (const std::string grant : {"urn:microsoft.rtc:windows", "urn:microsoft.rtc:anonmeeting",
                                  "urn:microsoft.rtc:passive", "client_credentials"}) {
    const auto r = post_token("grant_type=" + form_encode(grant));
    EXPECT_EQ(r.status, 400) << grant;
    EXPECT_EQ(error_of(r), "unsupported_grant_type") << grant;
    EXPECT_EQ(r.header("X-Ms-diagnostics"), "28029;source=\"localhost\";reason=\"Authentication type not allowed.\"");
  }
}

TEST_F(WebTicket, TokenRevokeFromTheCli) {
  start();
  add_user("alice@example.org");
  token_for("alice@example.org");
  token_for("alice@example.org");
  const auto r = parley({"token", "revoke", "alice@example.org"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "revoked 2 tokens of alice@example.org\n");
  const auto again = parley({"--json", "token", "revoke", "alice@example.org"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(boost::json::parse(again.out).at("revoked").as_int64(), 0);
  const auto unknown = parley({"token", "revoke", "nobody@example.org"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("NotFound"), std::string::npos) << unknown.err;
  EXPECT_EQ(http_request("DELETE", server.external_https + "/admin/v1/users/alice@example.org/tokens",
                         server.ca_file(), "", server.admin_credential())
                .status,
            404);
}

// Needs the discovery service's protected `user` resource (issue 3, discovery half).
TEST_F(WebTicket, RevokedTokensFailOnTheNextRequest) {
  start();
  add_user("alice@example.org");
  EXPECT_EQ(user_resource("").status, 401);
  EXPECT_EQ(user_resource("cwt=" + std::string(43, 'A')).status, 401);

  const auto token = token_for("alice@example.org");
  ASSERT_EQ(user_resource(token).status, 200);
  ASSERT_EQ(parley({"token", "revoke", "alice@example.org"}).exit_code, 0);
  const auto revoked = user_resource(token);
  EXPECT_EQ(revoked.status, 401);
  EXPECT_TRUE(std::any_of(revoked.headers.begin(), revoked.headers.end(), [](const auto& h) {
    return h.second.rfind("MsRtcOAuth href=", 0) == 0;
  })) << "the challenge says where to get a new token";

  const auto before_disable = token_for("alice@example.org");
  ASSERT_EQ(user_resource(before_disable).status, 200);
  ASSERT_EQ(parley({"user", "disable", "alice@example.org"}).exit_code, 0);
  EXPECT_EQ(user_resource(before_disable).status, 401);
  EXPECT_EQ(sign_in("alice@example.org", kPassword).status, 400);

  ASSERT_EQ(parley({"user", "enable", "alice@example.org"}).exit_code, 0);
  const auto before_password_change = token_for("alice@example.org");
  ASSERT_EQ(user_resource(before_password_change).status, 200);
  ASSERT_EQ(parley({"user", "set-password", "alice@example.org", "--password-stdin"}, "another long secret\n")
                .exit_code,
            0);
  EXPECT_EQ(user_resource(before_password_change).status, 401);
  EXPECT_EQ(sign_in("alice@example.org", "another long secret").status, 200);
}

TEST_F(WebTicket, CurlSignsInAsARealClientWould) {
  start();
  add_user("alice@example.org");
  const auto r = run_command({"/usr/bin/curl", "--silent", "--show-error", "--cacert", server.ca_file().string(),
                              "--tlsv1.2", "--include", "--data-urlencode", "grant_type=password",
                              "--data-urlencode", "username=alice@example.org", "--data-urlencode",
                              std::string("password=") + kPassword, server.external_https + kTokenPath});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("HTTP/1.1 200", 0), 0u) << r.out;
  const auto blank = r.out.find("\r\n\r\n");
  ASSERT_NE(blank, std::string::npos);
  const auto head = r.out.substr(0, blank);
  EXPECT_TRUE(std::regex_search(head, std::regex("\r\ncache-control: no-store", std::regex::icase))) << head;
  const auto body = boost::json::parse(r.out.substr(blank + 4));
  const std::string token(body.at("access_token").as_string());
  EXPECT_TRUE(std::regex_match(token, std::regex("cwt=[A-Za-z0-9_-]{43}"))) << token;
  EXPECT_EQ(body.at("token_type").as_string(), "Bearer");

  const auto wrong = run_command({"/usr/bin/curl", "--silent", "--cacert", server.ca_file().string(),
                                  "--write-out", " %{http_code}", "--data-urlencode", "grant_type=password",
                                  "--data-urlencode", "username=alice@example.org", "--data-urlencode",
                                  "password=wrong", server.external_https + kTokenPath});
  EXPECT_EQ(wrong.out, R"({"error":"invalid_grant"} 400)");
}

TEST_F(WebTicket, CurlWalksTheWholeFlowFromUserAtDomain) {
  // What a client that knows only alice@example.org does (UCWA.md §1-§2), with the real curl
  // binary and nothing else: every URL comes from the previous answer.
  start();
  add_user("alice@example.org");
  auto curl = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{"/usr/bin/curl", "--silent", "--show-error", "--include",
                                  "--cacert", server.ca_file().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  auto body_of = [](const std::string& out) { return out.substr(out.find("\r\n\r\n") + 4); };

  // 1. Discovery root.
  const auto root = curl({"-H", "Accept: application/json", server.external_https + "/?originalDomain=example.org"});
  ASSERT_EQ(root.rfind("HTTP/1.1 200", 0), 0u) << root;
  const std::string user_url(boost::json::parse(body_of(root)).at("_links").at("user").at("href").as_string());
  // 2. The user link without a token: the challenge names the web-ticket service.
  const auto challenge = curl({user_url});
  ASSERT_EQ(challenge.rfind("HTTP/1.1 401", 0), 0u) << challenge;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(challenge, m, std::regex("MsRtcOAuth href=\"([^\"]+)\",grant_type=\"[^\"]*password")))
      << challenge;
  const std::string token_url = m[1];
  // 3. A token with the password grant.
  const auto token_reply = curl({"--data-urlencode", "grant_type=password", "--data-urlencode",
                                 "username=alice@example.org", "--data-urlencode",
                                 std::string("password=") + kPassword, token_url});
  ASSERT_EQ(token_reply.rfind("HTTP/1.1 200", 0), 0u) << token_reply;
  const std::string token(boost::json::parse(body_of(token_reply)).at("access_token").as_string());
  // 4. The user resource with the token: the applications link of her home pool.
  const auto user = curl({"-H", "Authorization: Bearer " + token, user_url});
  ASSERT_EQ(user.rfind("HTTP/1.1 200", 0), 0u) << user;
  const auto links = boost::json::parse(body_of(user)).at("_links");
  EXPECT_EQ(links.at("applications").at("href").as_string(),
            "https://localhost:" + std::to_string(server.port_of(server.external_https)) +
                "/ucwa/oauth/v1/applications");
}

TEST_F(WebTicket, TokensStopWorkingWhenTheyExpire) {
  start("[webticket]\ntoken_lifetime_seconds = 1\n");
  add_user("alice@example.org");
  const auto token = token_for("alice@example.org");
  EXPECT_EQ(user_resource(token).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto expired = user_resource(token);
  EXPECT_EQ(expired.status, 401) << expired.body;
  EXPECT_NE(expired.header("WWW-Authenticate"), "");
}

}  // namespace
}  // namespace parley::e2e
