// A valid config produces the expected values, key by key; defaults fill the rest.

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::all_errors;
using testing::load;
using testing::yaml;

const std::string kFull = yaml(R"(
version: release-2024.05_1
workers: 8
listeners:
  - name: public
    address: "*:8080"
  - name: public6
    address: "[::]:8080"
  - address: localhost:8443
admin:
  enabled: true
  address: "[::1]:9901"
  token: 0123456789abcdef-token
access_log:
  path: /var/log/rampart/access.log
log_level: debug
trusted_proxies:
  - 127.0.0.1/32
  - 10.1.2.3/8
  - 2001:db8::/32
  - 192.168.0.7
limits:
  max_request_line: 4KiB
  max_header_bytes: 64KiB
  max_header_count: 200
  max_body_bytes: 1GiB
  max_connections: 5000
  max_connections_per_ip: 50
  max_requests_per_connection: 0
timeouts:
  header_read: 5s
  body_read: 20s
  client_idle: 2m
  send: 45
  upstream_connect: 1500ms
  upstream_first_byte: 1m30s
  upstream_idle: 1h
  shutdown_grace: 24h
allow_connect: true
modules:
  waf:
    enabled: false
    fail_mode: closed
  rate_limit: {fail_mode: closed}
  compression: {enabled: false}
  log: {}
sites:
  - name: shop
    hosts: [Shop.Example, "*.shop.example", "[::1]"]
    default: false
    origin:
      endpoints: [127.0.0.1:8081, "[2001:db8::5]:80", Backend.Internal:8443]
    request_headers:
      - set: { name: X-Edge, value: rampart }
      - add: { name: X-Trace, value: "a b\tc" }
      - remove: X-Debug-Token
    response_headers:
      - set: { name: X-Frame-Options, value: "" }
      - remove: X-Powered-By
    redirects:
      - from: /old
        to: /new
      - from: /blog/
        match: prefix
        to: https://blog.example/
        status: 308
        keep_query: false
      - from: /p
        match: exact
        to: HTTP://other.example
        status: 302
    websocket: false
  - name: fallback
    default: true
    origin:
      endpoints: [127.0.0.1:8082]
)");

