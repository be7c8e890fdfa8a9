// Every check reports an error at the position of the offending node, and a file with
// many problems reports all of them.

#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using testing::all_errors;
using testing::find_error;
using testing::has_error_at;
using testing::load;
using testing::yaml;

// ---- YAML syntax and document shape ----

TEST(SyntaxTest, YamlErrorBecomesDiagnosticWithPosition) {
  auto r = load(yaml(R"(
listeners:
  - address: 127.0.0.1:8080
sites: [a, b
)"));
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1u) << all_errors(r);
  EXPECT_NE(r.errors[0].message.find("YAML syntax"), std::string::npos);
  EXPECT_EQ(r.errors[0].file, "test.yaml");
  EXPECT_EQ(r.errors[0].line, 4);  // yaml-cpp notices at the end of input
  EXPECT_GE(r.errors[0].column, 1);
}

TEST(SyntaxTest, BadIndentation) {
  auto r = load("listeners:\n  - address: 1.2.3.4:80\n   bad: x\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors[0].line, 3) << all_errors(r);
}

TEST(SyntaxTest, EmptyFileAndNonMapRoot) {
  auto empty = load("");
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(find_error(empty, "empty")) << all_errors(empty);
  auto comment = load("# nothing here\n");
  ASSERT_FALSE(comment.ok());
  EXPECT_TRUE(find_error(comment, "empty")) << all_errors(comment);
  auto list = load("- a\n- b\n");
  ASSERT_FALSE(list.ok());
  EXPECT_TRUE(has_error_at(list, 1, 1, "expected a map, got a list"));
  auto scalar = load("hello");
  EXPECT_TRUE(has_error_at(scalar, 1, 1, "expected a map"));
}

TEST(SyntaxTest, MoreThanOneDocumentIsRefused) {
  auto r = load(std::string(testing::kMinimalYaml) + "---\nlisteners: []\n");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(find_error(r, "more than one YAML document")) << all_errors(r);
  EXPECT_EQ(r.errors[0].line, 8);
}

TEST(SyntaxTest, NonScalarKey) {
  auto r = load(std::string(testing::kMinimalYaml) + "? [a, b]\n: c\n");
  EXPECT_TRUE(has_error_at(r, 8, 3, "keys must be plain strings"));
}

TEST(SyntaxTest, SelfReferencingAliasDoesNotHang) {
  // yaml-cpp builds a cycle for this; the walker must not follow it forever.
  auto r = load(std::string(testing::kMinimalYaml) + "trusted_proxies: &a [*a]\n");
  EXPECT_TRUE(has_error_at(r, 8, 22, "an alias refers to the node that contains it (a cycle)"));
  auto nested = load(std::string(testing::kMinimalYaml) + "x: &a {b: [1, {c: *a}]}\n");
  EXPECT_TRUE(has_error_at(nested, 8, 19, "(a cycle)"));
}

// ---- keys ----

TEST(KeysTest, UnknownKeyWithSuggestion) {
  auto r = load(yaml(R"(
listeners:
  - address: 127.0.0.1:8080
    nmae: x
timeout:
  header_read: 5s
sites:
  - name: one
    hosts: [one.example]
    origin:
      endpoints: [127.0.0.1:9000]
    redirect: []
)"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 3, 5, "unknown key \"nmae\"; did you mean \"name\"?"));
  EXPECT_TRUE(has_error_at(r, 4, 1, "unknown key \"timeout\"; did you mean \"timeouts\"?"));
  EXPECT_TRUE(has_error_at(r, 11, 5, "unknown key \"redirect\"; did you mean \"redirects\"?"));
  EXPECT_EQ(r.errors.size(), 3u) << all_errors(r);
}

TEST(KeysTest, CaseMistakeIsSuggested) {
  auto r = load("Listeners: []\n" + std::string(testing::kMinimalYaml));
  EXPECT_TRUE(has_error_at(r, 1, 1, "did you mean \"listeners\"?"));
}

TEST(KeysTest, UnknownKeyWithoutCloseMatchListsKnownKeys) {
  auto r = load(std::string(testing::kMinimalYaml) + "zzzzzz: 1\n");
  const Diagnostic* d = find_error(r, "unknown key \"zzzzzz\"");
  ASSERT_TRUE(d) << all_errors(r);
  EXPECT_EQ(d->line, 8);
  EXPECT_EQ(d->message.find("did you mean"), std::string::npos);
  EXPECT_NE(d->message.find("expected one of:"), std::string::npos);
}

TEST(KeysTest, DuplicateKey) {
  auto r = load(std::string(testing::kMinimalYaml) + "log_level: info\nlog_level: debug\n");
  EXPECT_TRUE(has_error_at(r, 9, 1, "key \"log_level\" is repeated; the first is at line 8"));
  auto nested = load(yaml(R"(
listeners:
  - address: 127.0.0.1:8080
    address: 127.0.0.1:8081
sites: [{name: a, hosts: [a.example], origin: {endpoints: [127.0.0.1:1]}}]
)"));
  EXPECT_TRUE(has_error_at(nested, 3, 5, "repeated"));
}

TEST(KeysTest, MissingRequiredKeysAtParentMap) {
  auto r = load("log_level: info\n");
  EXPECT_TRUE(has_error_at(r, 1, 1, "missing required key \"listeners\""));
  EXPECT_TRUE(has_error_at(r, 1, 1, "missing required key \"sites\""));
  auto site = load(yaml(R"(
listeners: [{address: "127.0.0.1:8080"}]
sites:
  - websocket: true
  - name: b
    hosts: [b.example]
    origin: {}
)"));
  EXPECT_TRUE(has_error_at(site, 3, 5, "sites[0]: missing required key \"name\""));
  EXPECT_TRUE(has_error_at(site, 3, 5, "sites[0]: missing required key \"hosts\""));
  EXPECT_TRUE(has_error_at(site, 3, 5, "sites[0]: missing required key \"origin\""));
  EXPECT_TRUE(has_error_at(site, 6, 13, "sites[1].origin: missing required key \"endpoints\""));
}

// ---- types ----

TEST(TypesTest, WrongTypesNameWhatWasFound) {
  auto r = load(yaml(R"(
listeners: {address: 127.0.0.1:8080}
sites:
  - name: [a]
    hosts: one.example
    default: 1
    websocket: yes
    origin:
      endpoints: [127.0.0.1:9000]
limits:
  max_header_count: [1]
  max_body_bytes: 1.5MiB
timeouts: 10s
allow_connect: "maybe"
)"));
  EXPECT_TRUE(has_error_at(r, 1, 12, "listeners: expected a list, got a map"));
  EXPECT_TRUE(has_error_at(r, 3, 11, "sites[0].name: expected a string, got a list"));
  EXPECT_TRUE(has_error_at(r, 4, 12, "sites[0].hosts: expected a list, got \"one.example\""));
  EXPECT_TRUE(has_error_at(r, 5, 14, "sites[0].default: expected true or false, got \"1\""));
  EXPECT_TRUE(has_error_at(r, 6, 16, "expected true or false, got \"yes\""));
  EXPECT_TRUE(has_error_at(r, 10, 21, "limits.max_header_count: expected a whole number"));
  EXPECT_TRUE(has_error_at(r, 11, 19, "limits.max_body_bytes: \"1.5MiB\" has an unknown unit"));
  EXPECT_TRUE(has_error_at(r, 12, 11, "timeouts: expected a map, got \"10s\""));
  EXPECT_TRUE(has_error_at(r, 13, 16, "allow_connect: expected true or false"));
}

TEST(TypesTest, EmptyScalarValueIsReportedAtItsKey) {
  auto r = load(std::string(testing::kMinimalYaml) + "log_level:\nallow_connect:\n");
  EXPECT_TRUE(has_error_at(r, 8, 1, "log_level: expected a string, got nothing"));
  EXPECT_TRUE(has_error_at(r, 9, 1, "allow_connect: expected true or false, got nothing"));
}

// ---- top level values ----

TEST(ValuesTest, VersionWorkersLogLevel) {
  auto r = load("version: \"has space\"\nworkers: 257\nlog_level: verbose\n" +
                std::string(testing::kMinimalYaml));
  EXPECT_TRUE(has_error_at(r, 1, 10, "is not a valid version"));
  EXPECT_TRUE(has_error_at(r, 2, 10, "expected \"auto\" or a number from 1 to 256, got \"257\""));
  EXPECT_TRUE(has_error_at(r, 3, 12, "\"verbose\" is not one of: trace, debug, info, warn, error"));
  auto zero = load("workers: 0\nversion: " + std::string(65, 'v') + "\n" +
                   std::string(testing::kMinimalYaml));
  EXPECT_TRUE(has_error_at(zero, 1, 10, "number from 1 to 256"));
  EXPECT_TRUE(has_error_at(zero, 2, 10, "is not a valid version"));
  auto warning = load("log_level: warning\n" + std::string(testing::kMinimalYaml));
  EXPECT_TRUE(has_error_at(warning, 1, 12, "did you mean \"warn\"?"));
}

// ---- listeners and admin ----

TEST(ListenersTest, AtLeastOne) {
  auto r =
      load("listeners: []\nsites: [{name: a, hosts: [a.b], origin: {endpoints: [1.2.3.4:5]}}]\n");
  EXPECT_TRUE(has_error_at(r, 1, 12, "at least one listener is needed"));
  auto null =
      load("listeners:\nsites: [{name: a, hosts: [a.b], origin: {endpoints: [1.2.3.4:5]}}]\n");
  EXPECT_TRUE(has_error_at(null, 1, 1, "at least one listener is needed"));
}

TEST(ListenersTest, AddressSyntax) {
  auto r = load(yaml(R"(
listeners:
  - address: 127.0.0.1
  - address: 127.0.0.1:0
  - address: 127.0.0.1:65536
  - address: example.com:80
  - address: ::1:80
  - address: "[::1]:80"
  - address: "*:81"
  - name: "bad name"
    address: 10.0.0.1:82
sites: [{name: a, hosts: [a.example], origin: {endpoints: [127.0.0.1:1]}}]
)"));
  EXPECT_TRUE(has_error_at(r, 2, 14, "listeners[0].address: \"127.0.0.1\" needs a port"));
  EXPECT_TRUE(has_error_at(r, 3, 14, "invalid port \"0\" (expected 1-65535)"));
  EXPECT_TRUE(has_error_at(r, 4, 14, "invalid port \"65536\""));
  EXPECT_TRUE(has_error_at(r, 5, 14, "the host must be an IP address, \"localhost\" or \"*\""));
  EXPECT_TRUE(has_error_at(r, 6, 14, "write an IPv6 address in brackets"));
  EXPECT_TRUE(has_error_at(r, 9, 11, "is not a valid name"));
  EXPECT_EQ(r.errors.size(), 6u) << all_errors(r);
}

TEST(ListenersTest, DuplicateAndOverlappingAddresses) {
  auto r = load(yaml(R"(
listeners:
  - name: a
    address: 127.0.0.1:8080
  - name: b
    address: localhost:8080
  - name: c
    address: 0.0.0.0:9000
  - name: d
    address: 10.0.0.1:9000
  - name: e
    address: "[::]:9000"
  - name: a
    address: "[::1]:9001"
sites: [{name: s, hosts: [s.example], origin: {endpoints: [127.0.0.1:1]}}]
)"));
  EXPECT_TRUE(has_error_at(r, 5, 14, "127.0.0.1:8080 is already used by listener \"a\" (line 3"));
  EXPECT_TRUE(has_error_at(r, 9, 14, "10.0.0.1:9000 overlaps listener \"c\" on 0.0.0.0:9000"));
  EXPECT_TRUE(
      has_error_at(r, 12, 11, "listeners[5].name: \"a\" is already the name of listeners[0]"));
  // [::]:9000 is another family than 0.0.0.0:9000: not a clash here.
  EXPECT_EQ(r.errors.size(), 3u) << all_errors(r);
}

TEST(AdminTest, AddressMustNotEqualAListener) {
  auto r = load(yaml(R"(
listeners:
  - name: pub
    address: 127.0.0.1:8080
admin:
  address: localhost:8080
sites: [{name: s, hosts: [s.example], origin: {endpoints: [127.0.0.1:1]}}]
)"));
  EXPECT_TRUE(has_error_at(r, 5, 12,
                           "admin.address: 127.0.0.1:8080 is the same as the address of "
                           "listener \"pub\""));
  // The default admin address clashes too; then the listener is blamed.
  auto d = load(yaml(R"(
listeners:
  - address: 0.0.0.0:9901
sites: [{name: s, hosts: [s.example], origin: {endpoints: [127.0.0.1:1]}}]
)"));
  EXPECT_TRUE(has_error_at(d, 2, 14, "overlaps the admin address 127.0.0.1:9901 (the default"));
  // A refused admin address is one error, not also a clash of the default.
  auto bad = load(yaml(R"(
listeners:
  - address: 0.0.0.0:9901
admin: {address: "not an address"}
sites: [{name: s, hosts: [s.example], origin: {endpoints: [127.0.0.1:1]}}]
)"));
  ASSERT_EQ(bad.errors.size(), 1u) << all_errors(bad);
  EXPECT_TRUE(has_error_at(bad, 3, 18, "admin.address: \"not an address\" needs a port"));
  // A disabled admin listens nowhere.
  auto off = load(yaml(R"(
listeners:
  - address: 0.0.0.0:9901
admin: {enabled: false}
sites: [{name: s, hosts: [s.example], origin: {endpoints: [127.0.0.1:1]}}]
)"));
  EXPECT_TRUE(off.ok()) << all_errors(off);
}

TEST(AdminTest, TokenRules) {
  auto r = load(std::string(testing::kMinimalYaml) +
                "admin:\n  token: short-token\n  enabled: on\n  address: admin.local:1\n");
  EXPECT_TRUE(has_error_at(r, 9, 10, "the token is 11 characters; use at least 16"));
  EXPECT_TRUE(has_error_at(r, 10, 12, "expected true or false, got \"on\""));
  EXPECT_TRUE(has_error_at(r, 11, 12, "the host must be an IP address"));
  auto spaces =
      load(std::string(testing::kMinimalYaml) + "admin:\n  token: \"0123456789 abcdefgh\"\n");
  EXPECT_TRUE(has_error_at(spaces, 9, 10, "visible ASCII"));
  auto exactly16 = load(std::string(testing::kMinimalYaml) + "admin:\n  token: 0123456789abcdef\n");
  EXPECT_TRUE(exactly16.ok()) << all_errors(exactly16);
}

// ---- access log, trusted proxies, modules ----

TEST(AccessLogTest, PathRules) {
  for (std::string_view ok : {"stdout", "off", "/var/log/a.log", "relative.log"}) {
    auto r =
        load(std::string(testing::kMinimalYaml) + "access_log:\n  path: " + std::string(ok) + "\n");
    ASSERT_TRUE(r.ok()) << ok << all_errors(r);
    EXPECT_EQ(r.config->access_log.path, ok);
  }
  auto r = load(std::string(testing::kMinimalYaml) + "access_log:\n  path: \"\"\n  file: x\n");
  EXPECT_TRUE(has_error_at(r, 9, 9, "expected stdout, off or a file path"));
  EXPECT_TRUE(has_error_at(r, 10, 3, "access_log: unknown key \"file\""));
  auto ctl = load(std::string(testing::kMinimalYaml) + "access_log: {path: \"/tmp/a\\nb\"}\n");
  EXPECT_TRUE(has_error_at(ctl, 8, 20, "control characters"));
}

TEST(TrustedProxiesTest, EachEntryIsACidrOrAddress) {
  auto r = load(std::string(testing::kMinimalYaml) + yaml(R"(
trusted_proxies:
  - 10.0.0.0/8
  - 10.0.0.0/33
  - ::1
  - fe80::/129
  - 10.0.0.1/8
  - not-an-ip
  - {a: b}
)"));
  EXPECT_TRUE(
      has_error_at(r, 10, 5, "trusted_proxies[1]: \"10.0.0.0/33\" is not an IP address or CIDR"));
  EXPECT_TRUE(has_error_at(r, 12, 5, "\"fe80::/129\""));
  EXPECT_TRUE(has_error_at(r, 14, 5, "\"not-an-ip\""));
  EXPECT_TRUE(has_error_at(r, 15, 5, "trusted_proxies[6]: expected a string, got a map"));
  EXPECT_EQ(r.errors.size(), 4u) << all_errors(r);
  auto single = load(std::string(testing::kMinimalYaml) + "trusted_proxies: 10.0.0.0/8\n");
  EXPECT_TRUE(has_error_at(single, 8, 18, "expected a list"));
}

TEST(ModulesTest, KeysArePhaseNames) {
  auto r = load(std::string(testing::kMinimalYaml) + yaml(R"(
modules:
  ratelimit: {enabled: true}
  waf: {enabled: maybe, fail_mode: shut, mode: x}
  bot: true
  firewall: {fail_mode: closed}
)"));
  EXPECT_TRUE(has_error_at(r, 9, 3, "modules: unknown key \"ratelimit\""));
  EXPECT_TRUE(find_error(r, "did you mean \"rate_limit\"?"));
  EXPECT_TRUE(has_error_at(r, 10, 18, "modules.waf.enabled: expected true or false"));
  EXPECT_TRUE(
      has_error_at(r, 10, 36, "modules.waf.fail_mode: \"shut\" is not one of: open, closed"));
  EXPECT_TRUE(has_error_at(r, 10, 42, "modules.waf: unknown key \"mode\""));
  EXPECT_TRUE(has_error_at(r, 11, 8, "modules.bot: expected a map, got \"true\""));
  EXPECT_EQ(r.errors.size(), 5u) << all_errors(r);
  for (std::string_view phase :
       {"normalize", "ip_access", "ddos_l7", "firewall", "rate_limit", "bot", "waf", "transform",
        "cache_lookup", "origin", "cache_store", "response_transform", "compression", "log"}) {
    auto ok = load(std::string(testing::kMinimalYaml) + "modules:\n  " + std::string(phase) +
                   ": {enabled: false, fail_mode: closed}\n");
    ASSERT_TRUE(ok.ok()) << phase << all_errors(ok);
    EXPECT_FALSE(ok.config->module(phase).enabled);
  }
}

// ---- limits and timeouts ----

TEST(LimitsTest, Ranges) {
  auto r = load(std::string(testing::kMinimalYaml) + yaml(R"(
limits:
  max_request_line: 255
  max_header_bytes: 2MiB
  max_header_count: 10001
  max_body_bytes: -1
  max_connections: 0
  max_connections_per_ip: 0
  max_requests_per_connection: 4294967296
)"));
  EXPECT_TRUE(has_error_at(
      r, 9, 21, "limits.max_request_line: \"255\" is out of range (256 bytes to 64KiB)"));
  EXPECT_TRUE(has_error_at(r, 10, 21, "\"2MiB\" is out of range (1KiB to 1MiB)"));
  EXPECT_TRUE(has_error_at(r, 11, 21, "10001 is out of range (1 to 10000)"));
  EXPECT_TRUE(has_error_at(r, 12, 19, "\"-1\" is not a size"));
  EXPECT_TRUE(has_error_at(r, 13, 20, "0 is out of range (1 to"));
  EXPECT_TRUE(has_error_at(r, 14, 27, "0 is out of range (1 to"));
  EXPECT_TRUE(has_error_at(r, 15, 32, "4294967296 is out of range (0 to 4294967295)"));
  EXPECT_EQ(r.errors.size(), 7u) << all_errors(r);
}

TEST(LimitsTest, Boundaries) {
  auto r = load(std::string(testing::kMinimalYaml) + yaml(R"(
limits:
  max_request_line: 64KiB
  max_header_bytes: 1MiB
  max_header_count: 10000
  max_body_bytes: 0
  max_connections: 1
  max_connections_per_ip: 1
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config->limits.max_body_bytes, 0u);
  auto low = load(std::string(testing::kMinimalYaml) +
                  "limits: {max_request_line: 256, max_header_bytes: 1KiB, max_header_count: 1}\n");
  ASSERT_TRUE(low.ok()) << all_errors(low);
}

TEST(LimitsTest, Relations) {
  auto r = load(std::string(testing::kMinimalYaml) + yaml(R"(
limits:
  max_request_line: 16KiB
  max_header_bytes: 8KiB
  max_connections: 100
  max_connections_per_ip: 101
)"));
  EXPECT_TRUE(has_error_at(r, 10, 21,
                           "limits.max_header_bytes (8KiB) must be at least "
                           "limits.max_request_line (16KiB)"));
  EXPECT_TRUE(has_error_at(r, 12, 27,
                           "limits.max_connections_per_ip (101) must not exceed "
                           "limits.max_connections (100)"));
  // Only one side written: the other is the default, and the written one is blamed.
  auto one = load(std::string(testing::kMinimalYaml) + "limits:\n  max_request_line: 64KiB\n");
  EXPECT_TRUE(has_error_at(one, 9, 21, "(32KiB) must be at least"));
  // A per-IP cap left at its default follows a smaller total cap.
  auto conns = load(std::string(testing::kMinimalYaml) + "limits:\n  max_connections: 100\n");
  ASSERT_TRUE(conns.ok());
  EXPECT_EQ(conns.config->limits.max_connections_per_ip, 100u);
}

TEST(TimeoutsTest, PositiveAndAtMostADay) {
  auto r = load(std::string(testing::kMinimalYaml) + yaml(R"(
timeouts:
  header_read: 0
  body_read: 0ms
  client_idle: 25h
  send: 86401s
  upstream_connect: ten
  upstream_first_byte: 10 s
  upstream_idle: 2d
  shutdown_grace: 24h
  connect: 1s
)"));
  EXPECT_TRUE(has_error_at(
      r, 9, 16, "timeouts.header_read: \"0\" is out of range (more than 0, at most 24h)"));
  EXPECT_TRUE(has_error_at(r, 10, 14, "\"0ms\" is out of range"));
  EXPECT_TRUE(has_error_at(r, 11, 16, "\"25h\" is out of range"));
  EXPECT_TRUE(has_error_at(r, 12, 9, "\"86401s\" is out of range"));
  EXPECT_TRUE(has_error_at(r, 13, 21, "timeouts.upstream_connect: \"ten\" is not a duration"));
  EXPECT_TRUE(has_error_at(r, 14, 24, "unknown unit \" s\""));
  EXPECT_TRUE(has_error_at(r, 15, 18, "\"2d\" is out of range"));
  EXPECT_TRUE(has_error_at(r, 17, 3, "timeouts: unknown key \"connect\"; did you mean"));
  EXPECT_EQ(r.errors.size(), 8u) << all_errors(r);
}

}  // namespace
}  // namespace rampart::config
