#include "config/value_parsers.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace rampart::config {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ParseUintTest, AcceptsPlainDecimal) {
  EXPECT_EQ(parse_uint("0").value, 0u);
  EXPECT_EQ(parse_uint("42").value, 42u);
  EXPECT_EQ(parse_uint("18446744073709551615").value, UINT64_MAX);
}

TEST(ParseUintTest, RejectsEverythingElse) {
  for (std::string_view bad : {"", "-1", "+1", "1.0", "1e3", "0x10", "010", "00", " 1", "1 ",
                               "18446744073709551616", "99999999999999999999999", "one"}) {
    auto r = parse_uint(bad);
    EXPECT_FALSE(r) << bad;
    EXPECT_FALSE(r.error.empty()) << bad;
  }
}

TEST(ParseDurationTest, AcceptsUnitsAndBareSeconds) {
  EXPECT_EQ(parse_duration("500ms").value, Millis(500));
  EXPECT_EQ(parse_duration("10s").value, seconds(10));
  EXPECT_EQ(parse_duration("2m").value, minutes(2));
  EXPECT_EQ(parse_duration("1h").value, hours(1));
  EXPECT_EQ(parse_duration("30").value, seconds(30));
  EXPECT_EQ(parse_duration("0").value, Millis(0));
  EXPECT_EQ(parse_duration("0s").value, Millis(0));
  EXPECT_EQ(parse_duration("1m30s").value, seconds(90));
  EXPECT_EQ(parse_duration("1h2m3s4ms").value, Millis(3'723'004));
  EXPECT_EQ(parse_duration("24h").value, hours(24));
  EXPECT_EQ(parse_duration("180d").value, hours(180 * 24));
  EXPECT_EQ(parse_duration("1d12h").value, hours(36));
}

TEST(ParseDurationTest, RejectsMalformed) {
  for (std::string_view bad :
       {"", "s", "10x", "10 s", "1.5s", "-1s", "10S", "1D", "ms", "1s1m", "1s1s", "01s", "10s ",
        "99999999999999999999s", "99999999999999h", "1h-1m", "h1", "1h1d"}) {
    auto r = parse_duration(bad);
    EXPECT_FALSE(r) << bad;
    EXPECT_FALSE(r.error.empty()) << bad;
  }
}

