#include "seclang/parser_syntax.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "seclang/ast.h"

namespace rampart::seclang {
namespace {

std::vector<VariableRef> vars(const std::string& text) {
  std::vector<VariableRef> out;
  const std::string error = parse_variables(text, out);
  EXPECT_EQ(error, "") << text;
  return out;
}

std::string vars_error(const std::string& text) {
  std::vector<VariableRef> out;
  return parse_variables(text, out);
}

std::vector<Action> actions(const std::string& text) {
  std::vector<Action> out;
  const std::string error = parse_actions(text, out);
  EXPECT_EQ(error, "") << text;
  return out;
}

std::string actions_error(const std::string& text) {
  std::vector<Action> out;
  return parse_actions(text, out);
}

OperatorSpec op(const std::string& text) {
  OperatorSpec out;
  EXPECT_EQ(parse_operator(text, out), "") << text;
  return out;
}

// --- variables ---------------------------------------------------------------------

TEST(ParseVariables, CrsStyleListWithExclusionsRegexesAndXPath) {
  const auto v = vars("REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/|ARGS_NAMES|ARGS|XML:/*");
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0].collection, "REQUEST_COOKIES");
  EXPECT_EQ(v[0].selector, "");
  EXPECT_FALSE(v[0].exclude);
  EXPECT_TRUE(v[1].exclude);
  EXPECT_TRUE(v[1].selector_is_regex);
  EXPECT_EQ(v[1].selector, "__utm");
  EXPECT_EQ(v[2].collection, "ARGS_NAMES");
  EXPECT_EQ(v[4].collection, "XML");
  EXPECT_EQ(v[4].selector, "/*");
  EXPECT_FALSE(v[4].selector_is_regex);
}

TEST(ParseVariables, CountsNamedSelectorsAndRegexSelectors) {
  const auto v = vars("&TX:foo|REQUEST_HEADERS:User-Agent|TX:/^MSC_/|XML://@*");
  ASSERT_EQ(v.size(), 4u);
  EXPECT_TRUE(v[0].count);
  EXPECT_EQ(v[0].collection, "TX");
  EXPECT_EQ(v[0].selector, "foo");
  EXPECT_EQ(v[1].selector, "User-Agent");
  EXPECT_FALSE(v[1].selector_is_regex);
  EXPECT_TRUE(v[2].selector_is_regex);
  EXPECT_EQ(v[2].selector, "^MSC_");
  EXPECT_EQ(v[3].selector, "//@*");
  EXPECT_FALSE(v[3].selector_is_regex);
}

TEST(ParseVariables, RegexSelectorMayHoldPipesAndEscapedSlashes) {
  const auto v = vars(R"(ARGS:/^(a|b)\/c$/|ARGS_NAMES)");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_TRUE(v[0].selector_is_regex);
  EXPECT_EQ(v[0].selector, R"(^(a|b)\/c$)");
  EXPECT_EQ(v[1].collection, "ARGS_NAMES");
}

TEST(ParseVariables, SlashThatDoesNotEndTheEntryIsNoRegex) {
  const auto v = vars("XML:/*|ARGS:/x/");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].selector, "/*");
  EXPECT_FALSE(v[0].selector_is_regex);
  EXPECT_EQ(v[1].selector, "x");
  EXPECT_TRUE(v[1].selector_is_regex);
}

TEST(ParseVariables, SingleQuotedSelectors) {
  const auto v = vars("ARGS:'user name'|!REQUEST_HEADERS:'/^x-/'|ARGS:'it\\'s'");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].selector, "user name");
  EXPECT_FALSE(v[0].selector_is_regex);
  EXPECT_TRUE(v[1].exclude);
  EXPECT_TRUE(v[1].selector_is_regex);
  EXPECT_EQ(v[1].selector, "^x-");
  EXPECT_EQ(v[2].selector, "it\\'s");
}

// ModSecurity 3.0.9 refuses blanks in a variable list, quoted or not.
TEST(ParseVariables, BlanksAreErrorsOutsideQuotedAndRegexSelectors) {
  EXPECT_NE(vars_error("ARGS | ARGS_NAMES"), "");
  EXPECT_NE(vars_error("ARGS|\tREQUEST_URI"), "");
  EXPECT_NE(vars_error(" ARGS"), "");
  EXPECT_NE(vars_error("ARGS "), "");
  const auto v = vars("ARGS:'a b'|ARGS:/x y/");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].selector, "a b");
  EXPECT_EQ(v[1].selector, "x y");
}

TEST(ParseVariables, Errors) {
  EXPECT_NE(vars_error(""), "");
  EXPECT_NE(vars_error("ARGS|"), "");
  EXPECT_NE(vars_error("ARGS||ARGS_NAMES"), "");
  EXPECT_NE(vars_error("!&ARGS"), "");
  EXPECT_NE(vars_error("!!ARGS"), "");
  EXPECT_NE(vars_error("ARGS:"), "");
  EXPECT_NE(vars_error("TX://"), "");
  EXPECT_NE(vars_error("ARGS;x"), "");
  EXPECT_NE(vars_error("ARGS:'x"), "");
  EXPECT_NE(vars_error("ARGS ARGS_NAMES"), "");
  EXPECT_NE(vars_error("ARGS:'a'b"), "");
}

