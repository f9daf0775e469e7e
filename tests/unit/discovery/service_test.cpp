// The discovery handlers behind the real router, with a real SQLite store and a stand-in for the
// web-ticket service (tokens "cwt=alice", "cwt=erin", "cwt=ghost" are valid; nothing else is).
#include "discovery/service.hpp"

#include "common/error.hpp"
#include "http/target.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "support/run_awaitable.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace parley::discovery {
namespace {

using boost::asio::awaitable;

constexpr std::string_view kInt = "https://int.example.org:5443";
constexpr std::string_view kExt = "https://ext.example.org";

template <class T>
T run(awaitable<T> a) {
  return parley::testing::run_awaitable(std::move(a));
}

std::optional<auth::Identity> identity_of(std::string_view token) {
  for (std::string_view who : {"alice", "erin", "ghost"})
    if (token == "cwt=" + std::string(who)) return auth::Identity{std::string(who) + "@example.org", 0};
  return std::nullopt;
}

awaitable<std::optional<auth::Identity>> fake_bearer(const http::Request& req) {
  const std::string_view h = req.headers.get("Authorization");
  if (!h.starts_with("Bearer ")) co_return std::nullopt;
  co_return identity_of(h.substr(7));
}

awaitable<std::optional<auth::Identity>> fake_ticket(std::string token) {
  co_return identity_of(token);
}

std::string g_challenged_url;

http::Response fake_challenge(std::string_view url, std::string_view) {
  g_challenged_url = std::string(url);
  auto res = http::error_response(401, "Unauthorized", "", "sign in");
  res.headers.add("WWW-Authenticate", "MsRtcOAuth href=\"" + std::string(url) + "\"");
  return res;
}

class TempDir {
public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "parley-discovery-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

class DiscoveryService_ : public ::testing::Test {
protected:
  void SetUp() override {
    store = storage::open_sqlite_store(dir.path() / "parley.db");
    store->create_user("alice@example.org", {}, true, "");
    storage::UserProfile emea;
    emea.site = "EMEA";
    store->create_user("erin@example.org", emea, true, "");
    settings.sip_domains = {"example.org", "example.com"};
    settings.internal_https_base = kInt;
    settings.external_https_base = kExt;
    PoolConfig pool2;
    pool2.name = "pool2";
    pool2.internal_fqdn = "pool2-int.example.org";
    pool2.external_fqdn = "pool2.example.org";
    pool2.sites = {"emea", "apac"};
    settings.discovery.other_pools = {pool2};
    settings.discovery.cross_domain_origins = {"https://app.example.org"};
    g_challenged_url.clear();
  }

  void build(bool http_discovery = false) {
    AuthHooks hooks{fake_bearer, fake_ticket, fake_challenge};
    service = std::make_shared<DiscoveryService>(settings, hooks, store.get(), &pool);
    register_service_routes(routers, service, http_discovery);
  }

  // Routes and runs a request as the front door would; an unrouted request answers the
  // router's status with an empty body.
  http::Response call(http::Site site, bool secure, const std::string& target,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::Request req;
    req.method = "GET";
    req.target = target;
    auto t = http::parse_target(target);
    req.segments = t.segments;
    req.path = t.path;
    req.query = t.query;
    req.site = site;
    req.secure = secure;
    for (auto& [k, v] : headers) req.headers.add(k, v);
    auto match = routers.select(site, secure).match(req);
    if (!match.handler) return http::Response::empty(match.status);
    return run((*match.handler)(req));
  }

  static boost::json::value links(const http::Response& r) { return boost::json::parse(r.body).at("_links"); }
  static std::string href(const http::Response& r, const char* rel) {
    return std::string(links(r).at(rel).at("href").as_string());
  }

