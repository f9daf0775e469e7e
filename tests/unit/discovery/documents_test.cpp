#include "discovery/documents.hpp"

#include <gtest/gtest.h>

namespace parley::discovery {
namespace {

constexpr std::string_view kInt = "https://int.example.org:5443";
constexpr std::string_view kExt = "https://ext.example.org";

TEST(Bases, SelfFollowsTheSiteAndMobilityFollowsExposedWebUrl) {
  auto ext = choose_bases(http::Site::external, false, kInt, kExt);
  EXPECT_EQ(ext.arrived, kExt);
  EXPECT_EQ(ext.exposed, kExt);
  auto inside = choose_bases(http::Site::internal, false, kInt, kExt);
  EXPECT_EQ(inside.arrived, kInt);
  EXPECT_EQ(inside.exposed, kExt);  // internal clients are sent to the external web URL
  auto exposed_internal = choose_bases(http::Site::external, true, kInt, kExt);
  EXPECT_EQ(exposed_internal.arrived, kExt);
  EXPECT_EQ(exposed_internal.exposed, kInt);
  EXPECT_EQ(exposed_internal.internal, kInt);
  EXPECT_EQ(exposed_internal.external, kExt);
}

TEST(Bases, ASiteWithoutHttpsBorrowsTheOthers) {
  auto b = choose_bases(http::Site::internal, true, "", kExt);
  EXPECT_EQ(b.arrived, kExt);
  EXPECT_EQ(b.exposed, kExt);
  EXPECT_EQ(b.internal, kExt);
}

TEST(JsonRoot, IsTheUcwaRootWithAbsoluteLinks) {
  auto b = choose_bases(http::Site::external, false, kInt, kExt);
  EXPECT_EQ(json_root(b, "originalDomain=example.org"),
            R"({"_links":{"self":{"href":"https://ext.example.org/Autodiscover/AutodiscoverService.svc/root?originalDomain=example.org"},)"
            R"("user":{"href":"https://ext.example.org/Autodiscover/AutodiscoverService.svc/root/oauth/user?originalDomain=example.org"},)"
            R"("xframe":{"href":"https://ext.example.org/Autodiscover/XFrame/XFrame.html"}}})");
}

TEST(JsonRoot, InternalRequestKeepsSelfInsideAndSendsUserOutside) {
  auto b = choose_bases(http::Site::internal, false, kInt, kExt);
  EXPECT_EQ(json_root(b, "originalDomain=example.com"),
            R"({"_links":{"self":{"href":"https://int.example.org:5443/Autodiscover/AutodiscoverService.svc/root?originalDomain=example.com"},)"
            R"("user":{"href":"https://ext.example.org/Autodiscover/AutodiscoverService.svc/root/oauth/user?originalDomain=example.com"},)"
            R"("xframe":{"href":"https://ext.example.org/Autodiscover/XFrame/XFrame.html"}}})");
}

TEST(JsonUser, LinksTheApplicationsOfTheExposedSite) {
  auto b = choose_bases(http::Site::internal, true, kInt, kExt);
  EXPECT_EQ(json_user(b, kOAuthUserPath),
            R"({"_links":{"self":{"href":"https://int.example.org:5443/Autodiscover/AutodiscoverService.svc/root/oauth/user"},)"
            R"("applications":{"href":"https://int.example.org:5443/ucwa/oauth/v1/applications"},)"
            R"("xframe":{"href":"https://int.example.org:5443/Autodiscover/XFrame/XFrame.html"}}})");
  auto e = choose_bases(http::Site::internal, false, kInt, kExt);
  EXPECT_NE(json_user(e, kUserPath).find(R"("applications":{"href":"https://ext.example.org/ucwa/oauth/v1/applications"})"),
            std::string::npos);
}

TEST(JsonUser, RedirectReplacesApplications) {
  auto b = choose_bases(http::Site::external, false, kInt, kExt);
  const auto doc = json_user_redirect(b, kUserPath, "https://pool2.example.org/Autodiscover/AutodiscoverService.svc/root");
  EXPECT_EQ(doc,
            R"({"_links":{"self":{"href":"https://ext.example.org/Autodiscover/AutodiscoverService.svc/root/user"},)"
            R"("redirect":{"href":"https://pool2.example.org/Autodiscover/AutodiscoverService.svc/root"},)"
            R"("xframe":{"href":"https://ext.example.org/Autodiscover/XFrame/XFrame.html"}}})");
  EXPECT_EQ(doc.find("applications"), std::string::npos);
}

TEST(JsonRoot, HostileTextIsEscapedAsJson) {
  auto b = choose_bases(http::Site::external, false, kInt, "https://x\"},\"evil\":{");
  const auto doc = json_root(b, "");
  EXPECT_EQ(doc.find("\"evil\":"), std::string::npos);
  EXPECT_NE(doc.find(R"(https://x\"},\"evil\":{)"), std::string::npos);
}

constexpr std::string_view kXmlHead =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<AutodiscoverResponse xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" AccessLocation=\"";

TEST(XmlRoot, ListsEveryTokenWithAccessLocationOfTheSite) {
  auto b = choose_bases(http::Site::internal, false, kInt, kExt);
  const std::string expected = std::string(kXmlHead) + "Internal\">\n  <Root>\n"
      "    <Link token=\"Self\" href=\"https://int.example.org:5443/Autodiscover/AutodiscoverService.svc/root?sipuri=sip:a@example.org\"/>\n"
      "    <Link token=\"User\" href=\"https://ext.example.org/Autodiscover/AutodiscoverService.svc/root/user?sipuri=sip:a@example.org\"/>\n"
      "    <Link token=\"OAuth\" href=\"https://ext.example.org/Autodiscover/AutodiscoverService.svc/root/oauth/user?sipuri=sip:a@example.org\"/>\n"
      "    <Link token=\"Domain\" href=\"https://int.example.org:5443/Autodiscover/AutodiscoverService.svc/root/domain\"/>\n"
      "    <Link token=\"Ucwa\" href=\"https://ext.example.org/ucwa/v1/applications\"/>\n"
      "    <Link token=\"Internal/Ucwa\" href=\"https://int.example.org:5443/ucwa/v1/applications\"/>\n"
      "    <Link token=\"External/Ucwa\" href=\"https://ext.example.org/ucwa/v1/applications\"/>\n"
      "    <Link token=\"Internal/Autodiscover\" href=\"https://int.example.org:5443/Autodiscover/AutodiscoverService.svc/root\"/>\n"
      "    <Link token=\"External/Autodiscover\" href=\"https://ext.example.org/Autodiscover/AutodiscoverService.svc/root\"/>\n"
      "    <Link token=\"Internal/AuthBroker\" href=\"https://int.example.org:5443/Reach/sip.svc\"/>\n"
      "    <Link token=\"External/AuthBroker\" href=\"https://ext.example.org/Reach/sip.svc\"/>\n"
      "    <Link token=\"Internal/WebScheduler\" href=\"https://int.example.org:5443/Scheduler\"/>\n"
      "    <Link token=\"External/WebScheduler\" href=\"https://ext.example.org/Scheduler\"/>\n"
      "    <Link token=\"Internal/Mcx\" href=\"https://ext.example.org/Mcx/McxService.svc\"/>\n"
      "    <Link token=\"External/Mcx\" href=\"https://ext.example.org/Mcx/McxService.svc\"/>\n"
      "    <Link token=\"XFrame\" href=\"https://ext.example.org/Autodiscover/XFrame/XFrame.html\"/>\n"
      "    <Link token=\"Internal/XFrame\" href=\"https://int.example.org:5443/Autodiscover/XFrame/XFrame.html\"/>\n"
      "    <Link token=\"External/XFrame\" href=\"https://ext.example.org/Autodiscover/XFrame/XFrame.html\"/>\n"
      "  </Root>\n</AutodiscoverResponse>\n";
  EXPECT_EQ(xml_root(b, "sipuri=sip:a@example.org"), expected);
}

TEST(XmlRoot, ExternalSiteSaysExternal) {
  auto b = choose_bases(http::Site::external, false, kInt, kExt);
  const auto doc = xml_root(b, "originalDomain=example.org");
  EXPECT_EQ(doc.rfind(std::string(kXmlHead) + "External\">\n  <Root>\n", 0), 0u);
  EXPECT_NE(doc.find("<Link token=\"Self\" href=\"https://ext.example.org/Autodiscover/AutodiscoverService.svc/root?originalDomain=example.org\"/>"),
            std::string::npos);
}

TEST(XmlRoot, ExposedInternalMovesTheMobilityLinksInside) {
  auto b = choose_bases(http::Site::external, true, kInt, kExt);
  const auto doc = xml_root(b, "originalDomain=example.org");
  EXPECT_NE(doc.find("<Link token=\"Ucwa\" href=\"https://int.example.org:5443/ucwa/v1/applications\"/>"), std::string::npos);
  EXPECT_NE(doc.find("<Link token=\"External/Ucwa\" href=\"https://ext.example.org/ucwa/v1/applications\"/>"), std::string::npos);
}

TEST(XmlRedirects, HoldASingleRedirectLink) {
  EXPECT_EQ(xml_root_redirect(http::Site::external, "https://ext.example.org/Autodiscover/AutodiscoverService.svc/root?sipuri=sip:a@example.org"),
            std::string(kXmlHead) + "External\">\n  <Root>\n"
            "    <Link token=\"Redirect\" href=\"https://ext.example.org/Autodiscover/AutodiscoverService.svc/root?sipuri=sip:a@example.org\"/>\n"
            "  </Root>\n</AutodiscoverResponse>\n");
  EXPECT_EQ(xml_user_redirect(http::Site::internal, "https://pool2.corp/Autodiscover/AutodiscoverService.svc/root"),
            std::string(kXmlHead) + "Internal\">\n  <User>\n"
            "    <Link token=\"Redirect\" href=\"https://pool2.corp/Autodiscover/AutodiscoverService.svc/root\"/>\n"
            "  </User>\n</AutodiscoverResponse>\n");
}

TEST(XmlUser, HasSelfAndTheServiceTokensButNoUserLink) {
  auto b = choose_bases(http::Site::external, false, kInt, kExt);
  const auto doc = xml_user(b, kUserPath);
  EXPECT_NE(doc.find("  <User>\n    <Link token=\"Self\" href=\"https://ext.example.org/Autodiscover/AutodiscoverService.svc/root/user\"/>\n"),
            std::string::npos);
  EXPECT_NE(doc.find("token=\"Ucwa\""), std::string::npos);
  EXPECT_EQ(doc.find("token=\"User\""), std::string::npos);
  EXPECT_EQ(doc.find("token=\"Redirect\""), std::string::npos);
  const auto domain = xml_domain(b);
  EXPECT_NE(domain.find("  <Domain>\n"), std::string::npos);
  EXPECT_NE(domain.find("token=\"External/AuthBroker\""), std::string::npos);
}

TEST(XmlEscape, EscapesMarkupAndReplacesControlCharacters) {
  EXPECT_EQ(xml_escape("a&b<c>\"d'e"), "a&amp;b&lt;c&gt;&quot;d&apos;e");
  EXPECT_EQ(xml_escape(std::string("x\x01y\tz", 5)), "x\xEF\xBF\xBDy\tz");
  EXPECT_EQ(xml_escape("plain"), "plain");
}

TEST(XmlEscape, ALinkCannotBreakOutOfItsAttribute) {
  const auto doc = xml_root_redirect(http::Site::external, "https://x\"/><Evil a=\"&");
  EXPECT_EQ(doc.find("<Evil"), std::string::npos);
  EXPECT_NE(doc.find("href=\"https://x&quot;/&gt;&lt;Evil a=&quot;&amp;\"/>"), std::string::npos);
}

TEST(AccessLocation, NamesTheSite) {
  EXPECT_EQ(access_location(http::Site::internal), "Internal");
  EXPECT_EQ(access_location(http::Site::external), "External");
}

}  // namespace
}  // namespace parley::discovery
