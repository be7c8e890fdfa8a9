#include "seclang/parser.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "seclang/ast.h"

namespace rampart::seclang {
namespace {

namespace fs = std::filesystem;

ParsedFiles parse(const std::string& text, const ParseLimits& limits = {}) {
  ParsedFiles out;
  parse_text(text, "inline.conf", "/nonexistent", limits, out);
  return out;
}

std::string errors_text(const ParsedFiles& parsed) {
  std::string text;
  for (const ParseError& e : parsed.errors) text += describe(e.where) + ": " + e.message + "\n";
  return text;
}

std::vector<int> error_lines(const ParsedFiles& parsed) {
  std::vector<int> lines;
  for (const ParseError& e : parsed.errors) lines.push_back(e.where.line);
  return lines;
}

// A scratch directory for Include tests, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "seclang-parser-XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path file = fs::path(path_) / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file.string();
  }

 private:
  std::string path_;
};

// --- directives --------------------------------------------------------------------

TEST(ParseDirectives, RuleWithAndWithoutActions) {
  const ParsedFiles p = parse(
      "SecRule REQUEST_URI \"@contains /admin\" \"id:1,phase:1,deny\"\n"
      "SecRule ARGS attack\n");
  ASSERT_TRUE(p.errors.empty()) << errors_text(p);
  ASSERT_EQ(p.directives.size(), 2u);
  const Directive& d = p.directives[0];
  EXPECT_EQ(d.kind, DirectiveKind::kRule);
  EXPECT_EQ(d.name, "SecRule");
  EXPECT_EQ(d.where.file, "inline.conf");
  EXPECT_EQ(d.where.line, 1);
  EXPECT_EQ(d.rule.where.line, 1);
  EXPECT_FALSE(d.rule.is_action);
  EXPECT_EQ(d.rule.variables[0].collection, "REQUEST_URI");
  EXPECT_EQ(d.rule.op.name, "contains");
  EXPECT_EQ(d.rule.op.argument, "/admin");
  ASSERT_EQ(d.rule.actions.size(), 3u);
  EXPECT_EQ(d.rule.actions[2].name, "deny");
  EXPECT_TRUE(p.directives[1].rule.actions.empty());
  EXPECT_EQ(p.directives[1].rule.op.argument, "attack");
  EXPECT_EQ(p.directives[1].where.line, 2);
}

TEST(ParseDirectives, BlanksInAVariableListAreErrors) {
  const ParsedFiles p = parse(
      "SecMarker A\n"
      "SecRule ARGS | ARGS_NAMES \"@rx x\" \"id:1\"\n"
      "SecRule \"ARGS |ARGS_NAMES\" \"@rx x\" \"id:2\"\n");
  EXPECT_EQ(error_lines(p), (std::vector<int>{2, 3})) << errors_text(p);
}

TEST(ParseDirectives, SecActionMarkerDefaultActionAndSignature) {
  const ParsedFiles p = parse(
      "SecAction \"id:900990,phase:1,nolog,pass,setvar:tx.v=334\"\n"
      "SecMarker \"END-HOST-CHECK\"\n"
      "SecDefaultAction \"phase:2,log,auditlog,pass\"\n"
      "SecComponentSignature \"OWASP_CRS/3.3.4\"\n");
  ASSERT_TRUE(p.errors.empty()) << errors_text(p);
  ASSERT_EQ(p.directives.size(), 4u);
  const RuleDecl& action = p.directives[0].rule;
  EXPECT_TRUE(action.is_action);
  EXPECT_TRUE(action.variables.empty());
  EXPECT_EQ(action.op.name, "unconditionalMatch");
  EXPECT_EQ(action.actions.back().value, "tx.v=334");
  EXPECT_EQ(p.directives[1].kind, DirectiveKind::kMarker);
  EXPECT_EQ(p.directives[1].args, std::vector<std::string>{"END-HOST-CHECK"});
  EXPECT_EQ(p.directives[2].kind, DirectiveKind::kDefaultAction);
  ASSERT_EQ(p.directives[2].actions.size(), 4u);
  EXPECT_EQ(p.directives[2].actions[0].value, "2");
  EXPECT_EQ(p.directives[3].kind, DirectiveKind::kComponentSignature);
  EXPECT_EQ(p.directives[3].args, std::vector<std::string>{"OWASP_CRS/3.3.4"});
}

