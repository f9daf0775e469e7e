// Percent-encoding of values placed in hrefs: an instanceId or a search query with reserved
// characters must not change the meaning of the URL a client follows.
#include "common/text.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(PercentEncode, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("a b&c=d/e?f#g"), "a%20b%26c%3Dd%2Fe%3Ff%23g");
  EXPECT_EQ(percent_encode("sip:bob@x.org"), "sip%3Abob%40x.org");
  EXPECT_EQ(percent_encode("\xC3\xA9"), "%C3%A9");  // UTF-8 bytes, upper-case hex
  EXPECT_EQ(percent_encode(std::string_view("\0", 1)), "%00");
  EXPECT_EQ(percent_encode(""), "");
}

}  // namespace
}  // namespace parley
