#include "core/ip_range_set.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

namespace rampart::core {
namespace {

IpAddress ip(std::string_view text) {
  auto parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(IpAddress{});
}

Cidr cidr(std::string_view text) {
  auto parsed = Cidr::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Cidr{});
}

IpRangeSet make_set(std::initializer_list<std::string_view> prefixes) {
  IpRangeSet::Builder b;
  for (std::string_view p : prefixes) b.add(cidr(p));
  return std::move(b).build();
}

TEST(IpRangeSetTest, EmptySetContainsNothing) {
  IpRangeSet empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.range_count(), 0u);
  EXPECT_FALSE(empty.contains(ip("0.0.0.0")));
  EXPECT_FALSE(empty.contains(ip("::")));
  EXPECT_FALSE(empty.contains(ip("::ffff:0.0.0.0")));

  IpRangeSet built = IpRangeSet::Builder().build();
  EXPECT_TRUE(built.empty());
  EXPECT_FALSE(built.contains(ip("0.0.0.0")));
  EXPECT_FALSE(built.contains(ip("::1")));
}

TEST(IpRangeSetTest, Ipv4PrefixBoundaries) {
  IpRangeSet set = make_set({"10.1.0.0/16", "192.168.7.9", "172.16.0.0/12"});
  EXPECT_FALSE(set.empty());
  EXPECT_EQ(set.entry_count(), 3u);
  EXPECT_EQ(set.range_count(), 3u);
  EXPECT_TRUE(set.contains(ip("10.1.0.0")));
  EXPECT_TRUE(set.contains(ip("10.1.255.255")));
  EXPECT_FALSE(set.contains(ip("10.0.255.255")));
  EXPECT_FALSE(set.contains(ip("10.2.0.0")));
  EXPECT_TRUE(set.contains(ip("192.168.7.9")));
  EXPECT_FALSE(set.contains(ip("192.168.7.8")));
  EXPECT_FALSE(set.contains(ip("192.168.7.10")));
  EXPECT_TRUE(set.contains(ip("172.16.0.0")));
  EXPECT_TRUE(set.contains(ip("172.31.255.255")));
  EXPECT_FALSE(set.contains(ip("172.32.0.0")));
  EXPECT_FALSE(set.contains(ip("172.15.255.255")));
  // An IPv4 list never matches unrelated IPv6 addresses.
  EXPECT_FALSE(set.contains(ip("::a01:0")));
  EXPECT_FALSE(set.contains(ip("a01:100::")));
}