TEST(LoaderTest, FullConfigSetsEveryKey) {
  auto r = load(kFull);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_TRUE(r.errors.empty());
  const Config& c = *r.config;
  EXPECT_EQ(c.version, "release-2024.05_1");
  EXPECT_EQ(c.source, "test.yaml");
  EXPECT_EQ(c.workers, 8u);

  ASSERT_EQ(c.listeners.size(), 3u);
  EXPECT_EQ(c.listeners[0].name, "public");
  EXPECT_EQ(c.listeners[0].address.host, "0.0.0.0");
  EXPECT_EQ(c.listeners[0].address.port, 8080);
  EXPECT_EQ(c.listeners[1].name, "public6");
  EXPECT_EQ(c.listeners[1].address.host, "::");
  EXPECT_EQ(c.listeners[1].address.to_string(), "[::]:8080");
  EXPECT_EQ(c.listeners[2].name, "listener-2");
  EXPECT_EQ(c.listeners[2].address.to_string(), "127.0.0.1:8443");

  EXPECT_TRUE(c.admin.enabled);
  EXPECT_EQ(c.admin.address.host, "::1");
  EXPECT_EQ(c.admin.address.port, 9901);
  EXPECT_EQ(c.admin.token, "0123456789abcdef-token");
  EXPECT_EQ(c.access_log.path, "/var/log/rampart/access.log");
  EXPECT_EQ(c.log_level, "debug");

  EXPECT_EQ(c.trusted_proxies.size(), 4u);
  EXPECT_TRUE(c.trusted_proxies.contains(*core::IpAddress::parse("10.200.0.1")));
  EXPECT_TRUE(c.trusted_proxies.contains(*core::IpAddress::parse("2001:db8:1::1")));
  EXPECT_TRUE(c.trusted_proxies.contains(*core::IpAddress::parse("192.168.0.7")));
  EXPECT_FALSE(c.trusted_proxies.contains(*core::IpAddress::parse("192.168.0.8")));

  EXPECT_EQ(c.limits.max_request_line, 4096u);
  EXPECT_EQ(c.limits.max_header_bytes, 65536u);
  EXPECT_EQ(c.limits.max_header_count, 200u);
  EXPECT_EQ(c.limits.max_body_bytes, uint64_t{1} << 30);
  EXPECT_EQ(c.limits.max_connections, 5000u);
  EXPECT_EQ(c.limits.max_connections_per_ip, 50u);
  EXPECT_EQ(c.limits.max_requests_per_connection, 0u);

  EXPECT_EQ(c.timeouts.header_read, seconds(5));
  EXPECT_EQ(c.timeouts.body_read, seconds(20));
  EXPECT_EQ(c.timeouts.client_idle, minutes(2));
  EXPECT_EQ(c.timeouts.send, seconds(45));
  EXPECT_EQ(c.timeouts.upstream_connect, milliseconds(1500));
  EXPECT_EQ(c.timeouts.upstream_first_byte, seconds(90));
  EXPECT_EQ(c.timeouts.upstream_idle, hours(1));
  EXPECT_EQ(c.timeouts.shutdown_grace, hours(24));
  EXPECT_TRUE(c.allow_connect);

  ASSERT_EQ(c.modules.size(), 4u);
  EXPECT_FALSE(c.module("waf").enabled);
  EXPECT_EQ(c.module("waf").fail_mode, FailMode::kClosed);
  EXPECT_TRUE(c.module("rate_limit").enabled);
  EXPECT_EQ(c.module("rate_limit").fail_mode, FailMode::kClosed);
  EXPECT_FALSE(c.module("compression").enabled);
  EXPECT_EQ(c.module("compression").fail_mode, FailMode::kOpen);
  EXPECT_TRUE(c.module("log").enabled);
  EXPECT_TRUE(c.module("bot").enabled);  // not listed: the default
  EXPECT_EQ(c.module("bot").fail_mode, FailMode::kOpen);
  EXPECT_TRUE(c.module("no-such-module").enabled);

  ASSERT_EQ(c.sites.size(), 2u);
  const Site& shop = c.sites[0];
  EXPECT_EQ(shop.name, "shop");
  EXPECT_EQ(shop.hosts, (std::vector<std::string>{"shop.example", "*.shop.example", "[::1]"}));
  EXPECT_FALSE(shop.is_default);
  EXPECT_EQ(shop.origin.pools, (std::vector<std::string>{"site:shop"}));
  const Pool* shop_pool = c.pool("site:shop");
  ASSERT_NE(shop_pool, nullptr);
  ASSERT_EQ(shop_pool->endpoints.size(), 3u);
  EXPECT_EQ(shop_pool->endpoints[0].address.to_string(), "127.0.0.1:8081");
  EXPECT_EQ(shop_pool->endpoints[1].address.host, "2001:db8::5");
  EXPECT_EQ(shop_pool->endpoints[1].address.port, 80);
  EXPECT_EQ(shop_pool->endpoints[2].address.host, "backend.internal");
  EXPECT_EQ(shop_pool->endpoints[2].address.port, 8443);

  ASSERT_EQ(shop.request_headers.size(), 3u);
  EXPECT_EQ(shop.request_headers[0].op, HeaderOp::kSet);
  EXPECT_EQ(shop.request_headers[0].name, "X-Edge");
  EXPECT_EQ(shop.request_headers[0].value, "rampart");
  EXPECT_EQ(shop.request_headers[1].op, HeaderOp::kAdd);
  EXPECT_EQ(shop.request_headers[1].name, "X-Trace");
  EXPECT_EQ(shop.request_headers[1].value, "a b\tc");
  EXPECT_EQ(shop.request_headers[2].op, HeaderOp::kRemove);
  EXPECT_EQ(shop.request_headers[2].name, "X-Debug-Token");
  ASSERT_EQ(shop.response_headers.size(), 2u);
  EXPECT_EQ(shop.response_headers[0].op, HeaderOp::kSet);
  EXPECT_EQ(shop.response_headers[0].value, "");
  EXPECT_EQ(shop.response_headers[1].op, HeaderOp::kRemove);
  EXPECT_EQ(shop.response_headers[1].name, "X-Powered-By");

  ASSERT_EQ(shop.redirects.size(), 3u);
  EXPECT_EQ(shop.redirects[0].from, "/old");
  EXPECT_EQ(shop.redirects[0].to, "/new");
  EXPECT_FALSE(shop.redirects[0].prefix);
  EXPECT_EQ(shop.redirects[0].status, 301);
  EXPECT_TRUE(shop.redirects[0].keep_query);
  EXPECT_EQ(shop.redirects[1].from, "/blog/");
  EXPECT_TRUE(shop.redirects[1].prefix);
  EXPECT_EQ(shop.redirects[1].to, "https://blog.example/");
  EXPECT_EQ(shop.redirects[1].status, 308);
  EXPECT_FALSE(shop.redirects[1].keep_query);
  EXPECT_FALSE(shop.redirects[2].prefix);
  EXPECT_EQ(shop.redirects[2].status, 302);
  EXPECT_FALSE(shop.websocket);

  const Site& fallback = c.sites[1];
  EXPECT_EQ(fallback.name, "fallback");
  EXPECT_TRUE(fallback.is_default);
  EXPECT_TRUE(fallback.hosts.empty());
  EXPECT_TRUE(fallback.websocket);
}

