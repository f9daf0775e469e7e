// Discovery (UCWA.md §1) as a client meets it: the real parleyd on ephemeral loopback ports,
// spoken to over HTTPS and plain HTTP with libcurl. Sign-in uses the web-ticket service.
#include "harness.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

namespace parley::e2e {
namespace {

constexpr char kRoot[] = "/Autodiscover/AutodiscoverService.svc/root";
constexpr char kOAuthUser[] = "/Autodiscover/AutodiscoverService.svc/root/oauth/user";
constexpr char kUser[] = "/Autodiscover/AutodiscoverService.svc/root/user";
constexpr char kXFrame[] = "/Autodiscover/XFrame/XFrame.html";
constexpr char kPassword[] = "correct horse battery";

class Discovery : public ::testing::Test {
protected:
  void start(const std::string& extra_toml = "", const std::string& top_level = "") {
    server.start_with_test_config(dir.path(), extra_toml, top_level);
  }
  Reply get(const std::string& url, const std::vector<std::string>& headers = {},
            const std::string& bearer = "") {
    return http_request("GET", url, server.ca_file(), "", bearer, headers);
  }
  // What the server advertises for each site: the configured FQDN (localhost in the tests) and
  // the real HTTPS port, never the address the test connects to.
  std::string internal_base() const {
    return "https://localhost:" + std::to_string(server.port_of(server.internal_https));
  }
  std::string external_base() const {
    return "https://localhost:" + std::to_string(server.port_of(server.external_https));
  }

  void create_user(const std::string& sip, const std::string& site = "") {
    boost::json::object body{{"sipUri", sip}, {"password", kPassword}, {"site", site}};
    auto r = http_request("POST", server.internal_https + "/admin/v1/users", server.ca_file(),
                          boost::json::serialize(body), server.admin_credential(),
                          {"Content-Type: application/json"});
    ASSERT_EQ(r.status, 201) << r.body;
  }
  std::string sign_in(const std::string& sip) {
    std::string form = "grant_type=password&username=" + sip + "&password=correct+horse+battery";
    auto r = http_request("POST", server.external_https + "/WebTicket/oauthtoken", server.ca_file(), form, "",
                          {"Content-Type: application/x-www-form-urlencoded"});
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return {};
    return std::string(boost::json::parse(r.body).at("access_token").as_string());
  }