TEST(ParseSizeTest, AcceptsBinaryAndDecimalUnits) {
  EXPECT_EQ(parse_size("0").value, 0u);
  EXPECT_EQ(parse_size("512").value, 512u);
  EXPECT_EQ(parse_size("512B").value, 512u);
  EXPECT_EQ(parse_size("64KiB").value, 64u * 1024);
  EXPECT_EQ(parse_size("100MiB").value, 100u << 20);
  EXPECT_EQ(parse_size("1GiB").value, 1u << 30);
  EXPECT_EQ(parse_size("2TiB").value, uint64_t{2} << 40);
  EXPECT_EQ(parse_size("512KB").value, 512'000u);
  EXPECT_EQ(parse_size("512kB").value, 512'000u);
  EXPECT_EQ(parse_size("10MB").value, 10'000'000u);
  EXPECT_EQ(parse_size("1GB").value, 1'000'000'000u);
  EXPECT_EQ(parse_size("3TB").value, 3'000'000'000'000u);
  EXPECT_EQ(parse_size("100 MiB").value, 100u << 20);
  EXPECT_EQ(parse_size("16777215TiB").value, uint64_t{16777215} << 40);
}

TEST(ParseSizeTest, RejectsMalformed) {
  for (std::string_view bad :
       {"", "KiB", "1.5MiB", "-1", "10kib", "10mb", "10Mi", "10 ", "10  MiB", "0x10", "010",
        "16777216TiB", "18446744073709551616", "1 2", "5 B B"}) {
    auto r = parse_size(bad);
    EXPECT_FALSE(r) << bad;
    EXPECT_FALSE(r.error.empty()) << bad;
  }
}

TEST(ParseBoolTest, OnlyCoreSchemaSpellings) {
  EXPECT_EQ(parse_bool("true").value, true);
  EXPECT_EQ(parse_bool("True").value, true);
  EXPECT_EQ(parse_bool("false").value, false);
  EXPECT_EQ(parse_bool("FALSE").value, false);
  for (std::string_view bad : {"yes", "no", "on", "off", "1", "0", "", "tru"}) {
    EXPECT_FALSE(parse_bool(bad)) << bad;
  }
}

TEST(SplitHostPortTest, SplitsNamesV4AndBracketedV6) {
  auto a = split_host_port("example.com:443");
  ASSERT_TRUE(a);
  EXPECT_EQ(a.value->host, "example.com");
  EXPECT_EQ(a.value->port, 443);
  EXPECT_FALSE(a.value->bracketed);
  auto b = split_host_port("[::1]:8080");
  ASSERT_TRUE(b);
  EXPECT_EQ(b.value->host, "::1");
  EXPECT_EQ(b.value->port, 8080);
  EXPECT_TRUE(b.value->bracketed);
  EXPECT_EQ(split_host_port("1.2.3.4:65535").value->port, 65535);
  EXPECT_EQ(split_host_port("h:1").value->port, 1);
}

TEST(SplitHostPortTest, RejectsBadForms) {
  for (std::string_view bad : {"", "host", "host:", ":80", "host:0", "host:65536", "host:-1",
                               "host:08", "host:http", "::1:80", "[::1]", "[::1]80", "[::1:80",
                               "[]:80", "host:80 ", "host:999999999999999999999"}) {
    auto r = split_host_port(bad);
    EXPECT_FALSE(r) << bad;
    EXPECT_FALSE(r.error.empty()) << bad;
  }
}

TEST(ParseListenAddressTest, NormalizesHosts) {
  EXPECT_EQ(parse_listen_address("*:80").value->host, "0.0.0.0");
  EXPECT_EQ(parse_listen_address("localhost:80").value->host, "127.0.0.1");
  EXPECT_EQ(parse_listen_address("LocalHost:80").value->host, "127.0.0.1");
  EXPECT_EQ(parse_listen_address("10.0.0.1:80").value->host, "10.0.0.1");
  EXPECT_EQ(parse_listen_address("[::]:8080").value->host, "::");
  EXPECT_EQ(parse_listen_address("[0:0::1]:8080").value->host, "::1");
  EXPECT_EQ(parse_listen_address("[::]:8080").value->port, 8080);
}

TEST(ParseListenAddressTest, RefusesNamesAndBadLiterals) {
  for (std::string_view bad : {"example.com:80", "01.2.3.4:80", "[1.2.3.4]:80", "[::g]:80",
                               "256.0.0.1:80", "*:0", "0.0.0.0"}) {
    EXPECT_FALSE(parse_listen_address(bad)) << bad;
  }
}

TEST(ParseEndpointTest, AcceptsIpsAndNames) {
  auto a = parse_endpoint("Origin.Example.COM:8443");
  ASSERT_TRUE(a);
  EXPECT_EQ(a.value->host, "origin.example.com");
  EXPECT_EQ(a.value->port, 8443);
  EXPECT_EQ(parse_endpoint("127.0.0.1:8081").value->host, "127.0.0.1");
  EXPECT_EQ(parse_endpoint("[2001:DB8::1]:80").value->host, "2001:db8::1");
  EXPECT_EQ(parse_endpoint("backend:80").value->host, "backend");
  EXPECT_EQ(parse_endpoint("[2001:db8::1]:80").value->to_string(), "[2001:db8::1]:80");
}

TEST(ParseEndpointTest, RejectsBadHosts) {
  for (std::string_view bad :
       {"-bad.example:80", "bad-.example:80", "a..b:80", "a_b:80", "300.1.1.1:80", "1.2.3:80",
        "exa mple:80", "host.:80", "[host]:80", "*.example.com:80", "2001:db8::1:80"}) {
    EXPECT_FALSE(parse_endpoint(bad)) << bad;
  }
}

TEST(HostnameTest, LabelRules) {
  EXPECT_TRUE(is_valid_hostname("a"));
  EXPECT_TRUE(is_valid_hostname("xn--bcher-kva.example"));
  EXPECT_TRUE(is_valid_hostname("a-b.c-d.e"));
  EXPECT_TRUE(is_valid_hostname("1.2.3.4"));
  EXPECT_TRUE(is_valid_hostname("123.example"));
  EXPECT_TRUE(is_valid_hostname(std::string(63, 'a') + ".b"));
  EXPECT_FALSE(is_valid_hostname(std::string(64, 'a') + ".b"));
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += std::string(50, 'a') + ".";
  long_name += "com";  // 258 characters
  EXPECT_FALSE(is_valid_hostname(long_name));
  EXPECT_FALSE(is_valid_hostname(""));
  EXPECT_FALSE(is_valid_hostname("A.example"));  // callers lowercase first
  EXPECT_FALSE(is_valid_hostname("a.123"));
  EXPECT_FALSE(is_valid_hostname("1.2.3.4.5"));
}

TEST(ParseSiteHostTest, NormalizesAndChecksWildcards) {
  EXPECT_EQ(parse_site_host("Shop.Example").value, "shop.example");
  EXPECT_EQ(parse_site_host("*.Shop.Example").value, "*.shop.example");
  EXPECT_EQ(parse_site_host("*.localhost").value, "*.localhost");
  EXPECT_EQ(parse_site_host("127.0.0.1").value, "127.0.0.1");
  EXPECT_EQ(parse_site_host("[::1]").value, "[::1]");
  EXPECT_EQ(parse_site_host("[2001:DB8:0::1]").value, "[2001:db8::1]");
  for (std::string_view bad :
       {"", "*", "*.", "a.*.example", "*example.com", "**.example", "*.*.example", "example.*",
        "shop.example:8080", "shop.example.", "bad_host", "caf\xc3\xa9.example", "[::1",
        "[1.2.3.4]", "*.1.2.3.4", "::1", "a b"}) {
    auto r = parse_site_host(bad);
    EXPECT_FALSE(r) << bad;
    EXPECT_FALSE(r.error.empty()) << bad;
  }
}

TEST(HttpTokenTest, TokenCharacters) {
  EXPECT_TRUE(is_http_token("X-Edge"));
  EXPECT_TRUE(is_http_token("x_custom.header~!#$%&'*+^`|"));
  EXPECT_FALSE(is_http_token(""));
  EXPECT_FALSE(is_http_token("X Edge"));
  EXPECT_FALSE(is_http_token("X-Edge:"));
  EXPECT_FALSE(is_http_token("X\r\nEvil"));
  EXPECT_FALSE(is_http_token("\"quoted\""));
  EXPECT_FALSE(is_http_token(std::string(257, 'a')));
}

TEST(QuoteTest, EscapesControlsAndTruncates) {
  EXPECT_EQ(quote("abc"), "\"abc\"");
  EXPECT_EQ(quote("a\nb"), "\"a\\x0ab\"");
  EXPECT_EQ(quote(std::string(100, 'x')), "\"" + std::string(64, 'x') + "...\"");
}

TEST(FormatTest, HumanReadable) {
  EXPECT_EQ(format_duration(Millis(1500)), "1500ms");
  EXPECT_EQ(format_duration(hours(2)), "2h");
  EXPECT_EQ(format_duration(seconds(90)), "90s");
  EXPECT_EQ(format_size(64 << 10), "64KiB");
  EXPECT_EQ(format_size(100), "100 bytes");
  EXPECT_EQ(format_size(0), "0 bytes");
}

TEST(ParsePercentTest, AcceptsSignAndBareNumber) {
  EXPECT_EQ(parse_percent("20%").value, 20u);
  EXPECT_EQ(parse_percent("20").value, 20u);
  EXPECT_EQ(parse_percent("0%").value, 0u);
  EXPECT_EQ(parse_percent("100%").value, 100u);
}

TEST(ParsePercentTest, RejectsMalformedAndOver100) {
  for (std::string_view bad :
       {"", "%", "101%", "101", "20%%", "%20", "-5%", "2.5%", "20 %", "twenty", "020%"}) {
    auto r = parse_percent(bad);
    EXPECT_FALSE(r) << bad;
    EXPECT_FALSE(r.error.empty()) << bad;
  }
}

std::vector<std::pair<int, int>> ranges(const Parsed<std::vector<StatusRange>>& r) {
  std::vector<std::pair<int, int>> out;
  if (r.value) {
    for (const StatusRange& s : *r.value) out.emplace_back(s.low, s.high);
  }
  return out;
}

TEST(ParseStatusCodesTest, ClassesRangesAndCodes) {
  using V = std::vector<std::pair<int, int>>;
  EXPECT_EQ(ranges(parse_status_codes("2xx")), (V{{200, 299}}));
  EXPECT_EQ(ranges(parse_status_codes("5XX")), (V{{500, 599}}));
  EXPECT_EQ(ranges(parse_status_codes("200")), (V{{200, 200}}));
  EXPECT_EQ(ranges(parse_status_codes("200-299,301")), (V{{200, 299}, {301, 301}}));
  EXPECT_EQ(ranges(parse_status_codes("1xx, 204 ,300-308")),
            (V{{100, 199}, {204, 204}, {300, 308}}));
  EXPECT_EQ(ranges(parse_status_codes("418-418")), (V{{418, 418}}));
}

TEST(ParseStatusCodesTest, RejectsBadEntries) {
  for (std::string_view bad : {"", "6xx", "0xx", "2x", "2xy", "300-200", "abc", "99", "600", "200,",
                               ",200", "200-", "-200", "2xx-3xx", "1000", "200-700"}) {
    auto r = parse_status_codes(bad);
    EXPECT_FALSE(r) << bad;
    EXPECT_FALSE(r.error.empty()) << bad;
  }
  EXPECT_NE(parse_status_codes("300-200").error.find("low end is above its high end"),
            std::string::npos);
  EXPECT_NE(parse_status_codes("6xx").error.find("not a status class"), std::string::npos);
}

}  // namespace
}  // namespace rampart::config
