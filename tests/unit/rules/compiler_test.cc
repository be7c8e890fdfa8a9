// The type checker: what compiles, and for every error the compiler can give, the
// message and the token it points at.

#include "rules/compiler.h"

#include <gtest/gtest.h>

#include <string>

#include "rules/evaluator.h"
#include "rules_test_util.h"

namespace rampart::rules {
namespace {

using testing::Failure;
using testing::Harness;

bool has(const std::string& message, std::string_view part) {
  return message.find(part) != std::string::npos;
}

#define EXPECT_ERROR(expr, expected_span, message_part)                   \
  do {                                                                    \
    Failure f_ = h.error(expr);                                           \
    EXPECT_EQ(f_.span, expected_span) << (expr) << "\n  " << f_;          \
    EXPECT_TRUE(has(f_.message, message_part)) << (expr) << "\n  " << f_; \
  } while (0)

class CompilerTest : public ::testing::Test {
 protected:
  Harness h;
};

TEST_F(CompilerTest, ValidExpressionsCompile) {
  const char* ok[] = {
      "true",
      "http.host eq \"a\" and not ip.src in $bad",
      "ip.src in {10.0.0.0/8 192.0.2.1 2001:db8::/32}",
      "http.request.uri.path matches r\"^/api/v[0-9]+/\"",
      "http.request.headers[\"user-agent\"][0] contains \"curl\"",
      "any(http.request.headers[\"accept\"][*] contains \"json\")",
      "all(lower(http.request.uri.args.names[*]) ne \"debug\")",
      "len(http.request.headers.names) gt 50",
      "cidr(ip.src, 24, 64) eq 192.0.2.0",
      "http.request.uri.args[\"id\"] in {\"1\" \"2\"}",
      "http.response.code ge 500",
      "lookup_json_string(http.request.body.raw, \"user\", 0, \"name\") eq \"root\"",
      "regex_replace(http.request.uri.path, r\"^/old/(.*)\", \"/new/${1}\") eq \"/new/x\"",
      "substring(http.host, -3) eq \"com\"",
      "concat(http.host, http.request.uri) wildcard \"*.example/*\"",
      "http.host strict wildcard \"*.Example\"",
      "ssl eq true xor http.request.version eq \"HTTP/1.0\"",
  };
  for (const char* expr : ok) {
    Compiler compiler(h.options());
    CompileResult r = compiler.compile(expr);
    EXPECT_TRUE(r.program) << expr << ": " << (r.error ? r.error->message : "");
    EXPECT_FALSE(r.error) << expr;
  }
}

TEST_F(CompilerTest, StringResultsForComputedValues) {
  Compiler compiler(h.options());
  EXPECT_TRUE(compiler.compile("concat(\"https://\", http.host)", Type::kString).program);
  CompileResult r = compiler.compile("http.host eq \"a\"", Type::kString);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message, "the expression must give a String, not a Bool");
  Failure f = h.error("len(http.host)", Type::kString);
  EXPECT_EQ(f.message, "the expression must give a String, not an Int");
  EXPECT_EQ(f.span, "len");
}

TEST_F(CompilerTest, ARuleMustBeACondition) {
  Failure f = h.error("http.host");
  EXPECT_EQ(f.span, "http.host");
  EXPECT_EQ(f.message,
            "this is a String, but a rule needs a condition; compare it, e.g. http.host eq ...");
  EXPECT_ERROR("http.request.headers[\"a\"]", "http.request.headers[\"a\"]",
               "this is an Array<String>, but a rule needs a condition");
  EXPECT_ERROR("len(http.host)", "len", "this is an Int");
  EXPECT_ERROR("ip.src", "ip.src", "this is an IP address");
  EXPECT_ERROR("42", "42", "this is an Int");
}

TEST_F(CompilerTest, UnknownFieldsSuggestTheClosest) {
  Failure f = h.error("http.hots eq \"a\"");
  EXPECT_EQ(f.span, "http.hots");
  EXPECT_EQ(f.offset, 0u);
  EXPECT_EQ(f.message, "unknown field \"http.hots\" (did you mean \"http.host\"?)");
  EXPECT_ERROR("ssl or http.request.metod eq \"GET\"", "http.request.metod",
               "(did you mean \"http.request.method\"?)");
  f = h.error("completely.unrelated eq 1");
  EXPECT_EQ(f.message, "unknown field \"completely.unrelated\"");
}

TEST_F(CompilerTest, FunctionNamesUsedAsFieldsAndViceVersa) {
  EXPECT_ERROR("lower eq \"a\"", "lower", "lower is a function: write lower(...)");
  EXPECT_ERROR("http.host(1) eq \"a\"", "http.host", "http.host is a field, not a function");
  Failure f = h.error("lowr(http.host) eq \"a\"");
  EXPECT_EQ(f.span, "lowr");
  EXPECT_EQ(f.message, "unknown function \"lowr\" (did you mean lower()?)");
  f = h.error("frobnicate(http.host) eq \"a\"");
  EXPECT_EQ(f.message, "unknown function \"frobnicate\"");
}

TEST_F(CompilerTest, FieldsOfALaterPhaseAreRefused) {
  h.phase = Availability::kRequest;
  h.phase_name = "firewall";
  EXPECT_ERROR("http.host eq \"a\" and http.request.body.raw contains \"x\"",
               "http.request.body.raw",
               "http.request.body.raw is only known in the request body phase, and this rule "
               "runs in the firewall phase");
  EXPECT_ERROR("http.response.code eq 500", "http.response.code",
               "is only known in the response phase");
  h.phase = Availability::kBody;
  h.phase_name = "body";
  Compiler compiler(h.options());
  EXPECT_TRUE(compiler.compile("http.request.body.raw contains \"x\"").program);
  EXPECT_ERROR("http.response.code eq 500", "http.response.code",
               "and this rule runs in the body phase");
}

TEST_F(CompilerTest, KeyedFields) {
  EXPECT_ERROR("http.request.headers contains \"x\"", "http.request.headers",
               "http.request.headers needs a key, e.g. http.request.headers[\"user-agent\"]");
  EXPECT_ERROR("http.request.cookies eq \"x\"", "http.request.cookies",
               "http.request.cookies needs a key, e.g. http.request.cookies[\"name\"]");
  EXPECT_ERROR("any(http.request.headers[*] eq \"x\")", "http.request.headers", "needs a key");
  EXPECT_ERROR("http.request.headers[0] eq \"x\"", "0",
               "http.request.headers is looked up by name: use a string key like [\"name\"]");
}

TEST_F(CompilerTest, Indexing) {
  EXPECT_ERROR("http.host[0] eq \"x\"", "http.host[0]",
               "http.host is a String, which cannot be indexed");
  EXPECT_ERROR("http.host[\"a\"] eq \"x\"", "http.host[\"a\"]", "cannot be indexed");
  EXPECT_ERROR("http.request.headers[\"a\"][0][0] eq \"x\"", "http.request.headers[\"a\"][0][0]",
               "http.request.headers[\"a\"][0] is a String, which cannot be indexed");
  EXPECT_ERROR("http.request.uri.args.names[\"a\"] eq \"x\"", "\"a\"",
               "an array is indexed by position: [0] is the first element");
  EXPECT_ERROR("http.request.headers[\"a\"][-1] eq \"x\"", "-1", "array positions start at 0");
}

TEST_F(CompilerTest, EachNeedsAnArrayAndAQuantifier) {
  EXPECT_ERROR("any(http.host[*] eq \"x\")", "http.host[*]",
               "http.host is a String; [*] needs an array");
  Failure f = h.error("http.host eq \"a\" and http.request.headers[\"a\"][*] eq \"x\"");
  EXPECT_EQ(f.span, "http.request.headers[\"a\"][*]");
  EXPECT_EQ(f.message, "[*] is only allowed inside any() or all()");
  EXPECT_ERROR("lower(http.request.headers.names[*]) eq \"x\"", "http.request.headers.names[*]",
               "only allowed inside any() or all()");
}

TEST_F(CompilerTest, OneArrayPerCondition) {
  EXPECT_ERROR(
      "any(http.request.headers.names[*] eq \"a\" and http.request.uri.args.names[*] eq \"b\")",
      "http.request.uri.args.names[*]",
      "one condition can use only one [*] array; split it into two any()");
  EXPECT_ERROR("any(http.request.headers.names[*] eq http.request.headers.values[*])",
               "http.request.headers.values[*]", "only one [*] array");
  EXPECT_ERROR("any(concat(http.request.headers.names[*], http.request.uri.args.names[*]) eq \"\")",
               "http.request.uri.args.names[*]", "only one [*] array");
  // The same array twice is fine: both read the same element.
  Compiler compiler(h.options());
  CompileResult r = compiler.compile(
      "any(http.request.headers.names[*] eq \"a\" or lower(http.request.headers.names[*]) eq "
      "\"b\")");
  EXPECT_TRUE(r.program) << r.error->message;
  r = compiler.compile(
      "any(http.request.headers[\"a\"][*] eq \"a\" or "
      "http.request.headers[\"A\"][*] eq \"b\")");
  EXPECT_TRUE(r.program) << r.error->message;
  EXPECT_ERROR(
      "any(http.request.headers[\"a\"][*] eq \"a\" or http.request.headers[\"b\"][*] eq "
      "\"b\")",
      "http.request.headers[\"b\"][*]", "only one [*] array");
}

TEST_F(CompilerTest, QuantifiersDoNotNest) {
  EXPECT_ERROR(
      "any(http.request.headers.names[*] eq \"a\" and all(http.request.uri.args.names[*] eq "
      "\"b\"))",
      "all", "all() cannot be nested inside another any() or all()");
  EXPECT_ERROR(
      "all(http.request.headers.names[*] eq \"a\" or http.request.uri.args[\"x\"] eq \"1\")",
      "http.request.uri.args[\"x\"]",
      "an array comparison inside any() or all() would nest two loops; use [*]");
  EXPECT_ERROR("any(true)", "true", "any() needs a condition over [*], e.g. any(");
  EXPECT_ERROR("all(http.host eq \"a\")", "http.host eq \"a\"", "all() needs a condition over [*]");
  EXPECT_ERROR("any(lower(http.request.headers.names[*]))", "lower", "needs a condition over [*]");
  EXPECT_ERROR("any()", "any", "any() takes one condition over an array's elements, got 0");
}

TEST_F(CompilerTest, ArrayComparedAsAWholeMeansAnyElement) {
  Compiler compiler(h.options());
  CompileResult r = compiler.compile("http.request.headers[\"a\"] eq \"x\"");
  ASSERT_TRUE(r.program);
  ASSERT_EQ(r.program->nodes[r.program->root].op, Op::kAny);
  EXPECT_ERROR("\"x\" eq http.request.headers[\"a\"]", "http.request.headers[\"a\"]",
               "the right side of \"eq\" must be a single value, not an Array<String>");
  EXPECT_ERROR("http.host contains http.request.headers.names", "http.request.headers.names",
               "the right side of \"contains\" must be a single value");
}

TEST_F(CompilerTest, ManyArrayComparisonsInOneRule) {
  // Each array comparison is its own loop; there is no small limit on how many.
  std::string expr;
  for (int i = 0; i < 40; ++i) {
    if (i) expr += " or ";
    expr += "http.request.headers[\"x-h" + std::to_string(i) + "\"] eq \"1\"";
  }
  expr += " or any(http.request.headers.names[*] eq \"a\")";
  Compiler compiler(h.options());
  CompileResult r = compiler.compile(expr);
  EXPECT_TRUE(r.program) << (r.error ? r.error->message : "");
}

TEST_F(CompilerTest, ComparisonTypes) {
  Failure f = h.error("http.host eq 1");
  EXPECT_EQ(f.span, "eq");
  EXPECT_EQ(f.message,
            "\"eq\" compares two values of the same type, but the left side is a String and the "
            "right side is an Int");
  EXPECT_ERROR("ip.src == \"1.2.3.4\"", "==", "\"==\" compares two values of the same type");
  EXPECT_ERROR("ip.src ne 1", "ne", "the left side is an IP address and the right side is an Int");
  EXPECT_ERROR("ip.src lt 10.0.0.1", "lt", "\"lt\" compares two numbers or two strings");
  EXPECT_ERROR("ssl >= true", ">=", "compares two numbers or two strings");
  EXPECT_ERROR("http.host gt 3", "gt", "compares two numbers or two strings");
  EXPECT_ERROR("http.request.body.size contains \"1\"", "contains",
               "\"contains\" compares strings, but the left side is an Int");
  EXPECT_ERROR("http.host contains 1", "contains", "the right side is an Int");
  EXPECT_ERROR("http.request.body.size matches \"1\"", "matches", "\"matches\" compares strings");
  EXPECT_ERROR("ip.src ~ \"1\"", "~", "\"~\" compares strings");
  EXPECT_ERROR("ssl wildcard \"1\"", "wildcard", "\"wildcard\" compares strings");
  EXPECT_ERROR("ssl strict wildcard \"1\"", "strict wildcard",
               "\"strict wildcard\" compares strings");
}

TEST_F(CompilerTest, PatternsMustBeStringLiterals) {
  EXPECT_ERROR("http.host matches http.referer", "http.referer",
               "the pattern after \"matches\" must be a string literal");
  EXPECT_ERROR("http.host wildcard lower(\"A*\")", "lower",
               "the pattern after \"wildcard\" must be a string literal");
  EXPECT_ERROR("http.host ~ 5", "5", "the pattern after \"~\" must be a string literal");
}

TEST_F(CompilerTest, RegexErrors) {
  Failure f = h.error("http.host matches \"(unclosed\"");
  EXPECT_EQ(f.span, "\"(unclosed\"");
  EXPECT_TRUE(has(f.message, "invalid regular expression: missing )")) << f;
  EXPECT_ERROR("http.host matches r\"a{2,1}\"", "r\"a{2,1}\"", "invalid regular expression");
  // Perl features RE2 does not have.
  EXPECT_ERROR("http.host matches r\"(a)\\1\"", "r\"(a)\\1\"", "invalid regular expression");
  EXPECT_ERROR("http.host matches r\"(?=a)\"", "r\"(?=a)\"", "invalid regular expression");

  std::string long_pattern(kMaxRegexBytes + 1, 'a');
  f = h.error("http.host matches \"" + long_pattern + "\"");
  EXPECT_EQ(f.message, "regular expression is longer than 4096 bytes");
  EXPECT_EQ(f.offset, 18u);

  f = h.error("http.host matches r\"((((a{1,100}){1,100}){1,100}){1,100})\"");
  EXPECT_TRUE(has(f.message, "invalid regular expression") ||
              has(f.message, "compiles to a program too large to run per request"))
      << f;
  std::string huge;
  for (int i = 0; i < 11; ++i) huge += ".{1000}";  // 2 instructions per repetition
  f = h.error("http.host matches r\"" + huge + "\"");
  EXPECT_TRUE(has(f.message,
                  "regular expression compiles to a program too large to run per "
                  "request"))
      << f;
  EXPECT_TRUE(has(f.message, "the limit is 20000")) << f;

  // A wildcard's limit is on the pattern as written, not the regex it becomes.
  Compiler compiler(h.options());
  std::string stars(kMaxRegexBytes - 10, '*');
  EXPECT_TRUE(compiler.compile("http.host wildcard \"" + stars + "\"").program);
  std::string letters(kMaxRegexBytes, 'a');
  EXPECT_TRUE(compiler.compile("http.host wildcard \"" + letters + "\"").program);
  f = h.error("http.host wildcard \"" + letters + "b\"");
  EXPECT_EQ(f.message, "wildcard pattern is longer than 4096 bytes");
}

TEST_F(CompilerTest, Literals) {
  EXPECT_ERROR("ip.src eq 1.2.3", "1.2.3", "\"1.2.3\" is not an IP address");
  EXPECT_ERROR("ip.src eq 300.0.0.1", "300.0.0.1", "is not an IP address");
  EXPECT_ERROR("http.host eq a:b", "a:b", "\"a:b\" is not an IP address");
  EXPECT_ERROR("ip.src eq 10.0.0.0/8", "10.0.0.0/8",
               "a prefix like 10.0.0.0/8 can only be used in a set: ip.src in {10.0.0.0/8}");
  Compiler compiler(h.options());
  EXPECT_TRUE(compiler.compile("ip.src eq 10.0.0.1/32").program);
  EXPECT_TRUE(compiler.compile("ip.src eq 2001:db8::1/128").program);
}

TEST_F(CompilerTest, LogicalOperatorsJoinConditions) {
  Failure f = h.error("http.host and ssl");
  EXPECT_EQ(f.span, "http.host");
  EXPECT_EQ(f.message, "\"and\" joins conditions, but this is a String");
  EXPECT_ERROR("ssl || len(http.host)", "len", "\"||\" joins conditions, but this is an Int");
  EXPECT_ERROR("ssl xor ip.src", "ip.src", "\"xor\" joins conditions, but this is an IP address");
  EXPECT_ERROR("not http.host", "not", "\"not\" needs a condition, but its operand is a String");
  EXPECT_ERROR("ssl and !http.host", "!", "\"!\" needs a condition, but its operand is a String");
}

TEST_F(CompilerTest, Lists) {
  EXPECT_ERROR("http.host in $bad", "$bad", "$bad is an IP list, but the left side is a String");
  Failure f = h.error("ip.src in $bda");
  EXPECT_EQ(f.span, "$bda");
  EXPECT_EQ(f.message,
            "no list is named \"bda\" (did you mean $bad?); lists are defined under lists: in "
            "the config");
  f = h.error("ip.src in $nothing_like_it");
  EXPECT_EQ(f.message,
            "no list is named \"nothing_like_it\"; lists are defined under lists: in the config");
  // Without lists at all.
  Compiler bare(CompileOptions{});
  CompileResult r = bare.compile("ip.src in $bad");
  ASSERT_TRUE(r.error);
  EXPECT_TRUE(has(r.error->message, "no list is named \"bad\"")) << r.error->message;
}

TEST_F(CompilerTest, SetItemsMustMatchTheLeftSide) {
  Failure f = h.error("http.host in {\"a\" 1}");
  EXPECT_EQ(f.span, "1");
  EXPECT_EQ(f.message, "the left side is a String, so every item of the set must be a string");
  EXPECT_ERROR("http.request.body.size in {1 \"2\"}", "\"2\"",
               "the left side is an Int, so every item of the set must be a number");
  EXPECT_ERROR("ip.src in {10.0.0.0/8 \"x\"}", "\"x\"",
               "the left side is an IP address, so every item of the set must be an IP address or "
               "prefix");
  EXPECT_ERROR("ip.src in {10.0.0.0/33}", "10.0.0.0/33",
               "\"10.0.0.0/33\" is not an IP address or prefix");
  EXPECT_ERROR("ip.src in {1.2.3}", "1.2.3", "is not an IP address or prefix");
  EXPECT_ERROR("ssl in {true}", "in",
               "\"in\" needs a string, number or IP address on its left, not a Bool");
  EXPECT_ERROR("http.host in {true}", "true", "every item of the set must be a string");
}

TEST_F(CompilerTest, FunctionArity) {
  Failure f = h.error("lower(http.host, \"x\") eq \"a\"");
  EXPECT_EQ(f.span, "lower");
  EXPECT_EQ(f.message, "lower() takes one string, got 2 arguments");
  EXPECT_ERROR("upper() eq \"a\"", "upper", "upper() takes one string, got 0 arguments");
  EXPECT_ERROR("url_decode() eq \"a\"", "url_decode", "url_decode() takes one string");
  EXPECT_ERROR("len() eq 1", "len", "len() takes one string or array, got 0 arguments");
  EXPECT_ERROR("starts_with(http.host)", "starts_with",
               "starts_with() takes two strings, got 1 argument");
  EXPECT_ERROR("ends_with(http.host, \"a\", \"b\")", "ends_with", "ends_with() takes two strings");
  EXPECT_ERROR("concat(http.host) eq \"a\"", "concat", "concat() takes 2 to 16 strings, got 1");
  std::string many = "concat(";
  for (int i = 0; i < 17; ++i) many += std::string(i ? "," : "") + "\"a\"";
  many += ") eq \"a\"";
  EXPECT_ERROR(many, "concat", "got 17 arguments");
  EXPECT_ERROR("regex_replace(http.host, \"a\") eq \"a\"", "regex_replace",
               "regex_replace() takes a string, a regular expression and a replacement, got 2");
  EXPECT_ERROR("substring(http.host) eq \"a\"", "substring",
               "substring() takes a string, a start and an optional end, got 1");
  EXPECT_ERROR("lookup_json_string(http.host) eq \"a\"", "lookup_json_string",
               "lookup_json_string() takes a JSON string and 1 to 16 keys, got 1");
  EXPECT_ERROR("cidr(ip.src, 24) eq 1.2.3.0", "cidr",
               "cidr() takes an IP address, IPv4 bits and IPv6 bits, got 2");
  EXPECT_ERROR("all(http.request.headers.names[*] eq \"a\", true)", "all",
               "all() takes one condition over an array's elements, got 2");
}

TEST_F(CompilerTest, FunctionArgumentTypes) {
  Failure f = h.error("lower(http.request.body.size) eq \"a\"");
  EXPECT_EQ(f.span, "http.request.body.size");
  EXPECT_EQ(f.message, "argument 1 of lower() must be a String, not an Int");
  EXPECT_ERROR("upper(ip.src) eq \"a\"", "ip.src",
               "argument 1 of upper() must be a String, not an IP address");
  EXPECT_ERROR("url_decode(http.request.uri.args[\"a\"]) eq \"a\"", "http.request.uri.args[\"a\"]",
               "argument 1 of url_decode() must be a String, not an Array<String>");
  EXPECT_ERROR("starts_with(http.host, 1)", "1",
               "argument 2 of starts_with() must be a String, not an Int");
  EXPECT_ERROR("ends_with(ssl, \"x\")", "ssl",
               "argument 1 of ends_with() must be a String, not a Bool");
  EXPECT_ERROR("concat(\"a\", \"b\", 3) eq \"a\"", "3", "argument 3 of concat() must be a String");
  EXPECT_ERROR("len(ssl) eq 1", "ssl", "len() measures a string or an array, not a Bool");
  EXPECT_ERROR("len(ip.src) eq 1", "ip.src", "not an IP address");
  EXPECT_ERROR("regex_replace(ip.src, \"a\", \"b\") eq \"a\"", "ip.src",
               "argument 1 of regex_replace() must be a String");
  EXPECT_ERROR("regex_replace(http.host, http.referer, \"b\") eq \"a\"", "http.referer",
               "argument 2 of regex_replace() must be a string literal");
  EXPECT_ERROR("regex_replace(http.host, \"a\", http.host) eq \"a\"", "http.host",
               "argument 3 of regex_replace() must be a string literal");
  EXPECT_ERROR("regex_replace(http.host, \"(\", \"b\") eq \"a\"", "\"(\"",
               "invalid regular expression");
  EXPECT_ERROR("substring(http.host, \"1\") eq \"a\"", "\"1\"",
               "argument 2 of substring() must be an Int, not a String");
  EXPECT_ERROR("substring(http.host, 1, \"2\") eq \"a\"", "\"2\"",
               "argument 3 of substring() must be an Int");
  EXPECT_ERROR("lookup_json_string(http.request.body.size, \"a\") eq \"a\"",
               "http.request.body.size", "argument 1 of lookup_json_string() must be a String");
  EXPECT_ERROR("lookup_json_string(http.host, http.host) eq \"a\"", "http.host",
               "JSON keys must be string literals or array positions (0, 1, ...)");
  EXPECT_ERROR("lookup_json_string(http.host, \"a\", -1) eq \"a\"", "-1",
               "JSON keys must be string literals or array positions");
  EXPECT_ERROR("cidr(http.host, 24, 64) eq 1.2.3.0", "http.host",
               "argument 1 of cidr() must be an IP address, not a String");
  EXPECT_ERROR("cidr(ip.src, 33, 64) eq 1.2.3.0", "33",
               "argument 2 of cidr() must be a number from 1 to 32");
  EXPECT_ERROR("cidr(ip.src, 0, 64) eq 1.2.3.0", "0", "must be a number from 1 to 32");
  EXPECT_ERROR("cidr(ip.src, 24, 129) eq 1.2.3.0", "129",
               "argument 3 of cidr() must be a number from 1 to 128");
  EXPECT_ERROR("cidr(ip.src, len(http.host), 64) eq 1.2.3.0", "len",
               "argument 2 of cidr() must be a number from 1 to 32");
}

TEST_F(CompilerTest, RegexReplaceReplacements) {
  EXPECT_ERROR("regex_replace(http.host, \"(a)\", \"${x}\") eq \"a\"", "\"${x}\"",
               "use ${1} to ${9} to insert a captured group");
  EXPECT_ERROR("regex_replace(http.host, \"(a)\", \"${10}\") eq \"a\"", "\"${10}\"",
               "use ${1} to ${9}");
  EXPECT_ERROR("regex_replace(http.host, \"(a)\", \"${1\") eq \"a\"", "\"${1\"",
               "use ${1} to ${9}");
  Failure f = h.error("regex_replace(http.host, \"(a)\", \"${2}\") eq \"a\"");
  EXPECT_EQ(f.span, "\"${2}\"");
  EXPECT_TRUE(has(f.message, "invalid replacement: ")) << f;
  Compiler compiler(h.options());
  EXPECT_TRUE(
      compiler.compile("regex_replace(http.host, \"a\", \"${0}-$1-\\\\1\") eq \"\"").program);
}

TEST_F(CompilerTest, ProgramsOfOneCompilerShareFieldSlots) {
  Compiler compiler(h.options());
  ASSERT_TRUE(
      compiler.compile("http.host eq \"a\" and http.request.headers[\"X-A\"] eq \"1\"").program);
  ASSERT_TRUE(
      compiler.compile("http.host eq \"b\" or http.request.headers[\"x-a\"] eq \"2\"").program);
  ASSERT_EQ(compiler.slots().size(), 2u);
  EXPECT_EQ(compiler.slots()[1].key, "x-a");  // header names are matched lowercase
  ASSERT_TRUE(compiler.compile("http.request.cookies[\"Sid\"] eq \"1\"").program);
  EXPECT_EQ(compiler.slots()[2].key, "Sid");  // cookie names are case-sensitive
  // An expression that fails to compile adds no slots... or at least breaks nothing.
  EXPECT_TRUE(compiler.compile("http.nope eq 1").error);
}

TEST_F(CompilerTest, ExtensionFields) {
  FieldRegistry registry;
  FieldId score = registry.add_extension("bot.score", Type::kInt, "a bot score");
  ASSERT_NE(score, FieldRegistry::kInvalid);
  EXPECT_EQ(registry.add_extension("bot.score", Type::kInt, "again"), score);
  EXPECT_EQ(registry.add_extension("bot.score", Type::kString, "clash"), FieldRegistry::kInvalid);
  EXPECT_EQ(registry.add_extension("http.host", Type::kString, "builtin"), FieldRegistry::kInvalid);
  h.registry = &registry;
  Compiler compiler(h.options(), registry);
  EXPECT_TRUE(compiler.compile("bot.score lt 30").program);
  Failure f = h.error("bot.scor lt 30");
  EXPECT_EQ(f.message, "unknown field \"bot.scor\" (did you mean \"bot.score\"?)");
  EXPECT_ERROR("bot.score eq \"x\"", "eq",
               "the left side is an Int and the right side is a String");
}

TEST(ClosestNameTest, SuggestsOnlyNearNames) {
  std::vector<std::string_view> names = {"http.host", "http.referer", "ip.src"};
  EXPECT_EQ(closest_name("http.hots", names), "http.host");
  EXPECT_EQ(closest_name("ip.srcc", names), "ip.src");
  EXPECT_EQ(closest_name("http.refferer", names), "http.referer");
  EXPECT_EQ(closest_name("zzz", names), "");
  EXPECT_EQ(closest_name("", names), "");
  EXPECT_EQ(closest_name(std::string(100, 'h'), names), "");
}

}  // namespace
}  // namespace rampart::rules