  static std::string href(const Reply& r, const char* rel) {
    auto v = boost::json::parse(r.body);
    const auto* link = v.at("_links").as_object().if_contains(rel);
    return link ? std::string(link->at("href").as_string()) : std::string();
  }
  static std::vector<std::string> all_headers(const Reply& r, std::string_view name) {
    std::vector<std::string> out;
    for (const auto& [k, v] : r.headers)
      if (k.size() == name.size() &&
          std::equal(k.begin(), k.end(), name.begin(),
                     [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        out.push_back(v);
    return out;
  }

  TempDir dir;
  Parleyd server;
};

TEST_F(Discovery, JsonRootOnBothSitesWithAbsoluteLinks) {
  start();
  for (const char* path : {"/", kRoot, "/autodiscover/autodiscoverservice.svc/Root?originalDomain=example.org"}) {
    auto r = get(server.external_https + path, {"Accept: application/json"});
    ASSERT_EQ(r.status, 200) << path << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
    EXPECT_EQ(r.header("Cache-Control"), "no-cache");
    EXPECT_EQ(r.header("X-MS-Server-Fqdn"), "localhost");
    EXPECT_EQ(href(r, "self"), external_base() + kRoot + "?originalDomain=example.org");
    EXPECT_EQ(href(r, "user"), external_base() + kOAuthUser + "?originalDomain=example.org");
    EXPECT_EQ(href(r, "xframe"), external_base() + kXFrame);
  }
  // No Accept at all: JSON too.
  auto bare = get(server.internal_https + "/");
  EXPECT_EQ(bare.header("Content-Type"), "application/json; charset=utf-8");
  // Inside, self stays inside; the user link is the exposed (external) web URL.
  EXPECT_EQ(href(bare, "self"), internal_base() + kRoot + "?originalDomain=example.org");
  EXPECT_EQ(href(bare, "user"), external_base() + kOAuthUser + "?originalDomain=example.org");
}

TEST_F(Discovery, XmlRootSaysWhichSiteItCameFrom) {
  start();
  auto ext = get(server.external_https + kRoot, {"Accept: application/xml"});
  ASSERT_EQ(ext.status, 200);
  EXPECT_EQ(ext.header("Content-Type"), "application/xml; charset=utf-8");
  EXPECT_NE(ext.body.find("AccessLocation=\"External\""), std::string::npos) << ext.body;
  auto in = get(server.internal_https + std::string(kRoot) + "?sipuri=sip:alice@example.org");
  EXPECT_EQ(in.header("Content-Type"), "application/xml; charset=utf-8");  // the MS-OCDISCWS form
  EXPECT_NE(in.body.find("AccessLocation=\"Internal\""), std::string::npos) << in.body;
  for (const char* token : {"Self", "User", "Ucwa", "Internal/Ucwa", "External/Ucwa", "Internal/Autodiscover",
                            "External/Autodiscover", "Internal/AuthBroker", "External/AuthBroker",
                            "Internal/WebScheduler", "External/WebScheduler", "Internal/Mcx", "External/Mcx",
                            "XFrame", "Internal/XFrame", "External/XFrame"})
    EXPECT_NE(in.body.find("<Link token=\"" + std::string(token) + "\" href=\"https://localhost:"),
              std::string::npos) << token;
  EXPECT_NE(in.body.find("<Link token=\"Ucwa\" href=\"" + external_base() + "/ucwa/v1/applications\"/>"),
            std::string::npos);
  EXPECT_NE(in.body.find("<Link token=\"Internal/AuthBroker\" href=\"" + internal_base() + "/Reach/sip.svc\"/>"),
            std::string::npos);
}

TEST_F(Discovery, ForgedHostHeaderDoesNotChangeTheLinks) {
  start();
  for (const char* accept : {"Accept: application/json", "Accept: application/xml"}) {
    auto r = get(server.external_https + "/", {"Host: evil.example.net", "X-Forwarded-Host: evil.example.net", accept});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body.find("evil"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(external_base() + kRoot), std::string::npos) << r.body;
  }
}

TEST_F(Discovery, AbsurdAcceptHeaderStillGetsJson) {
  start();
  auto r = get(server.external_https + "/", {"Accept: " + std::string(8000, ';') + "application/xml;q=7,*/*"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
}

TEST_F(Discovery, EverySipDomainIsServedAndNoOther) {
  start("", "sip_domains = [\"example.org\", \"example.com\"]");
  auto com = get(server.external_https + std::string(kRoot) + "?originalDomain=example.com");
  ASSERT_EQ(com.status, 200) << com.body;
  EXPECT_EQ(href(com, "user"), external_base() + kOAuthUser + "?originalDomain=example.com");
  auto sip = get(server.external_https + std::string(kRoot) + "?sipuri=sip:bob@EXAMPLE.com");
  EXPECT_EQ(sip.status, 200);
  EXPECT_NE(sip.body.find("<Root>"), std::string::npos);
  for (const char* query : {"?originalDomain=example.net", "?sipuri=sip:bob@example.net", "?sipuri=bob@evil.org"}) {
    auto r = get(server.external_https + std::string(kRoot) + query);
    EXPECT_EQ(r.status, 404) << query;
    EXPECT_EQ(boost::json::parse(r.body).at("code").as_string(), "NotFound") << r.body;
  }
  auto bad = get(server.external_https + std::string(kRoot) + "?sipuri=nobody");
  EXPECT_EQ(bad.status, 400);
}

TEST_F(Discovery, UserWithoutTokenIsChallengedToSignIn) {
  start();
  for (const char* path : {kOAuthUser, kUser}) {
    auto r = get(server.internal_https + path + "?originalDomain=example.org");
    EXPECT_EQ(r.status, 401) << path;
    const auto challenges = all_headers(r, "WWW-Authenticate");
    ASSERT_EQ(challenges.size(), 2u) << path;
    // The web-ticket URL is the exposed (external) one, whichever site was asked.
    EXPECT_EQ(challenges[1], "MsRtcOAuth href=\"" + external_base() +
                                 "/WebTicket/oauthtoken\",grant_type=\"urn:microsoft.rtc:windows,"
                                 "urn:microsoft.rtc:anonmeeting,password\"");
    EXPECT_EQ(challenges[0].rfind("Bearer trusted_issuers=\"", 0), 0u) << challenges[0];
    EXPECT_NE(challenges[0].find("client_id=\"00000004-0000-0ff1-ce00-000000000000\""), std::string::npos)
        << challenges[0];
  }
  EXPECT_EQ(get(server.external_https + kOAuthUser, {}, "cwt=not-a-token").status, 401);
}

TEST_F(Discovery, SignedInUserGetsTheApplicationsLink) {
  start();
  create_user("alice@example.org");
  const auto token = sign_in("alice@example.org");
  ASSERT_FALSE(token.empty());
  auto r = get(server.external_https + kOAuthUser + "?originalDomain=example.org", {"Accept: application/json"}, token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(href(r, "self"), external_base() + kOAuthUser);
  EXPECT_EQ(href(r, "applications"), external_base() + "/ucwa/oauth/v1/applications");
  EXPECT_EQ(href(r, "xframe"), external_base() + kXFrame);
  // The XML protocol carries the same token in X-Ms-WebTicket.
  auto xml = get(server.external_https + kUser, {"X-Ms-WebTicket: " + token});
  ASSERT_EQ(xml.status, 200) << xml.body;
  EXPECT_EQ(xml.header("Content-Type"), "application/xml; charset=utf-8");
  EXPECT_NE(xml.body.find("<User>"), std::string::npos);
  EXPECT_NE(xml.body.find("<Link token=\"Ucwa\" href=\"" + external_base() + "/ucwa/v1/applications\"/>"),
            std::string::npos);
}

TEST_F(Discovery, ExposedWebUrlDecidesWhereApplicationsLive) {
  start("[discovery]\nexposed_web_url = \"Internal\"\n");
  create_user("alice@example.org");
  const auto token = sign_in("alice@example.org");
  auto r = get(server.external_https + kOAuthUser, {}, token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(href(r, "applications"), internal_base() + "/ucwa/oauth/v1/applications");
  EXPECT_EQ(href(r, "self"), external_base() + kOAuthUser);
  auto root = get(server.external_https + "/");
  EXPECT_EQ(href(root, "user"), internal_base() + kOAuthUser + "?originalDomain=example.org");
}

TEST_F(Discovery, UserHomedOnAnotherPoolIsRedirectedThere) {
  start("[[discovery.pools]]\nname = \"pool2\"\ninternal_fqdn = \"pool2-int.example.org\"\n"
        "external_fqdn = \"pool2.example.org\"\nsites = [\"emea\"]\n");
  create_user("erin@example.org", "emea");
  create_user("alice@example.org");
  const auto erin = sign_in("erin@example.org");
  auto ext = get(server.external_https + kOAuthUser, {}, erin);
  ASSERT_EQ(ext.status, 200) << ext.body;
  EXPECT_EQ(href(ext, "redirect"), "https://pool2.example.org/Autodiscover/AutodiscoverService.svc/root");
  EXPECT_EQ(href(ext, "applications"), "");
  auto in = get(server.internal_https + kOAuthUser, {}, erin);
  EXPECT_EQ(href(in, "redirect"), "https://pool2-int.example.org/Autodiscover/AutodiscoverService.svc/root");
  auto xml = get(server.external_https + kUser, {"X-Ms-WebTicket: " + erin});
  EXPECT_NE(xml.body.find("<User>\n    <Link token=\"Redirect\" href=\"https://pool2.example.org/Autodiscover/AutodiscoverService.svc/root\"/>\n  </User>"),
            std::string::npos) << xml.body;
  // Alice's site is not another pool's: she stays.
  auto alice = get(server.external_https + kOAuthUser, {}, sign_in("alice@example.org"));
  EXPECT_EQ(href(alice, "applications"), external_base() + "/ucwa/oauth/v1/applications");
}

TEST_F(Discovery, HttpDiscoveryAnswersTheRootAndSendsEverythingElseToHttps) {
  start("[discovery]\nhttp_discovery = true\n");
  auto root = get(server.external_http + std::string(kRoot) + "?originalDomain=example.org");
  ASSERT_EQ(root.status, 200) << root.body;
  EXPECT_EQ(href(root, "self"), external_base() + kRoot + "?originalDomain=example.org");
  EXPECT_EQ(href(root, "user"), external_base() + kOAuthUser + "?originalDomain=example.org");
  EXPECT_EQ(get(server.external_http + "/").status, 200);
  // The XML protocol over HTTP gets a single Redirect link to the HTTPS root.
  auto xml = get(server.external_http + std::string(kRoot) + "?sipuri=sip:alice@example.org");
  EXPECT_NE(xml.body.find("<Root>\n    <Link token=\"Redirect\" href=\"" + external_base() + kRoot +
                          "?sipuri=sip:alice@example.org\"/>\n  </Root>"),
            std::string::npos) << xml.body;
  for (const char* path : {kOAuthUser, kXFrame, "/anything"}) {
    auto r = get(server.external_http + path);
    EXPECT_EQ(r.status, 301) << path;
    EXPECT_EQ(r.header("Location"), external_base() + path);
  }
}

TEST_F(Discovery, WithoutHttpDiscoveryThePlainRootIsARedirect) {
  start();
  auto r = get(server.external_http + std::string(kRoot) + "?originalDomain=example.org");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.header("Location"), external_base() + kRoot + "?originalDomain=example.org");
}

TEST_F(Discovery, XFramePageRelaysOnlyForTheAllowList) {
  start("[discovery]\ncross_domain_origins = [\"https://app.example.org\"]\n");
  auto r = get(server.external_https + kXFrame);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("<!DOCTYPE html>"), std::string::npos);
  EXPECT_NE(r.body.find("[\"https://app.example.org\"]"), std::string::npos);
  EXPECT_NE(r.body.find("addEventListener(\"message\""), std::string::npos);
  EXPECT_NE(r.header("Content-Security-Policy").find("frame-ancestors https://app.example.org"), std::string::npos)
      << r.header("Content-Security-Policy");
  // Without an allow-list nobody may frame it.
  TempDir other;
  Parleyd plain;
  plain.start_with_test_config(other.path());
  auto none = http_request("GET", plain.external_https + kXFrame, plain.ca_file());
  EXPECT_NE(none.header("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
}

TEST_F(Discovery, AnswersAreGzippedForClientsThatAcceptIt) {
  start();
  for (const char* accept : {"Accept: application/json", "Accept: application/xml"}) {
    auto r = get(server.external_https + "/", {"Accept-Encoding: gzip", accept});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Encoding"), "gzip") << accept;
    ASSERT_GE(r.body.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(r.body[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(r.body[1]), 0x8b);
  }
  auto identity = get(server.external_https + "/", {"Accept: application/json"});
  EXPECT_EQ(identity.header("Content-Encoding"), "");
  EXPECT_EQ(identity.body.rfind("{\"_links\"", 0), 0u);
}

}  // namespace
}  // namespace parley::e2e
