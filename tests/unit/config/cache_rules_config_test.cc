// A site's cache rules: settings parsed into CacheRuleSettings, and every mistake
// reported at its line and column.

#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using testing::all_errors;
using testing::has_error_at;
using testing::load;
using testing::yaml;

TEST(CacheRulesConfigTest, ReadsEverySetting) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
sites:
  - name: a
    default: true
    origin: {endpoints: [127.0.0.1:8081]}
    cache:
      enabled: false
      rules:
        - id: static
          expression: starts_with(http.request.uri.path, "/static/")
          action: set_cache_settings
          action_parameters:
            cache: true
            edge_ttl:
              mode: override_origin
              default: 1h
              status_code_ttl:
                - {status_code: 404, value: 60}
                - {status_code_range: {from: 500, to: 599}, value: 0}
            browser_ttl: {mode: override_origin, default: 600}
            cache_key:
              ignore_query_strings_order: true
              cache_deception_armor: true
              custom_key:
                query_string: {exclude: [utm_source, utm_medium]}
                header: {include: [X-Device]}
                cookie: {include: [lang]}
                host: {resolved: true}
            serve_stale: {disable_stale_while_updating: true}
        - id: no-admin
          expression: starts_with(http.request.uri.path, "/admin")
          enabled: false
          action_parameters:
            cache: false
            cache_key: {custom_key: {query_string: {exclude: "*"}}}
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const SiteCache& c = r.config->sites[0].cache;
  EXPECT_FALSE(c.enabled);
  ASSERT_EQ(c.rules.size(), 2u);
  const CacheRule& s = c.rules[0];
  EXPECT_EQ(s.id, "static");
  EXPECT_EQ(s.line, 9);
  const CacheRuleSettings& p = s.settings;
  EXPECT_EQ(p.cache, true);
  ASSERT_TRUE(p.edge_ttl);
  EXPECT_EQ(p.edge_ttl->mode, EdgeTtlMode::kOverrideOrigin);
  EXPECT_EQ(p.edge_ttl->default_seconds, 3600);
  ASSERT_EQ(p.edge_ttl->status_ttls.size(), 2u);
  EXPECT_EQ(p.edge_ttl->status_ttls[0].codes.low, 404);
  EXPECT_EQ(p.edge_ttl->status_ttls[0].codes.high, 404);
  EXPECT_EQ(p.edge_ttl->status_ttls[0].seconds, 60);
  EXPECT_EQ(p.edge_ttl->status_ttls[1].codes.low, 500);
  EXPECT_EQ(p.edge_ttl->status_ttls[1].codes.high, 599);
  EXPECT_EQ(p.edge_ttl->status_ttls[1].seconds, 0);
  ASSERT_TRUE(p.browser_ttl);
  EXPECT_EQ(p.browser_ttl->mode, BrowserTtlMode::kOverrideOrigin);
  EXPECT_EQ(p.browser_ttl->default_seconds, 600);
  EXPECT_EQ(p.ignore_query_strings_order, true);
  EXPECT_EQ(p.cache_deception_armor, true);
  ASSERT_TRUE(p.query_string);
  EXPECT_EQ(p.query_string->mode, QueryKeyMode::kExclude);
  EXPECT_EQ(p.query_string->names, (std::vector<std::string>{"utm_source", "utm_medium"}));
  EXPECT_EQ(p.key_headers, (std::vector<std::string>{"x-device"}));
  EXPECT_EQ(p.key_cookies, (std::vector<std::string>{"lang"}));
  EXPECT_EQ(p.host_resolved, true);
  EXPECT_EQ(p.disable_stale_while_updating, true);
  EXPECT_FALSE(p.disable_stale_if_error);

  const CacheRule& n = c.rules[1];
  EXPECT_FALSE(n.enabled);
  EXPECT_EQ(n.settings.cache, false);
  ASSERT_TRUE(n.settings.query_string);
  EXPECT_EQ(n.settings.query_string->mode, QueryKeyMode::kNone);
  // Unset settings stay unset, so a later rule overrides only what it names.
  EXPECT_FALSE(n.settings.edge_ttl);
  EXPECT_FALSE(n.settings.ignore_query_strings_order);
}

// Every mistake of one file at once, each where it was written.
TEST(CacheRulesConfigTest, MistakesAreReportedWhereTheyAre) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
sites:
  - name: a
    default: true
    origin: {endpoints: [127.0.0.1:8081]}
    cache:
      rules:
        - id: one
          expression: "true"
          action_parameters:
            edge_ttl: {mode: overide_origin, default: 60}
        - id: two
          expression: "true"
          action_parameters:
            edge_ttl:
              status_code_ttl:
                - {status_code_range: {from: 599, to: 500}, value: 10}
                - {status_code: 700, value: 10}
                - {status_code: 404}
        - id: three
          expression: "true"
          action: cache
          action_parameters:
            browser_ttl: {mode: override_origin}
            cache_key:
              custom_key:
                query_string: {include: [a], exclude: [b]}
                header: {include: [cookie]}
            serve_stale: {disable_stale_while_updatin: true}
        - id: four
          expression: "true"
          action_parameters: {}
)"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 11, 30, "did you mean \"override_origin\"")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 17, 39, "the range 599-500 is empty")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 18, 33, "700 is out of range")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 19, 19, "missing required key \"value\"")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 22, 19, "\"cache\" is not one of: set_cache_settings"))
      << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 24, 26, "missing required key \"default\"")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 27, 55, "either include or exclude")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 28, 36, "Cookie header is not a key part")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 29, 27, "did you mean \"disable_stale_while_updating\""))
      << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 32, 30, "needs at least one of")) << all_errors(r);
}

TEST(CacheRulesConfigTest, ModesAndDefaultsMustAgree) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
sites:
  - name: a
    default: true
    origin: {endpoints: [127.0.0.1:8081]}
    cache:
      rules:
        - id: one
          expression: "true"
          action_parameters:
            edge_ttl: {mode: bypass_by_default, default: 60}
            browser_ttl: {mode: bypass, default: 60}
        - id: two
          expression: "true"
          action_parameters:
            edge_ttl:
              status_code_ttl:
                - {status_code_range: {from: 400, to: 499}, value: 10}
                - {status_code: 404, value: 1.5s}
)"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 11, 58, "bypass_by_default stores only")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 12, 50, "only with mode: override_origin")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 19, 45, "\"1.5s\"")) << all_errors(r);
}

TEST(CacheRulesConfigTest, OverlappingStatusesAndDuplicateIds) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
firewall:
  rules:
    - {id: same, expression: "true", action: log}
sites:
  - name: a
    default: true
    origin: {endpoints: [127.0.0.1:8081]}
    cache:
      rules:
        - id: same
          expression: "true"
          action_parameters:
            edge_ttl:
              status_code_ttl:
                - {status_code_range: {from: 400, to: 499}, value: 10}
                - {status_code: 404, value: 60}
)"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 17, 19, "overlap the entry at line 16")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 11, 15, "\"same\" is already the id of another rule (line 4"))
      << all_errors(r);
}

}  // namespace
}  // namespace rampart::config
