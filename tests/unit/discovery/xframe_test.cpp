#include "discovery/xframe.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace parley::discovery {
namespace {

std::string script_of(const std::string& html) {
  const auto open = html.find("<script>");
  const auto close = html.find("</script>");
  if (open == std::string::npos || close == std::string::npos) return {};
  return html.substr(open + 8, close - open - 8);
}

TEST(XFrame, EmbedsTheAllowListAndLetsOnlyItFrameThePage) {
  auto page = build_xframe_page({"https://app.example.org", "http://localhost:3000"});
  EXPECT_NE(page.html.find(R"(var allowedOrigins = ["https://app.example.org","http://localhost:3000"];)"),
            std::string::npos);
  EXPECT_NE(page.content_security_policy.find("frame-ancestors https://app.example.org http://localhost:3000"),
            std::string::npos);
  EXPECT_EQ(page.html.rfind("<!DOCTYPE html>", 0), 0u);
  // It is a relay: it listens for messages, checks who sent them and answers with postMessage.
  EXPECT_NE(page.html.find("addEventListener(\"message\""), std::string::npos);
  EXPECT_NE(page.html.find("event.origin"), std::string::npos);
  EXPECT_NE(page.html.find("fetch("), std::string::npos);
}

TEST(XFrame, AnEmptyAllowListFramesNowhere) {
  auto page = build_xframe_page({});
  EXPECT_NE(page.html.find("var allowedOrigins = [];"), std::string::npos);
  EXPECT_NE(page.content_security_policy.find("frame-ancestors 'none'"), std::string::npos);
}

TEST(XFrame, OriginsThatCouldInjectADirectiveAreLeftOut) {
  auto page = build_xframe_page({"https://a.example.org;script-src *", "https://ok.example.org",
                                 "https://b.example.org 'unsafe-inline'", "javascript://x"});
  EXPECT_EQ(page.origins, std::vector<std::string>{"https://ok.example.org"});
  EXPECT_EQ(page.content_security_policy.find("script-src *"), std::string::npos);
  EXPECT_EQ(page.content_security_policy.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(page.html.find("a.example.org"), std::string::npos);
}

TEST(XFrame, PlainOriginCheck) {
  EXPECT_TRUE(is_plain_origin("https://app.example.org"));
  EXPECT_TRUE(is_plain_origin("http://[::1]:8080"));
  EXPECT_FALSE(is_plain_origin("https://"));
  EXPECT_FALSE(is_plain_origin("ftp://example.org"));
  EXPECT_FALSE(is_plain_origin("https://example.org/path"));
  EXPECT_FALSE(is_plain_origin("https://exa\"mple.org"));
}

TEST(XFrame, ScriptJsonCannotCloseTheScriptElement) {
  const auto json = script_safe_json_array({"</script><script>alert(1)</script>", "a&b", "x\xE2\x80\xA8y"});
  EXPECT_EQ(json.find('<'), std::string::npos);
  EXPECT_EQ(json.find('>'), std::string::npos);
  EXPECT_EQ(json.find('&'), std::string::npos);
  EXPECT_EQ(json.find("\xE2\x80\xA8"), std::string::npos);
  // It is still the same JSON.
  auto v = boost::json::parse(json);
  EXPECT_EQ(v.as_array().at(0).as_string(), "</script><script>alert(1)</script>");
  EXPECT_EQ(v.as_array().at(2).as_string(), "x\xE2\x80\xA8y");
}

TEST(XFrame, PolicyPinsExactlyTheInlineScript) {
  auto page = build_xframe_page({"https://app.example.org"});
  const std::string script = script_of(page.html);
  ASSERT_FALSE(script.empty());
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(script.data()), script.size(), digest.data());
  std::array<unsigned char, 64> b64{};
  const int n = EVP_EncodeBlock(b64.data(), digest.data(), static_cast<int>(digest.size()));
  const std::string source = "'sha256-" + std::string(reinterpret_cast<char*>(b64.data()), n) + "'";
  EXPECT_NE(page.content_security_policy.find("script-src " + source + ";"), std::string::npos)
      << page.content_security_policy;
  EXPECT_NE(page.content_security_policy.find("connect-src 'self'"), std::string::npos);
}

// Runs the page's script in node with a stand-in window: requests from the allowed origin are
// relayed to this origin with fetch and answered to the asker; everything else is refused
// without a request being made.
constexpr std::string_view kNodeHarness = R"JS(
const fs = require("fs");
const script = fs.readFileSync(process.argv[2], "utf8");
const listeners = [];
const posted = [];
const fetched = [];
global.window = {
  addEventListener: (type, f) => { if (type === "message") listeners.push(f); },
  location: { href: "https://ext.example.org/Autodiscover/XFrame/XFrame.html", origin: "https://ext.example.org" }
};
window.parent = window;
global.document = { referrer: "" };
global.fetch = async (url, init) => {
  fetched.push({ url, method: init.method, headers: Object.fromEntries(init.headers.entries()), body: init.body });
  return new Response('{"ok":true}', { status: 201, statusText: "Created", headers: { "content-type": "application/json" } });
};
(0, eval)(script);
async function send(origin, data) {
  const source = { postMessage: (msg, to) => posted.push({ origin: to, msg }) };
  for (const l of listeners) l({ origin, data, source });
  await new Promise(r => setTimeout(r, 20));
}
(async () => {
  await send("https://app.example.org", { type: "request", id: 1, method: "post", url: "/ucwa/oauth/v1/applications",
                                          headers: { "Content-Type": "application/json" }, body: "{}" });
  await send("https://evil.example.net", { type: "request", id: 2, method: "GET", url: "/ucwa/x" });
  await send("https://app.example.org", { type: "request", id: 3, method: "GET", url: "https://evil.example.net/steal" });
  await send("https://app.example.org", { type: "request", id: 4, method: "TRACE", url: "/x" });
  await send("https://app.example.org", "not an object");
  console.log(JSON.stringify({ listeners: listeners.length, fetched, posted }));
})();
)JS";

TEST(XFrame, RelaysForAllowedOriginsAndRefusesOthers) {
  // scripts/setup installs node; the relay script runs in it as it would in a browser.
  ASSERT_EQ(std::system("command -v node >/dev/null 2>&1"), 0) << "node is missing: run scripts/setup";
  const auto dir = std::filesystem::temp_directory_path() / ("parley-xframe-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto page = build_xframe_page({"https://app.example.org"});
  { std::ofstream(dir / "script.js") << script_of(page.html); }
  { std::ofstream(dir / "harness.js") << kNodeHarness; }
  const std::string cmd = "node " + (dir / "harness.js").string() + " " + (dir / "script.js").string();
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    ::pclose(p);
  }
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(out.empty());
  const auto v = boost::json::parse(out).as_object();
  EXPECT_EQ(v.at("listeners").as_int64(), 1);

  const auto& fetched = v.at("fetched").as_array();
  ASSERT_EQ(fetched.size(), 1u) << out;  // only request 1 went out
  const auto& f = fetched[0].as_object();
  EXPECT_EQ(f.at("url").as_string(), "https://ext.example.org/ucwa/oauth/v1/applications");
  EXPECT_EQ(f.at("method").as_string(), "POST");
  EXPECT_EQ(f.at("body").as_string(), "{}");
  EXPECT_EQ(f.at("headers").at("content-type").as_string(), "application/json");
  EXPECT_EQ(f.at("headers").at("x-ms-origin").as_string(), "https://app.example.org");

  const auto& posted = v.at("posted").as_array();
  ASSERT_EQ(posted.size(), 5u) << out;
  auto by_id = [&](std::int64_t id) -> const boost::json::object* {
    for (const auto& p : posted) {
      const auto& m = p.at("msg").as_object();
      if (m.contains("id") && m.at("id").is_int64() && m.at("id").as_int64() == id) return &p.as_object();
    }
    return nullptr;
  };
  const auto* ok = by_id(1);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->at("origin").as_string(), "https://app.example.org");
  EXPECT_EQ(ok->at("msg").at("type").as_string(), "response");
  EXPECT_EQ(ok->at("msg").at("status").as_int64(), 201);
  EXPECT_EQ(ok->at("msg").at("body").as_string(), R"({"ok":true})");
  for (std::int64_t id : {2, 3, 4}) {
    const auto* refused = by_id(id);
    ASSERT_NE(refused, nullptr) << id;
    EXPECT_EQ(refused->at("msg").at("type").as_string(), "error") << id;
  }
  EXPECT_EQ(by_id(2)->at("msg").at("error").as_string(), "origin not allowed");
}

}  // namespace
}  // namespace parley::discovery