TEST(ParseDirectives, RemovalsAndUpdates) {
  const ParsedFiles p = parse(
      "SecRuleRemoveById 942100 1-10 \"920000-920999 5\"\n"
      "SecRuleRemoveByTag \"attack-sqli\"\n"
      "SecRuleRemoveByMsg 'Bad thing'\n"
      "SecRuleUpdateTargetById 942100 \"!ARGS:password|!ARGS:/^pw/\"\n"
      "SecRuleUpdateTargetById 942100 ARGS:new ARGS:old\n"
      "SecRuleUpdateTargetByTag attack-xss !REQUEST_COOKIES:session\n"
      "SecRuleUpdateTargetByMsg 'Some msg' !ARGS:q\n"
      "SecRuleUpdateActionById 920420:1 \"t:none,t:urlDecode\"\n");
  ASSERT_TRUE(p.errors.empty()) << errors_text(p);
  ASSERT_EQ(p.directives.size(), 8u);
  EXPECT_EQ(p.directives[0].kind, DirectiveKind::kRemoveById);
  EXPECT_EQ(p.directives[0].args,
            (std::vector<std::string>{"942100", "1-10", "920000-920999", "5"}));
  EXPECT_EQ(p.directives[1].kind, DirectiveKind::kRemoveByTag);
  EXPECT_EQ(p.directives[1].args, std::vector<std::string>{"attack-sqli"});
  EXPECT_EQ(p.directives[2].kind, DirectiveKind::kRemoveByMsg);
  EXPECT_EQ(p.directives[2].args, std::vector<std::string>{"Bad thing"});
  const Directive& update = p.directives[3];
  EXPECT_EQ(update.kind, DirectiveKind::kUpdateTargetById);
  EXPECT_EQ(update.args, std::vector<std::string>{"942100"});
  ASSERT_EQ(update.variables.size(), 2u);
  EXPECT_TRUE(update.variables[1].exclude);
  EXPECT_TRUE(update.variables[1].selector_is_regex);
  EXPECT_EQ(p.directives[4].args, (std::vector<std::string>{"942100", "ARGS:old"}));
  EXPECT_EQ(p.directives[5].kind, DirectiveKind::kUpdateTargetByTag);
  EXPECT_EQ(p.directives[5].args, std::vector<std::string>{"attack-xss"});
  EXPECT_EQ(p.directives[5].variables[0].selector, "session");
  EXPECT_EQ(p.directives[6].kind, DirectiveKind::kUpdateTargetByMsg);
  EXPECT_EQ(p.directives[6].args, std::vector<std::string>{"Some msg"});
  EXPECT_EQ(p.directives[7].kind, DirectiveKind::kUpdateActionById);
  EXPECT_EQ(p.directives[7].args, std::vector<std::string>{"920420:1"});
  ASSERT_EQ(p.directives[7].actions.size(), 2u);
  EXPECT_EQ(p.directives[7].actions[1].value, "urlDecode");
}

TEST(ParseDirectives, OtherSecDirectivesAreSettingsAndNamesAreCaseInsensitive) {
  const ParsedFiles p = parse(
      "SecRuleEngine DetectionOnly\n"
      "SecResponseBodyMimeType text/plain text/html\n"
      "SecCollectionTimeout 600\n"
      "secrule ARGS \"@rx x\" \"id:1\"\n"
      "SECMARKER end\n");
  ASSERT_TRUE(p.errors.empty()) << errors_text(p);
  ASSERT_EQ(p.directives.size(), 5u);
  EXPECT_EQ(p.directives[0].kind, DirectiveKind::kSetting);
  EXPECT_EQ(p.directives[0].name, "SecRuleEngine");
  EXPECT_EQ(p.directives[0].args, std::vector<std::string>{"DetectionOnly"});
  EXPECT_EQ(p.directives[1].args, (std::vector<std::string>{"text/plain", "text/html"}));
  EXPECT_EQ(p.directives[3].kind, DirectiveKind::kRule);
  EXPECT_EQ(p.directives[3].name, "secrule");
  EXPECT_EQ(p.directives[4].kind, DirectiveKind::kMarker);
}

