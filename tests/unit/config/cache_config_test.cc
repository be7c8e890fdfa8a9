// The `cache:` section and a site's `cache:` switch.

#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using testing::all_errors;
using testing::has_error_at;
using testing::load;
using testing::yaml;

TEST(CacheConfigTest, DefaultsAndValues) {
  auto defaults = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
sites:
  - name: a
    default: true
    origin: {endpoints: [127.0.0.1:8081]}
)"));
  ASSERT_TRUE(defaults.ok()) << all_errors(defaults);
  EXPECT_EQ(defaults.config->cache.memory_bytes, 256ull << 20);
  EXPECT_EQ(defaults.config->cache.max_object_bytes, 8ull << 20);
  EXPECT_FALSE(defaults.config->sites[0].cache.enabled);

  auto set = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
cache:
  memory: 1GiB
  max_object_size: 512KiB
sites:
  - name: a
    default: true
    origin: {endpoints: [127.0.0.1:8081]}
    cache: {enabled: true}
)"));
  ASSERT_TRUE(set.ok()) << all_errors(set);
  EXPECT_EQ(set.config->cache.memory_bytes, 1ull << 30);
  EXPECT_EQ(set.config->cache.max_object_bytes, 512ull << 10);
  EXPECT_TRUE(set.config->sites[0].cache.enabled);
}

TEST(CacheConfigTest, MistakesAreReportedWhereTheyAre) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
cache:
  memory: 10KiB
  max_object_size: lots
  disk: /var/cache
sites:
  - name: a
    default: true
    origin: {endpoints: [127.0.0.1:8081]}
    cache: {enabled: maybe, ttl: 5s}
)"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 3, 11, "cache.memory")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 4, 20, "cache.max_object_size")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 5, 3, "unknown key \"disk\"")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 10, 22, "enabled")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 10, 29, "unknown key \"ttl\"")) << all_errors(r);
}

}  // namespace
}  // namespace rampart::config
