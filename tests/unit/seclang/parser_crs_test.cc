// Parses the installed OWASP CRS, its setup file and ModSecurity's base configuration
// (skipped where they are not installed) and checks what came out against the files.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "seclang/ast.h"
#include "seclang/parser.h"

namespace rampart::seclang {
namespace {

namespace fs = std::filesystem;

const char kRulesDir[] = "/usr/share/modsecurity-crs/rules";
const char kSetup[] = "/etc/modsecurity/crs/crs-setup.conf";
const char kBaseConfig[] = "/etc/nginx/modsecurity.conf";

std::vector<std::string> crs_rule_files() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kRulesDir, ec)) {
    if (entry.path().extension() == ".conf") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Counts lines whose first word is `word` (or, with `prefix`, starts with it) outside
// comments: an independent tally of the directives in CRS-style files, which start
// every directive on its own line.
size_t count_directive_lines(const std::string& path, const std::string& word,
                             bool prefix = false) {
  std::ifstream in(path);
  std::string line;
  size_t count = 0;
  while (std::getline(in, line)) {
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    if (line.compare(first, word.size(), word) != 0) continue;
    const size_t end = first + word.size();
    if (prefix || end == line.size() || line[end] == ' ') ++count;
  }
  return count;
}

std::string errors_text(const ParsedFiles& parsed) {
  std::string text;
  for (const ParseError& e : parsed.errors) text += describe(e.where) + ": " + e.message + "\n";
  return text;
}

const Action* find_action(const std::vector<Action>& actions, const std::string& name) {
  for (const Action& a : actions) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::vector<std::string> action_values(const std::vector<Action>& actions,
                                       const std::string& name) {
  std::vector<std::string> values;
  for (const Action& a : actions) {
    if (a.name == name) values.push_back(a.value);
  }
  return values;
}

const RuleDecl* find_rule(const ParsedFiles& parsed, const std::string& id) {
  for (const Directive& d : parsed.directives) {
    if (d.kind != DirectiveKind::kRule) continue;
    const Action* a = find_action(d.rule.actions, "id");
    if (a != nullptr && a->value == id) return &d.rule;
  }
  return nullptr;
}

ParsedFiles parse_all_crs() {
  ParsedFiles parsed;
  parse_file(kSetup, ParseLimits{}, parsed);
  for (const std::string& file : crs_rule_files()) parse_file(file, ParseLimits{}, parsed);
  return parsed;
}

bool crs_installed() {
  return fs::exists(kSetup) && !crs_rule_files().empty();
}

TEST(CrsParse, EveryFileParsesWithoutErrorsAndEveryDirectiveIsThere) {
  if (!crs_installed()) GTEST_SKIP() << "the CRS is not installed";
  std::vector<std::string> files = crs_rule_files();
  files.insert(files.begin(), kSetup);
  size_t total_rules = 0;
  for (const std::string& file : files) {
    ParsedFiles parsed;
    parse_file(file, ParseLimits{}, parsed);
    EXPECT_TRUE(parsed.errors.empty()) << errors_text(parsed);
    ASSERT_EQ(parsed.files, std::vector<std::string>{file});
    size_t rules = 0;
    size_t actions = 0;
    size_t markers = 0;
    for (const Directive& d : parsed.directives) {
      EXPECT_EQ(d.where.file, file);
      if (d.kind == DirectiveKind::kRule && !d.rule.is_action) rules += 1 + d.rule.chained.size();
      if (d.kind == DirectiveKind::kRule && d.rule.is_action) ++actions;
      if (d.kind == DirectiveKind::kMarker) ++markers;
    }
    EXPECT_EQ(rules, count_directive_lines(file, "SecRule")) << file;
    EXPECT_EQ(actions, count_directive_lines(file, "SecAction")) << file;
    EXPECT_EQ(markers, count_directive_lines(file, "SecMarker")) << file;
    total_rules += rules;
  }
  EXPECT_GT(total_rules, 400u);
}

TEST(CrsParse, Rule942100UsesDetectSqliOnTheCookiesHeadersAndArgs) {
  if (!crs_installed()) GTEST_SKIP() << "the CRS is not installed";
  const ParsedFiles parsed = parse_all_crs();
  ASSERT_TRUE(parsed.errors.empty()) << errors_text(parsed);
  const RuleDecl* rule = find_rule(parsed, "942100");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->op.name, "detectSQLi");
  EXPECT_EQ(rule->op.argument, "");
  EXPECT_FALSE(rule->op.negated);
  ASSERT_EQ(rule->variables.size(), 8u);
  EXPECT_EQ(rule->variables[0].collection, "REQUEST_COOKIES");
  EXPECT_TRUE(rule->variables[0].selector.empty());
  EXPECT_EQ(rule->variables[1].collection, "REQUEST_COOKIES");
  EXPECT_TRUE(rule->variables[1].exclude);
  EXPECT_TRUE(rule->variables[1].selector_is_regex);
  EXPECT_EQ(rule->variables[1].selector, "__utm");
  EXPECT_EQ(rule->variables[3].collection, "REQUEST_HEADERS");
  EXPECT_EQ(rule->variables[3].selector, "User-Agent");
  EXPECT_FALSE(rule->variables[3].selector_is_regex);
  EXPECT_EQ(rule->variables[7].collection, "XML");
  EXPECT_EQ(rule->variables[7].selector, "/*");
  EXPECT_FALSE(rule->variables[7].selector_is_regex);
  EXPECT_EQ(action_values(rule->actions, "t"),
            (std::vector<std::string>{"none", "utf8toUnicode", "urlDecodeUni", "removeNulls"}));
  EXPECT_EQ(find_action(rule->actions, "msg")->value,
            "SQL Injection Attack Detected via libinjection");
  EXPECT_TRUE(rule->chained.empty());
}

TEST(CrsParse, Rule920420CarriesItsChainedRule) {
  if (!crs_installed()) GTEST_SKIP() << "the CRS is not installed";
  const ParsedFiles parsed = parse_all_crs();
  const RuleDecl* rule = find_rule(parsed, "920420");
  ASSERT_NE(rule, nullptr);
  ASSERT_EQ(rule->variables.size(), 1u);
  EXPECT_EQ(rule->variables[0].collection, "REQUEST_HEADERS");
  EXPECT_EQ(rule->variables[0].selector, "Content-Type");
  EXPECT_EQ(rule->op.name, "rx");
  EXPECT_EQ(rule->op.argument, "^[^;\\s]+");
  EXPECT_EQ(find_action(rule->actions, "phase")->value, "2");
  EXPECT_EQ(find_action(rule->actions, "setvar")->value, "tx.content_type=|%{tx.0}|");
  ASSERT_NE(find_action(rule->actions, "chain"), nullptr);
  EXPECT_FALSE(find_action(rule->actions, "chain")->has_value);
  EXPECT_EQ(rule->actions.back().name, "chain");
  ASSERT_EQ(rule->chained.size(), 1u);
  const RuleDecl& link = rule->chained[0];
  EXPECT_EQ(link.where.line, rule->where.line + 20);
  ASSERT_EQ(link.variables.size(), 1u);
  EXPECT_EQ(link.variables[0].collection, "TX");
  EXPECT_EQ(link.variables[0].selector, "content_type");
  EXPECT_EQ(link.op.name, "within");
  EXPECT_TRUE(link.op.negated);
  EXPECT_EQ(link.op.argument, "%{tx.allowed_request_content_type}");
  ASSERT_EQ(link.actions.size(), 2u);
  EXPECT_EQ(link.actions[0].name, "t");
  EXPECT_EQ(link.actions[0].value, "lowercase");
  EXPECT_EQ(link.actions[1].value, "tx.anomaly_score_pl1=+%{tx.critical_anomaly_score}");
}

TEST(CrsParse, SetupFileHasDefaultActionsAndTheVersionAction) {
  if (!crs_installed()) GTEST_SKIP() << "the CRS is not installed";
  ParsedFiles parsed;
  parse_file(kSetup, ParseLimits{}, parsed);
  ASSERT_TRUE(parsed.errors.empty()) << errors_text(parsed);
  std::vector<const Directive*> defaults;
  for (const Directive& d : parsed.directives) {
    if (d.kind == DirectiveKind::kDefaultAction) defaults.push_back(&d);
  }
  ASSERT_EQ(defaults.size(), 2u);
  EXPECT_EQ(defaults[1]->actions[0].name, "phase");
  EXPECT_EQ(defaults[1]->actions[0].value, "2");
  const RuleDecl* version = find_rule(parsed, "900990");
  ASSERT_NE(version, nullptr);
  EXPECT_TRUE(version->is_action);
  EXPECT_EQ(version->op.name, "unconditionalMatch");
  EXPECT_EQ(find_action(version->actions, "setvar")->value.rfind("tx.crs_setup_version=", 0), 0u);
}

TEST(CrsParse, ModSecurityBaseConfiguration) {
  if (!fs::exists(kBaseConfig)) GTEST_SKIP() << kBaseConfig << " is not installed";
  ParsedFiles parsed;
  parse_file(kBaseConfig, ParseLimits{}, parsed);
  ASSERT_TRUE(parsed.errors.empty()) << errors_text(parsed);
  EXPECT_EQ(parsed.directives.size(), count_directive_lines(kBaseConfig, "Sec", true));
  const RuleDecl* strict = find_rule(parsed, "200003");
  ASSERT_NE(strict, nullptr);
  const Action* msg = find_action(strict->actions, "msg");
  ASSERT_NE(msg, nullptr);
  // The message runs over continuation lines inside its quotes.
  EXPECT_NE(msg->value.find("validation: PE %{REQBODY_PROCESSOR_ERROR}, BQ "), std::string::npos)
      << msg->value;
  EXPECT_EQ(msg->value.find('\\'), std::string::npos);
  const RuleDecl* internal = find_rule(parsed, "200005");
  ASSERT_NE(internal, nullptr);
  EXPECT_EQ(internal->variables[0].collection, "TX");
  EXPECT_TRUE(internal->variables[0].selector_is_regex);
  EXPECT_EQ(internal->variables[0].selector, "^MSC_");
  EXPECT_TRUE(internal->op.negated);
  EXPECT_EQ(internal->op.name, "streq");
  const Directive* mime = nullptr;
  for (const Directive& d : parsed.directives) {
    if (d.name == "SecResponseBodyMimeType") mime = &d;
  }
  ASSERT_NE(mime, nullptr);
  EXPECT_EQ(mime->kind, DirectiveKind::kSetting);
  EXPECT_EQ(mime->args, (std::vector<std::string>{"text/plain", "text/html", "text/xml"}));
}

}  // namespace
}  // namespace rampart::seclang
