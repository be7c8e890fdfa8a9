// Site checks (hosts, origins, header rules, redirects) report errors at the offending
// node, and a file with many problems reports all of them.

#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using testing::all_errors;
using testing::find_error;
using testing::has_error_at;
using testing::load;
using testing::yaml;

TEST(SitesTest, AtLeastOneAndNames) {
  auto none = load("listeners: [{address: 127.0.0.1:80}]\nsites: []\n");
  EXPECT_TRUE(has_error_at(none, 2, 8, "at least one site is needed"));
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:80}]
sites:
  - name: shop
    hosts: [a.example]
    origin: {endpoints: [127.0.0.1:1]}
  - name: shop
    hosts: [b.example]
    origin: {endpoints: [127.0.0.1:1]}
  - name: "sh op"
    hosts: [c.example]
    origin: {endpoints: [127.0.0.1:1]}
  - just a string
)"));
  EXPECT_TRUE(
      has_error_at(r, 6, 11, "sites[1].name: \"shop\" is already the name of sites[0] (line 3"));
  EXPECT_TRUE(has_error_at(r, 9, 11, "\"sh op\" is not a valid site name"));
  EXPECT_TRUE(has_error_at(r, 12, 5, "sites[3]: expected a site map, got \"just a string\""));
  EXPECT_EQ(r.errors.size(), 3u) << all_errors(r);
}

TEST(SitesTest, HostsNormalizedAndValidated) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:80}]
sites:
  - name: a
    hosts:
      - Good.Example
      - bad_host.example
      - "*.ok.example"
      - "a.*.example"
      - "*"
      - "x.example:8080"
      - ""
      - [nested]
    origin: {endpoints: [127.0.0.1:1]}
)"));
  EXPECT_TRUE(
      has_error_at(r, 6, 9, "sites[0].hosts[1]: \"bad_host.example\" is not a valid host name"));
  EXPECT_TRUE(has_error_at(r, 8, 9, "wildcard is allowed only as the whole first label"));
  EXPECT_TRUE(has_error_at(r, 9, 9, "mark a site `default: true` instead"));
  EXPECT_TRUE(has_error_at(r, 10, 9, "hosts are matched without the port"));
  EXPECT_TRUE(has_error_at(r, 11, 9, "a host must not be empty"));
  EXPECT_TRUE(has_error_at(r, 12, 9, "sites[0].hosts[7]: expected a string, got a list"));
  EXPECT_EQ(r.errors.size(), 6u) << all_errors(r);
}

TEST(SitesTest, HostInTwoSitesNamesBoth) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:80}]
sites:
  - name: shop
    hosts: [shop.example, "*.shop.example"]
    origin: {endpoints: [127.0.0.1:1]}
  - name: blog
    hosts: [blog.example, SHOP.example, "*.Shop.Example", blog.example]
    origin: {endpoints: [127.0.0.1:1]}
)"));
  EXPECT_TRUE(has_error_at(r, 7, 27,
                           "sites[1].hosts[1]: host \"shop.example\" is in two sites: "
                           "\"shop\" and \"blog\" (line 4, column 13)"));
  EXPECT_TRUE(
      has_error_at(r, 7, 41, "host \"*.shop.example\" is in two sites: \"shop\" and \"blog\""));
  EXPECT_TRUE(has_error_at(r, 7, 59,
                           "sites[1].hosts[3]: host \"blog.example\" is listed twice in "
                           "site \"blog\""));
  EXPECT_EQ(r.errors.size(), 3u) << all_errors(r);
}

TEST(SitesTest, OnlyOneDefaultAndOnlyItMayHaveNoHosts) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:80}]
sites:
  - name: a
    default: true
    origin: {endpoints: [127.0.0.1:1]}
  - name: b
    default: true
    hosts: []
    origin: {endpoints: [127.0.0.1:1]}
  - name: c
    hosts: []
    origin: {endpoints: [127.0.0.1:1]}
  - name: d
    origin: {endpoints: [127.0.0.1:1]}
)"));
  EXPECT_TRUE(has_error_at(r, 7, 14,
                           "sites[1].default: only one site may be the default, and site "
                           "\"a\" already is (line 4, column 14)"));
  EXPECT_TRUE(has_error_at(r, 11, 12, "sites[2].hosts: a site needs at least one host"));
  EXPECT_TRUE(has_error_at(r, 13, 5, "sites[3]: missing required key \"hosts\""));
  EXPECT_EQ(r.errors.size(), 3u) << all_errors(r);
}

