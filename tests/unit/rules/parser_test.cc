#include "rules/parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace rampart::rules {
namespace {

std::string_view op_name(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "eq";
    case CompareOp::kNe:
      return "ne";
    case CompareOp::kLt:
      return "lt";
    case CompareOp::kLe:
      return "le";
    case CompareOp::kGt:
      return "gt";
    case CompareOp::kGe:
      return "ge";
    case CompareOp::kContains:
      return "contains";
    case CompareOp::kMatches:
      return "matches";
    case CompareOp::kWildcard:
      return "wildcard";
    case CompareOp::kStrictWildcard:
      return "strict-wildcard";
    case CompareOp::kIn:
      return "in";
  }
  return "?";
}

// The tree as an s-expression, to compare shapes in one line.
std::string show(const Ast& ast, uint32_t i) {
  const AstNode& n = ast.nodes[i];
  auto kids = [&](std::string head) {
    for (uint32_t c : n.children) head += " " + show(ast, c);
    return "(" + head + ")";
  };
  switch (n.kind) {
    case AstKind::kOr:
      return kids("or");
    case AstKind::kAnd:
      return kids("and");
    case AstKind::kXor:
      return kids("xor");
    case AstKind::kNot:
      return kids("not");
    case AstKind::kCompare:
      return kids(std::string(op_name(n.op)));
    case AstKind::kField:
      return n.text;
    case AstKind::kIndex:
      return kids("index");
    case AstKind::kEach:
      return kids("each");
    case AstKind::kCall:
      return kids("call " + n.text);
    case AstKind::kString:
      return "\"" + n.text + "\"";
    case AstKind::kInt:
      return std::to_string(n.integer);
    case AstKind::kIp:
      return "ip:" + n.text;
    case AstKind::kBool:
      return n.boolean ? "true" : "false";
    case AstKind::kSet: {
      std::string s = "{";
      for (uint32_t c : n.children) s += (s.size() > 1 ? " " : "") + show(ast, c);
      return s + "}";
    }
    case AstKind::kList:
      return "$" + n.text;
  }
  return "?";
}

std::string tree(std::string_view text) {
  ParseResult r = parse(text);
  if (r.error) return "error: " + r.error->message;
  return show(r.ast, r.ast.root);
}

struct Failure {
  std::string span;
  std::string message;
  size_t offset = 0;
};

Failure failure(std::string_view text) {
  ParseResult r = parse(text);
  if (!r.error) {
    ADD_FAILURE() << "expected a parse error for: " << text;
    return {};
  }
  EXPECT_GE(r.error->length, 1u);
  return {std::string(text.substr(std::min(r.error->offset, text.size()), r.error->length)),
          r.error->message, r.error->offset};
}

TEST(ParserTest, ComparisonOperatorsInWordAndSymbolForm) {
  EXPECT_EQ(tree("a eq 1"), "(eq a 1)");
  EXPECT_EQ(tree("a == 1"), "(eq a 1)");
  EXPECT_EQ(tree("a ne 1"), "(ne a 1)");
  EXPECT_EQ(tree("a != 1"), "(ne a 1)");
  EXPECT_EQ(tree("a lt 1"), "(lt a 1)");
  EXPECT_EQ(tree("a < 1"), "(lt a 1)");
  EXPECT_EQ(tree("a le 1"), "(le a 1)");
  EXPECT_EQ(tree("a <= 1"), "(le a 1)");
  EXPECT_EQ(tree("a gt 1"), "(gt a 1)");
  EXPECT_EQ(tree("a > 1"), "(gt a 1)");
  EXPECT_EQ(tree("a ge 1"), "(ge a 1)");
  EXPECT_EQ(tree("a >= 1"), "(ge a 1)");
  EXPECT_EQ(tree("a contains \"x\""), "(contains a \"x\")");
  EXPECT_EQ(tree("a matches \"x\""), "(matches a \"x\")");
  EXPECT_EQ(tree("a ~ \"x\""), "(matches a \"x\")");
  EXPECT_EQ(tree("a wildcard \"x\""), "(wildcard a \"x\")");
  EXPECT_EQ(tree("a strict wildcard \"x\""), "(strict-wildcard a \"x\")");
  EXPECT_EQ(tree("a in {1}"), "(in a {1})");
  EXPECT_EQ(tree("a in $bad"), "(in a $bad)");
  // No space needed around symbols.
  EXPECT_EQ(tree("a==1&&b!=2"), "(and (eq a 1) (ne b 2))");
}

TEST(ParserTest, LogicalOperatorsInWordAndSymbolForm) {
  EXPECT_EQ(tree("a and b"), "(and a b)");
  EXPECT_EQ(tree("a && b"), "(and a b)");
  EXPECT_EQ(tree("a or b"), "(or a b)");
  EXPECT_EQ(tree("a || b"), "(or a b)");
  EXPECT_EQ(tree("a xor b"), "(xor a b)");
  EXPECT_EQ(tree("a ^^ b"), "(xor a b)");
  EXPECT_EQ(tree("not a"), "(not a)");
  EXPECT_EQ(tree("!a"), "(not a)");
  EXPECT_EQ(tree("not not a"), "(not (not a))");
}

