// Origin pools in the config: the `pools:` section, the three forms of a site's
// `origin:`, the route action, and the checks that tie names and values together.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::account_rule;
using testing::all_errors;
using testing::find_error;
using testing::has_error_at;
using testing::load;
using testing::load_body;
using testing::yaml;

constexpr uint8_t bit(RetryOn r) {
  return static_cast<uint8_t>(r);
}

TEST(PoolsTest, FullPoolSetsEveryKey) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools:
  web:
    steering: hash
    hash_key: ip.src
    affinity:
      cookie: sticky
      ttl: 1h
    min_healthy: 2
    endpoints:
      - 127.0.0.1:8081
      - { address: 127.0.0.1:8082, weight: 3, enabled: false }
      - Backend.Internal:9000
    health_check:
      type: http
      method: HEAD
      path: /health
      host: Health.Example
      headers: { X-Check: "1", User-Agent: probe }
      expected_codes: "200-299,301"
      expected_body: ok
      interval: 10s
      timeout: 500ms
      healthy_threshold: 4
      unhealthy_threshold: 5
      jitter: 20%
    outlier_detection:
      enabled: false
      consecutive_failures: 7
      count_5xx: false
      base_ejection: 2s
      max_ejection: 1m
      max_ejected: 30
    max_connections: 100
    max_pending: 50
    pending_timeout: 250ms
    retry_budget:
      percent: 25%
      window: 30s
      min_retries: 0
  spare: {endpoints: [127.0.0.1:9001]}
  backup: {endpoints: [127.0.0.1:9002]}
sites:
  - name: shop
    hosts: [shop.example]
    origin:
      pools: [web, spare]
      fallback: backup
      retries:
        max_tries: 3
        per_try_timeout: 2s
        retry_on: [connect_failure, 5xx, gateway_error]
        hedge_after: 100ms
      retry_after: 30s
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const Config& c = *r.config;
  ASSERT_EQ(c.pools.size(), 3u);
  const Pool* web = c.pool("web");
  ASSERT_NE(web, nullptr);
  EXPECT_FALSE(web->implicit);
  EXPECT_EQ(web->line, 3);
  EXPECT_EQ(web->column, 3);
  EXPECT_EQ(web->steering, Steering::kHash);
  ASSERT_TRUE(web->hash_key.has_value());
  EXPECT_EQ(web->hash_key->text, "ip.src");
  EXPECT_EQ(web->hash_key->line, 5);
  EXPECT_EQ(web->hash_key->column, 15);
  EXPECT_TRUE(web->affinity.enabled);
  EXPECT_EQ(web->affinity.cookie, "sticky");
  EXPECT_EQ(web->affinity.ttl, hours(1));
  EXPECT_EQ(web->min_healthy, 2u);

  ASSERT_EQ(web->endpoints.size(), 3u);
  EXPECT_EQ(web->endpoints[0].address.to_string(), "127.0.0.1:8081");
  EXPECT_EQ(web->endpoints[0].weight, 1u);
  EXPECT_TRUE(web->endpoints[0].enabled);
  EXPECT_EQ(web->endpoints[0].line, 11);
  EXPECT_EQ(web->endpoints[0].column, 9);
  EXPECT_EQ(web->endpoints[1].address.to_string(), "127.0.0.1:8082");
  EXPECT_EQ(web->endpoints[1].weight, 3u);
  EXPECT_FALSE(web->endpoints[1].enabled);
  EXPECT_EQ(web->endpoints[1].line, 12);
  EXPECT_EQ(web->endpoints[2].address.host, "backend.internal");
  EXPECT_EQ(web->endpoints[2].address.port, 9000);

  const HealthCheck& hc = web->health_check;
  EXPECT_TRUE(hc.enabled);
  EXPECT_EQ(hc.kind, HealthCheckKind::kHttp);
  EXPECT_EQ(hc.method, "HEAD");
  EXPECT_EQ(hc.path, "/health");
  EXPECT_EQ(hc.host, "health.example");
  ASSERT_EQ(hc.headers.size(), 2u);
  EXPECT_EQ(hc.headers[0].op, HeaderOp::kSet);
  EXPECT_EQ(hc.headers[0].name, "X-Check");
  EXPECT_EQ(hc.headers[0].value, "1");
  EXPECT_EQ(hc.headers[1].name, "User-Agent");
  EXPECT_EQ(hc.headers[1].value, "probe");
  ASSERT_EQ(hc.expected.size(), 2u);
  EXPECT_EQ(hc.expected[0].low, 200);
  EXPECT_EQ(hc.expected[0].high, 299);
  EXPECT_EQ(hc.expected[1].low, 301);
  EXPECT_EQ(hc.expected[1].high, 301);
  EXPECT_EQ(hc.expected_body, "ok");
  EXPECT_EQ(hc.interval, seconds(10));
  EXPECT_EQ(hc.timeout, milliseconds(500));
  EXPECT_EQ(hc.healthy_threshold, 4u);
  EXPECT_EQ(hc.unhealthy_threshold, 5u);
  EXPECT_EQ(hc.jitter_percent, 20u);

  const OutlierDetection& od = web->outlier_detection;
  EXPECT_FALSE(od.enabled);
  EXPECT_EQ(od.consecutive_failures, 7u);
  EXPECT_FALSE(od.count_5xx);
  EXPECT_EQ(od.base_ejection, seconds(2));
  EXPECT_EQ(od.max_ejection, minutes(1));
  EXPECT_EQ(od.max_ejected_percent, 30u);

  EXPECT_EQ(web->max_connections, 100u);
  EXPECT_EQ(web->max_pending, 50u);
  EXPECT_EQ(web->pending_timeout, milliseconds(250));
  EXPECT_EQ(web->retry_budget.percent, 25u);
  EXPECT_EQ(web->retry_budget.window, seconds(30));
  EXPECT_EQ(web->retry_budget.min_retries, 0u);

  const Origin& o = c.sites.at(0).origin;
  EXPECT_EQ(o.pools, (std::vector<std::string>{"web", "spare"}));
  EXPECT_EQ(o.fallback, "backup");
  EXPECT_EQ(o.retries.max_tries, 3u);
  EXPECT_EQ(o.retries.per_try_timeout, seconds(2));
  EXPECT_EQ(o.retries.retry_on,
            bit(RetryOn::kConnectFailure) | bit(RetryOn::k5xx) | bit(RetryOn::kGatewayError));
  EXPECT_EQ(o.retries.hedge_after, milliseconds(100));
  EXPECT_EQ(o.retry_after, seconds(30));
  EXPECT_EQ(c.pool("site:shop"), nullptr);  // no shorthand, no implicit pool
}

