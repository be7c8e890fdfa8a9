#include "core/ip.h"

#include <gtest/gtest.h>

namespace rampart::core {
namespace {

IpAddress ip(std::string_view text) {
  auto parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(IpAddress{});
}

TEST(IpAddressTest, ParsesIpv4AsMappedV6) {
  IpAddress a = ip("192.168.1.20");
  EXPECT_TRUE(a.v4);
  std::array<uint8_t, 16> expected{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 20};
  EXPECT_EQ(a.bytes, expected);
  EXPECT_EQ(a.to_string(), "192.168.1.20");
  EXPECT_EQ(ip("0.0.0.0").to_string(), "0.0.0.0");
  EXPECT_EQ(ip("255.255.255.255").to_string(), "255.255.255.255");
}

TEST(IpAddressTest, RejectsMalformedIpv4) {
  for (std::string_view bad :
       {"",           "1",         "1.2.3",    "1.2.3.4.5", "256.1.1.1", "1.2.3.256",
        "01.2.3.4",   "1.2.3.04",  "1.2.3.00", "1..2.3",    ".1.2.3",    "1.2.3.",
        "1.2.3.4 ",   " 1.2.3.4",  "1.2.3.-4", "1.2.3.4/8", "0x1.2.3.4", "1.2.3.a",
        "1111.2.3.4", "localhost", "1.2.3.4\n"}) {
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(IpAddressTest, ParsesIpv6Forms) {
  IpAddress loop = ip("::1");
  EXPECT_FALSE(loop.v4);
  std::array<uint8_t, 16> one{};
  one[15] = 1;
  EXPECT_EQ(loop.bytes, one);
  EXPECT_EQ(loop.to_string(), "::1");

  EXPECT_EQ(ip("::").bytes, (std::array<uint8_t, 16>{}));
  EXPECT_EQ(ip("::").to_string(), "::");
  EXPECT_EQ(ip("2001:DB8:0:0:0:0:0:1").to_string(), "2001:db8::1");
  EXPECT_EQ(ip("2001:db8::").to_string(), "2001:db8::");
  EXPECT_EQ(ip("1:2:3:4:5:6:7:8").to_string(), "1:2:3:4:5:6:7:8");
  EXPECT_EQ(ip("1::8").to_string(), "1::8");
  // "::" may stand for a single zero group when parsing, but is not printed for one.
  EXPECT_EQ(ip("1:2:3::5:6:7:8").to_string(), "1:2:3:0:5:6:7:8");
  // The longest zero run is compressed; on a tie the first one.
  EXPECT_EQ(ip("1:0:0:2:0:0:0:3").to_string(), "1:0:0:2::3");
  EXPECT_EQ(ip("1:0:0:2:0:0:3:4").to_string(), "1::2:0:0:3:4");
  EXPECT_EQ(ip("fe80::0001:0abc").to_string(), "fe80::1:abc");
}

TEST(IpAddressTest, ParsesEmbeddedIpv4Tail) {
  IpAddress mapped = ip("::ffff:10.1.2.3");
  EXPECT_FALSE(mapped.v4);
  EXPECT_EQ(mapped.bytes, ip("10.1.2.3").bytes);
  EXPECT_NE(mapped, ip("10.1.2.3"));  // same bytes, different written family
  EXPECT_EQ(mapped.to_string(), "::ffff:10.1.2.3");
  EXPECT_EQ(ip("::FFFF:a01:203").to_string(), "::ffff:10.1.2.3");
  IpAddress compat = ip("64:ff9b::192.0.2.33");
  EXPECT_EQ(compat.bytes[12], 192);
  EXPECT_EQ(compat.bytes[15], 33);
  EXPECT_EQ(ip("1:2:3:4:5:6:1.2.3.4").bytes[15], 4);
}

TEST(IpAddressTest, RejectsMalformedIpv6) {
  for (std::string_view bad : {":",
                               ":::",
                               "1:::2",
                               "1::2::3",
                               ":1::2",
                               "1::2:",
                               "1:2:3:4:5:6:7",
                               "1:2:3:4:5:6:7:8:9",
                               "1:2:3:4:5:6:7::8",
                               "12345::",
                               "g::1",
                               "::1.2.3",
                               "::1.2.3.4.5",
                               "1.2.3.4::",
                               "::1.2.3.4:5",
                               "1:2:3:4:5:6:7:1.2.3.4",
                               "[::1]",
                               "fe80::1%eth0",
                               "::01.2.3.4",
                               "::1 ",
                               "1:2:3:4:5:6:7:8:",
                               "::ffff:256.1.1.1"}) {
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(IpAddressTest, RoundTripsThroughToString) {
  for (std::string_view text : {"10.0.0.1", "::", "::1", "2001:db8::1", "fe80::1:2",
                                "::ffff:1.2.3.4", "2001:db8:0:1:1:1:1:1"}) {
    EXPECT_EQ(ip(text).to_string(), text);
    EXPECT_EQ(ip(ip(text).to_string()), ip(text));
  }
}

Cidr cidr(std::string_view text) {
  auto parsed = Cidr::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Cidr{});
}

TEST(CidrTest, ParsesAndMasksHostBits) {
  Cidr c = cidr("10.1.2.3/8");
  EXPECT_EQ(c.prefix_len, 8);
  EXPECT_TRUE(c.base.v4);
  EXPECT_EQ(c.to_string(), "10.0.0.0/8");
  EXPECT_EQ(cidr("192.168.1.255/23").to_string(), "192.168.0.0/23");
  EXPECT_EQ(cidr("2001:db8:ffff::1/33").to_string(), "2001:db8:8000::/33");
  EXPECT_EQ(cidr("1.2.3.4").to_string(), "1.2.3.4/32");
  EXPECT_EQ(cidr("::1").to_string(), "::1/128");
  EXPECT_EQ(cidr("0.0.0.0/0").to_string(), "0.0.0.0/0");
  EXPECT_EQ(cidr("1.2.3.4/0").to_string(), "0.0.0.0/0");
  EXPECT_EQ(cidr("::/0").to_string(), "::/0");
}

TEST(CidrTest, PrefixRangeDependsOnFamily) {
  EXPECT_TRUE(Cidr::parse("10.0.0.0/32").has_value());
  EXPECT_FALSE(Cidr::parse("10.0.0.0/33").has_value());
  EXPECT_TRUE(Cidr::parse("::/128").has_value());
  EXPECT_FALSE(Cidr::parse("::/129").has_value());
  for (std::string_view bad :
       {"10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/08", "10.0.0.0/8/8", "10.0.0.0/ 8", "/8", "",
        "10.0.0.0/1000", "10.0.0.0/x", "10.0.0/8", "::/0128"}) {
    EXPECT_FALSE(Cidr::parse(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(CidrTest, ContainsIpv4) {
  Cidr c = cidr("10.0.0.0/8");
  EXPECT_TRUE(c.contains(ip("10.0.0.0")));
  EXPECT_TRUE(c.contains(ip("10.255.255.255")));
  EXPECT_FALSE(c.contains(ip("11.0.0.0")));
  EXPECT_FALSE(c.contains(ip("9.255.255.255")));
  Cidr odd = cidr("192.168.4.0/22");
  EXPECT_TRUE(odd.contains(ip("192.168.7.255")));
  EXPECT_FALSE(odd.contains(ip("192.168.8.0")));
  EXPECT_FALSE(odd.contains(ip("192.168.3.255")));
  EXPECT_TRUE(cidr("0.0.0.0/0").contains(ip("203.0.113.9")));
  EXPECT_FALSE(cidr("0.0.0.0/0").contains(ip("2001:db8::1")));
  EXPECT_TRUE(cidr("1.2.3.4").contains(ip("1.2.3.4")));
  EXPECT_FALSE(cidr("1.2.3.4").contains(ip("1.2.3.5")));
}

TEST(CidrTest, ContainsIpv6) {
  Cidr c = cidr("2001:db8::/32");
  EXPECT_TRUE(c.contains(ip("2001:db8::1")));
  EXPECT_TRUE(c.contains(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(c.contains(ip("2001:db9::")));
  EXPECT_FALSE(c.contains(ip("10.0.0.1")));
  Cidr odd = cidr("fe80::/10");
  EXPECT_TRUE(odd.contains(ip("febf::1")));
  EXPECT_FALSE(odd.contains(ip("fec0::1")));
  EXPECT_TRUE(cidr("::1").contains(ip("::1")));
  EXPECT_FALSE(cidr("::1").contains(ip("::2")));
}

TEST(CidrTest, V4MappedAddressesMatchIpv4Prefixes) {
  // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
  EXPECT_TRUE(cidr("10.0.0.0/8").contains(ip("::ffff:10.9.8.7")));
  EXPECT_FALSE(cidr("10.0.0.0/8").contains(ip("::ffff:11.9.8.7")));
  EXPECT_TRUE(cidr("::ffff:10.0.0.0/104").contains(ip("10.1.1.1")));
  EXPECT_FALSE(cidr("::ffff:10.0.0.0/104").contains(ip("11.1.1.1")));
  // The IPv4-compatible form ::a.b.c.d is a different address.
  EXPECT_FALSE(cidr("10.0.0.0/8").contains(ip("::10.9.8.7")));
}

TEST(CidrSetTest, ContainsAnyEntry) {
  CidrSet set;
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.contains(ip("127.0.0.1")));
  set.add(cidr("127.0.0.1/32"));
  set.add(cidr("10.0.0.0/8"));
  set.add(cidr("2001:db8::/48"));
  EXPECT_EQ(set.size(), 3u);
  EXPECT_FALSE(set.empty());
  EXPECT_TRUE(set.contains(ip("127.0.0.1")));
  EXPECT_FALSE(set.contains(ip("127.0.0.2")));
  EXPECT_TRUE(set.contains(ip("10.20.30.40")));
  EXPECT_TRUE(set.contains(ip("2001:db8:0:ffff::1")));
  EXPECT_FALSE(set.contains(ip("2001:db8:1::1")));
  EXPECT_FALSE(set.contains(ip("::1")));
}

}  // namespace
}  // namespace rampart::core
