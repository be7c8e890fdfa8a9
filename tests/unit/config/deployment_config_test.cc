// The `deployment:` section and the early refusal of oversized rule lists.

#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using testing::find_error;
using testing::load;

const std::string kBase =
    "listeners: [{address: 127.0.0.1:8080}]\n"
    "sites: [{name: s, hosts: [s.example], origin: {endpoints: [127.0.0.1:1]}}]\n";

TEST(DeploymentConfig, AbsentMeansSwapAtOnce) {
  auto r = load(kBase);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.config->deployment.enabled);
}

TEST(DeploymentConfig, ReadsEveryKey) {
  auto r = load(kBase +
                "deployment: {canary_percent: 25%, window: 2m, max_error_rate_increase: 3%,\n"
                "  max_latency_increase: 40ms, min_requests: 100, auto_promote: false}\n");
  ASSERT_TRUE(r.ok()) << r.errors.front().to_string();
  const Deployment& d = r.config->deployment;
  EXPECT_TRUE(d.enabled);
  EXPECT_EQ(d.canary_percent, 25u);
  EXPECT_EQ(d.window, Millis(120'000));
  EXPECT_EQ(d.max_error_rate_increase, 3u);
  EXPECT_EQ(d.max_latency_increase, Millis(40));
  EXPECT_EQ(d.min_requests, 100u);
  EXPECT_FALSE(d.auto_promote);
}

TEST(DeploymentConfig, EmptySectionTakesDefaults) {
  auto r = load(kBase + "deployment:\n");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.config->deployment.enabled);
  EXPECT_EQ(r.config->deployment.canary_percent, 10u);
  EXPECT_EQ(r.config->deployment.window, Millis(30'000));
}

TEST(DeploymentConfig, BadValuesAreErrorsWithTheirLine) {
  auto r = load(kBase + "deployment:\n  canary_percent: 100%\n  window: 10ms\n  colour: red\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors.size(), 3u);
  auto* pct = find_error(r, "1% to 99%");
  ASSERT_NE(pct, nullptr);
  EXPECT_EQ(pct->line, 4);
  auto* unknown = find_error(r, "colour");
  ASSERT_NE(unknown, nullptr);
  EXPECT_EQ(unknown->line, 6);
}

TEST(DeploymentConfig, ClusterRolloutKeys) {
  auto r = load(kBase +
                "deployment: {group: 2, wait_timeout: 90s}\n"
                "cluster: {redis: 127.0.0.1:6379, node: edge-7}\n");
  ASSERT_TRUE(r.ok()) << r.errors.front().to_string();
  EXPECT_EQ(r.config->deployment.group, 2u);
  EXPECT_EQ(r.config->deployment.wait_timeout, Millis(90'000));
  EXPECT_EQ(r.config->cluster.node, "edge-7");
  auto d = load(kBase + "deployment: {}\ncluster: {redis: 127.0.0.1:6379}\n");
  ASSERT_TRUE(d.ok()) << d.errors.front().to_string();
  EXPECT_EQ(d.config->deployment.group, 0u);
  EXPECT_TRUE(d.config->cluster.node.empty());  // the server names it hostname:admin port
}

TEST(DeploymentConfig, BadRolloutKeysAreErrors) {
  auto r = load(kBase +
                "deployment: {group: -1, wait_timeout: 10ms}\n"
                "cluster: {redis: 127.0.0.1:6379, node: \"a b\"}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(find_error(r, "node name"), nullptr);
  EXPECT_GE(r.errors.size(), 3u);
}

TEST(RuleListCap, TenTimesTheRulesIsRefusedBeforeTheTreeIsBuilt) {
  std::string rules = "firewall:\n  rules:\n";
  for (int i = 0; i < 100'000; ++i) {
    rules += "    - {id: r" + std::to_string(i) + ", expression: 'http.host eq \"x\"'}\n";
  }
  auto r = load(kBase + rules);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].message.find("too many rules: more than 20000 (the limit is 10000)"),
            std::string::npos)
      << r.errors[0].to_string();
  EXPECT_EQ(r.errors[0].line, 5);  // where the list starts, as the walker's own count error
}

}  // namespace
}  // namespace rampart::config