TEST(PoolsTest, Defaults) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools:
  bare: {endpoints: [127.0.0.1:1]}
  checked:
    endpoints: [127.0.0.1:2]
    health_check: {}
    affinity: {}
  tcp:
    endpoints: [127.0.0.1:3]
    health_check: {type: tcp, interval: 1s}
sites:
  - {name: a, hosts: [a.example], origin: {pool: bare}}
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const Pool* bare = r.config->pool("bare");
  ASSERT_NE(bare, nullptr);
  EXPECT_EQ(bare->steering, Steering::kRoundRobin);
  EXPECT_FALSE(bare->hash_key.has_value());
  EXPECT_FALSE(bare->affinity.enabled);
  EXPECT_EQ(bare->min_healthy, 1u);
  EXPECT_FALSE(bare->health_check.enabled);
  EXPECT_TRUE(bare->outlier_detection.enabled);
  EXPECT_EQ(bare->outlier_detection.consecutive_failures, 5u);
  EXPECT_TRUE(bare->outlier_detection.count_5xx);
  EXPECT_EQ(bare->outlier_detection.base_ejection, seconds(10));
  EXPECT_EQ(bare->outlier_detection.max_ejection, minutes(5));
  EXPECT_EQ(bare->outlier_detection.max_ejected_percent, 50u);
  EXPECT_EQ(bare->max_connections, 0u);
  EXPECT_EQ(bare->max_pending, 0u);
  EXPECT_EQ(bare->pending_timeout, seconds(1));
  EXPECT_EQ(bare->retry_budget.percent, 20u);
  EXPECT_EQ(bare->retry_budget.window, seconds(10));
  EXPECT_EQ(bare->retry_budget.min_retries, 3u);

  // An empty health_check map turns checking on with every default.
  const Pool* checked = r.config->pool("checked");
  ASSERT_NE(checked, nullptr);
  const HealthCheck& hc = checked->health_check;
  EXPECT_TRUE(hc.enabled);
  EXPECT_EQ(hc.kind, HealthCheckKind::kHttp);
  EXPECT_EQ(hc.method, "GET");
  EXPECT_EQ(hc.path, "/");
  EXPECT_EQ(hc.host, "");
  EXPECT_TRUE(hc.headers.empty());
  ASSERT_EQ(hc.expected.size(), 1u);
  EXPECT_EQ(hc.expected[0].low, 200);
  EXPECT_EQ(hc.expected[0].high, 399);
  EXPECT_EQ(hc.interval, seconds(5));
  EXPECT_EQ(hc.timeout, seconds(2));
  EXPECT_EQ(hc.healthy_threshold, 2u);
  EXPECT_EQ(hc.unhealthy_threshold, 3u);
  EXPECT_EQ(hc.jitter_percent, 10u);
  EXPECT_TRUE(checked->affinity.enabled);
  EXPECT_EQ(checked->affinity.cookie, "rampart_affinity");
  EXPECT_EQ(checked->affinity.ttl, milliseconds(0));

  // A default timeout longer than a written interval follows the interval.
  const Pool* tcp = r.config->pool("tcp");
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(tcp->health_check.kind, HealthCheckKind::kTcp);
  EXPECT_EQ(tcp->health_check.interval, seconds(1));
  EXPECT_EQ(tcp->health_check.timeout, seconds(1));

  const Origin& o = r.config->sites.at(0).origin;
  EXPECT_EQ(o.pools, (std::vector<std::string>{"bare"}));
  EXPECT_EQ(o.fallback, "");
  EXPECT_EQ(o.retries.max_tries, 2u);
  EXPECT_EQ(o.retries.per_try_timeout, milliseconds(0));
  EXPECT_EQ(o.retries.retry_on,
            bit(RetryOn::kConnectFailure) | bit(RetryOn::kReset) | bit(RetryOn::kTimeout));
  EXPECT_EQ(o.retries.hedge_after, milliseconds(0));
  EXPECT_EQ(o.retry_after, seconds(5));
}