  TempDir dir;
  std::unique_ptr<storage::Store> store;
  runtime::BlockingPool pool{1};
  ServiceSettings settings;
  std::shared_ptr<DiscoveryService> service;
  http::SiteRouters routers;
};

TEST_F(DiscoveryService_, RootAnswersJsonOnBothPathsOfBothSites) {
  build();
  for (const char* target : {"/", "/Autodiscover/AutodiscoverService.svc/root",
                             "/autodiscover/autodiscoverservice.svc/Root?originalDomain=example.org"}) {
    auto r = call(http::Site::external, true, target);
    ASSERT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.headers.get("Content-Type"), "application/json; charset=utf-8");
    EXPECT_EQ(href(r, "self"),
              "https://ext.example.org/Autodiscover/AutodiscoverService.svc/root?originalDomain=example.org");
    EXPECT_EQ(href(r, "user"),
              "https://ext.example.org/Autodiscover/AutodiscoverService.svc/root/oauth/user?originalDomain=example.org");
  }
  auto inside = call(http::Site::internal, true, "/");
  EXPECT_EQ(href(inside, "self"),
            "https://int.example.org:5443/Autodiscover/AutodiscoverService.svc/root?originalDomain=example.org");
  EXPECT_EQ(href(inside, "user").rfind("https://ext.example.org/", 0), 0u);  // ExposedWebURL=External
}

TEST_F(DiscoveryService_, TheHostHeaderNeverReachesALink) {
  build();
  for (auto accept : {"application/json", "application/xml"}) {
    auto r = call(http::Site::external, true, "/", {{"Host", "evil.example.net"}, {"Accept", accept},
                                                    {"X-Forwarded-Host", "evil.example.net"}});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.find("evil"), std::string::npos) << r.body;
  }
}

TEST_F(DiscoveryService_, XmlFormAndAccessLocationFollowTheSite) {
  build();
  auto ext = call(http::Site::external, true, "/", {{"Accept", "application/xml"}});
  EXPECT_EQ(ext.headers.get("Content-Type"), "application/xml; charset=utf-8");
  EXPECT_NE(ext.body.find("AccessLocation=\"External\""), std::string::npos);
  auto in = call(http::Site::internal, true, "/Autodiscover/AutodiscoverService.svc/root?sipuri=sip:alice@example.org");
  EXPECT_EQ(in.headers.get("Content-Type"), "application/xml; charset=utf-8");  // sipuri: the XML protocol
  EXPECT_NE(in.body.find("AccessLocation=\"Internal\""), std::string::npos);
  EXPECT_NE(in.body.find("<Link token=\"Self\" href=\"https://int.example.org:5443/Autodiscover/AutodiscoverService.svc/root?sipuri=sip:alice@example.org\"/>"),
            std::string::npos);
  // Asking for JSON explicitly wins over the sipuri hint.
  auto json = call(http::Site::internal, true, "/?sipuri=alice@example.org", {{"Accept", "application/json"}});
  EXPECT_EQ(json.headers.get("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(href(json, "self"),
            "https://int.example.org:5443/Autodiscover/AutodiscoverService.svc/root?sipuri=alice@example.org");
}

TEST_F(DiscoveryService_, AbsurdAcceptHeadersGetJson) {
  build();
  for (std::string accept : {std::string(16000, 'x'), std::string("\x01\x02;q=;;,,"), std::string(300, ',')}) {
    auto r = call(http::Site::external, true, "/", {{"Accept", accept}});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers.get("Content-Type"), "application/json; charset=utf-8");
  }
}

TEST_F(DiscoveryService_, EveryServedDomainAndNoOther) {
  build();
  auto com = call(http::Site::external, true, "/?originalDomain=example.com");
  EXPECT_EQ(href(com, "self"),
            "https://ext.example.org/Autodiscover/AutodiscoverService.svc/root?originalDomain=example.com");
  EXPECT_THROW(call(http::Site::external, true, "/?originalDomain=example.net"), NotFound);
  EXPECT_THROW(call(http::Site::external, true, "/?sipuri=sip:bob@example.net"), NotFound);
  EXPECT_THROW(call(http::Site::external, true, "/?sipuri=garbage"), ParameterValidationFailure);
}

