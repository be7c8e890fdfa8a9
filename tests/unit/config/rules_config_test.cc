// Firewall rules in the config: the rule schema, rule ids and skip references across
// the config, and the positions kept for expressions (action parameters are in
// action_parameters_test.cc).

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using testing::account_rule;
using testing::all_errors;
using testing::has_error_at;
using testing::kHeadYaml;
using testing::load;
using testing::load_body;
using testing::yaml;

// ---- the rule schema ----

TEST(RulesTest, AccountRuleWithDefaults) {
  auto r = load_body(R"(
firewall:
  rules:
    - id: block-wp-admin
      expression: http.request.uri.path wildcard "/wp-admin*"
      action: block
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  ASSERT_EQ(r.config->firewall.rules.size(), 1u);
  const Rule& rule = account_rule(r, 0);
  EXPECT_EQ(rule.id, "block-wp-admin");
  EXPECT_EQ(rule.expression.text, "http.request.uri.path wildcard \"/wp-admin*\"");
  EXPECT_EQ(rule.action, RuleAction::kBlock);
  EXPECT_EQ(rule.description, "");
  EXPECT_TRUE(rule.enabled);
  EXPECT_TRUE(rule.logging);
  EXPECT_EQ(rule.line, 5);
  EXPECT_EQ(rule.column, 7);
  EXPECT_EQ(rule.parameters.status_code, 403);
  EXPECT_EQ(rule.parameters.content_type, "");
  EXPECT_EQ(rule.parameters.content, "");
  EXPECT_EQ(rule.parameters.redirect_status, 302);
  EXPECT_FALSE(rule.parameters.preserve_query_string);
  EXPECT_FALSE(rule.parameters.target_url);
  EXPECT_TRUE(r.config->sites[0].firewall.rules.empty());
}

TEST(RulesTest, EveryKeyOfARule) {
  auto r = load_body(R"(
firewall:
  rules:
    - id: first
      description: "Log the admin area"
      expression: http.host eq "a"
      action: log
      enabled: false
      logging: false
    - {id: second, expression: "true", action: allow}
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  ASSERT_EQ(r.config->firewall.rules.size(), 2u);
  const Rule& first = account_rule(r, 0);
  EXPECT_EQ(first.description, "Log the admin area");
  EXPECT_EQ(first.action, RuleAction::kLog);
  EXPECT_FALSE(first.enabled);
  EXPECT_FALSE(first.logging);
  EXPECT_EQ(account_rule(r, 1).id, "second");
  EXPECT_EQ(account_rule(r, 1).action, RuleAction::kAllow);
  EXPECT_EQ(account_rule(r, 1).line, 11);
}

TEST(RulesTest, SiteRules) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
sites:
  - name: shop
    hosts: [shop.example]
    origin: {endpoints: [127.0.0.1:1]}
    firewall:
      rules:
        - id: shop-block
          expression: ip.src in $blocked
          action: block
  - name: blog
    hosts: [blog.example]
    origin: {endpoints: [127.0.0.1:1]}
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  ASSERT_EQ(r.config->sites[0].firewall.rules.size(), 1u);
  EXPECT_EQ(r.config->sites[0].firewall.rules[0].id, "shop-block");
  EXPECT_EQ(r.config->sites[0].firewall.rules[0].line, 8);
  EXPECT_TRUE(r.config->sites[1].firewall.rules.empty());
  EXPECT_TRUE(r.config->firewall.rules.empty());
}

TEST(RulesTest, EmptyFirewallSectionsAreEmptyRulesets) {
  auto r = load_body("firewall:\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_TRUE(r.config->firewall.rules.empty());
  auto empty_rules = load_body("firewall: {rules: []}\n");
  ASSERT_TRUE(empty_rules.ok()) << all_errors(empty_rules);
}

TEST(RulesTest, ActionNames) {
  const std::pair<std::string_view, RuleAction> kAll[] = {
      {"block", RuleAction::kBlock},
      {"allow", RuleAction::kAllow},
      {"log", RuleAction::kLog},
      {"skip", RuleAction::kSkip},
      {"challenge", RuleAction::kChallenge},
      {"js_challenge", RuleAction::kJsChallenge},
      {"managed_challenge", RuleAction::kManagedChallenge},
      {"redirect", RuleAction::kRedirect},
      {"rewrite", RuleAction::kRewrite},
  };
  for (const auto& [name, action] : kAll) {
    EXPECT_EQ(rule_action_name(action), name);
    std::string params;
    if (action == RuleAction::kSkip) params = ", action_parameters: {remaining_rules: true}";
    if (action == RuleAction::kRedirect) params = ", action_parameters: {target_url: /}";
    if (action == RuleAction::kRewrite) params = ", action_parameters: {path: /}";
    auto r = load_body("firewall: {rules: [{id: r, expression: x, action: " + std::string(name) +
                       params + "}]}\n");
    ASSERT_TRUE(r.ok()) << name << "\n" << all_errors(r);
    EXPECT_EQ(account_rule(r, 0).action, action) << name;
  }
}

TEST(RulesTest, RequiredKeys) {
  auto r = load_body(R"(
firewall:
  rules:
    - description: nothing else
    - just a string
)");
  EXPECT_TRUE(has_error_at(r, 5, 7, "firewall.rules[0]: missing required key \"id\""));
  EXPECT_TRUE(has_error_at(r, 5, 7, "firewall.rules[0]: missing required key \"expression\""));
  EXPECT_TRUE(has_error_at(r, 5, 7, "firewall.rules[0]: missing required key \"action\""));
  EXPECT_TRUE(has_error_at(r, 6, 7,
                           "firewall.rules[1]: expected a rule map with id, expression and "
                           "action, got \"just a string\""));
  EXPECT_EQ(r.errors.size(), 4u) << all_errors(r);
}

TEST(RulesTest, BadValues) {
  auto r = load_body(R"(
firewall:
  rules:
    - id: "not an id"
      expression: ""
      action: blokc
      enabled: yes
      expresion: x
    - id: r2
      expression: "   "
      action: [block]
      description: [a]
)");
  EXPECT_TRUE(has_error_at(r, 5, 11, "\"not an id\" is not a valid rule id"));
  EXPECT_TRUE(has_error_at(r, 6, 19, "firewall.rules[0].expression: the expression is empty"));
  EXPECT_TRUE(has_error_at(r, 7, 15, "\"blokc\" is not one of: block, allow, log, skip"));
  EXPECT_TRUE(has_error_at(r, 7, 15, "did you mean \"block\"?"));
  EXPECT_TRUE(has_error_at(r, 8, 16, "firewall.rules[0].enabled:"));
  EXPECT_TRUE(has_error_at(r, 9, 7, "unknown key \"expresion\"; did you mean \"expression\"?"));
  EXPECT_TRUE(has_error_at(r, 11, 19, "the expression is empty"));
  EXPECT_TRUE(has_error_at(r, 12, 15, "firewall.rules[1].action: expected a string, got a list"));
  EXPECT_TRUE(has_error_at(r, 13, 20, "expected a string, got a list"));
  EXPECT_EQ(r.errors.size(), 8u) << all_errors(r);
}

TEST(RulesTest, ExpressionAndDescriptionSizeCaps) {
  std::string at_cap(16 << 10, 'a');
  auto ok = load_body("firewall: {rules: [{id: r, action: log, expression: " + at_cap + "}]}\n");
  ASSERT_TRUE(ok.ok()) << all_errors(ok).substr(0, 500);
  EXPECT_EQ(account_rule(ok, 0).expression.text.size(), 16u << 10);
  auto over = load_body("firewall: {rules: [{id: r, action: log, expression: " + at_cap + "b}]}\n");
  EXPECT_TRUE(has_error_at(over, 3, 53, "the expression is 16385 bytes; the limit is 16KiB"));

  std::string text(1024, 'd');
  auto desc_ok = load_body(
      "firewall: {rules: [{id: r, action: log, expression: x, description: " + text + "}]}\n");
  ASSERT_TRUE(desc_ok.ok()) << all_errors(desc_ok).substr(0, 500);
  auto desc_over = load_body(
      "firewall: {rules: [{id: r, action: log, expression: x, description: " + text + "d}]}\n");
  EXPECT_TRUE(has_error_at(desc_over, 3, 69, "the description is 1025 bytes; the limit is 1024"));
}

TEST(RulesTest, RulesPerRulesetCap) {
  auto make = [](size_t n) {
    std::string text = std::string(kHeadYaml) + "firewall:\n  rules:\n";
    for (size_t i = 0; i < n; ++i) {
      text += "    - {id: r" + std::to_string(i) + ", expression: x, action: log}\n";
    }
    return text;
  };
  auto at_cap = load(make(10'000));
  ASSERT_TRUE(at_cap.ok()) << all_errors(at_cap).substr(0, 500);
  EXPECT_EQ(at_cap.config->firewall.rules.size(), 10'000u);
  auto over = load(make(10'001));
  EXPECT_TRUE(has_error_at(over, 5, 5, "too many rules: 10001 (the limit is 10000)"));
  EXPECT_EQ(over.errors.size(), 1u);
}

TEST(RulesTest, UnknownFirewallKey) {
  auto r = load_body("firewall:\n  rule: []\n");
  EXPECT_TRUE(has_error_at(r, 4, 3, "unknown key \"rule\"; did you mean \"rules\"?"));
  auto site = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
sites:
  - name: a
    hosts: [a.example]
    origin: {endpoints: [127.0.0.1:1]}
    firewal: {rules: []}
)"));
  EXPECT_TRUE(has_error_at(site, 6, 5, "unknown key \"firewal\"; did you mean \"firewall\"?"));
}

// ---- rule ids and skip references across the config ----

constexpr std::string_view kTwoSitesWithRules = R"(
listeners: [{address: 127.0.0.1:8080}]
firewall:
  rules:
    - {id: acct-1, expression: x, action: skip, action_parameters: {rules: [RULE_A]}}
    - {id: acct-2, expression: x, action: log}
sites:
  - name: shop
    hosts: [shop.example]
    origin: {endpoints: [127.0.0.1:1]}
    firewall:
      rules:
        - {id: shop-1, expression: x, action: skip, action_parameters: {rules: [RULE_S]}}
        - {id: shop-2, expression: x, action: log}
  - name: blog
    hosts: [blog.example]
    origin: {endpoints: [127.0.0.1:1]}
    firewall:
      rules:
        - {id: blog-1, expression: x, action: log}
)";

LoadResult load_skips(std::string_view account_target, std::string_view shop_target) {
  std::string text = yaml(kTwoSitesWithRules);
  text.replace(text.find("RULE_A"), 6, account_target);
  text.replace(text.find("RULE_S"), 6, shop_target);
  return load(text);
}

TEST(RuleIdsTest, SkipToLaterRules) {
  // An account rule may skip later account rules and the rules of any site.
  for (auto target : {"acct-2", "shop-1", "shop-2", "blog-1"}) {
    auto r = load_skips(target, "shop-2");
    EXPECT_TRUE(r.ok()) << target << "\n" << all_errors(r);
  }
}

TEST(RuleIdsTest, SkipToEarlierOrOtherScopeIsRefused) {
  auto self = load_skips("acct-1", "shop-2");
  EXPECT_TRUE(has_error_at(self, 4, 77,
                           "firewall.rules[0].action_parameters.rules[0]: skip refers to rule "
                           "\"acct-1\" which does not come after this rule (line 4, column 12); "
                           "config-wide rules may skip later config-wide rules and the rules of "
                           "any site"));
  EXPECT_EQ(self.errors.size(), 1u) << all_errors(self);
  auto to_account = load_skips("acct-2", "acct-2");
  EXPECT_TRUE(has_error_at(to_account, 12, 81,
                           "sites[0].firewall.rules[0].action_parameters.rules[0]: skip refers to "
                           "rule \"acct-2\" which does not come after this rule (line 5, column "
                           "12); a site's rules may skip only later rules of the same site"));
  auto to_other_site = load_skips("acct-2", "blog-1");
  EXPECT_TRUE(has_error_at(to_other_site, 12, 81, "skip refers to rule \"blog-1\" which does not"));
  auto to_itself = load_skips("acct-2", "shop-1");
  EXPECT_TRUE(has_error_at(to_itself, 12, 81, "skip refers to rule \"shop-1\" which does not"));
}

TEST(RuleIdsTest, SkipToUnknownId) {
  auto r = load_skips("nope", "shop-2");
  EXPECT_TRUE(has_error_at(r, 4, 77,
                           "firewall.rules[0].action_parameters.rules[0]: no rule has the id "
                           "\"nope\""));
  EXPECT_EQ(r.errors.size(), 1u) << all_errors(r);
}

TEST(RuleIdsTest, DuplicateIdsAcrossTheConfig) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
firewall:
  rules:
    - {id: dup, expression: x, action: log}
    - {id: dup, expression: x, action: log}
sites:
  - name: shop
    hosts: [shop.example]
    origin: {endpoints: [127.0.0.1:1]}
    firewall:
      rules:
        - {id: dup, expression: x, action: log}
  - name: blog
    hosts: [blog.example]
    origin: {endpoints: [127.0.0.1:1]}
    firewall:
      rules:
        - {id: only-blog, expression: x, action: log}
        - {id: only-blog, expression: x, action: log}
)"));
  EXPECT_TRUE(has_error_at(r, 5, 12,
                           "firewall.rules[1].id: \"dup\" is already the id of another rule (line "
                           "4, column 12)"));
  EXPECT_TRUE(has_error_at(r, 12, 16,
                           "sites[0].firewall.rules[0].id: \"dup\" is already the id of another "
                           "rule (line 4, column 12)"));
  EXPECT_TRUE(has_error_at(r, 19, 16,
                           "sites[1].firewall.rules[1].id: \"only-blog\" is already the id of "
                           "another rule (line 18, column 16)"));
  EXPECT_EQ(r.errors.size(), 3u) << all_errors(r);
}

// ---- positions inside expressions ----

// The file position of `token` inside the rule's expression, as the rules compiler
// would compute it for an error at that token.
SourceText::Position locate_token(const SourceText& st, std::string_view token) {
  size_t offset = st.text.find(token);
  EXPECT_NE(offset, std::string::npos) << token;
  return st.locate(offset);
}

#define EXPECT_POSITION(pos, l, c) \
  do {                             \
    auto p_ = (pos);               \
    EXPECT_EQ(p_.line, l);         \
    EXPECT_EQ(p_.column, c);       \
  } while (0)

TEST(SourceTextTest, PlainScalar) {
  auto r = load_body(R"(
firewall:
  rules:
    - id: a
      action: log
      expression: http.host eq "shop.example"   # a comment
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const SourceText& st = account_rule(r, 0).expression;
  EXPECT_EQ(st.text, "http.host eq \"shop.example\"");
  EXPECT_EQ(st.line, 7);
  EXPECT_EQ(st.column, 19);
  ASSERT_EQ(st.lines.size(), 1u);
  EXPECT_POSITION(locate_token(st, "eq"), 7, 29);
  EXPECT_POSITION(locate_token(st, "\"shop"), 7, 32);
  EXPECT_POSITION(st.locate(st.text.size()), 7, 46);  // just past the end
}

TEST(SourceTextTest, QuotedScalars) {
  auto r = load_body(R"(
firewall:
  rules:
    - {id: a, action: log, expression: 'http.host eq "a"'}
    - {id: b, action: log, expression: "http.host eq 'b'"}
    - {id: c, action: log, expression: "http.host eq \"c\""}
    - {id: d, action: log, expression: 'it''s'}
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const SourceText& single = account_rule(r, 0).expression;
  EXPECT_EQ(single.line, 5);
  EXPECT_EQ(single.column, 40);  // the quote
  EXPECT_POSITION(locate_token(single, "http"), 5, 41);
  EXPECT_POSITION(locate_token(single, "\"a\""), 5, 54);
  const SourceText& dbl = account_rule(r, 1).expression;
  EXPECT_POSITION(locate_token(dbl, "'b'"), 6, 54);
  // Escapes make the value differ from the file: positions fall back to the value.
  const SourceText& escaped = account_rule(r, 2).expression;
  EXPECT_EQ(escaped.text, "http.host eq \"c\"");
  EXPECT_TRUE(escaped.lines.empty());
  EXPECT_POSITION(locate_token(escaped, "\"c\""), 7, 40);
  const SourceText& doubled = account_rule(r, 3).expression;
  EXPECT_EQ(doubled.text, "it's");
  EXPECT_TRUE(doubled.lines.empty());
  EXPECT_POSITION(doubled.locate(3), 8, 40);
}

TEST(SourceTextTest, LiteralBlock) {
  auto r = load_body(R"(
firewall:
  rules:
    - id: a
      action: block
      expression: |
        http.request.uri.path wildcard "/admin*"

          and not ip.src in $office
      enabled: true
    - id: b
      action: block
      expression: |-   # stripped
          ip.src in $bad
          or http.host eq "x"
    - id: c
      action: block
      expression: |+
        cf.threat_score gt 10


    - {id: d, action: log, expression: x}
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const SourceText& a = account_rule(r, 0).expression;
  EXPECT_EQ(a.text, "http.request.uri.path wildcard \"/admin*\"\n\n  and not ip.src in $office\n");
  EXPECT_EQ(a.line, 7);
  EXPECT_EQ(a.column, 19);  // the "|"
  ASSERT_EQ(a.lines.size(), 3u);
  EXPECT_POSITION(locate_token(a, "http"), 8, 9);
  EXPECT_POSITION(locate_token(a, "wildcard"), 8, 31);
  EXPECT_POSITION(locate_token(a, "and"), 10, 11);
  EXPECT_POSITION(locate_token(a, "$office"), 10, 29);
  EXPECT_POSITION(a.locate(a.text.size()), 10, 37);  // past the final newline

  const SourceText& b = account_rule(r, 1).expression;
  EXPECT_EQ(b.text, "ip.src in $bad\nor http.host eq \"x\"");
  EXPECT_POSITION(locate_token(b, "$bad"), 15, 21);
  EXPECT_POSITION(locate_token(b, "\"x\""), 16, 27);
  EXPECT_POSITION(b.locate(b.text.size()), 16, 30);

  const SourceText& c = account_rule(r, 2).expression;
  EXPECT_EQ(c.text, "cf.threat_score gt 10\n\n\n");
  EXPECT_POSITION(locate_token(c, "10"), 20, 28);
}

TEST(SourceTextTest, FoldedAndMultiLineFallBackToTheValue) {
  auto r = load_body(R"(
firewall:
  rules:
    - id: a
      action: log
      expression: >
        http.host eq "a"
        and ssl
    - id: b
      action: log
      expression: http.host eq "b"
        and ssl
    - id: c
      action: log
      expression: &shared http.host eq "c"
    - id: d
      action: log
      expression: |2
          indented
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const SourceText& folded = account_rule(r, 0).expression;
  EXPECT_EQ(folded.text, "http.host eq \"a\" and ssl\n");
  EXPECT_TRUE(folded.lines.empty());
  EXPECT_POSITION(locate_token(folded, "ssl"), 7, 19);
  const SourceText& plain = account_rule(r, 1).expression;
  EXPECT_EQ(plain.text, "http.host eq \"b\" and ssl");
  EXPECT_TRUE(plain.lines.empty());
  EXPECT_POSITION(locate_token(plain, "ssl"), 12, 19);
  const SourceText& anchored = account_rule(r, 2).expression;
  EXPECT_TRUE(anchored.lines.empty());
  EXPECT_POSITION(locate_token(anchored, "\"c\""), 16, 19);
  const SourceText& indicator = account_rule(r, 3).expression;
  EXPECT_EQ(indicator.text, "  indented\n");
  EXPECT_TRUE(indicator.lines.empty());
}

TEST(SourceTextTest, DynamicValueExpression) {
  auto r = load_body(R"(
firewall:
  rules:
    - id: a
      expression: x
      action: rewrite
      action_parameters:
        path: {expression: 'concat("/v2", http.request.uri.path)'}
        query:
          expression: |
            http.request.uri.query
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const ActionParameters& p = account_rule(r, 0).parameters;
  ASSERT_TRUE(p.rewrite_path && p.rewrite_path->expression);
  EXPECT_POSITION(locate_token(*p.rewrite_path->expression, "http"), 9, 43);
  ASSERT_TRUE(p.rewrite_query && p.rewrite_query->expression);
  EXPECT_POSITION(locate_token(*p.rewrite_query->expression, "query"), 12, 30);
}

TEST(SourceTextTest, LocateByHand) {
  SourceText st;
  st.text = "a\nbb\nccc";
  st.line = 7;
  st.column = 3;
  EXPECT_POSITION(st.locate(5), 7, 3);  // no lines: the value's start
  st.lines = {{0, 10, 5}, {2, 11, 5}, {5, 12, 7}};
  EXPECT_POSITION(st.locate(0), 10, 5);
  EXPECT_POSITION(st.locate(1), 10, 6);
  EXPECT_POSITION(st.locate(2), 11, 5);
  EXPECT_POSITION(st.locate(3), 11, 6);
  EXPECT_POSITION(st.locate(7), 12, 9);
  EXPECT_POSITION(st.locate(8), 12, 10);
}

}  // namespace
}  // namespace rampart::config