TEST(PoolsTest, EndpointsShorthandMakesAnImplicitPool) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
sites:
  - hosts: [a.example]
    origin:
      endpoints: [127.0.0.1:8081, 127.0.0.1:8082]
      retry_after: 2s
    name: a
  - {name: b, hosts: [b.example], origin: {endpoints: [127.0.0.1:8083]}}
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const Config& c = *r.config;
  ASSERT_EQ(c.pools.size(), 2u);
  // The name is known only after the whole site map is read; here it comes last.
  const Pool* a = c.pool("site:a");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->implicit);
  EXPECT_EQ(a->steering, Steering::kRoundRobin);
  EXPECT_FALSE(a->health_check.enabled);
  EXPECT_EQ(a->min_healthy, 1u);
  EXPECT_EQ(a->line, 5);
  EXPECT_EQ(a->column, 7);
  ASSERT_EQ(a->endpoints.size(), 2u);
  EXPECT_EQ(a->endpoints[0].address.to_string(), "127.0.0.1:8081");
  EXPECT_EQ(a->endpoints[1].address.to_string(), "127.0.0.1:8082");
  EXPECT_EQ(a->endpoints[1].weight, 1u);
  EXPECT_TRUE(a->endpoints[1].enabled);
  EXPECT_EQ(c.sites[0].origin.pools, (std::vector<std::string>{"site:a"}));
  EXPECT_EQ(c.sites[0].origin.retry_after, seconds(2));
  ASSERT_NE(c.pool("site:b"), nullptr);
  EXPECT_EQ(c.sites[1].origin.pools, (std::vector<std::string>{"site:b"}));

  // The shorthand takes addresses only: weights and the rest need a pool.
  auto map_item = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
sites:
  - name: a
    hosts: [a.example]
    origin: {endpoints: [{address: 127.0.0.1:1}]}
)"));
  EXPECT_TRUE(has_error_at(map_item, 5, 26, "expected a string, got a map"));
}

TEST(PoolsTest, SteeringAndHashKey) {
  auto r = load_body(R"(
pools:
  typo:
    steering: round_robbin
    endpoints: [127.0.0.1:1]
  unkeyed:
    steering: hash
    endpoints: [127.0.0.1:1]
  keyed:
    steering: p2c
    hash_key: http.host
    endpoints: [127.0.0.1:1]
  default_steering:
    hash_key: http.host
    endpoints: [127.0.0.1:1]
)");
  EXPECT_TRUE(has_error_at(r, 5, 15, "pools.typo.steering: \"round_robbin\" is not one of"));
  EXPECT_TRUE(has_error_at(r, 5, 15, "did you mean \"round_robin\"?"));
  EXPECT_TRUE(has_error_at(r, 8, 15, "pools.unkeyed: missing required key \"hash_key\""));
  EXPECT_TRUE(has_error_at(r, 12, 15, "pools.keyed.hash_key: hash_key is only for steering: hash"));
  EXPECT_TRUE(has_error_at(r, 15, 15, "pools.default_steering.hash_key: hash_key is only for"));
  EXPECT_EQ(r.errors.size(), 4u) << all_errors(r);
}

