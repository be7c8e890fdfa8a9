// HTTP/2 to origins in the config: a pool's `http2:` and a site's inline `origin:
// http2:`, its default, and the errors at the offending key.

#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using testing::all_errors;
using testing::has_error_at;
using testing::load;
using testing::yaml;

TEST(OriginHttp2ConfigTest, OffByDefaultOnForAPoolAndAnInlineOrigin) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools:
  plain: {endpoints: [127.0.0.1:9000]}
  grpc:
    endpoints: [127.0.0.1:50051]
    http2: true
    tls: {}
sites:
  - {name: a, hosts: [a.example], origin: {pools: [plain, grpc]}}
  - {name: b, hosts: [b.example], origin: {endpoints: [127.0.0.1:9001], http2: true}}
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  ASSERT_EQ(r.config->pools.size(), 3u);
  for (const Pool& p : r.config->pools) {
    if (p.name == "plain") {
      EXPECT_FALSE(p.http2);
    } else {
      EXPECT_TRUE(p.http2) << p.name;
    }
  }
}

TEST(OriginHttp2ConfigTest, NotABooleanIsAnErrorAtTheValue) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools:
  grpc:
    endpoints: [127.0.0.1:50051]
    http2: "h2c"
sites: [{name: s, hosts: [s.example], origin: {pool: grpc}}]
)"));
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 5, 12, "pools.grpc.http2: expected true or false")) << all_errors(r);
}

TEST(OriginHttp2ConfigTest, Http2OnANamedPoolReferenceIsRefused) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools: {web: {endpoints: [127.0.0.1:9000]}}
sites:
  - name: s
    hosts: [s.example]
    origin:
      pool: web
      http2: true
)"));
  EXPECT_TRUE(has_error_at(r, 8, 14, "http2 goes with the endpoints shorthand")) << all_errors(r);
}

}  // namespace
}  // namespace rampart::config