TEST(LoaderTest, MinimalConfigGetsDefaults) {
  auto r = load(testing::kMinimalYaml);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const Config& c = *r.config;
  Config defaults;
  EXPECT_EQ(c.workers, 0u);
  EXPECT_EQ(c.listeners[0].name, "listener-0");
  EXPECT_TRUE(c.admin.enabled);
  EXPECT_EQ(c.admin.address.to_string(), "127.0.0.1:9901");
  EXPECT_EQ(c.admin.token, "");
  EXPECT_EQ(c.access_log.path, "stdout");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_TRUE(c.trusted_proxies.empty());
  EXPECT_EQ(c.limits.max_request_line, defaults.limits.max_request_line);
  EXPECT_EQ(c.limits.max_header_bytes, defaults.limits.max_header_bytes);
  EXPECT_EQ(c.limits.max_body_bytes, 100u << 20);
  EXPECT_EQ(c.limits.max_connections, 20000u);
  EXPECT_EQ(c.timeouts.header_read, seconds(10));
  EXPECT_EQ(c.timeouts.shutdown_grace, seconds(10));
  EXPECT_FALSE(c.allow_connect);
  EXPECT_TRUE(c.modules.empty());
  ASSERT_EQ(c.sites.size(), 1u);
  EXPECT_FALSE(c.sites[0].is_default);
  EXPECT_TRUE(c.sites[0].websocket);
  EXPECT_TRUE(c.sites[0].request_headers.empty());
  EXPECT_TRUE(c.sites[0].redirects.empty());
}

TEST(LoaderTest, WorkersAuto) {
  auto r = load("workers: auto\n" + std::string(testing::kMinimalYaml));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config->workers, 0u);
  r = load("workers: 256\n" + std::string(testing::kMinimalYaml));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config->workers, 256u);
}

