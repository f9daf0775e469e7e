// Which peers the relay refuses: the defaults that keep it from being a door into the internal
// network, the IPv6 disguises of those addresses, and how the allow and deny lists override them.
#include "relay/peer_filter.hpp"

#include "common/config.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace parley::relay {
namespace {

stun::Endpoint ep(const std::string& ip, std::uint16_t port = 40000) {
  stun::Endpoint e;
  e.port = port;
  if (ip.find(':') != std::string::npos) {
    e.family = stun::Family::ipv6;
    if (inet_pton(AF_INET6, ip.c_str(), e.ip.data()) != 1) throw std::invalid_argument(ip);
  } else {
    e.family = stun::Family::ipv4;
    if (inet_pton(AF_INET, ip.c_str(), e.ip.data()) != 1) throw std::invalid_argument(ip);
  }
  return e;
}

PeerFilter filter(std::vector<std::string> allowed = {}, std::vector<std::string> denied = {}) {
  return PeerFilter(allowed, denied);
}

// The first and last address of every default range, and one just outside each end where that
// is a public address.
TEST(PeerFilter, RefusesEveryDefaultIpv4Range) {
  const auto f = filter();
  for (const char* ip :
       {"0.0.0.0", "0.255.255.255", "10.0.0.0", "10.255.255.255", "100.64.0.0",
        "100.127.255.255", "127.0.0.1", "127.255.255.254", "169.254.0.1", "169.254.255.254",
        "172.16.0.0", "172.31.255.255", "192.168.0.1", "192.168.255.255", "224.0.0.1",
        "239.255.255.250", "240.0.0.1", "255.255.255.255"})
    EXPECT_FALSE(f.allowed(ep(ip))) << ip;
  for (const char* ip : {"1.0.0.0", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0",
                         "126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0",
                         "172.15.255.255", "172.32.0.0", "192.167.255.255", "192.169.0.0",
                         "223.255.255.255", "8.8.8.8", "203.0.113.7"})
    EXPECT_TRUE(f.allowed(ep(ip))) << ip;
}

TEST(PeerFilter, RefusesEveryDefaultIpv6Range) {
  const auto f = filter();
  for (const char* ip : {"::", "::1", "fe80::1", "febf:ffff::1", "fec0::1", "fc00::1",
                         "fd12:3456::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ff02::1",
                         "ff0e::101"})
    EXPECT_FALSE(f.allowed(ep(ip))) << ip;
  for (const char* ip : {"2001:db8::1", "2a00:1450:4001::200e", "fbff::1", "fe00::1", "::2"})
    EXPECT_TRUE(f.allowed(ep(ip))) << ip;
}

TEST(PeerFilter, Ipv6FormsAreJudgedByTheirIpv4Address) {
  const auto f = filter();
  // IPv4-mapped, NAT64 well-known prefix and 6to4 around refused IPv4 addresses.
  for (const char* ip : {"::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:192.168.1.1",
                         "::ffff:169.254.169.254", "64:ff9b::127.0.0.1", "64:ff9b::a00:1",
                         "64:ff9b::100.64.0.1", "2002:7f00:1::", "2002:c0a8:101::1",
                         "2002:a00:1:1234::5"})
    EXPECT_FALSE(f.allowed(ep(ip))) << ip;
  // The same forms around public addresses pass.
  for (const char* ip : {"::ffff:8.8.8.8", "64:ff9b::203.0.113.7", "2002:cb00:7107::1"})
    EXPECT_TRUE(f.allowed(ep(ip))) << ip;
}

TEST(PeerFilter, AllowListReopensARange) {
  const auto f = filter({"127.0.0.0/8"});
  EXPECT_TRUE(f.allowed(ep("127.0.0.1")));
  EXPECT_TRUE(f.allowed(ep("127.0.0.1", 22)));
  // The IPv4 allow entry covers its mapped form too.
  EXPECT_TRUE(f.allowed(ep("::ffff:127.0.0.1")));
  // Everything else stays refused.
  EXPECT_FALSE(f.allowed(ep("10.0.0.1")));
  EXPECT_FALSE(f.allowed(ep("::1")));
  const auto v6 = filter({"::1", "fd00:1::/32"});
  EXPECT_TRUE(v6.allowed(ep("::1")));
  EXPECT_TRUE(v6.allowed(ep("fd00:1:ffff::9")));
  EXPECT_FALSE(v6.allowed(ep("fd00:2::9")));
}

TEST(PeerFilter, DenyListWinsOverAllowList) {
  const auto f = filter({"10.0.0.0/8", "0.0.0.0/0"}, {"10.9.0.0/16", "198.51.100.7"});
  EXPECT_TRUE(f.allowed(ep("10.1.0.1")));
  EXPECT_FALSE(f.allowed(ep("10.9.3.4")));
  EXPECT_FALSE(f.allowed(ep("198.51.100.7")));
  EXPECT_TRUE(f.allowed(ep("198.51.100.8")));
  // A denied IPv4 address cannot be reached through its IPv6 disguises either.
  EXPECT_FALSE(f.allowed(ep("::ffff:198.51.100.7")));
  EXPECT_FALSE(f.allowed(ep("64:ff9b::198.51.100.7")));
  EXPECT_FALSE(f.allowed(ep("2002:c633:6407::")));
}

TEST(PeerFilter, DenyListAddsToTheDefaults) {
  const auto f = filter({}, {"203.0.113.0/24", "2001:db8::/32"});
  EXPECT_FALSE(f.allowed(ep("203.0.113.200")));
  EXPECT_FALSE(f.allowed(ep("2001:db8:1::1")));
  EXPECT_FALSE(f.allowed(ep("127.0.0.1")));
  EXPECT_TRUE(f.allowed(ep("203.0.114.1")));
}

TEST(PeerFilter, OwnAddressesAreRefusedUnlessAllowed) {
  auto f = filter();
  f.add_own_address(ep("203.0.113.7", 3478));
  f.add_own_address(ep("2001:db8::7", 3478));
  // Any port of the relay's own address: its other services are what an attacker is after.
  EXPECT_FALSE(f.allowed(ep("203.0.113.7", 22)));
  EXPECT_FALSE(f.allowed(ep("::ffff:203.0.113.7", 80)));
  EXPECT_FALSE(f.allowed(ep("2001:db8::7", 443)));
  EXPECT_TRUE(f.allowed(ep("203.0.113.8", 22)));

  auto allowed = filter({"203.0.113.7/32"});
  allowed.add_own_address(ep("203.0.113.7", 3478));
  EXPECT_TRUE(allowed.allowed(ep("203.0.113.7", 50000)));
}

TEST(PeerFilter, BadEntriesAreConfigErrorsNamingTheEntry) {
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.0/", "10.0.0.0/a",
                          "localhost", "", "1.2.3.4/8/8", "fe80::1%eth0", "10.0.0.0/-1"}) {
    try {
      filter({"127.0.0.0/8", bad});
      ADD_FAILURE() << "no ConfigError for allowed " << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("edge.allowed_peers[1]"), std::string::npos) << e.what();
    }
    try {
      filter({}, {bad});
      ADD_FAILURE() << "no ConfigError for denied " << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("edge.denied_peers[0]"), std::string::npos) << e.what();
    }
  }
}

