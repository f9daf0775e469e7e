// The web client's file server: what a browser gets (types, caching, 304, gzip, security
// headers), what it can never get (anything outside the directory), and GET / still answering
// discovery clients.
#include "web/static_site.hpp"

#include "common/error.hpp"
#include "support/run_awaitable.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

namespace parley::web {
namespace {

namespace fs = std::filesystem;

class Dir {
public:
  Dir() : path_(fs::temp_directory_path() / ("parley-web-" + std::to_string(std::random_device{}()))) {
    fs::create_directories(path_ / "dist" / "assets");
  }
  ~Dir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  void write(const fs::path& relative, const std::string& text) const {
    fs::create_directories((path_ / relative).parent_path());
    std::ofstream(path_ / relative, std::ios::binary) << text;
  }

private:
  fs::path path_;
};

http::Request get(std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
  http::Request r;
  r.method = "GET";
  r.target = target;
  const auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  std::size_t pos = 1;
  while (pos <= r.path.size()) {
    auto end = r.path.find('/', pos);
    if (end == std::string::npos) end = r.path.size();
    if (end > pos) r.segments.push_back(r.path.substr(pos, end - pos));
    pos = end + 1;
  }
  r.secure = true;
  for (auto& [k, v] : headers) r.headers.add(k, v);
  return r;
}

const std::string kScript = "console.log('" + std::string(2000, 'x') + "');\n";

TEST(AcceptsHtml, BrowsersYesDiscoveryClientsNo) {
  EXPECT_TRUE(accepts_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
  EXPECT_TRUE(accepts_html("TEXT/HTML"));
  EXPECT_FALSE(accepts_html("application/json"));
  EXPECT_FALSE(accepts_html("application/vnd.microsoft.com.ucwa+xml"));
  EXPECT_FALSE(accepts_html("*/*"));
  EXPECT_FALSE(accepts_html(""));
  EXPECT_FALSE(accepts_html("text/html;q=0"));
  EXPECT_FALSE(accepts_html("text/html; q=0.000"));
}

TEST(SafeName, RefusesEverythingThatCouldLeaveTheDirectory) {
  EXPECT_TRUE(is_safe_name("index-BRwNZw2g.js"));
  for (const char* bad : {"", ".", "..", ".env", "a/b", "a\\b", "..%2f", "a..b", "a b", "a?b"})
    EXPECT_FALSE(is_safe_name(bad)) << bad;
  EXPECT_FALSE(is_safe_name(std::string_view("x\0y", 3)));
  EXPECT_FALSE(is_safe_name(std::string(129, 'a')));
}

TEST(ContentType, ScriptsStylesAndTheManifest) {
  EXPECT_EQ(content_type_for("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("app.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("manifest.webmanifest"), "application/manifest+json; charset=utf-8");
  EXPECT_EQ(content_type_for("icon.png"), "image/png");
  EXPECT_EQ(content_type_for("README"), "application/octet-stream");
}

TEST(StaticSite, ServesFilesWithCachingAndSecurityHeaders) {
  Dir d;
  d.write("dist/index.html", "<!doctype html><div id=app></div>");
  d.write("dist/assets/app-1.js", kScript);
  StaticSite site(d.path() / "dist");
  ASSERT_TRUE(site.available());

  const auto js = site.serve(get("/assets/app-1.js"), "assets/app-1.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->body, kScript);
  EXPECT_EQ(js->headers.get("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js->headers.get("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_NE(js->headers.get("Content-Security-Policy").find("default-src 'self'"), std::string_view::npos);
  EXPECT_EQ(js->headers.get("X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(js->headers.get("Referrer-Policy").empty());

  const auto html = site.serve(get("/index.html"), "index.html");
  ASSERT_TRUE(html);
  EXPECT_EQ(html->headers.get("Cache-Control"), "no-cache");

  // Revalidation: the same tag answers 304 without a body.
  const std::string etag(js->headers.get("ETag"));
  ASSERT_FALSE(etag.empty());
  const auto again = site.serve(get("/assets/app-1.js", {{"If-None-Match", etag}}), "assets/app-1.js");
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());

  // gzip when asked, as its own representation.
  const auto gz = site.serve(get("/assets/app-1.js", {{"Accept-Encoding", "gzip, br"}}), "assets/app-1.js");
  EXPECT_EQ(gz->headers.get("Content-Encoding"), "gzip");
  EXPECT_LT(gz->body.size(), kScript.size());
  EXPECT_NE(gz->headers.get("ETag"), etag);

  // A changed file is read again.
  d.write("dist/assets/app-1.js", "changed();");
  fs::last_write_time(d.path() / "dist/assets/app-1.js", fs::file_time_type::clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(site.serve(get("/assets/app-1.js"), "assets/app-1.js")->body, "changed();");
}

TEST(StaticSite, NothingOutsideTheDirectoryAndNothingTooLarge) {
  Dir d;
  d.write("dist/index.html", "shell");
  d.write("secret.txt", "password");
  d.write("dist/assets/big.js", std::string(2048, 'b'));
  StaticSite site(d.path() / "dist", 1024);
  for (const char* path : {"../secret.txt", "assets/../../secret.txt", "assets/..", "/etc/passwd", "",
                           "assets/", "assets/missing.js", ".hidden", "a/b/c"})
    EXPECT_FALSE(site.serve(get("/x"), path)) << path;
  EXPECT_FALSE(site.serve(get("/assets/big.js"), "assets/big.js"));
  EXPECT_TRUE(site.serve(get("/index.html"), "index.html"));
}

http::Response dispatch(const http::Router& router, http::Request req) {
  auto m = router.match(req);
  if (!m.handler) throw NotFound("no route");
  return testing::run_awaitable((*m.handler)(req));
}

TEST(RegisterRoutes, BrowsersGetTheShellAtRootDiscoveryClientsTheRoot) {
  Dir d;
  d.write("dist/index.html", "<!doctype html>shell");
  d.write("dist/sw.js", "self.addEventListener('fetch', () => {});");
  d.write("dist/assets/app-2.js", kScript);
  http::SiteRouters routers;
  routers.external.add("GET", "/", [](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::Response::json(200, R"({"_links":{"user":{"href":"/user"}}})");
  });
  ASSERT_TRUE(register_routes(routers, d.path() / "dist"));

  const auto browser = dispatch(routers.external, get("/", {{"Accept", "text/html,*/*;q=0.8"}}));
  EXPECT_EQ(browser.body, "<!doctype html>shell");
  const auto ucwa = dispatch(routers.external, get("/", {{"Accept", "application/json"}}));
  EXPECT_NE(ucwa.body.find("\"user\""), std::string::npos);
  // A discovery query from a browser still gets discovery.
  const auto query = dispatch(routers.external, get("/?originalDomain=example.org", {{"Accept", "text/html"}}));
  EXPECT_NE(query.body.find("\"user\""), std::string::npos);

  const auto sw = dispatch(routers.external, get("/sw.js"));
  EXPECT_EQ(sw.headers.get("Cache-Control"), "no-cache");
  EXPECT_EQ(dispatch(routers.external, get("/assets/app-2.js")).body, kScript);
  EXPECT_THROW(dispatch(routers.external, get("/assets/none.js")), NotFound);
  // Only the external site serves the client.
  EXPECT_EQ(routers.internal.match(*std::make_unique<http::Request>(get("/sw.js"))).status, 404);
}

TEST(RegisterRoutes, WithoutABuildRootStaysDiscovery) {
  Dir d;
  http::SiteRouters routers;
  routers.external.add("GET", "/", [](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::Response::json(200, "{}");
  });
  EXPECT_FALSE(register_routes(routers, d.path() / "missing"));
  EXPECT_EQ(dispatch(routers.external, get("/", {{"Accept", "text/html"}})).body, "{}");
}

}  // namespace
}  // namespace parley::web
