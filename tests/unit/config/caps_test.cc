// Hard caps on the size of untrusted config: over a cap is an error, never a crash.

#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using testing::all_errors;
using testing::find_error;
using testing::has_error_at;
using testing::load;

const std::string kListener = "listeners: [{address: 127.0.0.1:8080}]\n";

std::string flow_list(const std::string& prefix, size_t n, const std::string& suffix) {
  std::string out = "[";
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    out += prefix + std::to_string(i) + suffix;
  }
  return out + "]";
}

std::string one_site(const std::string& extra) {
  return kListener +
         "sites:\n  - name: s\n    hosts: [s.example]\n    origin: {endpoints: "
         "[127.0.0.1:1]}\n" +
         extra;
}

TEST(CapsTest, FileSize) {
  std::string big(16u << 20, '#');
  big[0] = '#';
  big += "\n";  // one byte over 16 MiB
  auto r = load(big);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 0);
  EXPECT_NE(r.errors[0].message.find("larger than the limit of 16MiB"), std::string::npos);
}

TEST(CapsTest, Sites) {
  auto make = [](size_t n) {
    std::string text = kListener + "sites:\n";
    for (size_t i = 0; i < n; ++i) {
      std::string id = std::to_string(i);
      text += "  - {name: s" + id + ", hosts: [h" + id +
              ".example], origin: {endpoints: [127.0.0.1:1]}}\n";
    }
    return text;
  };
  auto at_cap = load(make(10'000));
  ASSERT_TRUE(at_cap.ok()) << all_errors(at_cap).substr(0, 2000);
  EXPECT_EQ(at_cap.config->sites.size(), 10'000u);
  auto over = load(make(10'001));
  EXPECT_TRUE(has_error_at(over, 3, 3, "sites: too many sites: 10001 (the limit is 10000)"));
  EXPECT_EQ(over.errors.size(), 1u) << all_errors(over).substr(0, 2000);
}

TEST(CapsTest, HostsPerSite) {
  auto make = [](size_t n) {
    return kListener + "sites:\n  - name: s\n    hosts: " + flow_list("h", n, ".example") +
           "\n    origin: {endpoints: [127.0.0.1:1]}\n";
  };
  EXPECT_TRUE(load(make(1000)).ok());
  auto over = load(make(1001));
  EXPECT_TRUE(
      has_error_at(over, 4, 12, "sites[0].hosts: too many hosts: 1001 (the limit is 1000)"));
}

TEST(CapsTest, EndpointsPerSite) {
  auto make = [](size_t n) {
    return kListener +
           "sites:\n  - name: s\n    hosts: [s.example]\n    origin:\n      endpoints: " +
           flow_list("e", n, ".internal:80") + "\n";
  };
  EXPECT_TRUE(load(make(256)).ok());
  auto over = load(make(257));
  EXPECT_TRUE(has_error_at(over, 6, 18, "too many endpoints: 257 (the limit is 256)"));
}

TEST(CapsTest, HeaderRulesAndRedirectsPerSite) {
  auto rules = [](size_t n) { return flow_list("{set: {name: X-H", n, ", value: v}}"); };
  auto redirects = [](size_t n) { return flow_list("{from: /r", n, ", to: /}"); };
  EXPECT_TRUE(load(one_site("    request_headers: " + rules(1000) + "\n")).ok());
  EXPECT_TRUE(load(one_site("    response_headers: " + rules(1000) + "\n")).ok());
  EXPECT_TRUE(load(one_site("    redirects: " + redirects(1000) + "\n")).ok());
  auto req = load(one_site("    request_headers: " + rules(1001) + "\n"));
  EXPECT_TRUE(has_error_at(req, 6, 22, "too many header rules: 1001 (the limit is 1000)"));
  auto resp = load(one_site("    response_headers: " + rules(1001) + "\n"));
  EXPECT_TRUE(has_error_at(resp, 6, 23, "too many header rules: 1001"));
  auto redir = load(one_site("    redirects: " + redirects(1001) + "\n"));
  EXPECT_TRUE(has_error_at(redir, 6, 16, "too many redirects: 1001 (the limit is 1000)"));
}

TEST(CapsTest, TrustedProxies) {
  auto make = [](size_t n) {
    std::string text = one_site("") + "trusted_proxies:\n";
    for (size_t i = 0; i < n; ++i) {
      text += "  - 10." + std::to_string(i >> 16) + "." + std::to_string((i >> 8) & 255) + "." +
              std::to_string(i & 255) + "\n";
    }
    return text;
  };
  auto at_cap = load(make(100'000));
  ASSERT_TRUE(at_cap.ok()) << all_errors(at_cap).substr(0, 2000);
  EXPECT_EQ(at_cap.config->trusted_proxies.size(), 100'000u);
  auto over = load(make(100'001));
  EXPECT_TRUE(has_error_at(over, 7, 3, "too many trusted_proxies entries: 100001"));
}

TEST(CapsTest, Listeners) {
  std::string text = "listeners:\n";
  for (int i = 0; i < 257; ++i) text += "  - address: 127.0.0.1:" + std::to_string(1000 + i) + "\n";
  text += "sites: [{name: s, hosts: [s.example], origin: {endpoints: [127.0.0.1:1]}}]\n";
  auto r = load(text);
  EXPECT_TRUE(has_error_at(r, 2, 3, "too many listeners: 257 (the limit is 256)"));
}

TEST(CapsTest, YamlNodeCount) {
  // Refused by the counting pre-pass before yaml-cpp builds a node tree for it.
  std::string text = one_site("") + "padding: [";
  for (int i = 0; i < 1'000'001; ++i) text += "0,";
  text += "0]\n";
  auto r = load(text);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1u) << all_errors(r);
  EXPECT_NE(r.errors[0].message.find("more than 1000000 YAML values"), std::string::npos);
  EXPECT_EQ(r.errors[0].line, 6);
}

TEST(CapsTest, AliasFanOutIsBounded) {
  // 1,000 rules named once and referenced by 1,000 sites: a small file that stands for
  // seven million values. Refused before the walk, at the alias that crosses the cap.
  std::string text = kListener + "x-rules: &rules " +
                     flow_list("{set: {name: X-H", 1000, ", value: v}}") + "\nsites:\n";
  for (int i = 0; i < 1000; ++i) {
    std::string id = std::to_string(i);
    text += "  - {name: s" + id + ", hosts: [h" + id +
            ".example], origin: {endpoints: [127.0.0.1:1]}, request_headers: *rules}\n";
  }
  auto r = load(text);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1u) << all_errors(r).substr(0, 2000);
  EXPECT_NE(r.errors[0].message.find("more than 1000000 YAML values (each use of an alias"),
            std::string::npos);
  // A rule is 7 values, so each use is 7,001 and each site 7,013; with the 7,010 values
  // before the sites, the use in the 142nd site (line 4 + 141) crosses 1,000,000.
  EXPECT_EQ(r.errors[0].line, 4 + 141);
  EXPECT_LT(text.size(), 200'000u);
}

TEST(CapsTest, NestedAliasesAreCountedExpanded) {
  // Each level doubles: a: 2 values, b: 2 of a, ... 2^21 values in a few hundred bytes.
  std::string text = one_site("") + "x:\n  l0: &l0 [0, 0]\n";
  for (int i = 1; i <= 21; ++i) {
    text += "  l" + std::to_string(i) + ": &l" + std::to_string(i) + " [*l" +
            std::to_string(i - 1) + ", *l" + std::to_string(i - 1) + "]\n";
  }
  auto r = load(text);
  ASSERT_EQ(r.errors.size(), 1u) << all_errors(r);
  EXPECT_NE(r.errors[0].message.find("more than 1000000 YAML values"), std::string::npos);
}

TEST(CapsTest, DeepNestingIsAnErrorNotAStackOverflow) {
  std::string deep(100'000, '[');
  auto r = load(one_site("") + "x: " + deep + "\n");
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.errors.empty());
  std::string deep_maps;
  for (int i = 0; i < 20'000; ++i) deep_maps += "{a: ";
  auto m = load(one_site("") + "x: " + deep_maps + "\n");
  ASSERT_FALSE(m.ok());
}

}  // namespace
}  // namespace rampart::config
