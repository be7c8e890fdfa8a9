// Firewall rule action parameters in the config: the keys each action takes, their
// values and defaults, and the errors for keys of another action.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using testing::account_rule;
using testing::all_errors;
using testing::find_error;
using testing::has_error_at;
using testing::load_body;

TEST(ActionParametersTest, Block) {
  auto r = load_body(R"(
firewall:
  rules:
    - id: custom
      expression: x
      action_parameters:
        status_code: 429
        content_type: application/json
        content: '{"error": "slow down"}'
      action: block
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const ActionParameters& p = account_rule(r, 0).parameters;
  EXPECT_EQ(p.status_code, 429);
  EXPECT_EQ(p.content_type, "application/json");
  EXPECT_EQ(p.content, "{\"error\": \"slow down\"}");
}

TEST(ActionParametersTest, BlockErrors) {
  auto r = load_body(R"(
firewall:
  rules:
    - id: a
      expression: x
      action: block
      action_parameters:
        status_code: 302
        content_type: text/css
        path: /x
    - id: b
      expression: x
      action: block
      action_parameters:
        content: sorry
    - id: c
      expression: x
      action: block
      action_parameters: {staus_code: 403}
)");
  EXPECT_TRUE(has_error_at(r, 9, 22, "302 is out of range (400 to 599)"));
  EXPECT_TRUE(has_error_at(
      r, 10, 23, "\"text/css\" is not one of: text/html, text/plain, application/json, text/xml"));
  EXPECT_TRUE(has_error_at(r, 11, 9,
                           "firewall.rules[0].action_parameters: \"path\" is not a parameter of "
                           "the block action; it takes: status_code, content_type, content"));
  EXPECT_TRUE(has_error_at(r, 16, 9,
                           "firewall.rules[1].action_parameters: missing required key "
                           "\"content_type\" (a block with content needs its type)"));
  EXPECT_TRUE(has_error_at(r, 20, 27,
                           "\"staus_code\" is not a parameter of the block action; it takes: "
                           "status_code, content_type, content; did you mean \"status_code\"?"));
  EXPECT_EQ(r.errors.size(), 5u) << all_errors(r);
}

TEST(ActionParametersTest, BlockContentCap) {
  std::string content(32 << 10, 'x');
  auto rule = [&](const std::string& c) {
    return load_body(
        "firewall: {rules: [{id: a, expression: x, action: block, "
        "action_parameters: {content_type: text/plain, content: " +
        c + "}}]}\n");
  };
  auto ok = rule(content);
  ASSERT_TRUE(ok.ok()) << all_errors(ok).substr(0, 500);
  EXPECT_EQ(account_rule(ok, 0).parameters.content.size(), 32u << 10);
  auto over = rule(content + "x");
  EXPECT_TRUE(has_error_at(over, 3, 113, "the content is 32769 bytes; the limit is 32KiB"));
}

TEST(ActionParametersTest, ActionsWithoutParameters) {
  auto ok = load_body(R"(
firewall:
  rules:
    - {id: a, expression: x, action: allow, action_parameters: {}}
    - {id: b, expression: x, action: managed_challenge, action_parameters: }
)");
  ASSERT_TRUE(ok.ok()) << all_errors(ok);
  auto r = load_body(R"(
firewall:
  rules:
    - id: a
      expression: x
      action: js_challenge
      action_parameters:
        status_code: 403
)");
  EXPECT_TRUE(has_error_at(
      r, 9, 9, "\"status_code\" is not a parameter of the js_challenge action, which takes none"));
  auto not_a_map = load_body(
      "firewall: {rules: [{id: a, expression: x, action: log, "
      "action_parameters: [x]}]}\n");
  EXPECT_TRUE(has_error_at(not_a_map, 3, 75, "action_parameters: expected a map, got a list"));
}

TEST(ActionParametersTest, ParametersOfAnUnknownActionAreNotJudged) {
  auto r = load_body(
      "firewall: {rules: [{id: a, expression: x, action: blok, "
      "action_parameters: {anything: 1}}]}\n");
  ASSERT_EQ(r.errors.size(), 1u) << all_errors(r);
  EXPECT_TRUE(find_error(r, "\"blok\" is not one of"));
}

TEST(ActionParametersTest, Skip) {
  auto r = load_body(R"(
firewall:
  rules:
    - id: trusted
      expression: ip.src in $office
      action: skip
      action_parameters:
        rules: [later]
        phases: [rate_limit, waf]
        remaining_rules: true
    - {id: later, expression: x, action: log}
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const ActionParameters& p = account_rule(r, 0).parameters;
  EXPECT_EQ(p.skip_rules, std::vector<std::string>{"later"});
  EXPECT_EQ(p.skip_phases, (std::vector<std::string>{"rate_limit", "waf"}));
  EXPECT_TRUE(p.skip_remaining_rules);
}

TEST(ActionParametersTest, SkipWafRules) {
  auto r = load_body(R"(
firewall:
  rules:
    - id: notes
      expression: x
      action: skip
      action_parameters:
        waf_rules: [942100, "941000-941999"]
    - id: bad
      expression: x
      action: skip
      action_parameters:
        waf_rules: ["9-1", abc, 0]
)");
  EXPECT_TRUE(has_error_at(r, 14, 21, "\"9-1\" is not a rule id or an id range"));
  EXPECT_TRUE(has_error_at(r, 14, 28, "\"abc\" is not a rule id or an id range"));
  EXPECT_TRUE(has_error_at(r, 14, 33, "\"0\" is not a rule id or an id range"));
  EXPECT_EQ(r.errors.size(), 3u) << all_errors(r);
  auto ok = load_body(R"(
firewall:
  rules:
    - id: notes
      expression: x
      action: skip
      action_parameters:
        waf_rules: [942100, "941000-941999"]
)");
  ASSERT_TRUE(ok.ok()) << all_errors(ok);
  const ActionParameters& p = account_rule(ok, 0).parameters;
  EXPECT_EQ(p.skip_waf_rules,
            (std::vector<std::pair<int64_t, int64_t>>{{942100, 942100}, {941000, 941999}}));
}

TEST(ActionParametersTest, SkipErrors) {
  auto r = load_body(R"(
firewall:
  rules:
    - {id: a, expression: x, action: skip}
    - id: b
      expression: x
      action: skip
      action_parameters:
        remaining_rules: false
    - id: c
      expression: x
      action: skip
      action_parameters:
        phases: [waf, cache, waf]
        rules: ["bad id"]
)");
  EXPECT_TRUE(has_error_at(r, 5, 7,
                           "firewall.rules[0].action_parameters: a skip rule needs at least one "
                           "of: rules (ids of later rules), phases (rate_limit, bot, waf), "
                           "remaining_rules: true, waf_rules (managed rule ids)"));
  EXPECT_TRUE(has_error_at(r, 10, 9, "firewall.rules[1].action_parameters: a skip rule needs"));
  EXPECT_TRUE(has_error_at(r, 15, 23, "\"cache\" is not one of: rate_limit, bot, waf"));
  EXPECT_TRUE(has_error_at(r, 15, 30, "phase \"waf\" is listed twice"));
  EXPECT_TRUE(has_error_at(r, 16, 17, "\"bad id\" is not a valid rule id"));
  EXPECT_EQ(r.errors.size(), 5u) << all_errors(r);
}

TEST(ActionParametersTest, Redirect) {
  auto r = load_body(R"(
firewall:
  rules:
    - id: to-https
      expression: not ssl
      action: redirect
      action_parameters:
        target_url: https://shop.example/
        status_code: 308
        preserve_query_string: true
    - id: computed
      expression: x
      action: redirect
      action_parameters:
        target_url: {expression: 'concat("https://", http.host, http.request.uri.path)'}
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const ActionParameters& p = account_rule(r, 0).parameters;
  ASSERT_TRUE(p.target_url);
  EXPECT_EQ(p.target_url->literal, "https://shop.example/");
  EXPECT_FALSE(p.target_url->expression);
  EXPECT_EQ(p.redirect_status, 308);
  EXPECT_TRUE(p.preserve_query_string);
  const ActionParameters& q = account_rule(r, 1).parameters;
  ASSERT_TRUE(q.target_url && q.target_url->expression);
  EXPECT_EQ(q.target_url->expression->text,
            "concat(\"https://\", http.host, http.request.uri.path)");
  EXPECT_EQ(q.target_url->expression->line, 16);
  EXPECT_EQ(q.target_url->expression->column, 34);  // the quote
  EXPECT_EQ(q.redirect_status, 302);
  EXPECT_FALSE(q.preserve_query_string);
}

TEST(ActionParametersTest, RedirectErrors) {
  auto r = load_body(R"(
firewall:
  rules:
    - {id: a, expression: x, action: redirect}
    - id: b
      expression: x
      action: redirect
      action_parameters:
        target_url: shop.example/x
        status_code: 304
    - id: c
      expression: x
      action: redirect
      action_parameters:
        target_url: {expr: x}
    - id: d
      expression: x
      action: redirect
      action_parameters:
        target_url: //evil.example/
    - id: e
      expression: x
      action: redirect
      action_parameters:
        target_url: [a]
)");
  EXPECT_TRUE(has_error_at(r, 5, 7,
                           "firewall.rules[0].action_parameters: missing required key "
                           "\"target_url\" (a redirect needs a target)"));
  EXPECT_TRUE(has_error_at(r, 10, 21,
                           "\"shop.example/x\" must be a path starting with \"/\" or an http:// "
                           "or https:// URL"));
  EXPECT_TRUE(
      has_error_at(r, 11, 22, "304 is not a redirect status; use 301, 302, 303, 307 or 308"));
  EXPECT_TRUE(has_error_at(r, 16, 22, "unknown key \"expr\"; did you mean \"expression\"?"));
  EXPECT_TRUE(has_error_at(r, 16, 21, "target_url: missing required key \"expression\""));
  EXPECT_TRUE(has_error_at(r, 21, 21, "would send clients to another host"));
  EXPECT_TRUE(has_error_at(r, 26, 21, "expected a URL, a path or {expression: ...}, got a list"));
  EXPECT_EQ(r.errors.size(), 7u) << all_errors(r);
}

TEST(ActionParametersTest, Rewrite) {
  auto r = load_body(R"(
firewall:
  rules:
    - id: a
      expression: x
      action: rewrite
      action_parameters:
        path: /new
        query: a=1&b=2
    - id: b
      expression: x
      action: rewrite
      action_parameters:
        query: ""
    - id: c
      expression: x
      action: rewrite
      action_parameters:
        path: {expression: lower(http.request.uri.path)}
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const ActionParameters& a = account_rule(r, 0).parameters;
  ASSERT_TRUE(a.rewrite_path && a.rewrite_query);
  EXPECT_EQ(a.rewrite_path->literal, "/new");
  EXPECT_EQ(a.rewrite_query->literal, "a=1&b=2");
  const ActionParameters& b = account_rule(r, 1).parameters;
  EXPECT_FALSE(b.rewrite_path);
  ASSERT_TRUE(b.rewrite_query);
  EXPECT_EQ(b.rewrite_query->literal, "");  // removes the query
  const ActionParameters& c = account_rule(r, 2).parameters;
  ASSERT_TRUE(c.rewrite_path && c.rewrite_path->expression);
  EXPECT_EQ(c.rewrite_path->expression->text, "lower(http.request.uri.path)");
}

TEST(ActionParametersTest, RewriteErrors) {
  auto r = load_body(R"(
firewall:
  rules:
    - {id: a, expression: x, action: rewrite, action_parameters: {}}
    - id: b
      expression: x
      action: rewrite
      action_parameters:
        path: new
        query: "?a=1"
    - id: c
      expression: x
      action: rewrite
      action_parameters:
        path: /a?b
        query: a b
        target_url: /x
)");
  EXPECT_TRUE(has_error_at(r, 5, 66,
                           "firewall.rules[0].action_parameters: a rewrite rule needs path, query "
                           "or both"));
  EXPECT_TRUE(has_error_at(r, 10, 15, "\"new\" must be a path starting with \"/\""));
  EXPECT_TRUE(has_error_at(r, 11, 16, "write the query without the leading \"?\""));
  EXPECT_TRUE(has_error_at(r, 16, 15, "the path may not hold \"?\" or \"#\""));
  EXPECT_TRUE(has_error_at(r, 17, 16, "\"a b\" contains spaces or control characters"));
  EXPECT_TRUE(has_error_at(r, 18, 9,
                           "\"target_url\" is not a parameter of the rewrite action; it takes: "
                           "path, query"));
  EXPECT_EQ(r.errors.size(), 6u) << all_errors(r);
}

}  // namespace
}  // namespace rampart::config