TEST(ParserTest, PrecedenceIsOrXorAndNotComparison) {
  EXPECT_EQ(tree("a or b and c"), "(or a (and b c))");
  EXPECT_EQ(tree("a and b or c"), "(or (and a b) c)");
  EXPECT_EQ(tree("a or b xor c"), "(or a (xor b c))");
  EXPECT_EQ(tree("a xor b and c"), "(xor a (and b c))");
  EXPECT_EQ(tree("a and b xor c or d"), "(or (xor (and a b) c) d)");
  EXPECT_EQ(tree("not a eq 1"), "(not (eq a 1))");
  EXPECT_EQ(tree("not a and b"), "(and (not a) b)");
  EXPECT_EQ(tree("! a == 1 || b"), "(or (not (eq a 1)) b)");
  EXPECT_EQ(tree("(a or b) and c"), "(and (or a b) c)");
  EXPECT_EQ(tree("not (a or b)"), "(not (or a b))");
}

TEST(ParserTest, LogicalOperatorsAreLeftAssociative) {
  EXPECT_EQ(tree("a or b or c"), "(or (or a b) c)");
  EXPECT_EQ(tree("a and b and c"), "(and (and a b) c)");
  EXPECT_EQ(tree("a xor b xor c"), "(xor (xor a b) c)");
}

TEST(ParserTest, Literals) {
  EXPECT_EQ(tree("true"), "true");
  EXPECT_EQ(tree("false"), "false");
  EXPECT_EQ(tree("x eq -3"), "(eq x -3)");
  EXPECT_EQ(tree("x eq r\"a\\b\""), "(eq x \"a\\b\")");
  EXPECT_EQ(tree("ip.src eq 192.0.2.1"), "(eq ip.src ip:192.0.2.1)");
  EXPECT_EQ(tree("ip.src eq ::1"), "(eq ip.src ip:::1)");
}

TEST(ParserTest, SetsTakeSpacesOrCommas) {
  EXPECT_EQ(tree("x in {\"a\" \"b\",\"c\" , \"d\"}"), "(in x {\"a\" \"b\" \"c\" \"d\"})");
  EXPECT_EQ(tree("x in {1,2,,3,}"), "(in x {1 2 3})");
  EXPECT_EQ(tree("ip.src in {10.0.0.0/8 2001:db8::/32 192.0.2.1}"),
            "(in ip.src {ip:10.0.0.0/8 ip:2001:db8::/32 ip:192.0.2.1})");
  EXPECT_EQ(tree("x in {true}"), "(in x {true})");
}

TEST(ParserTest, IndexesEachAndCalls) {
  EXPECT_EQ(tree("h[\"a\"] eq 1"), "(eq (index h \"a\") 1)");
  EXPECT_EQ(tree("h[\"a\"][0] eq 1"), "(eq (index (index h \"a\") 0) 1)");
  EXPECT_EQ(tree("any(h[\"a\"][*] eq 1)"), "(call any (eq (each (index h \"a\")) 1))");
  EXPECT_EQ(tree("f()"), "(call f)");
  EXPECT_EQ(tree("f(a, \"b\", 3)"), "(call f a \"b\" 3)");
  EXPECT_EQ(tree("f(a or b)"), "(call f (or a b))");
  EXPECT_EQ(tree("f(g(x))[0] eq 1"), "(eq (index (call f (call g x)) 0) 1)");
  EXPECT_EQ(tree("(h)[1] eq 1"), "(eq (index h 1) 1)");
}

TEST(ParserTest, NodesRecordTheirSpans) {
  std::string_view text = "http.request.headers[\"a\"][*] strict wildcard \"x\"";
  ParseResult r = parse(text);
  ASSERT_FALSE(r.error);
  const AstNode& cmp = r.ast.nodes[r.ast.root];
  ASSERT_EQ(cmp.kind, AstKind::kCompare);
  EXPECT_EQ(text.substr(cmp.op_offset, cmp.op_length), "strict wildcard");
  EXPECT_EQ(text.substr(cmp.offset, cmp.length), text);  // a comparison spans both sides
  const AstNode& each = r.ast.nodes[cmp.children[0]];
  EXPECT_EQ(text.substr(each.offset, each.length), "http.request.headers[\"a\"][*]");
  ParseResult s = parse("x in { 1 2 }");
  const AstNode& set = s.ast.nodes[s.ast.nodes[s.ast.root].children[1]];
  EXPECT_EQ(std::string_view("x in { 1 2 }").substr(set.offset, set.length), "{ 1 2 }");
}