TEST(ParseDirectives, EachMalformedDirectiveIsReportedAtItsLine) {
  const ParsedFiles p = parse(
      "SecRuleEngine On\n"                            // 1 fine
      "LoadModule foo\n"                              // 2 not Sec*
      "SecRule ARGS\n"                                // 3 too few arguments
      "SecRule ARGS \"@rx a\" \"id:1\" extra more\n"  // 4 too many
      "SecRule ARGS| \"@rx a\" \"id:2\"\n"            // 5 bad variables
      "SecRule ARGS \"@ a\" \"id:3\"\n"               // 6 bad operator
      "SecRule ARGS \"@rx a\" \"id:4,,deny\"\n"       // 7 bad actions
      "SecAction\n"                                   // 8 no actions
      "SecMarker\n"                                   // 9 no name
      "SecRuleRemoveById 10-1 abc\n"                  // 10 bad range
      "SecRuleUpdateTargetById x ARGS\n"              // 11 bad id
      "SecRuleUpdateActionById 1:a \"pass\"\n"        // 12 bad offset
      "SecDefaultAction \"phase:2,\"\n"               // 13 bad actions
      "\"SecRuleEngine\" On\n"                        // 14 quoted name
      "SecRuleRemoveById \"\"\n"                      // 15 no ids
      "SecRuleEngine Off\n");                         // 16 fine
  EXPECT_EQ(error_lines(p), (std::vector<int>{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}))
      << errors_text(p);
  ASSERT_EQ(p.directives.size(), 2u);
  EXPECT_EQ(p.directives[1].args, std::vector<std::string>{"Off"});
  for (const ParseError& e : p.errors) EXPECT_EQ(e.where.file, "inline.conf");
  EXPECT_NE(p.errors[0].message.find("LoadModule"), std::string::npos);
  EXPECT_EQ(describe(p.errors[0].where), "inline.conf:2");
}

TEST(ParseDirectives, LexErrorsAreMergedInLineOrder) {
  const ParsedFiles p = parse(
      "SecRule ARGS \"@rx a\n"
      "Bogus x\n"
      "SecMarker \"ok\"trailing\n");
  EXPECT_EQ(error_lines(p), (std::vector<int>{1, 2, 3})) << errors_text(p);
}

// --- chains ------------------------------------------------------------------------

TEST(ParseChains, ChainedRulesAreFlattenedUnderTheFirst) {
  const ParsedFiles p = parse(
      "SecRule REQUEST_METHOD \"@streq POST\" \"id:10,phase:2,deny,chain\"\n"
      "  SecRule &ARGS \"@gt 5\" \"chain\"\n"
      "    SecRule ARGS:x \"@rx y\" \"t:lowercase\"\n"
      "SecRule ARGS \"@rx z\" \"id:11\"\n");
  ASSERT_TRUE(p.errors.empty()) << errors_text(p);
  ASSERT_EQ(p.directives.size(), 2u);
  const RuleDecl& head = p.directives[0].rule;
  ASSERT_EQ(head.chained.size(), 2u);
  EXPECT_EQ(head.chained[0].where.line, 2);
  EXPECT_TRUE(head.chained[0].variables[0].count);
  EXPECT_EQ(head.chained[1].where.line, 3);
  EXPECT_EQ(head.chained[1].variables[0].selector, "x");
  EXPECT_TRUE(head.chained[1].chained.empty());
  EXPECT_TRUE(p.directives[1].rule.chained.empty());
  EXPECT_EQ(p.directives[1].where.line, 4);
}

TEST(ParseChains, NonRuleWhereAChainedRuleIsExpectedIsAnError) {
  const ParsedFiles p = parse(
      "SecRule ARGS \"@rx a\" \"id:1,chain\"\n"
      "SecAction \"id:2,pass\"\n"
      "SecRule ARGS \"@rx a\" \"id:3,chain\"\n"
      "SecMarker M\n"
      "SecRule ARGS \"@rx b\" \"id:4\"\n");
  EXPECT_EQ(error_lines(p), (std::vector<int>{2, 4})) << errors_text(p);
  ASSERT_EQ(p.directives.size(), 5u);
  EXPECT_TRUE(p.directives[0].rule.chained.empty());
  EXPECT_TRUE(p.directives[1].rule.is_action);
  EXPECT_EQ(p.directives[3].kind, DirectiveKind::kMarker);
  EXPECT_TRUE(p.directives[4].rule.chained.empty());
}