TEST_F(DiscoveryService_, PlainHttpServesOnlyTheRootAndOnlyWhenEnabled) {
  build(false);
  EXPECT_EQ(call(http::Site::external, false, "/").status, 404);  // the front door turns this into a 301
  http::SiteRouters fresh;
  routers = std::move(fresh);
  build(true);
  auto json = call(http::Site::external, false, "/?originalDomain=example.org");
  ASSERT_EQ(json.status, 200);
  EXPECT_EQ(href(json, "self").rfind("https://", 0), 0u);  // links still point to HTTPS
  // The XML protocol over HTTP gets a single Redirect to the HTTPS root (MS-OCDISCWS 3.1.5.2).
  auto xml = call(http::Site::external, false, "/Autodiscover/AutodiscoverService.svc/root?sipuri=sip:alice@example.org");
  EXPECT_NE(xml.body.find("<Root>\n    <Link token=\"Redirect\" href=\"https://ext.example.org/Autodiscover/AutodiscoverService.svc/root?sipuri=sip:alice@example.org\"/>\n  </Root>"),
            std::string::npos) << xml.body;
  EXPECT_EQ(xml.body.find("token=\"User\""), std::string::npos);
  // Tokens never travel over plain HTTP: the user resource is not there.
  EXPECT_EQ(call(http::Site::external, false, "/Autodiscover/AutodiscoverService.svc/root/oauth/user",
                 {{"Authorization", "Bearer cwt=alice"}}).status, 404);
  EXPECT_EQ(call(http::Site::external, false, "/Autodiscover/XFrame/XFrame.html").status, 404);
}

TEST_F(DiscoveryService_, UserWithoutTokenIsChallengedWithTheExposedWebTicketUrl) {
  build();
  auto r = call(http::Site::internal, true, "/Autodiscover/AutodiscoverService.svc/root/oauth/user");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(g_challenged_url, "https://ext.example.org/WebTicket/oauthtoken");
  EXPECT_EQ(call(http::Site::external, true, "/Autodiscover/AutodiscoverService.svc/root/oauth/user",
                 {{"Authorization", "Bearer cwt=wrong"}}).status, 401);
  settings.discovery.exposed_web_url = ExposedWebUrl::internal;
  routers = http::SiteRouters{};
  build();
  call(http::Site::external, true, "/Autodiscover/AutodiscoverService.svc/root/user");
  EXPECT_EQ(g_challenged_url, "https://int.example.org:5443/WebTicket/oauthtoken");
}