// --- operator ----------------------------------------------------------------------

TEST(ParseOperator, Forms) {
  OperatorSpec o = op("@rx ^a b$");
  EXPECT_EQ(o.name, "rx");
  EXPECT_EQ(o.argument, "^a b$");
  EXPECT_FALSE(o.negated);
  o = op("!@rx x");
  EXPECT_TRUE(o.negated);
  EXPECT_EQ(o.argument, "x");
  o = op("^(?:GET|HEAD)$");
  EXPECT_EQ(o.name, "rx");
  EXPECT_EQ(o.argument, "^(?:GET|HEAD)$");
  EXPECT_FALSE(o.negated);
  o = op("!foo");
  EXPECT_TRUE(o.negated);
  EXPECT_EQ(o.name, "rx");
  EXPECT_EQ(o.argument, "foo");
  o = op("@unconditionalMatch");
  EXPECT_EQ(o.name, "unconditionalMatch");
  EXPECT_EQ(o.argument, "");
  o = op("!@within %{tx.x}");
  EXPECT_TRUE(o.negated);
  EXPECT_EQ(o.name, "within");
  EXPECT_EQ(o.argument, "%{tx.x}");
  o = op("  !@contains x");
  EXPECT_TRUE(o.negated);
  EXPECT_EQ(o.name, "contains");
  o = op(" bare");
  EXPECT_EQ(o.name, "rx");
  EXPECT_EQ(o.argument, " bare");
  o = op("@pm  two spaces");
  EXPECT_EQ(o.argument, " two spaces");
}

TEST(ParseOperator, Errors) {
  OperatorSpec o;
  EXPECT_NE(parse_operator("@", o), "");
  EXPECT_NE(parse_operator("!@ x", o), "");
  EXPECT_NE(parse_operator("@rx:x", o), "");
}

// --- actions -----------------------------------------------------------------------

TEST(ParseActions, ValuesFlagsAndQuotedCommas) {
  const auto a = actions("id:1,phase:2,t:none,t:lowercase,block,msg:'a, b',chain");
  ASSERT_EQ(a.size(), 7u);
  EXPECT_EQ(a[0].name, "id");
  EXPECT_EQ(a[0].value, "1");
  EXPECT_TRUE(a[0].has_value);
  EXPECT_EQ(a[2].value, "none");
  EXPECT_EQ(a[3].value, "lowercase");
  EXPECT_EQ(a[4].name, "block");
  EXPECT_FALSE(a[4].has_value);
  EXPECT_EQ(a[5].value, "a, b");
  EXPECT_EQ(a[6].name, "chain");
}

TEST(ParseActions, CtlSetvarAndEscapedQuotes) {
  const auto a = actions(
      "ctl:ruleRemoveTargetByTag=xyz;ARGS:password,"
      "setvar:'tx.anomaly_score_pl1=+%{tx.critical_anomaly_score}',"
      "msg:'prefix \\'UP\\' seen',logdata:'',id:'42'");
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a[0].name, "ctl");
  EXPECT_EQ(a[0].value, "ruleRemoveTargetByTag=xyz;ARGS:password");
  EXPECT_EQ(a[1].value, "tx.anomaly_score_pl1=+%{tx.critical_anomaly_score}");
  EXPECT_EQ(a[2].value, "prefix \\'UP\\' seen");
  EXPECT_TRUE(a[3].has_value);
  EXPECT_EQ(a[3].value, "");
  EXPECT_EQ(a[4].value, "42");
}

TEST(ParseActions, BlanksAroundActionsAndEmptyList) {
  const auto a = actions("  id:1 ,  phase: 2,\tpass  ");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1].value, "2");
  EXPECT_EQ(a[2].name, "pass");
  EXPECT_TRUE(actions("").empty());
  EXPECT_TRUE(actions("   ").empty());
}

TEST(ParseActions, Errors) {
  EXPECT_NE(actions_error("id:1,,phase:2"), "");
  EXPECT_NE(actions_error("id:1,"), "");
  EXPECT_NE(actions_error("msg:'open"), "");
  EXPECT_NE(actions_error("msg:'a'b"), "");
  EXPECT_NE(actions_error("pass deny"), "");
  EXPECT_NE(actions_error(":x"), "");
}

TEST(RuleIds, IdsAndRanges) {
  EXPECT_TRUE(is_rule_id_or_range("942100"));
  EXPECT_TRUE(is_rule_id_or_range("1-10"));
  EXPECT_TRUE(is_rule_id_or_range("5-5"));
  EXPECT_FALSE(is_rule_id_or_range("10-1"));
  EXPECT_FALSE(is_rule_id_or_range("1-"));
  EXPECT_FALSE(is_rule_id_or_range("-1"));
  EXPECT_FALSE(is_rule_id_or_range("abc"));
  EXPECT_FALSE(is_rule_id_or_range(""));
  EXPECT_FALSE(is_rule_id_or_range("1234567890123456789012"));
}

}  // namespace
}  // namespace rampart::seclang