TEST(ParseChains, FileEndingInsideAChainIsReportedAtTheHead) {
  const ParsedFiles p = parse(
      "SecMarker A\n"
      "SecRule ARGS \"@rx a\" \"id:1,chain\"\n"
      "  SecRule ARGS \"@rx b\" \"chain\"\n");
  EXPECT_EQ(error_lines(p), std::vector<int>{2}) << errors_text(p);
}

TEST(ParseChains, BrokenLinkWithChainKeepsTheChainOpen) {
  const ParsedFiles p = parse(
      "SecRule ARGS \"@rx a\" \"id:1,chain\"\n"
      "  SecRule ARGS| \"@rx b\" \"chain\"\n"
      "  SecRule ARGS \"@rx c\"\n");
  EXPECT_EQ(error_lines(p), std::vector<int>{2}) << errors_text(p);
  ASSERT_EQ(p.directives.size(), 1u);
  ASSERT_EQ(p.directives[0].rule.chained.size(), 1u);
  EXPECT_EQ(p.directives[0].rule.chained[0].op.argument, "c");
}

TEST(ParseChains, LinksOfABrokenHeadAreCheckedThenDropped) {
  const ParsedFiles p = parse(
      "SecRule ARGS| \"@rx a\" \"id:1,chain\"\n"
      "  SecRule ARGS \"@rx b\" \"chain\"\n"
      "  SecRule ARGS \"@ c\"\n"
      "SecRule ARGS \"@rx d\" \"id:2\"\n");
  EXPECT_EQ(error_lines(p), (std::vector<int>{1, 3})) << errors_text(p);
  ASSERT_EQ(p.directives.size(), 1u);
  EXPECT_EQ(p.directives[0].rule.op.argument, "d");
}

TEST(ParseChains, ChainLengthLimit) {
  ParseLimits limits;
  limits.max_chain_length = 3;
  const ParsedFiles ok =
      parse("SecRule ARGS a \"id:1,chain\"\nSecRule ARGS b chain\nSecRule ARGS c\n", limits);
  EXPECT_TRUE(ok.errors.empty()) << errors_text(ok);
  const ParsedFiles p = parse(
      "SecRule ARGS a \"id:1,chain\"\nSecRule ARGS b chain\nSecRule ARGS c chain\n"
      "SecRule ARGS d\n",
      limits);
  // The third rule still fits; the fourth would be one too many.
  EXPECT_EQ(error_lines(p), std::vector<int>{4}) << errors_text(p);
  EXPECT_EQ(p.directives[0].rule.chained.size(), 2u);
}

// --- limits ------------------------------------------------------------------------

TEST(ParseLimitsTest, DirectiveLimitStopsTheLoad) {
  ParseLimits limits;
  limits.max_directives = 3;
  const ParsedFiles p =
      parse("SecMarker A\nSecMarker B\nSecMarker C\nSecMarker D\nBogus\n", limits);
  EXPECT_EQ(p.directives.size(), 3u);
  EXPECT_EQ(error_lines(p), std::vector<int>{4}) << errors_text(p);
}

TEST(ParseLimitsTest, TextLargerThanAFileMayBe) {
  ParseLimits limits;
  limits.max_file_bytes = 10;
  const ParsedFiles p = parse("SecRuleEngine On\n", limits);
  EXPECT_TRUE(p.directives.empty());
  ASSERT_EQ(p.errors.size(), 1u);
}

// --- Include -----------------------------------------------------------------------

TEST(ParseInclude, RelativeFilesAndGlobsExpandInPlace) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  dir.write("rules/b.conf", "SecMarker B\n");
  dir.write("rules/a.conf", "SecMarker A\n\nBogus\n");
  dir.write("rules/skip.txt", "SecMarker X\n");
  dir.write("setup.conf", "SecMarker S\n");
  const std::string main = dir.write("main.conf",
                                     "SecMarker FIRST\n"
                                     "Include setup.conf\n"
                                     "include \"rules/*.conf\"\n"
                                     "SecMarker LAST\n");
  ParsedFiles p;
  parse_file(main, ParseLimits{}, p);
  std::vector<std::string> markers;
  for (const Directive& d : p.directives) markers.push_back(d.args.at(0));
  EXPECT_EQ(markers, (std::vector<std::string>{"FIRST", "S", "A", "B", "LAST"}));
  EXPECT_EQ(p.files,
            (std::vector<std::string>{main, dir.path() + "/setup.conf",
                                      dir.path() + "/rules/a.conf", dir.path() + "/rules/b.conf"}));
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(describe(p.errors[0].where), dir.path() + "/rules/a.conf:3");
  EXPECT_EQ(p.directives[2].where.file, dir.path() + "/rules/a.conf");
}