TEST_F(DiscoveryService_, ValidTokenOpensTheUserResource) {
  build();
  auto r = call(http::Site::external, true, "/Autodiscover/AutodiscoverService.svc/root/oauth/user?originalDomain=example.org",
                {{"Authorization", "Bearer cwt=alice"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body,
            R"({"_links":{"self":{"href":"https://ext.example.org/Autodiscover/AutodiscoverService.svc/root/oauth/user"},)"
            R"("applications":{"href":"https://ext.example.org/ucwa/oauth/v1/applications"},)"
            R"("xframe":{"href":"https://ext.example.org/Autodiscover/XFrame/XFrame.html"}}})");
  auto plain_user = call(http::Site::internal, true, "/Autodiscover/AutodiscoverService.svc/root/user",
                         {{"Authorization", "Bearer cwt=alice"}});
  EXPECT_EQ(href(plain_user, "self"), "https://int.example.org:5443/Autodiscover/AutodiscoverService.svc/root/user");
  EXPECT_EQ(href(plain_user, "applications"), "https://ext.example.org/ucwa/oauth/v1/applications");
}

TEST_F(DiscoveryService_, ExposedWebUrlInternalMovesApplicationsInside) {
  settings.discovery.exposed_web_url = ExposedWebUrl::internal;
  build();
  auto r = call(http::Site::external, true, "/Autodiscover/AutodiscoverService.svc/root/oauth/user",
                {{"Authorization", "Bearer cwt=alice"}});
  EXPECT_EQ(href(r, "applications"), "https://int.example.org:5443/ucwa/oauth/v1/applications");
  EXPECT_EQ(href(r, "self"), "https://ext.example.org/Autodiscover/AutodiscoverService.svc/root/oauth/user");
}

TEST_F(DiscoveryService_, WebTicketHeaderServesTheXmlForm) {
  build();
  auto r = call(http::Site::external, true, "/Autodiscover/AutodiscoverService.svc/root/user",
                {{"X-Ms-WebTicket", "cwt=alice"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.get("Content-Type"), "application/xml; charset=utf-8");
  EXPECT_NE(r.body.find("<User>\n    <Link token=\"Self\" href=\"https://ext.example.org/Autodiscover/AutodiscoverService.svc/root/user\"/>"),
            std::string::npos);
  EXPECT_NE(r.body.find("<Link token=\"Ucwa\" href=\"https://ext.example.org/ucwa/v1/applications\"/>"), std::string::npos);
  // The JSON form takes only the Authorization header.
  EXPECT_EQ(call(http::Site::external, true, "/Autodiscover/AutodiscoverService.svc/root/user",
                 {{"X-Ms-WebTicket", "cwt=alice"}, {"Accept", "application/json"}}).status, 401);
  EXPECT_EQ(call(http::Site::external, true, "/Autodiscover/AutodiscoverService.svc/root/user",
                 {{"X-Ms-WebTicket", std::string(5000, 'a')}}).status, 401);
}

TEST_F(DiscoveryService_, UserHomedOnAnotherPoolIsRedirected) {
  build();
  auto ext = call(http::Site::external, true, "/Autodiscover/AutodiscoverService.svc/root/oauth/user",
                  {{"Authorization", "Bearer cwt=erin"}});
  ASSERT_EQ(ext.status, 200) << ext.body;
  EXPECT_EQ(href(ext, "redirect"), "https://pool2.example.org/Autodiscover/AutodiscoverService.svc/root");
  EXPECT_FALSE(links(ext).as_object().contains("applications"));
  auto in = call(http::Site::internal, true, "/Autodiscover/AutodiscoverService.svc/root/oauth/user",
                 {{"Authorization", "Bearer cwt=erin"}});
  EXPECT_EQ(href(in, "redirect"), "https://pool2-int.example.org/Autodiscover/AutodiscoverService.svc/root");
  auto xml = call(http::Site::external, true, "/Autodiscover/AutodiscoverService.svc/root/user",
                  {{"X-Ms-WebTicket", "cwt=erin"}});
  EXPECT_NE(xml.body.find("<User>\n    <Link token=\"Redirect\" href=\"https://pool2.example.org/Autodiscover/AutodiscoverService.svc/root\"/>\n  </User>"),
            std::string::npos) << xml.body;
  // Alice has no site: she stays here.
  auto alice = call(http::Site::external, true, "/Autodiscover/AutodiscoverService.svc/root/oauth/user",
                    {{"Authorization", "Bearer cwt=alice"}});
  EXPECT_FALSE(links(alice).as_object().contains("redirect"));
}

TEST_F(DiscoveryService_, ATokenWhoseUserIsGoneFindsNothing) {
  build();
  EXPECT_THROW(call(http::Site::external, true, "/Autodiscover/AutodiscoverService.svc/root/oauth/user",
                    {{"Authorization", "Bearer cwt=ghost"}}),
               NotFound);
}

TEST_F(DiscoveryService_, DomainResourceIsXml) {
  build();
  auto r = call(http::Site::internal, true, "/Autodiscover/AutodiscoverService.svc/root/domain");
  EXPECT_EQ(r.headers.get("Content-Type"), "application/xml; charset=utf-8");
  EXPECT_NE(r.body.find("<Domain>"), std::string::npos);
  EXPECT_NE(r.body.find("AccessLocation=\"Internal\""), std::string::npos);
}

TEST_F(DiscoveryService_, XFrameIsAnHtmlPageWithItsPolicy) {
  build();
  auto r = call(http::Site::external, true, "/Autodiscover/XFrame/XFrame.html");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r.body.find(R"(["https://app.example.org"])"), std::string::npos);
  EXPECT_NE(std::string(r.headers.get("Content-Security-Policy")).find("frame-ancestors https://app.example.org"),
            std::string::npos);
}

TEST_F(DiscoveryService_, WithoutAnyHttpsSiteDiscoveryIsUnavailable) {
  settings.internal_https_base.clear();
  settings.external_https_base.clear();
  build();
  EXPECT_THROW(call(http::Site::external, true, "/"), ServiceUnavailable);
}

TEST_F(DiscoveryService_, RedirectMatchesSitesCaseInsensitively) {
  build();
  storage::User u;
  u.profile.site = "ApAc";
  EXPECT_EQ(service->redirect_for(u, http::Site::external),
            "https://pool2.example.org/Autodiscover/AutodiscoverService.svc/root");
  u.profile.site = "americas";
  EXPECT_EQ(service->redirect_for(u, http::Site::external), std::nullopt);
  u.profile.site.clear();
  EXPECT_EQ(service->redirect_for(u, http::Site::external), std::nullopt);
}

}  // namespace
}  // namespace parley::discovery
