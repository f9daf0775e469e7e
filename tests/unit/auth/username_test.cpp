// The sign-in name forms a user may type, and what each becomes.
#include "auth/username.hpp"

#include <gtest/gtest.h>

namespace parley::auth {
namespace {

const std::vector<std::string> kDomains{"example.org"};

TEST(Username, SipAddressAndUpnFormsAreLowerCased) {
  EXPECT_EQ(normalize_username("alice@example.org", kDomains), "alice@example.org");
  EXPECT_EQ(normalize_username("Alice@Example.ORG", kDomains), "alice@example.org");
  EXPECT_EQ(normalize_username("sip:alice@example.org", kDomains), "alice@example.org");
  EXPECT_EQ(normalize_username("SIP:Alice.Smith-2@Example.org", kDomains), "alice.smith-2@example.org");
  EXPECT_EQ(normalize_username("o'brien+it@example.org", kDomains), "o'brien+it@example.org");
  // Another domain is a well-formed name; whether such a user exists is the store's business.
  EXPECT_EQ(normalize_username("bob@contoso.com", kDomains), "bob@contoso.com");
}

TEST(Username, NetbiosDomainMapsToTheFirstMatchingSipDomain) {
  EXPECT_EQ(normalize_username("EXAMPLE\\alice", kDomains), "alice@example.org");
  EXPECT_EQ(normalize_username("example\\Alice", kDomains), "alice@example.org");
  const std::vector<std::string> several{"contoso.com", "Example.net", "example.org"};
  EXPECT_EQ(normalize_username("EXAMPLE\\bob", several), "bob@example.net");
  EXPECT_EQ(normalize_username("Contoso\\bob", several), "bob@contoso.com");
}

TEST(Username, NetbiosDomainWithoutASipDomainIsNoAccount) {
  EXPECT_EQ(normalize_username("OTHER\\alice", kDomains), std::nullopt);
  EXPECT_EQ(normalize_username("EXAMPLE.ORG\\alice", kDomains), std::nullopt);  // not a NetBIOS name
  EXPECT_EQ(normalize_username("EXAMPLE\\alice", {}), std::nullopt);
}

TEST(Username, MalformedNamesAreNoAccount) {
  for (std::string_view bad :
       {"", "alice", "@example.org", "alice@", "a@b@example.org", "alice@exa mple.org", "alice @example.org",
        "sip:", "sip:alice", "EXAMPLE\\", "\\alice", "EXAMPLE\\al ice", "EXAMPLE\\alice@example.org",
        "EXAMPLE\\a\\b", "alice@-example.org", "alice@example..org", "alice@example.org.", "alice@.org",
        "\xC3\xA4lice@example.org", "alice@example.org\n", "alice\0@example.org", "ALONGNETBIOSNAME\\x"}) {
    EXPECT_EQ(normalize_username(bad, kDomains), std::nullopt) << bad;
  }
}

TEST(Username, LengthsAreBounded) {
  EXPECT_TRUE(normalize_username(std::string(64, 'a') + "@example.org", kDomains));
  EXPECT_FALSE(normalize_username(std::string(65, 'a') + "@example.org", kDomains));
  EXPECT_TRUE(normalize_username("a@" + std::string(63, 'b') + ".org", kDomains));
  EXPECT_FALSE(normalize_username("a@" + std::string(64, 'b') + ".org", kDomains));
  std::string long_domain = "a@";
  while (long_domain.size() < 300) long_domain += "abcdefghij.";
  long_domain += "org";
  EXPECT_FALSE(normalize_username(long_domain, kDomains));
}

}  // namespace
}  // namespace parley::auth
