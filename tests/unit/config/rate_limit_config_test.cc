// Rate-limit rules in the config: every key read, every mistake reported where it is.

#include <gtest/gtest.h>

#include "config/config.h"
#include "config/value_parsers.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using testing::all_errors;
using testing::has_error_at;
using testing::load_body;

TEST(RateLimitConfigTest, ReadsEveryKeyConfigWideAndPerSite) {
  auto r = testing::load(testing::yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
rate_limit:
  rules:
    - id: logins
      expression: http.request.uri.path eq "/login"
      characteristics: [ip.src/24/48, 'http.request.headers["x-api-key"]']
      period: 1m
      requests_per_period: 5
      mitigation_timeout: 10m
      counting_expression: http.response.code eq 401
      action: managed_challenge
      response_headers: true
      max_keys: 5000
sites:
  - name: a
    default: true
    origin: {endpoints: [127.0.0.1:8081]}
    rate_limit:
      rules:
        - {id: site-rule, expression: "true", characteristics: [ip.src], period: 1s,
           requests_per_period: 100, enabled: false}
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  ASSERT_EQ(r.config->rate_limit.rules.size(), 1u);
  const RateLimitRule& g = r.config->rate_limit.rules[0];
  EXPECT_EQ(g.id, "logins");
  ASSERT_EQ(g.characteristics.size(), 2u);
  EXPECT_EQ(g.characteristics[0].text, "ip.src/24/48");
  EXPECT_EQ(g.characteristics[1].text, R"(http.request.headers["x-api-key"])");
  EXPECT_EQ(g.period, std::chrono::minutes(1));
  EXPECT_EQ(g.requests_per_period, 5u);
  EXPECT_EQ(g.mitigation_timeout, std::chrono::minutes(10));
  ASSERT_TRUE(g.counting_expression);
  EXPECT_EQ(g.counting_expression->text, "http.response.code eq 401");
  EXPECT_EQ(g.action, RuleAction::kManagedChallenge);
  EXPECT_TRUE(g.response_headers);
  EXPECT_EQ(g.max_keys, 5000u);
  ASSERT_EQ(r.config->sites[0].rate_limit.rules.size(), 1u);
  const RateLimitRule& s = r.config->sites[0].rate_limit.rules[0];
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.action, RuleAction::kBlock);  // the default
  EXPECT_EQ(s.mitigation_timeout.count(), 0);
}

TEST(RateLimitConfigTest, EveryMistakeAtItsPosition) {
  auto r = load_body(R"(
rate_limit:
  rules:
    - id: a
      expression: "true"
      characteristics: [ip.src/33, ip.src, ip.src]
      period: 500ms
      requests_per_period: 2000000
      mitigation_timeout: 2d
      action: redirect
      max_keys: 10
    - id: b
      characteristics: []
)");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 7, 25, "\"ip.src/33\" is not an address prefix"));
  EXPECT_TRUE(has_error_at(r, 7, 44, "\"ip.src\" is repeated; the first is at line 7"));
  EXPECT_TRUE(has_error_at(r, 8, 15, "out of range (1s to 1h)"));
  EXPECT_TRUE(has_error_at(r, 9, 28, "out of range (1 to 1000000)"));
  EXPECT_TRUE(has_error_at(r, 10, 27, "out of range (0s to 24h)"));
  EXPECT_TRUE(has_error_at(r, 11, 15, "\"redirect\" is not one of"));
  EXPECT_TRUE(has_error_at(r, 12, 17, "out of range (1000 to 20000000)"));
  EXPECT_TRUE(has_error_at(r, 13, 7, "missing required key \"expression\""));
  EXPECT_TRUE(has_error_at(r, 14, 24, "characteristics is empty"));
}

TEST(RateLimitConfigTest, IdsAreSharedWithFirewallRules) {
  auto r = load_body(R"(
firewall:
  rules:
    - {id: same, expression: "true", action: log}
rate_limit:
  rules:
    - {id: same, expression: "true", characteristics: [ip.src], period: 1s,
       requests_per_period: 1}
)");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 8, 12, "\"same\" is already the id of another rule (line 5"));
}

TEST(RateLimitConfigTest, TrackedKeysAreCappedOverTheConfig) {
  std::string body = "rate_limit:\n  rules:\n";
  for (int i = 0; i < 3; ++i) {
    body += "    - {id: r" + std::to_string(i) +
            ", expression: \"true\", characteristics: [ip.src], period: 1s, "
            "requests_per_period: 1, max_keys: 20000000}\n";
  }
  auto r = load_body(body);
  ASSERT_FALSE(r.ok());
  // The third rule is the one that goes over.
  EXPECT_TRUE(has_error_at(r, 7, 7, "rules[2]: the rate-limit rules track more than 40000000"));
}

TEST(RateLimitConfigTest, IpPrefixCharacteristics) {
  int v4 = 0, v6 = 0;
  EXPECT_TRUE(parse_ip_prefix_characteristic("ip.src/24", v4, v6));
  EXPECT_EQ(v4, 24);
  EXPECT_EQ(v6, 64);
  EXPECT_TRUE(parse_ip_prefix_characteristic("ip.src/16/48", v4, v6));
  EXPECT_EQ(v4, 16);
  EXPECT_EQ(v6, 48);
  for (const char* bad : {"ip.src", "ip.src/", "ip.src/0", "ip.src/33", "ip.src/24/",
                          "ip.src/24/129", "ip.src/24/48/1", "ip.src/+4", "ip.src/024x"}) {
    EXPECT_FALSE(parse_ip_prefix_characteristic(bad, v4, v6)) << bad;
  }
}

}  // namespace
}  // namespace rampart::config
