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
  disk: [/var/cache]
sites:
  - name: a
    default: true
    origin: {endpoints: [127.0.0.1:8081]}
    cache: {enabled: maybe, ttl: 5s}
)"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 3, 11, "cache.memory")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 4, 20, "cache.max_object_size")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 5, 9, "cache.disk")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 10, 22, "enabled")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 10, 29, "unknown key \"ttl\"")) << all_errors(r);
}

TEST(CacheConfigTest, TheDiskTierIsOffUnlessConfigured) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
cache:
  memory: 64MiB
sites: [{name: a, default: true, origin: {endpoints: [127.0.0.1:8081]}}]
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_TRUE(r.config->cache.disk.path.empty());
}

TEST(CacheConfigTest, DiskPathAndSize) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
cache:
  disk: {path: /var/cache/rampart/, size: 10GiB}
sites: [{name: a, default: true, origin: {endpoints: [127.0.0.1:8081]}}]
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config->cache.disk.path, "/var/cache/rampart");
  EXPECT_EQ(r.config->cache.disk.size_bytes, 10ull << 30);
}

TEST(CacheConfigTest, DiskMistakesAreReportedWhereTheyAre) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
cache:
  disk:
    path: cache/here
    size: 1KiB
sites: [{name: a, default: true, origin: {endpoints: [127.0.0.1:8081]}}]
)"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 4, 11, "\"cache/here\" is not an absolute path")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 5, 11, "cache.disk.size")) << all_errors(r);

  auto root = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
cache:
  disk: {path: //, size: lots, color: red}
sites: [{name: a, default: true, origin: {endpoints: [127.0.0.1:8081]}}]
)"));
  ASSERT_FALSE(root.ok());
  EXPECT_TRUE(has_error_at(root, 3, 16, "a directory of its own")) << all_errors(root);
  EXPECT_TRUE(has_error_at(root, 3, 26, "cache.disk.size")) << all_errors(root);
  EXPECT_TRUE(has_error_at(root, 3, 32, "unknown key \"color\"")) << all_errors(root);
  EXPECT_TRUE(root.config == nullptr || root.config->cache.disk.path.empty());
}

TEST(CacheConfigTest, DiskNeedsBothKeysAndRoomForObjects) {
  auto missing = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
cache:
  disk: {path: /var/cache/rampart}
sites: [{name: a, default: true, origin: {endpoints: [127.0.0.1:8081]}}]
)"));
  EXPECT_TRUE(has_error_at(missing, 3, 9, "missing required key \"size\"")) << all_errors(missing);

  auto no_path = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
cache:
  disk:
    size: 1GiB
sites: [{name: a, default: true, origin: {endpoints: [127.0.0.1:8081]}}]
)"));
  EXPECT_TRUE(has_error_at(no_path, 4, 5, "missing required key \"path\"")) << all_errors(no_path);

  auto small = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
cache:
  disk: {path: /var/cache/rampart, size: 64MiB}
  max_object_size: 32MiB
sites: [{name: a, default: true, origin: {endpoints: [127.0.0.1:8081]}}]
)"));
  ASSERT_FALSE(small.ok());
  EXPECT_TRUE(has_error_at(small, 3, 42, "at least 4 objects of max_object_size"))
      << all_errors(small);
}

}  // namespace
}  // namespace rampart::config
