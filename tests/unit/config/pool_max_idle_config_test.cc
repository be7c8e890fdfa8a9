// A pool's `max_idle` (and an inline origin's): its default, a value, and its range.

#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using testing::all_errors;
using testing::has_error_at;
using testing::load;
using testing::yaml;

TEST(PoolMaxIdleConfigTest, DefaultAndValuesForAPoolAndAnInlineOrigin) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools:
  plain: {endpoints: [127.0.0.1:9000]}
  few: {endpoints: [127.0.0.1:9001], max_idle: 8}
sites:
  - {name: a, hosts: [a.example], origin: {pools: [plain, few]}}
  - {name: b, hosts: [b.example], origin: {endpoints: [127.0.0.1:9002], max_idle: 0}}
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  ASSERT_EQ(r.config->pools.size(), 3u);
  for (const Pool& p : r.config->pools) {
    if (p.name == "plain") {
      EXPECT_EQ(p.max_idle, 1024u);
    } else if (p.name == "few") {
      EXPECT_EQ(p.max_idle, 8u);
    } else {
      EXPECT_EQ(p.max_idle, 0u) << p.name;
    }
  }
}

TEST(PoolMaxIdleConfigTest, OutOfRangeIsAnErrorAtTheValue) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools:
  web:
    endpoints: [127.0.0.1:9000]
    max_idle: 100001
sites: [{name: s, hosts: [s.example], origin: {pool: web}}]
)"));
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 5, 15, "pools.web.max_idle")) << all_errors(r);
}

TEST(PoolMaxIdleConfigTest, MaxIdleOnANamedPoolReferenceIsRefused) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools: {web: {endpoints: [127.0.0.1:9000]}}
sites:
  - {name: s, hosts: [s.example], origin: {pool: web, max_idle: 4}}
)"));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(all_errors(r).find("max_idle goes with the endpoints shorthand"), std::string::npos)
      << all_errors(r);
}

}  // namespace
}  // namespace rampart::config
