// The `cluster:` section: every key read, every mistake reported where it is.

#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using testing::all_errors;
using testing::has_error_at;
using testing::load_body;

TEST(ClusterConfigTest, AbsentMeansEveryNodeOnItsOwn) {
  auto r = load_body("");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_FALSE(r.config->cluster.enabled);
}

TEST(ClusterConfigTest, ReadsEveryKey) {
  auto r = load_body(R"(
cluster:
  redis: redis.internal:6380
  password: s3cret-pass
  key_prefix: "edge:"
  sync_interval: 250ms
  timeout: 20ms
  log_interval: 30s
  max_keys: 1000
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const ClusterSettings& c = r.config->cluster;
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.redis.host, "redis.internal");
  EXPECT_EQ(c.redis.port, 6380);
  EXPECT_EQ(c.password, "s3cret-pass");
  EXPECT_EQ(c.key_prefix, "edge:");
  EXPECT_EQ(c.sync_interval.count(), 250);
  EXPECT_EQ(c.timeout.count(), 20);
  EXPECT_EQ(c.log_interval.count(), 30'000);
  EXPECT_EQ(c.max_keys, 1000u);
}

TEST(ClusterConfigTest, DefaultsWithOnlyTheAddress) {
  auto r = load_body("cluster: {redis: '[::1]:6379'}\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config->cluster.redis.host, "::1");
  EXPECT_EQ(r.config->cluster.sync_interval.count(), 100);
  EXPECT_EQ(r.config->cluster.key_prefix, "rampart:");
}

TEST(ClusterConfigTest, EveryMistakeAtItsLine) {
  auto r = load_body(R"(
cluster:
  redis: "127.0.0.1"
  sync_interval: 1ms
  password: "two words"
  max_keys: 3
  retries: 4
)");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 4, 10, "127.0.0.1")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 5, 18, "out of range")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 6, 13, "visible ASCII")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 7, 13, "")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 8, 3, "retries")) << all_errors(r);
}

TEST(ClusterConfigTest, TheAddressIsRequired) {
  auto r = load_body("cluster: {sync_interval: 100ms}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 3, 10, "missing required key \"redis\"")) << all_errors(r);
}

TEST(ClusterConfigTest, BadPortIsAnError) {
  auto r = load_body("cluster: {redis: 'localhost:99999'}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 3, 18, "")) << all_errors(r);
}

}  // namespace
}  // namespace rampart::config