TEST(ParsePrefix, FormsAndBoundaries) {
  const auto host = parse_prefix("192.0.2.7");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->length, 32u);
  EXPECT_TRUE(host->contains(ep("192.0.2.7", 1)));
  EXPECT_FALSE(host->contains(ep("192.0.2.8")));

  const auto odd = parse_prefix("172.16.0.0/12");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->contains(ep("172.31.1.1")));
  EXPECT_FALSE(odd->contains(ep("172.32.0.0")));
  // Families never match each other, even for ::/0.
  const auto all6 = parse_prefix("::/0");
  ASSERT_TRUE(all6);
  EXPECT_TRUE(all6->contains(ep("2001:db8::1")));
  EXPECT_FALSE(all6->contains(ep("8.8.8.8")));
  const auto all4 = parse_prefix("0.0.0.0/0");
  ASSERT_TRUE(all4);
  EXPECT_TRUE(all4->contains(ep("8.8.8.8")));
  EXPECT_FALSE(all4->contains(ep("::1")));
  // Host bits are ignored: the prefix is the network the address lies in.
  const auto loose = parse_prefix("10.1.2.3/8");
  ASSERT_TRUE(loose);
  EXPECT_TRUE(loose->contains(ep("10.200.0.1")));
  const auto v6 = parse_prefix("2001:db8:abcd:12::/63");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(ep("2001:db8:abcd:13::1")));
  EXPECT_FALSE(v6->contains(ep("2001:db8:abcd:14::1")));
  EXPECT_FALSE(parse_prefix("10.0.0.0/33"));
  EXPECT_FALSE(parse_prefix("::/129"));
  EXPECT_FALSE(parse_prefix(" 10.0.0.0/8"));
}

}  // namespace
}  // namespace parley::relay