TEST(LoaderTest, EmptySectionsMeanDefaults) {
  // A section whose keys are all commented out is null in YAML.
  auto r = load(std::string(testing::kMinimalYaml) +
                "limits:\n  # max_body_bytes: 1MiB\ntimeouts:\nmodules:\ntrusted_proxies:\n"
                "admin:\naccess_log:\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config->limits.max_body_bytes, 100u << 20);
}

TEST(LoaderTest, AdminCanBeDisabledAndTokenEmpty) {
  auto r = load(std::string(testing::kMinimalYaml) + "admin:\n  enabled: false\n  token: \"\"\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_FALSE(r.config->admin.enabled);
  EXPECT_EQ(r.config->admin.token, "");
}

TEST(LoaderTest, AnchorsAndAliasesAreUsable) {
  auto r = load(yaml(R"(
listeners: [{address: "127.0.0.1:8080"}]
sites:
  - name: a
    hosts: [a.example]
    origin: &origin {endpoints: [127.0.0.1:9000]}
    response_headers: &common
      - set: {name: X-Frame-Options, value: DENY}
  - name: b
    hosts: [b.example]
    origin: *origin
    response_headers: *common
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  ASSERT_NE(r.config->pool("site:b"), nullptr);
  EXPECT_EQ(r.config->pool("site:b")->endpoints.at(0).address.port, 9000);
  EXPECT_EQ(r.config->sites[1].response_headers[0].value, "DENY");
}

TEST(LoaderTest, TopLevelXKeysHoldSharedValues) {
  auto r = load(yaml(R"(
x-origin: &origin {endpoints: [127.0.0.1:9000]}
x-unused: {anything: [goes, here]}
listeners: [{address: "127.0.0.1:8080"}]
sites:
  - {name: a, hosts: [a.example], origin: *origin}
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  // Only at the top level: elsewhere an x- key is as unknown as any other.
  auto nested = load(std::string(testing::kMinimalYaml) + "limits:\n  x-note: 1\n");
  ASSERT_FALSE(nested.ok());
  EXPECT_TRUE(testing::has_error_at(nested, 9, 3, "unknown key \"x-note\""));
}

TEST(EmbeddedDemoTest, LoadsWithoutErrors) {
  auto r = load_string(embedded_demo_config(), "<embedded>");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.version, "demo");
  EXPECT_EQ(c.source, "<embedded>");
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].address.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(c.admin.address.to_string(), "127.0.0.1:9901");
  EXPECT_EQ(c.admin.token, "demo-admin-token-change-me");
  EXPECT_EQ(c.access_log.path, "stdout");
  ASSERT_EQ(c.sites.size(), 1u);
  const Site& s = c.sites[0];
  EXPECT_EQ(s.name, "demo");
  EXPECT_TRUE(s.is_default);
  EXPECT_EQ(s.hosts, (std::vector<std::string>{"localhost", "127.0.0.1", "*.localhost"}));
  EXPECT_EQ(s.origin.pools, (std::vector<std::string>{"demo"}));
  const Pool* demo_pool = c.pool("demo");
  ASSERT_NE(demo_pool, nullptr);
  ASSERT_EQ(demo_pool->endpoints.size(), 2u);
  EXPECT_EQ(demo_pool->endpoints[0].address.to_string(), "127.0.0.1:8081");
  EXPECT_EQ(demo_pool->endpoints[1].address.to_string(), "127.0.0.1:8082");
  EXPECT_TRUE(demo_pool->health_check.enabled);
  ASSERT_EQ(s.request_headers.size(), 1u);
  EXPECT_EQ(s.request_headers[0].op, HeaderOp::kSet);
  EXPECT_EQ(s.request_headers[0].name, "X-Edge");
  EXPECT_EQ(s.request_headers[0].value, "rampart");
  ASSERT_EQ(s.response_headers.size(), 2u);
  EXPECT_EQ(s.response_headers[0].name, "X-Served-By");
  EXPECT_EQ(s.response_headers[1].op, HeaderOp::kRemove);
  EXPECT_EQ(s.response_headers[1].name, "X-Powered-By");
  ASSERT_EQ(s.redirects.size(), 1u);
  EXPECT_EQ(s.redirects[0].from, "/old");
  EXPECT_EQ(s.redirects[0].to, "/");
  EXPECT_EQ(s.redirects[0].status, 301);
}

TEST(VersionTest, DerivedFromContentHashWhenAbsent) {
  std::string text(testing::kMinimalYaml);
  auto a = load(text);
  auto b = load(text);
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string& v = a.config->version;
  ASSERT_EQ(v.size(), 13u);
  EXPECT_EQ(v[0], 'h');
  EXPECT_EQ(v.find_first_not_of("0123456789abcdef", 1), std::string::npos) << v;
  EXPECT_EQ(v, b.config->version);  // stable
  // Any change to the bytes, even a comment, is a new version.
  auto c = load(text + "# comment\n");
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c.config->version, v);
  // The value is pinned so a change of hash function or of truncation is noticed.
  auto pinned = load_string(
      "listeners: [{address: 127.0.0.1:1}]\nsites: [{name: a, hosts: [a],"
      " origin: {endpoints: [127.0.0.1:2]}}]\n",
      "pinned.yaml");
  ASSERT_TRUE(pinned.ok()) << all_errors(pinned);
  // XXH64 seed 0 of the bytes above is d10880de5ac1534a.
  EXPECT_EQ(pinned.config->version, "hd10880de5ac1");
}

TEST(VersionTest, ExplicitVersionWins) {
  auto r = load("version: \"42\"\n" + std::string(testing::kMinimalYaml));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config->version, "42");
}

TEST(LoadFileTest, ReadsAFileAndNamesIt) {
  auto path = std::filesystem::temp_directory_path() / "rampart_loader_test.yaml";
  {
    std::ofstream out(path);
    out << testing::kMinimalYaml;
  }
  auto r = load_file(path.string());
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config->source, path.string());
  std::filesystem::remove(path);
}

TEST(LoadFileTest, MissingFileIsOneDiagnosticAtLineZero) {
  auto r = load_file("/nonexistent/rampart.yaml");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, "/nonexistent/rampart.yaml");
  EXPECT_EQ(r.errors[0].line, 0);
  EXPECT_NE(r.errors[0].to_string().find("/nonexistent/rampart.yaml: error: cannot open"),
            std::string::npos)
      << r.errors[0].to_string();
}

TEST(LoadFileTest, DirectoryIsAnError) {
  auto r = load_file(std::filesystem::temp_directory_path().string());
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 0);
}

TEST(ExamplesTest, EveryShippedExampleLoads) {
  // The examples are documentation users copy; each must stay valid.
  auto dir = std::filesystem::path(__FILE__).parent_path() / "../../../examples";
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++count;
    auto r = load_file(entry.path().string());
    EXPECT_TRUE(r.ok()) << entry.path() << "\n" << all_errors(r);
  }
  EXPECT_GE(count, 3);
}

TEST(DiagnosticTest, Format) {
  Diagnostic d{"a.yaml", 3, 7, "boom"};
  EXPECT_EQ(d.to_string(), "a.yaml:3:7: error: boom");
  Diagnostic whole{"a.yaml", 0, 0, "cannot open"};
  EXPECT_EQ(whole.to_string(), "a.yaml: error: cannot open");
}

TEST(HostPortTest, ToString) {
  EXPECT_EQ((HostPort{"10.0.0.1", 80}).to_string(), "10.0.0.1:80");
  EXPECT_EQ((HostPort{"::1", 443}).to_string(), "[::1]:443");
  EXPECT_EQ((HostPort{"example.com", 8080}).to_string(), "example.com:8080");
}

}  // namespace
}  // namespace rampart::config