TEST(PoolsTest, HealthCheckErrors) {
  auto r = load_body(R"(
pools:
  tcp:
    endpoints: [127.0.0.1:1]
    health_check:
      path: /health
      type: tcp
      expected_codes: 200
  six:
    endpoints: [127.0.0.1:1]
    health_check: {expected_codes: 6xx}
  backwards:
    endpoints: [127.0.0.1:1]
    health_check: {expected_codes: "300-200"}
  letters:
    endpoints: [127.0.0.1:1]
    health_check: {expected_codes: abc}
  slow:
    endpoints: [127.0.0.1:1]
    health_check:
      interval: 1s
      timeout: 3s
  slower_than_default:
    endpoints: [127.0.0.1:1]
    health_check: {timeout: 6s}
  headers:
    endpoints: [127.0.0.1:1]
    health_check:
      headers: {Host: x.example, Connection: close, X-Ok: "a\nb"}
      path: "no-slash"
      jitter: 60%
      interval: 50ms
)");
  EXPECT_TRUE(has_error_at(r, 7, 13, "pools.tcp.health_check.path: only for type: http"));
  EXPECT_TRUE(has_error_at(r, 9, 23, "pools.tcp.health_check.expected_codes: only for type: http"));
  EXPECT_TRUE(has_error_at(r, 12, 36, "\"6xx\" is not a status class"));
  EXPECT_TRUE(
      has_error_at(r, 15, 36, "\"300-200\" is a range whose low end is above its high end"));
  EXPECT_TRUE(has_error_at(r, 18, 36, "\"abc\" is not a status code"));
  EXPECT_TRUE(has_error_at(r, 23, 16,
                           "pools.slow.health_check.timeout: 3s must not exceed "
                           "health_check.interval (1s) (line 22, column 17)"));
  EXPECT_TRUE(has_error_at(r, 26, 29,
                           "pools.slower_than_default.health_check.timeout: 6s must not exceed "
                           "health_check.interval (5s, the default)"));
  EXPECT_TRUE(has_error_at(r, 30, 17, "set the Host header of a health check with"));
  EXPECT_TRUE(has_error_at(r, 30, 34, "header \"Connection\" is managed by rampart"));
  EXPECT_TRUE(has_error_at(r, 30, 59, "the value contains control characters"));
  EXPECT_TRUE(has_error_at(r, 31, 13, "\"no-slash\" must be a path starting with \"/\""));
  EXPECT_TRUE(has_error_at(r, 32, 15, "\"60%\" is out of range (0% to 50%)"));
  EXPECT_TRUE(has_error_at(r, 33, 17, "\"50ms\" is out of range (100ms to 1h)"));
  EXPECT_EQ(r.errors.size(), 13u) << all_errors(r);
}