TEST(SitesTest, OriginEndpoints) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:80}]
sites:
  - name: a
    hosts: [a.example]
    origin:
      endpoints: []
  - name: b
    hosts: [b.example]
    origin:
      endpoints:
        - 127.0.0.1
        - bad_name:80
        - "[::1]:80"
        - origin.internal:8443
        - 10.0.0.1:99999
  - name: c
    hosts: [c.example]
    origin: [127.0.0.1:80]
)"));
  EXPECT_TRUE(has_error_at(r, 6, 18, "sites[0].origin.endpoints: at least one endpoint is needed"));
  EXPECT_TRUE(has_error_at(r, 11, 11, "sites[1].origin.endpoints[0]: \"127.0.0.1\" needs a port"));
  EXPECT_TRUE(has_error_at(r, 12, 11, "is neither an IP address nor a valid host name"));
  EXPECT_TRUE(has_error_at(r, 15, 11, "invalid port \"99999\""));
  EXPECT_TRUE(has_error_at(r, 18, 13, "sites[2].origin: expected a map, got a list"));
  EXPECT_EQ(r.errors.size(), 5u) << all_errors(r);
}

TEST(SitesTest, HeaderRules) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:80}]
sites:
  - name: a
    hosts: [a.example]
    origin: {endpoints: [127.0.0.1:1]}
    request_headers:
      - set: {name: X-Ok, value: fine}
      - set: {name: Content-Length, value: "0"}
      - remove: transfer-encoding
      - add: {name: "Bad Name", value: x}
      - set: {name: X-Split, value: "a\r\nInjected: 1"}
      - set: {name: X-Nul, value: "a\0b"}
      - set: {name: X-Only}
      - set: X-Wrong
      - remove: X-A
        set: {name: X-B, value: c}
      - {}
      - - nested
      - replace: {name: X-C, value: d}
    response_headers:
      - remove: Connection
      - add: {name: Keep-Alive, value: "timeout=5"}
      - set: {name: upgrade, value: h2c}
      - set: {name: X-Big, value: BIG}
)"));
  EXPECT_TRUE(has_error_at(r, 8, 21,
                           "sites[0].request_headers[1].set.name: header \"Content-Length\" "
                           "is managed by rampart"));
  EXPECT_TRUE(
      has_error_at(r, 9, 17, "request_headers[2].remove: header \"transfer-encoding\" is managed"));
  EXPECT_TRUE(has_error_at(r, 10, 21, "\"Bad Name\" is not a valid header name"));
  EXPECT_TRUE(has_error_at(r, 11, 37,
                           "request_headers[4].set.value: the value contains control characters"));
  EXPECT_TRUE(has_error_at(r, 12, 35, "the value contains control characters"));
  EXPECT_TRUE(has_error_at(r, 13, 14, "request_headers[6].set: missing required key \"value\""));
  EXPECT_TRUE(has_error_at(
      r, 14, 14,
      "request_headers[7].set: expected a map {name: ..., value: ...}, got \"X-Wrong\""));
  EXPECT_TRUE(has_error_at(
      r, 16, 14, "request_headers[8].set: a header rule has exactly one of set, add or remove"));
  EXPECT_TRUE(
      has_error_at(r, 17, 9, "request_headers[9]: a header rule needs one of set, add or remove"));
  EXPECT_TRUE(has_error_at(
      r, 18, 9, "request_headers[10]: expected a map with one of set, add or remove, got a list"));
  EXPECT_TRUE(has_error_at(r, 19, 9, "request_headers[11]: unknown key \"replace\""));
  EXPECT_TRUE(
      has_error_at(r, 21, 17, "response_headers[0].remove: header \"Connection\" is managed"));
  EXPECT_TRUE(has_error_at(r, 22, 21, "header \"Keep-Alive\" is managed"));
  EXPECT_TRUE(has_error_at(r, 23, 21, "header \"upgrade\" is managed"));
  EXPECT_TRUE(has_error_at(r, 19, 9, "request_headers[11]: a header rule needs one of"));
  EXPECT_EQ(r.errors.size(), 15u) << all_errors(r);
}

TEST(SitesTest, HeaderValueSizeCap) {
  std::string ok_value(8 << 10, 'v');
  std::string big_value((8 << 10) + 1, 'v');
  auto make = [](const std::string& v) {
    return std::string(testing::kMinimalYaml) +
           "    response_headers:\n      - set: {name: X-Big, value: " + v + "}\n";
  };
  EXPECT_TRUE(load(make(ok_value)).ok());
  auto r = load(make(big_value));
  EXPECT_TRUE(has_error_at(r, 9, 35, "the value is 8193 bytes; the limit is 8 KiB"));
}