TEST(IpRangeSetTest, Ipv6PrefixBoundaries) {
  IpRangeSet set = make_set({"2001:db8::/32", "fe80::1", "2a00:1450:4001::/48"});
  EXPECT_EQ(set.range_count(), 3u);
  EXPECT_TRUE(set.contains(ip("2001:db8::")));
  EXPECT_TRUE(set.contains(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(set.contains(ip("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(set.contains(ip("2001:db9::")));
  EXPECT_TRUE(set.contains(ip("fe80::1")));
  EXPECT_FALSE(set.contains(ip("fe80::")));
  EXPECT_FALSE(set.contains(ip("fe80::2")));
  EXPECT_TRUE(set.contains(ip("2a00:1450:4001:0:ffff::")));
  EXPECT_FALSE(set.contains(ip("2a00:1450:4002::")));
  EXPECT_FALSE(set.contains(ip("32.1.13.184")));  // 2001:db8's leading bytes as IPv4
}

TEST(IpRangeSetTest, SingleAddressesAndWholeSpaces) {
  IpRangeSet v4_host = make_set({"203.0.113.5/32"});
  EXPECT_TRUE(v4_host.contains(ip("203.0.113.5")));
  EXPECT_FALSE(v4_host.contains(ip("203.0.113.4")));
  EXPECT_FALSE(v4_host.contains(ip("203.0.113.6")));

  IpRangeSet v6_host = make_set({"2001:db8::5/128"});
  EXPECT_TRUE(v6_host.contains(ip("2001:db8::5")));
  EXPECT_FALSE(v6_host.contains(ip("2001:db8::4")));
  EXPECT_FALSE(v6_host.contains(ip("2001:db8::6")));

  IpRangeSet all_v4 = make_set({"0.0.0.0/0"});
  EXPECT_EQ(all_v4.range_count(), 1u);
  EXPECT_TRUE(all_v4.contains(ip("0.0.0.0")));
  EXPECT_TRUE(all_v4.contains(ip("255.255.255.255")));
  EXPECT_TRUE(all_v4.contains(ip("::ffff:1.2.3.4")));
  EXPECT_FALSE(all_v4.contains(ip("::1")));
  EXPECT_FALSE(all_v4.contains(ip("2001:db8::")));

  // ::/0 is every address, IPv4 included, as Cidr::contains has it.
  IpRangeSet all_v6 = make_set({"::/0"});
  EXPECT_TRUE(all_v6.contains(ip("::")));
  EXPECT_TRUE(all_v6.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_TRUE(all_v6.contains(ip("1.2.3.4")));
  EXPECT_TRUE(Cidr::parse("::/0")->contains(ip("1.2.3.4")));
}

TEST(IpRangeSetTest, MixedFamiliesAndMappedAddresses) {
  IpRangeSet set = make_set({"10.0.0.0/8", "2001:db8::/32", "::ffff:192.168.0.0/112"});
  EXPECT_EQ(set.entry_count(), 3u);
  EXPECT_TRUE(set.contains(ip("10.20.30.40")));
  // The same address arriving as IPv4-mapped IPv6 on a dual-stack socket.
  IpAddress mapped = ip("::ffff:10.20.30.40");
  EXPECT_FALSE(mapped.v4);
  EXPECT_TRUE(set.contains(mapped));
  EXPECT_FALSE(set.contains(ip("::ffff:11.0.0.0")));
  // An IPv6 prefix inside ::ffff:0:0/96 matches the plain IPv4 addresses it covers.
  EXPECT_TRUE(set.contains(ip("192.168.3.4")));
  EXPECT_TRUE(set.contains(ip("::ffff:192.168.255.255")));
  EXPECT_FALSE(set.contains(ip("192.169.0.0")));
  EXPECT_TRUE(set.contains(ip("2001:db8:1::")));
  // IPv4-compatible (::a.b.c.d) is not IPv4-mapped.
  EXPECT_FALSE(set.contains(ip("::10.20.30.40")));
}

TEST(IpRangeSetTest, MergesOverlappingAndAdjacentRanges) {
  // Overlap, containment, duplicates and exact adjacency all fold into one range.
  IpRangeSet v4 = make_set(
      {"10.0.0.0/24", "10.0.1.0/24", "10.0.0.128/25", "10.0.0.0/24", "10.0.2.0/23", "10.0.3.77"});
  EXPECT_EQ(v4.entry_count(), 6u);
  EXPECT_EQ(v4.range_count(), 1u);
  EXPECT_TRUE(v4.contains(ip("10.0.0.0")));
  EXPECT_TRUE(v4.contains(ip("10.0.3.255")));
  EXPECT_FALSE(v4.contains(ip("10.0.4.0")));
  EXPECT_FALSE(v4.contains(ip("9.255.255.255")));

  // A one-address gap keeps ranges apart.
  IpRangeSet gap = make_set({"10.0.0.1", "10.0.0.3"});
  EXPECT_EQ(gap.range_count(), 2u);
  EXPECT_FALSE(gap.contains(ip("10.0.0.2")));
  IpRangeSet adjacent = make_set({"10.0.0.1", "10.0.0.2", "10.0.0.3"});
  EXPECT_EQ(adjacent.range_count(), 1u);

  // Adjacency at the top of the address space must not wrap around.
  IpRangeSet top = make_set({"255.255.255.255", "255.255.255.254", "0.0.0.0"});
  EXPECT_EQ(top.range_count(), 2u);
  EXPECT_TRUE(top.contains(ip("255.255.255.255")));
  EXPECT_TRUE(top.contains(ip("0.0.0.0")));
  EXPECT_FALSE(top.contains(ip("0.0.0.1")));

  IpRangeSet v6 = make_set({"2001:db8::/33", "2001:db8:8000::/33", "2001:db8::1",
                            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff::/32"});
  EXPECT_EQ(v6.range_count(), 2u);
  EXPECT_TRUE(v6.contains(ip("2001:db8:ffff::")));
  EXPECT_FALSE(v6.contains(ip("2001:db9::")));
}

TEST(IpRangeSetTest, HostBitsInHandBuiltCidrAreIgnored) {
  Cidr c;
  c.base = ip("10.1.2.3");
  c.prefix_len = 8;
  IpRangeSet::Builder b;
  b.add(c);
  EXPECT_EQ(b.size(), 1u);
  IpRangeSet set = std::move(b).build();
  EXPECT_TRUE(set.contains(ip("10.0.0.0")));
  EXPECT_TRUE(set.contains(ip("10.255.255.255")));
  EXPECT_FALSE(set.contains(ip("11.0.0.0")));
}

TEST(IpRangeSetTest, MemoryGrowsWithRanges) {
  IpRangeSet small = make_set({"10.0.0.0/8"});
  IpRangeSet::Builder b;
  for (uint32_t i = 0; i < 10000; ++i) {
    Cidr c;
    c.base = ip("0.0.0.0");
    uint32_t addr = i * 4;  // every fourth address: no merging
    for (int k = 0; k < 4; ++k) c.base.bytes[12 + k] = static_cast<uint8_t>(addr >> (24 - 8 * k));
    c.prefix_len = 32;
    b.add(c);
  }
  IpRangeSet big = std::move(b).build();
  EXPECT_EQ(big.range_count(), 10000u);
  EXPECT_GE(big.memory_bytes(), 10000u * 8);
  EXPECT_LT(small.memory_bytes(), big.memory_bytes());
  EXPECT_TRUE(big.contains(ip("0.0.156.60")));  // 39996
  EXPECT_FALSE(big.contains(ip("0.0.156.61")));
  EXPECT_FALSE(big.contains(ip("0.0.156.64")));  // 40000, past the last
}

// Random prefixes of both families checked against the naive linear CidrSet.
class RandomCrossCheck {
 public:
  explicit RandomCrossCheck(uint32_t seed) : rng_(seed) {}

  IpAddress random_v4() {
    IpAddress a = ip("0.0.0.0");
    uint32_t v = rng_();
    // Cluster half the addresses into a few /8s so prefixes overlap and abut.
    if (rng_() % 2) v = (v & 0x00ffffff) | ((10 + rng_() % 3) << 24);
    for (int k = 0; k < 4; ++k) a.bytes[12 + k] = static_cast<uint8_t>(v >> (24 - 8 * k));
    return a;
  }

  IpAddress random_v6() {
    IpAddress a;
    for (auto& byte : a.bytes) byte = static_cast<uint8_t>(rng_());
    switch (rng_() % 4) {
      case 0:  // 2001:db8::/32, dense
        a.bytes[0] = 0x20, a.bytes[1] = 0x01, a.bytes[2] = 0x0d, a.bytes[3] = 0xb8;
        a.bytes[4] = static_cast<uint8_t>(rng_() % 4);
        break;
      case 1:  // IPv4-mapped written as IPv6
        for (int i = 0; i < 10; ++i) a.bytes[i] = 0;
        a.bytes[10] = a.bytes[11] = 0xff;
        if (rng_() % 2) a.bytes[12] = static_cast<uint8_t>(10 + rng_() % 3);
        break;
      case 2:  // near ::
        for (int i = 0; i < 12; ++i) a.bytes[i] = 0;
        break;
      default:
        break;
    }
    return a;
  }

  Cidr random_prefix() {
    Cidr c;
    int r = static_cast<int>(rng_() % 100);
    if (rng_() % 2) {
      c.base = random_v4();
      c.prefix_len = r < 40   ? 32
                     : r < 42 ? 8 + static_cast<int>(rng_() % 8)
                              : 16 + static_cast<int>(rng_() % 17);
    } else {
      c.base = random_v6();
      // Lengths suited to the region, so no one prefix swallows a whole cluster.
      bool near_zero = std::all_of(c.base.bytes.begin(), c.base.bytes.begin() + 10,
                                   [](uint8_t b) { return b == 0; });
      bool documentation = c.base.bytes[0] == 0x20 && c.base.bytes[1] == 0x01;
      int min_len = near_zero ? 100 : documentation ? 40 : 16;
      c.prefix_len = r < 40 ? 128 : min_len + static_cast<int>(rng_() % (129 - min_len));
    }
    // Through text and back, as the loader does; this also clears host bits.
    auto parsed = Cidr::parse(c.to_string());
    EXPECT_TRUE(parsed.has_value()) << c.to_string();
    return parsed.value_or(c);
  }

  // A prefix's first or last address, or one just outside it.
  IpAddress near_edge(const Cidr& c) {
    IpAddress a = c.base;
    int bits = c.base.v4 ? 96 + c.prefix_len : c.prefix_len;
    bool to_last = rng_() % 2;
    for (int i = bits; i < 128; ++i) {
      if (to_last) a.bytes[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
    }
    if (rng_() % 2) {  // step one address out (or wrap, which is fine too)
      for (int i = 15; i >= 0; --i) {
        if (to_last) {
          if (++a.bytes[i] != 0) break;
        } else {
          if (a.bytes[i]-- != 0) break;
        }
      }
    }
    a.v4 = c.base.v4 && rng_() % 4 != 0;  // sometimes the mapped IPv6 spelling
    return a;
  }

  std::mt19937 rng_;
};

TEST(IpRangeSetTest, MatchesLinearCidrSetOnRandomPrefixes) {
  for (uint32_t seed : {1u, 2u}) {
    RandomCrossCheck gen(seed);
    std::vector<Cidr> prefixes;
    CidrSet naive;
    IpRangeSet::Builder builder;
    for (int i = 0; i < 3000; ++i) {
      Cidr c = gen.random_prefix();
      prefixes.push_back(c);
      naive.add(c);
      builder.add(c);
    }
    IpRangeSet set = std::move(builder).build();
    EXPECT_EQ(set.entry_count(), prefixes.size());
    size_t hits = 0;
    size_t misses = 0;
    for (int i = 0; i < 10000; ++i) {
      IpAddress probe;
      switch (i % 3) {
        case 0:
          probe = gen.random_v4();
          break;
        case 1:
          probe = gen.random_v6();
          break;
        default:
          probe = gen.near_edge(prefixes[gen.rng_() % prefixes.size()]);
          break;
      }
      bool expected = naive.contains(probe);
      ASSERT_EQ(set.contains(probe), expected)
          << "seed " << seed << " probe " << probe.to_string() << " v4=" << probe.v4;
      (expected ? hits : misses)++;
    }
    // The check is only worth something if both outcomes occur plenty.
    EXPECT_GT(hits, 2000u) << "seed " << seed;
    EXPECT_GT(misses, 2000u) << "seed " << seed;
  }
}

// Dense clusters far apart put thousands of ranges in one index bucket (the binary
// search fallback) and many IPv6 starts under the same high 64 bits.
TEST(IpRangeSetTest, SkewedListsStayExact) {
  std::mt19937 rng(7);
  CidrSet naive;
  IpRangeSet::Builder builder;
  auto add = [&](const IpAddress& a, int len) {
    Cidr c = *Cidr::parse(a.to_string() + "/" + std::to_string(len));
    naive.add(c);
    builder.add(c);
  };
  IpAddress v4 = ip("10.0.0.0");
  IpAddress v6 = ip("2001:db8:1:2::");
  for (int i = 0; i < 2000; ++i) {
    v4.bytes[14] = static_cast<uint8_t>(rng());
    v4.bytes[15] = static_cast<uint8_t>(rng());
    add(v4, 30 + static_cast<int>(rng() % 3));
    v6.bytes[12] = static_cast<uint8_t>(rng());
    v6.bytes[13] = static_cast<uint8_t>(rng());
    v6.bytes[15] = static_cast<uint8_t>(rng());
    add(v6, 120 + static_cast<int>(rng() % 9));
  }
  add(ip("223.255.255.255"), 32);
  add(ip("2c0f::"), 16);
  IpRangeSet set = std::move(builder).build();
  EXPECT_GT(set.range_count(), 2000u);
  size_t hits = 0;
  for (int i = 0; i < 4000; ++i) {
    IpAddress probe = i % 2 ? v4 : v6;
    if (i % 2) {
      probe.bytes[14] = static_cast<uint8_t>(rng());
      probe.bytes[15] = static_cast<uint8_t>(rng());
    } else {
      probe.bytes[12] = static_cast<uint8_t>(rng());
      probe.bytes[13] = static_cast<uint8_t>(rng());
      probe.bytes[15] = static_cast<uint8_t>(rng());
    }
    bool expected = naive.contains(probe);
    ASSERT_EQ(set.contains(probe), expected) << probe.to_string();
    hits += expected;
  }
  EXPECT_GT(hits, 100u);
  EXPECT_LT(hits, 3800u);
  EXPECT_TRUE(set.contains(ip("223.255.255.255")));
  EXPECT_TRUE(set.contains(ip("2c0f:ffff::1")));
}

class IpListFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("rampart_ip_list_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  static std::vector<std::string> messages(const IpListLoad& load) {
    std::vector<std::string> out;
    for (const IpListError& e : load.errors) out.push_back(e.to_string());
    return out;
  }

  std::filesystem::path dir_;
};

TEST_F(IpListFileTest, LoadsCommentsBlanksAndCrlf) {
  std::string path = write("good.txt",
                           "# blocklist\r\n"
                           "\r\n"
                           "10.0.0.0/8\r\n"
                           "  192.168.1.1\t\r\n"
                           "   # indented comment\n"
                           "2001:db8::/32 # trailing comment\n"
                           "\t\n"
                           "203.0.113.7#no space before the hash\n"
                           "fe80::1");  // no final newline
  IpListLoad load = load_ip_list_file(path, 100, 1 << 20);
  ASSERT_TRUE(load.errors.empty()) << ::testing::PrintToString(messages(load));
  ASSERT_NE(load.set, nullptr);
  EXPECT_EQ(load.set->entry_count(), 5u);
  EXPECT_TRUE(load.set->contains(ip("10.9.9.9")));
  EXPECT_TRUE(load.set->contains(ip("192.168.1.1")));
  EXPECT_FALSE(load.set->contains(ip("192.168.1.2")));
  EXPECT_TRUE(load.set->contains(ip("2001:db8:1::1")));
  EXPECT_TRUE(load.set->contains(ip("203.0.113.7")));
  EXPECT_TRUE(load.set->contains(ip("fe80::1")));
  EXPECT_FALSE(load.set->contains(ip("fe80::2")));
}

TEST_F(IpListFileTest, EmptyFileIsAnEmptyList) {
  IpListLoad load = load_ip_list_file(write("empty.txt", "# nothing yet\n\n"), 10, 1024);
  ASSERT_TRUE(load.errors.empty());
  ASSERT_NE(load.set, nullptr);
  EXPECT_TRUE(load.set->empty());
}

TEST_F(IpListFileTest, RefusesFileWithBadLinesNamingThem) {
  std::string path = write("bad.txt",
                           "10.0.0.1\n"
                           "10.0.0.300\n"
                           "# fine\n"
                           "10.0.0.0/33\n"
                           "2001:db8::/32\n"
                           "10.0.0.1 10.0.0.2\n"
                           "bad\"quote\x01\n");
  IpListLoad load = load_ip_list_file(path, 100, 1 << 20);
  EXPECT_EQ(load.set, nullptr);
  ASSERT_EQ(load.errors.size(), 4u) << ::testing::PrintToString(messages(load));
  EXPECT_EQ(load.errors[0].line, 2);
  EXPECT_EQ(load.errors[0].to_string(),
            "line 2: \"10.0.0.300\" is not an IP address or CIDR prefix");
  EXPECT_EQ(load.errors[1].line, 4);
  EXPECT_EQ(load.errors[1].message, "\"10.0.0.0/33\" is not an IP address or CIDR prefix");
  EXPECT_EQ(load.errors[2].line, 6);
  EXPECT_EQ(load.errors[3].line, 7);
  EXPECT_EQ(load.errors[3].message, "\"bad\\\"quote\\x01\" is not an IP address or CIDR prefix");
}

TEST_F(IpListFileTest, ReportsFirstTwentyBadLinesThenACount) {
  std::string content = "10.0.0.1\n";
  for (int i = 0; i < 25; ++i) content += "nope" + std::to_string(i) + "\n";
  IpListLoad load = load_ip_list_file(write("many_bad.txt", content), 100, 1 << 20);
  EXPECT_EQ(load.set, nullptr);
  ASSERT_EQ(load.errors.size(), 21u);
  EXPECT_EQ(load.errors[0].line, 2);
  EXPECT_EQ(load.errors[19].line, 21);
  EXPECT_EQ(load.errors[19].message, "\"nope19\" is not an IP address or CIDR prefix");
  EXPECT_EQ(load.errors[20].line, 0);
  EXPECT_EQ(load.errors[20].to_string(), "and 5 more bad lines");
}

TEST_F(IpListFileTest, RefusesTooManyEntries) {
  std::string path = write("big.txt", "# three\n10.0.0.1\n10.0.0.2\n\n10.0.0.3\n");
  IpListLoad at_limit = load_ip_list_file(path, 3, 1 << 20);
  ASSERT_TRUE(at_limit.errors.empty());
  EXPECT_EQ(at_limit.set->entry_count(), 3u);

  IpListLoad over = load_ip_list_file(path, 2, 1 << 20);
  EXPECT_EQ(over.set, nullptr);
  ASSERT_EQ(over.errors.size(), 1u);
  EXPECT_EQ(over.errors[0].line, 0);
  EXPECT_EQ(over.errors[0].message, "the file has 3 entries, more than the limit of 2");
}

TEST_F(IpListFileTest, RefusesTooLargeFile) {
  std::string content = "10.0.0.1\n10.0.0.2\n";  // 18 bytes
  std::string path = write("large.txt", content);
  EXPECT_TRUE(load_ip_list_file(path, 100, content.size()).errors.empty());
  IpListLoad load = load_ip_list_file(path, 100, content.size() - 1);
  EXPECT_EQ(load.set, nullptr);
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].message, "the file is larger than the limit of 17 bytes");
}

TEST_F(IpListFileTest, ReadsFromAPipeWithTheSizeLimit) {
  std::string path = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::string content;
  for (int i = 0; i < 20000; ++i)
    content += "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250) + "\n";
  auto feed = [&] {
    int fd = ::open(path.c_str(), O_WRONLY);
    if (fd < 0) return;
    // The reader may stop early and close; ignore EPIPE (SIGPIPE is ignored below).
    size_t off = 0;
    while (off < content.size()) {
      ssize_t n = ::write(fd, content.data() + off, content.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::close(fd);
  };
  auto old_handler = std::signal(SIGPIPE, SIG_IGN);

  std::thread writer(feed);
  IpListLoad load = load_ip_list_file(path, 100000, content.size());
  writer.join();
  ASSERT_TRUE(load.errors.empty()) << ::testing::PrintToString(messages(load));
  EXPECT_EQ(load.set->entry_count(), 20000u);
  EXPECT_TRUE(load.set->contains(ip("10.1.79.249")));

  writer = std::thread(feed);
  IpListLoad too_big = load_ip_list_file(path, 100000, 1000);
  writer.join();
  EXPECT_EQ(too_big.set, nullptr);
  ASSERT_EQ(too_big.errors.size(), 1u);
  EXPECT_EQ(too_big.errors[0].message, "the file is larger than the limit of 1000 bytes");
  std::signal(SIGPIPE, old_handler);
}

TEST_F(IpListFileTest, MissingFileNamesTheReason) {
  std::string path = (dir_ / "missing.txt").string();
  IpListLoad load = load_ip_list_file(path, 100, 1024);
  EXPECT_EQ(load.set, nullptr);
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].line, 0);
  EXPECT_EQ(load.errors[0].message, "cannot open \"" + path + "\": No such file or directory");

  IpListLoad dir = load_ip_list_file(dir_.string(), 100, 1024);
  EXPECT_EQ(dir.set, nullptr);
  ASSERT_EQ(dir.errors.size(), 1u);
  EXPECT_EQ(dir.errors[0].message, "cannot read \"" + dir_.string() + "\": Is a directory");
}

TEST_F(IpListFileTest, StripsUtf8ByteOrderMark) {
  IpListLoad load = load_ip_list_file(write("bom.txt",
                                            "\xEF\xBB\xBF"
                                            "10.0.0.1\n"),
                                      10, 1024);
  ASSERT_TRUE(load.errors.empty()) << ::testing::PrintToString(messages(load));
  EXPECT_TRUE(load.set->contains(ip("10.0.0.1")));
}

}  // namespace
}  // namespace rampart::core