TEST(PoolsTest, EndpointAndValueErrors) {
  auto r = load_body(R"(
pools:
  dup:
    endpoints:
      - 127.0.0.1:8081
      - {address: 127.0.0.2:8081}
      - {address: 127.0.0.1:8081, weight: 2}
  values:
    min_healthy: 3
    endpoints:
      - {address: 127.0.0.1:1, weight: 0}
      - {weight: 2}
      - [127.0.0.1:2]
      - 127.0.0.1:3
    outlier_detection: {base_ejection: 1m, max_ejection: 30s, max_ejected: 101%}
    retry_budget: {percent: 20.5%, window: 10m}
    pending_timeout: 2m
    affinity: {cookie: "bad cookie"}
  empty:
    endpoints: []
  missing: {steering: random}
  "bad name": {endpoints: [127.0.0.1:1]}
  dup: {endpoints: [127.0.0.1:1]}
)");
  EXPECT_TRUE(has_error_at(r, 8, 9,
                           "pools.dup.endpoints[2]: endpoint 127.0.0.1:8081 is listed twice in "
                           "this pool; the first is at line 6"));
  EXPECT_TRUE(has_error_at(r, 12, 40, "weight: 0 is out of range (1 to 1000)"));
  EXPECT_TRUE(
      has_error_at(r, 13, 9, "pools.values.endpoints[1]: missing required key \"address\""));
  EXPECT_TRUE(has_error_at(r, 14, 9, "expected \"host:port\" or a map with address, got a list"));
  // Three of the four endpoints were refused, and min_healthy is checked on the rest.
  EXPECT_TRUE(
      has_error_at(r, 10, 18, "pools.values.min_healthy: 3 is more than the pool's endpoints (1)"));
  EXPECT_TRUE(has_error_at(r, 16, 58,
                           "pools.values.outlier_detection.max_ejection: 30s must be at least "
                           "outlier_detection.base_ejection (1m) (line 16, column 40)"));
  EXPECT_TRUE(has_error_at(r, 16, 76, "\"101%\" is more than 100%"));
  EXPECT_TRUE(has_error_at(r, 17, 29, "\"20.5%\" is not a percentage"));
  EXPECT_TRUE(has_error_at(r, 17, 44, "\"10m\" is out of range (1s to 5m)"));
  EXPECT_TRUE(has_error_at(r, 18, 22, "\"2m\" is out of range (1ms to 1m)"));
  EXPECT_TRUE(has_error_at(r, 19, 24, "\"bad cookie\" is not a valid cookie name"));
  EXPECT_TRUE(has_error_at(r, 21, 16, "pools.empty.endpoints: at least one endpoint is needed"));
  EXPECT_TRUE(has_error_at(r, 22, 12, "pools.missing: missing required key \"endpoints\""));
  EXPECT_TRUE(has_error_at(r, 23, 3, "\"bad name\" is not a valid pool name"));
  EXPECT_TRUE(has_error_at(r, 24, 3, "\"dup\" is repeated; the first is at line 4"));
  EXPECT_EQ(r.errors.size(), 15u) << all_errors(r);
}

TEST(PoolsTest, OriginForms) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools:
  web: {endpoints: [127.0.0.1:1]}
  api: {endpoints: [127.0.0.1:2]}
sites:
  - name: both
    hosts: [both.example]
    origin:
      endpoints: [127.0.0.1:3]
      pool: web
  - name: none
    hosts: [none.example]
    origin: {retry_after: 2s}
  - name: shorthand_fallback
    hosts: [c.example]
    origin: {endpoints: [127.0.0.1:4], fallback: web}
  - name: lists
    hosts: [d.example]
    origin:
      pools: [web, api, web]
      fallback: api
      retries: {max_tries: 11, retry_on: [reset, bogus, reset]}
      retry_after: 0s
  - name: empty
    hosts: [e.example]
    origin: {pools: []}
)"));
  EXPECT_TRUE(has_error_at(r, 10, 13,
                           "sites[0].origin.pool: origin has both endpoints and pool; use "
                           "exactly one of endpoints, pool or pools"));
  EXPECT_TRUE(has_error_at(r, 13, 13,
                           "sites[1].origin: missing required key \"endpoints\" (origin needs "
                           "endpoints, pool or pools)"));
  EXPECT_TRUE(
      has_error_at(r, 16, 50, "sites[2].origin.fallback: fallback goes with pool or pools"));
  EXPECT_TRUE(has_error_at(r, 20, 25, "sites[3].origin.pools[2]: pool \"web\" is listed twice"));
  EXPECT_TRUE(has_error_at(r, 21, 17, "pool \"api\" is already in the failover list"));
  EXPECT_TRUE(has_error_at(r, 22, 28, "11 is out of range (1 to 10)"));
  EXPECT_TRUE(has_error_at(r, 22, 50, "\"bogus\" is not one of: connect_failure, reset"));
  EXPECT_TRUE(has_error_at(r, 22, 57, "\"reset\" is listed twice"));
  EXPECT_TRUE(has_error_at(r, 23, 20, "\"0s\" is out of range (1s to 1h)"));
  EXPECT_TRUE(has_error_at(r, 26, 21, "sites[4].origin.pools: at least one pool is needed"));
  EXPECT_EQ(r.errors.size(), 10u) << all_errors(r);
}

TEST(PoolsTest, UnknownPoolReferences) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
firewall:
  rules:
    - id: to-api
      expression: http.host eq "api.example"
      action: route
      action_parameters: {pool: api_pool}
pools:
  api-pool: {endpoints: [127.0.0.1:1]}
