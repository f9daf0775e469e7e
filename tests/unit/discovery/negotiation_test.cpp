#include "discovery/negotiation.hpp"

#include "common/error.hpp"

#include <gtest/gtest.h>

namespace parley::discovery {
namespace {

TEST(ExplicitFormat, NamesEveryJsonAndXmlMediaTypeUcwaClientsSend) {
  EXPECT_EQ(explicit_format("application/json"), Format::json);
  EXPECT_EQ(explicit_format("application/vnd.microsoft.com.ucwa+json"), Format::json);
  EXPECT_EQ(explicit_format("application/xml"), Format::xml);
  EXPECT_EQ(explicit_format("text/xml"), Format::xml);
  EXPECT_EQ(explicit_format("application/vnd.microsoft.com.ucwa+xml"), Format::xml);
  EXPECT_EQ(explicit_format("Application/XML; charset=utf-8"), Format::xml);
}

TEST(ExplicitFormat, HighestQualityWinsAndTheFirstEntryWinsATie) {
  EXPECT_EQ(explicit_format("application/json;q=0.5, application/xml"), Format::xml);
  EXPECT_EQ(explicit_format("application/xml;q=0.9, application/json;q=0.9"), Format::xml);
  EXPECT_EQ(explicit_format("application/json, application/xml"), Format::json);
  // What a browser sends when it opens the URL.
  EXPECT_EQ(explicit_format("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            Format::xml);
}

TEST(ExplicitFormat, WildcardsAbsenceAndRefusalsLeaveTheChoiceOpen) {
  EXPECT_EQ(explicit_format(""), std::nullopt);
  EXPECT_EQ(explicit_format("*/*"), std::nullopt);
  EXPECT_EQ(explicit_format("application/*"), std::nullopt);
  EXPECT_EQ(explicit_format("text/html"), std::nullopt);
  EXPECT_EQ(explicit_format("application/json;q=0"), std::nullopt);
}

TEST(ExplicitFormat, GarbageAndAbsurdHeadersAreIgnored) {
  EXPECT_EQ(explicit_format(std::string(100000, 'a')), std::nullopt);
  EXPECT_EQ(explicit_format(std::string("\xff\x00;;;,,,=q", 10)), std::nullopt);
  EXPECT_EQ(explicit_format("application/xml;q=2"), std::nullopt);      // q out of range
  EXPECT_EQ(explicit_format("application/xml;q=0.5x"), std::nullopt);   // not a q-value
  EXPECT_EQ(explicit_format(";;;,,,"), std::nullopt);
  // A real type after too many entries is not reached: the header is not worth reading.
  std::string many;
  for (int i = 0; i < 100; ++i) many += "x/y,";
  EXPECT_EQ(explicit_format(many + "application/xml"), std::nullopt);
  // A long but sane header still works.
  EXPECT_EQ(explicit_format("text/html;level=1;foo=bar, application/xml;q=0.4"), Format::xml);
}

TEST(ChooseFormat, SipuriOrWebTicketMeansXmlUnlessJsonIsAskedFor) {
  EXPECT_EQ(choose_format("", false), Format::json);
  EXPECT_EQ(choose_format("*/*", false), Format::json);
  EXPECT_EQ(choose_format("", true), Format::xml);
  EXPECT_EQ(choose_format("*/*", true), Format::xml);
  EXPECT_EQ(choose_format("application/json", true), Format::json);
  EXPECT_EQ(choose_format("application/xml", false), Format::xml);
  EXPECT_EQ(choose_format(std::string(5000, ','), false), Format::json);
}

TEST(ContentType, CarriesTheCharset) {
  EXPECT_EQ(content_type(Format::json), "application/json; charset=utf-8");
  EXPECT_EQ(content_type(Format::xml), "application/xml; charset=utf-8");
}

TEST(SipUri, DomainIsTakenFromBothForms) {
  EXPECT_EQ(domain_of_sip_uri("sip:alice@Example.ORG"), "example.org");
  EXPECT_EQ(domain_of_sip_uri("SIP:alice@example.org"), "example.org");
  EXPECT_EQ(domain_of_sip_uri("alice@example.com"), "example.com");
}

TEST(SipUri, MalformedValuesHaveNoDomain) {
  for (std::string_view bad : {"", "alice", "@example.org", "sip:@example.org", "sip:a@b@example.org",
                               "alice@", "alice@-bad.org", "alice@bad_domain.org", "al ice@example.org",
                               "alice@example..org", "sip:"})
    EXPECT_EQ(domain_of_sip_uri(bad), std::nullopt) << bad;
  EXPECT_EQ(domain_of_sip_uri(std::string(300, 'a') + "@example.org"), std::nullopt);
  EXPECT_EQ(domain_of_sip_uri(std::string("a\0b@example.org", 15)), std::nullopt);
}

TEST(DnsName, LabelsAndLengthsAreChecked) {
  EXPECT_TRUE(is_dns_name("example.org"));
  EXPECT_TRUE(is_dns_name("a-b.c1"));
  EXPECT_FALSE(is_dns_name(""));
  EXPECT_FALSE(is_dns_name("a..b"));
  EXPECT_FALSE(is_dns_name("example.org."));
  EXPECT_FALSE(is_dns_name(std::string(64, 'a') + ".org"));
  EXPECT_FALSE(is_dns_name("exa mple.org"));
}

const std::vector<std::string> kServed = {"example.org", "example.com"};

TEST(ResolveDomain, NoParameterServesTheFirstDomain) {
  auto d = resolve_domain("", kServed);
  EXPECT_EQ(d.domain, "example.org");
  EXPECT_FALSE(d.explicit_domain);
  EXPECT_EQ(d.link_query(), "originalDomain=example.org");
  EXPECT_EQ(resolve_domain("other=1&originalDomain=", kServed).domain, "example.org");
}

TEST(ResolveDomain, EveryServedDomainIsAccepted) {
  auto d = resolve_domain("originalDomain=EXAMPLE.COM", kServed);
  EXPECT_EQ(d.domain, "example.com");
  EXPECT_TRUE(d.explicit_domain);
  EXPECT_EQ(d.link_query(), "originalDomain=example.com");

  auto s = resolve_domain("sipuri=sip:bob@example.com", kServed);
  EXPECT_EQ(s.domain, "example.com");
  EXPECT_EQ(s.sip_uri, "sip:bob@example.com");
  EXPECT_EQ(s.link_query(), "sipuri=sip:bob@example.com");

  // Encoded, and with the parameter name in another case.
  auto e = resolve_domain("SipUri=bob%40example.org", kServed);
  EXPECT_EQ(e.domain, "example.org");
  EXPECT_EQ(e.sip_uri, "bob@example.org");
}

TEST(ResolveDomain, ADomainNotServedIsNotFound) {
  EXPECT_THROW(resolve_domain("originalDomain=evil.net", kServed), NotFound);
  EXPECT_THROW(resolve_domain("sipuri=sip:bob@evil.net", kServed), NotFound);
  // Both parameters must name served domains.
  EXPECT_THROW(resolve_domain("originalDomain=example.org&sipuri=sip:x@evil.net", kServed), NotFound);
  EXPECT_THROW(resolve_domain("originalDomain=evil.net&sipuri=sip:x@example.org", kServed), NotFound);
}

TEST(ResolveDomain, MalformedValuesAreValidationFailures) {
  EXPECT_THROW(resolve_domain("sipuri=nobody", kServed), ParameterValidationFailure);
  EXPECT_THROW(resolve_domain("originalDomain=bad_domain!", kServed), ParameterValidationFailure);
  EXPECT_THROW(resolve_domain("originalDomain=" + std::string(300, 'a'), kServed),
               ParameterValidationFailure);
  EXPECT_THROW(resolve_domain("q=" + std::string(10000, 'a'), kServed), BadRequest);
}

TEST(ResolveDomain, LinkQueryIsEncoded) {
  auto d = resolve_domain("sipuri=sip:a%26b%3Dc%23@example.org", kServed);
  EXPECT_EQ(d.sip_uri, "sip:a&b=c#@example.org");
  EXPECT_EQ(d.link_query(), "sipuri=sip:a%26b%3Dc%23@example.org");
}

TEST(EncodeQueryValue, KeepsOnlySafeCharacters) {
  EXPECT_EQ(encode_query_value("sip:alice@example.org"), "sip:alice@example.org");
  EXPECT_EQ(encode_query_value("a b&c=d\"<>"), "a%20b%26c%3Dd%22%3C%3E");
  EXPECT_EQ(encode_query_value("\xc3\xa9"), "%C3%A9");
}

}  // namespace
}  // namespace parley::discovery