TEST(ParserTest, EveryErrorPointsAtTheOffendingToken) {
  struct Case {
    std::string_view text;
    std::string_view span;
    std::string_view message_part;
  };
  const Case cases[] = {
      {"", "", "the expression is empty"},
      {"   ", "", "the expression is empty"},
      {"a eq 1)", ")", "unexpected \")\" with no \"(\" to close"},
      {"a eq 1 b", "b", "expected \"and\", \"or\" or the end of the expression, got \"b\""},
      {"a eq 1 \"s\"", "\"s\"", "got a string"},
      {"a eq 1 strict", "strict", "expected \"and\""},
      {"x in \"a\"", "\"a\"", "\"in\" needs a set like {\"a\" \"b\"} or a list like $name"},
      {"x in", "", "got the end of the expression"},
      {"x in {\"a\"", "{", "the set is not closed with \"}\""},
      {"x in {\"a\" y}", "y", "a set holds only strings, numbers and IP addresses or prefixes"},
      {"x in {\"a\" (}", "(", "a set holds only"},
      {"x in {}", "{", "the set is empty"},
      {"x in { , }", "{", "the set is empty"},
      {"(a eq 1", "(", "\"(\" is never closed"},
      {"(a eq 1 b)", "b", "expected \")\", got \"b\""},
      {"f(a", "(", "\"(\" is never closed"},
      {"f(a b)", "b", "expected \",\" or \")\" in the arguments of f(), got \"b\""},
      {"f(a,)", ")", "expected a field, a function or a value, got \")\""},
      {"$bad", "$bad", "a list can only follow \"in\": ip.src in $bad"},
      {"x eq $bad", "$bad", "a list can only follow \"in\""},
      {"x eq {1}", "{", "a set can only follow \"in\""},
      {"x eq", "", "expected a field, a function or a value, got the end of the expression"},
      {"and", "and", "got the operator \"and\""},
      {"x eq eq", "eq", "got the operator \"eq\""},
      {"x eq contains", "contains", "got the operator \"contains\""},
      {"x eq strict", "strict", "got the operator \"strict\""},
      {"x eq not", "not", "got the operator \"not\""},
      {"h[x] eq 1", "x", "expected a string key, a number or * inside [ ], got \"x\""},
      {"h[] eq 1", "]", "expected a string key"},
      {"h[\"a\" eq 1", "eq", "expected \"]\", got \"eq\""},
      {"h[*", "", "expected \"]\", got the end of the expression"},
      {"a and", "", "got the end of the expression"},
      {"a or or b", "or", "got the operator \"or\""},
  };
  for (const Case& c : cases) {
    Failure f = failure(c.text);
    if (c.span.empty()) {
      // At the end of the text (an empty expression: at its start).
      EXPECT_EQ(f.offset, c.text == "   " ? 0u : c.text.size()) << c.text;
    } else {
      EXPECT_EQ(f.span, c.span) << c.text << " -> " << f.message;
    }
    EXPECT_NE(f.message.find(c.message_part), std::string::npos) << c.text << " -> " << f.message;
  }
}

TEST(ParserTest, ErrorsAtTheEndPointJustPastTheText) {
  for (std::string_view text : {"x in", "x eq", "a and", "h[*"}) {
    Failure f = failure(text);
    EXPECT_EQ(f.offset, text.size()) << text;
  }
}

TEST(ParserTest, LexErrorsComeThrough) {
  Failure f = failure("a eq 'x'");
  EXPECT_EQ(f.span, "'");
}

TEST(ParserTest, NestingIsCapped) {
  std::string ok(kMaxNesting - 1, '(');
  ok += "a";
  ok += std::string(kMaxNesting - 1, ')');
  EXPECT_EQ(tree(ok), "a");

  std::string deep(kMaxNesting + 1, '(');
  deep += "a";
  deep += std::string(kMaxNesting + 1, ')');
  Failure f = failure(deep);
  EXPECT_NE(f.message.find("nests too deeply"), std::string::npos) << f.message;

  std::string nots;
  for (size_t i = 0; i < kMaxNesting + 1; ++i) nots += "not ";
  nots += "a";
  f = failure(nots);
  EXPECT_NE(f.message.find("nests too deeply"), std::string::npos) << f.message;
  EXPECT_EQ(f.span, "not");

  std::string calls;
  for (size_t i = 0; i < kMaxNesting; ++i) calls += "f(";
  calls += "a";
  calls += std::string(kMaxNesting, ')');
  f = failure(calls);
  EXPECT_NE(f.message.find("nests too deeply"), std::string::npos) << f.message;
}

TEST(ParserTest, SizeIsCapped) {
  std::string big = "x in {";
  for (size_t i = 0; i < kMaxAstNodes; ++i) big += "1 ";
  big += "}";
  Failure f = failure(big);
  EXPECT_NE(f.message.find("too large (more than 4096 parts)"), std::string::npos) << f.message;

  std::string chain = "a";
  for (size_t i = 0; i < kMaxAstNodes; ++i) chain += " or a";
  f = failure(chain);
  EXPECT_NE(f.message.find("too large"), std::string::npos) << f.message;

  std::string fits = "x in {";
  for (size_t i = 0; i < kMaxAstNodes - 3; ++i) fits += std::to_string(i) + " ";
  fits += "}";
  EXPECT_FALSE(parse(fits).error.has_value());
}

}  // namespace
}  // namespace rampart::rules