TEST(ParseInclude, MissingFileEmptyGlobCycleAndDepth) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  dir.write("loop_a.conf", "SecMarker A\nInclude loop_b.conf\n");
  dir.write("loop_b.conf", "SecMarker B\nInclude loop_a.conf\n");
  const std::string main = dir.write("main.conf",
                                     "Include missing.conf\n"
                                     "Include none/*.conf\n"
                                     "Include loop_a.conf\n"
                                     "Include\n");
  ParsedFiles p;
  parse_file(main, ParseLimits{}, p);
  ASSERT_EQ(p.errors.size(), 4u) << errors_text(p);
  EXPECT_EQ(describe(p.errors[0].where), main + ":1");
  EXPECT_EQ(describe(p.errors[1].where), main + ":2");
  EXPECT_NE(p.errors[1].message.find("matches no file"), std::string::npos);
  EXPECT_EQ(describe(p.errors[2].where), dir.path() + "/loop_b.conf:2");
  EXPECT_NE(p.errors[2].message.find("cycle"), std::string::npos);
  EXPECT_EQ(describe(p.errors[3].where), main + ":4");
  EXPECT_EQ(p.directives.size(), 2u);

  ParseLimits shallow;
  shallow.max_include_depth = 1;
  ParsedFiles q;
  parse_file(dir.path() + "/loop_a.conf", shallow, q);
  ASSERT_EQ(q.errors.size(), 1u) << errors_text(q);
  EXPECT_EQ(describe(q.errors[0].where), dir.path() + "/loop_b.conf:2");
  EXPECT_NE(q.errors[0].message.find("deeper"), std::string::npos);
}

TEST(ParseInclude, ChainCannotSpanAnInclude) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  dir.write("inner.conf", "SecRule ARGS b \"id:2\"\n");
  const std::string main =
      dir.write("main.conf", "SecRule ARGS a \"id:1,chain\"\nInclude inner.conf\n");
  ParsedFiles p;
  parse_file(main, ParseLimits{}, p);
  EXPECT_EQ(error_lines(p), std::vector<int>{2}) << errors_text(p);
  EXPECT_EQ(p.directives.size(), 2u);
}

TEST(ParseInclude, FileLimits) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  dir.write("big.conf", "SecMarker " + std::string(100, 'x') + "\n");
  dir.write("small.conf", "SecMarker A\n");
  const std::string main = dir.write("main.conf", "Include big.conf\nInclude small.conf\n");
  ParseLimits limits;
  limits.max_file_bytes = 64;
  ParsedFiles p;
  parse_file(main, limits, p);
  EXPECT_EQ(error_lines(p), std::vector<int>{1}) << errors_text(p);
  EXPECT_EQ(p.directives.size(), 1u);

  limits.max_file_bytes = 1000;
  limits.max_total_bytes = 60;
  ParsedFiles q;
  parse_file(main, limits, q);
  EXPECT_EQ(error_lines(q), std::vector<int>{1}) << errors_text(q);

  ParsedFiles r;
  parse_file(dir.path(), ParseLimits{}, r);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].message.find("not a regular file"), std::string::npos);
}

TEST(ParseInclude, InlineTextResolvesAgainstItsBaseDirectory) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  dir.write("x.conf", "SecMarker X\n");
  ParsedFiles p;
  parse_text("Include x.conf\n", "yaml:waf.rules", dir.path(), ParseLimits{}, p);
  ASSERT_TRUE(p.errors.empty()) << errors_text(p);
  ASSERT_EQ(p.directives.size(), 1u);
  EXPECT_EQ(p.directives[0].args[0], "X");
}

}  // namespace
}  // namespace rampart::seclang