sites:
  - name: a
    hosts: [a.example]
    origin: {pool: api-pol, fallback: zzzzzz}
    firewall:
      rules:
        - id: to-b
          expression: "true"
          action: route
          action_parameters: {pools: [api-pool, site:b]}
  - name: b
    hosts: [b.example]
    origin: {endpoints: [127.0.0.1:2]}
)"));
  EXPECT_TRUE(has_error_at(r, 7, 33,
                           "firewall.rules[0].action_parameters.pool: no pool is named "
                           "\"api_pool\" under `pools:`; did you mean \"api-pool\"?"));
  EXPECT_TRUE(has_error_at(r, 13, 20,
                           "sites[0].origin.pool: no pool is named \"api-pol\" under `pools:`; "
                           "did you mean \"api-pool\"?"));
  const Diagnostic* far = find_error(r, "\"zzzzzz\"");
  ASSERT_NE(far, nullptr) << all_errors(r);
  EXPECT_EQ(far->line, 13);
  EXPECT_EQ(far->column, 39);
  EXPECT_EQ(far->message.find("did you mean"), std::string::npos);
  EXPECT_TRUE(has_error_at(r, 19, 49,
                           "sites[0].firewall.rules[0].action_parameters.pools[1]: \"site:b\" is "
                           "the pool a site's `origin: endpoints:` makes"));
  EXPECT_EQ(r.errors.size(), 4u) << all_errors(r);
}

TEST(PoolsTest, RouteAction) {
  auto r = load_body(R"(
pools:
  blue: {endpoints: [127.0.0.1:1]}
  green: {endpoints: [127.0.0.1:2]}
  spare: {endpoints: [127.0.0.1:3]}
firewall:
  rules:
    - id: canary
      expression: http.cookie contains "canary=1"
      action: route
      action_parameters: {pool: green}
    - id: failover
      expression: "true"
      action: route
      action_parameters:
        pools: [blue, green]
        fallback: spare
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(account_rule(r, 0).action, RuleAction::kRoute);
  EXPECT_EQ(account_rule(r, 0).parameters.route_pools, (std::vector<std::string>{"green"}));
  EXPECT_EQ(account_rule(r, 0).parameters.route_fallback, "");
  EXPECT_EQ(account_rule(r, 1).parameters.route_pools, (std::vector<std::string>{"blue", "green"}));
  EXPECT_EQ(account_rule(r, 1).parameters.route_fallback, "spare");
}

TEST(PoolsTest, RouteActionErrors) {
  auto r = load_body(R"(
pools:
  blue: {endpoints: [127.0.0.1:1]}
firewall:
  rules:
    - id: nothing
      expression: "true"
      action: route
    - id: only-fallback
      expression: "true"
      action: route
      action_parameters: {fallback: blue}
    - id: both
      expression: "true"
      action: route
      action_parameters: {pool: blue, pools: [blue]}
    - id: extra
      expression: "true"
      action: route
      action_parameters: {pool: blue, status_code: 503}
)");
  EXPECT_TRUE(
      has_error_at(r, 7, 7, "firewall.rules[0].action_parameters: missing required key \"pool\""));
  EXPECT_TRUE(has_error_at(r, 13, 26,
                           "firewall.rules[1].action_parameters: missing required key \"pool\""));
  EXPECT_TRUE(has_error_at(r, 17, 46, "a route has either pool or pools, not both"));
  EXPECT_TRUE(has_error_at(r, 21, 39,
                           "\"status_code\" is not a parameter of the route action; it takes: "
                           "pool, pools, fallback"));
  EXPECT_EQ(r.errors.size(), 4u) << all_errors(r);
}

TEST(PoolsTest, ManyErrorsInOneLoad) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools:
  web:
    steering: fastest
    endpoints: [127.0.0.1:1, 127.0.0.1:1]
    health_check: {type: tcp, method: HEAD}
sites:
  - name: a
    hosts: [a.example]
    origin: {pool: wbe}
)"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 4, 15, "\"fastest\" is not one of"));
  EXPECT_TRUE(has_error_at(r, 5, 30, "is listed twice in this pool"));
  EXPECT_TRUE(has_error_at(r, 6, 39, "only for type: http"));
  EXPECT_TRUE(has_error_at(r, 10, 20, "no pool is named \"wbe\""));
  EXPECT_EQ(r.errors.size(), 4u) << all_errors(r);
}

TEST(PoolsTest, EndpointCap) {
  std::string body = "pools:\n  big:\n    endpoints:\n";
  for (int i = 0; i < 257; ++i)
    body += "      - 127.0.0." + std::to_string(i % 250) + ":" + std::to_string(1000 + i) + "\n";
  auto r = load_body(body);
  EXPECT_TRUE(has_error_at(r, 6, 7, "too many endpoints: 257 (the limit is 256)"));
}

}  // namespace
}  // namespace rampart::config