TEST(SitesTest, Redirects) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:80}]
sites:
  - name: a
    hosts: [a.example]
    origin: {endpoints: [127.0.0.1:1]}
    redirects:
      - {from: /ok, to: /fine}
      - {from: relative, to: /x}
      - {from: /a, to: ""}
      - {from: /b, to: "ftp://x"}
      - {from: /c, to: "https://"}
      - {from: /d, to: "//evil.example/"}
      - {from: /e, to: /x, status: 200}
      - {from: /f, to: /x, status: 304}
      - {from: /g, to: /x, match: regex}
      - {from: /h, to: /x, keep_query: nope}
      - {from: "/i?x=1", to: /x}
      - {to: /x}
      - {from: /ok, to: /other}
      - {from: /ok, to: /other, match: prefix}
      - {from: "/sp ace", to: "/x y"}
)"));
  EXPECT_TRUE(has_error_at(
      r, 8, 16, "sites[0].redirects[1].from: \"relative\" must be a path starting with \"/\""));
  EXPECT_TRUE(has_error_at(r, 9, 24, "redirects[2].to: the target must not be empty"));
  EXPECT_TRUE(has_error_at(
      r, 10, 24, "\"ftp://x\" must be a path starting with \"/\" or an http:// or https:// URL"));
  EXPECT_TRUE(has_error_at(r, 11, 24, "has no host after the scheme"));
  EXPECT_TRUE(has_error_at(r, 12, 24, "would send clients to another host"));
  EXPECT_TRUE(
      has_error_at(r, 13, 36, "200 is not a redirect status; use 301, 302, 303, 307 or 308"));
  EXPECT_TRUE(has_error_at(r, 14, 36, "304 is not a redirect status"));
  EXPECT_TRUE(
      has_error_at(r, 15, 35, "redirects[8].match: \"regex\" is not one of: exact, prefix"));
  EXPECT_TRUE(
      has_error_at(r, 16, 40, "redirects[9].keep_query: expected true or false, got \"nope\""));
  EXPECT_TRUE(has_error_at(r, 17, 16, "redirects match the path only"));
  EXPECT_TRUE(has_error_at(r, 18, 9, "redirects[11]: missing required key \"from\""));
  EXPECT_TRUE(has_error_at(
      r, 19, 16, "redirects[12].from: \"/ok\" already has a redirect with the same match"));
  EXPECT_TRUE(has_error_at(r, 21, 16, "contains spaces or control characters"));
  EXPECT_TRUE(has_error_at(r, 21, 31, "contains spaces or control characters"));
  EXPECT_EQ(r.errors.size(), 14u) << all_errors(r);
}

// ---- many errors at once ----

TEST(AllErrorsTest, EveryErrorInOnePassInSourceOrder) {
  auto r = load(yaml(R"(
workers: many
listeners:
  - address: 1.2.3.4
admin:
  token: abc
log_level: loud
limits:
  max_header_count: 0
timeouts:
  send: 0s
modules:
  wafer: {}
sites:
  - name: a
    hosts: [Bad_Host]
    origin: {endpoints: [nohost]}
    redirects: [{from: x, to: /}]
)"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.config, nullptr);
  ASSERT_EQ(r.errors.size(), 10u) << all_errors(r);
  int expected_lines[] = {1, 3, 5, 6, 8, 10, 12, 15, 16, 17};
  for (size_t i = 0; i < r.errors.size(); ++i) {
    EXPECT_EQ(r.errors[i].line, expected_lines[i]) << all_errors(r);
    EXPECT_EQ(r.errors[i].file, "test.yaml");
    EXPECT_EQ(
        r.errors[i].to_string().rfind("test.yaml:" + std::to_string(expected_lines[i]) + ":", 0),
        0u);
  }
}

TEST(AllErrorsTest, OutputIsCappedAndSaysSo) {
  std::string text(testing::kMinimalYaml);
  text += "trusted_proxies:\n";
  for (int i = 0; i < 1500; ++i) text += "  - bad" + std::to_string(i) + "\n";
  auto r = load(text);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1001u);
  EXPECT_NE(r.errors.back().message.find("too many errors"), std::string::npos);
}

TEST(AllErrorsTest, MessagesCannotForgeLines) {
  auto r = load(std::string(testing::kMinimalYaml) + "log_level: \"x\\ninjected: error\"\n");
  ASSERT_FALSE(r.ok());
  for (const Diagnostic& d : r.errors) {
    EXPECT_EQ(d.to_string().find('\n'), std::string::npos) << d.to_string();
  }
  // yaml-cpp quotes the offending input byte raw in its own messages (found by the
  // fuzzer): a NUL here, a newline in the second.
  auto has_control = [](const std::string& text) {
    for (char c : text) {
      if (static_cast<unsigned char>(c) < 0x20) return true;
    }
    return false;
  };
  for (const std::string& input :
       {std::string("b: \"\\\0\"\n", 8), std::string("a: x\nb\x1e\0\n  c: d\ne: \"\\r\"\n", 24)}) {
    auto syntax = load(input);
    ASSERT_EQ(syntax.errors.size(), 1u) << all_errors(syntax);
    EXPECT_NE(syntax.errors[0].message.find("YAML syntax: unknown escape character: \\x"),
              std::string::npos)
        << syntax.errors[0].message;
    EXPECT_FALSE(has_control(syntax.errors[0].to_string())) << syntax.errors[0].to_string();
  }
}

}  // namespace
}  // namespace rampart::config
