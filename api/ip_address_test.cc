#include "api/ip_address.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace api {
namespace {

TEST(IpAddressTest, ParsesAndPrintsBothFamilies) {
  auto v4 = IpAddress::Parse("192.168.100.7");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family(), IpAddress::Family::kV4);
  EXPECT_EQ(v4->ToString(), "192.168.100.7");
  auto v6 = IpAddress::Parse("FD00:0:0::0001");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family(), IpAddress::Family::kV6);
  EXPECT_EQ(v6->ToString(), "fd00::1");
  for (const char* bad : {"", "1.2.3", "1.2.3.256", "fd00::1%eth0", "::ffff:10.0.0.1", "fd00:::1", "10.0.0.1/24", " 10.0.0.1",
                          "abc"}) {
    EXPECT_FALSE(IpAddress::Parse(bad)) << bad;
  }
}

// What Go's netip prints, so that what we write (status, NADs) parses again:
// glibc's inet_ntop printed ::44:5 as "::0.68.0.5" (found by
// fuzz/sysfs_values_fuzz).
TEST(IpAddressTest, Ipv6PrintsAsRfc5952AndParsesBack) {
  for (auto [in, want] : std::vector<std::pair<std::string, std::string>>{
           {"::44:5", "::44:5"},
           {"::1", "::1"},
           {"::", "::"},
           {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
           {"1:0:0:2:0:0:3:4", "1::2:0:0:3:4"},
           {"1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"},
           {"FD00:ABCD::", "fd00:abcd::"},
           {"0:0:0:0:0:1:0:0", "::1:0:0"}}) {
    auto ip = IpAddress::Parse(in);
    ASSERT_TRUE(ip) << in;
    EXPECT_EQ(ip->ToString(), want) << in;
    EXPECT_EQ(IpAddress::Parse(ip->ToString()), ip) << in;
  }
}

TEST(IpAddressTest, Ipv4MappedIsRefusedInHexFormToo) {
  EXPECT_FALSE(IpAddress::Parse("::ffff:a00:1"));
  EXPECT_TRUE(IpAddress::Parse("::fffe:a00:1"));
}

TEST(IpAddressTest, OrdersWithinAFamilyAndPutsIpv4First) {
  EXPECT_LT(*IpAddress::Parse("10.0.0.9"), *IpAddress::Parse("10.0.0.10"));
  EXPECT_LT(*IpAddress::Parse("255.255.255.255"), *IpAddress::Parse("::1"));
}

TEST(IpAddressTest, PlusStopsAtTheEndOfTheFamily) {
  EXPECT_EQ(IpAddress::Parse("10.0.0.255")->Plus(1)->ToString(), "10.0.1.0");
  EXPECT_FALSE(IpAddress::Parse("255.255.255.254")->Plus(2));
  EXPECT_EQ(IpAddress::Parse("fd00::ffff")->Plus(1)->ToString(), "fd00::1:0");
  EXPECT_FALSE(IpAddress::Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")->Plus(1));
}

TEST(CidrTest, ParsesContainsAndBounds) {
  auto c = Cidr::Parse("192.168.100.77/24");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ToString(), "192.168.100.0/24");  // host bits dropped
  EXPECT_EQ(c->First().ToString(), "192.168.100.0");
  EXPECT_EQ(c->Last().ToString(), "192.168.100.255");
  EXPECT_TRUE(c->Contains(*IpAddress::Parse("192.168.100.255")));
  EXPECT_FALSE(c->Contains(*IpAddress::Parse("192.168.101.0")));
  EXPECT_FALSE(c->Contains(*IpAddress::Parse("::ffff:c0a8:6401")));  // IPv6, whatever its bits

  auto all = Cidr::Parse("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->Last().ToString(), "255.255.255.255");
  auto host = Cidr::Parse("fd00::5/128");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->First(), host->Last());
  auto v6 = Cidr::Parse("fd00:100::/64");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->Last().ToString(), "fd00:100::ffff:ffff:ffff:ffff");

  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "fd00::/129", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/2x",
                          "x/24"}) {
    EXPECT_FALSE(Cidr::Parse(bad)) << bad;
  }
}

TEST(IpRangeTest, SizeAndOverlap) {
  IpRange a{*IpAddress::Parse("10.0.0.10"), *IpAddress::Parse("10.0.0.19")};
  IpRange b{*IpAddress::Parse("10.0.0.19"), *IpAddress::Parse("10.0.0.30")};
  IpRange c{*IpAddress::Parse("10.0.0.20"), *IpAddress::Parse("10.0.0.30")};
  EXPECT_EQ(a.Size(), 10u);
  EXPECT_TRUE(a.Overlaps(b));
  EXPECT_FALSE(a.Overlaps(c));
  IpRange huge{*IpAddress::Parse("fd00::"), *IpAddress::Parse("fd00::ffff:ffff:ffff:ffff:ffff")};
  EXPECT_EQ(huge.Size(), uint64_t{1} << 62);  // capped
}

}  // namespace
}  // namespace api
