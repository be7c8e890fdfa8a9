// Every function of the language, evaluated.

#include <gtest/gtest.h>

#include <string>

#include "rules/evaluator.h"
#include "rules_test_util.h"

namespace rampart::rules {
namespace {

using testing::get;
using testing::Harness;

constexpr std::string_view kTarget =
    "/Some/Path.html?redirect=https%3A%2F%2Fevil.example%2F&b=%ff%FE&sp=a+b%20c";

class FunctionsTest : public ::testing::Test {
 protected:
  Harness h{get(kTarget, "X-Mixed: AbC-\xc3\x89t\xc3\xa9\r\n")};
};

TEST_F(FunctionsTest, LowerAndUpperChangeOnlyAscii) {
  EXPECT_EQ(h.str("lower(http.request.uri.path)"), "/some/path.html");
  EXPECT_EQ(h.str("upper(http.request.uri.path)"), "/SOME/PATH.HTML");
  EXPECT_EQ(h.str("lower(http.request.headers[\"x-mixed\"][0])"), "abc-\xc3\x89t\xc3\xa9");
  EXPECT_EQ(h.str("upper(http.request.headers[\"x-mixed\"][0])"), "ABC-\xc3\x89T\xc3\xa9");
  EXPECT_EQ(h.str("lower(\"\")"), "");
  EXPECT_EQ(h.str("upper(\"123\")"), "123");
}

TEST_F(FunctionsTest, LenCountsBytesOrElements) {
  EXPECT_EQ(h.value("len(http.request.headers[\"x-mixed\"][0])"), "9");  // bytes, not letters
  EXPECT_EQ(h.value("len(\"\")"), "0");
  EXPECT_EQ(h.value("len(http.request.uri.args.names)"), "3");
  EXPECT_EQ(h.value("len(http.request.uri.args[\"nope\"])"), "0");
  EXPECT_EQ(h.value("len(http.referer)"), "(missing)");
}

TEST_F(FunctionsTest, StartsWithAndEndsWith) {
  EXPECT_TRUE(h.match("starts_with(http.request.uri.path, \"/Some/\")"));
  EXPECT_FALSE(h.match("starts_with(http.request.uri.path, \"/some/\")"));
  EXPECT_TRUE(h.match("starts_with(http.request.uri.path, \"\")"));
  EXPECT_TRUE(h.match("ends_with(http.request.uri.path, \".html\")"));
  EXPECT_FALSE(h.match("ends_with(http.request.uri.path, \".htm\")"));
  EXPECT_FALSE(h.match("ends_with(\"ml\", \"html\")"));
  EXPECT_TRUE(h.match("ends_with(http.request.uri.path, http.request.uri.path)"));
  EXPECT_TRUE(h.match("starts_with(lower(http.request.uri.path), \"/some\")"));
}

TEST_F(FunctionsTest, Concat) {
  EXPECT_EQ(h.str("concat(\"a\", \"b\")"), "ab");
  EXPECT_EQ(h.str("concat(http.host, \":\", \"443\", http.request.uri.path)"),
            "shop.example:443/Some/Path.html");
  EXPECT_EQ(h.str("concat(\"\", \"\")"), "");
  std::string sixteen = "concat(";
  for (int i = 0; i < 16; ++i) sixteen += std::string(i ? "," : "") + "\"" + char('a' + i) + "\"";
  sixteen += ")";
  EXPECT_EQ(h.str(sixteen), "abcdefghijklmnop");
  EXPECT_EQ(h.str("concat(http.host, http.referer)"), "(missing)");
  // Long results leave the small arena without trouble.
  EXPECT_EQ(h.value("len(concat(http.request.uri, http.request.uri, http.request.uri, "
                    "http.request.uri, http.request.uri, http.request.uri, http.request.uri, "
                    "http.request.uri, http.request.uri, http.request.uri, http.request.uri, "
                    "http.request.uri, http.request.uri, http.request.uri, http.request.uri, "
                    "http.request.uri))"),
            std::to_string(16 * kTarget.size()));
}

TEST_F(FunctionsTest, UrlDecode) {
  EXPECT_EQ(h.str("url_decode(http.request.uri.query)"),
            "redirect=https://evil.example/&b=\xff\xfe&sp=a b c");
  EXPECT_EQ(h.str("url_decode(\"%41%4a%4A\")"), "AJJ");
  EXPECT_EQ(h.str("url_decode(\"a+b\")"), "a b");    // form encoding
  EXPECT_EQ(h.str("url_decode(\"100%\")"), "100%");  // malformed escapes are kept
  EXPECT_EQ(h.str("url_decode(\"%4\")"), "%4");
  EXPECT_EQ(h.str("url_decode(\"%zz%4g%\")"), "%zz%4g%");
  EXPECT_EQ(h.str("url_decode(\"%2541\")"), "%41");  // one pass only
  EXPECT_EQ(h.value("url_decode(\"%00%0a\")"), R"("\x00\x0a")");
  EXPECT_EQ(h.str("url_decode(url_decode(\"%2541\"))"), "A");
  EXPECT_EQ(h.str("url_decode(\"\")"), "");
}

TEST_F(FunctionsTest, RegexReplaceReplacesTheFirstMatch) {
  EXPECT_EQ(h.str("regex_replace(http.request.uri.path, r\"^/Some/(.*)\\.html$\", \"/new/${1}\")"),
            "/new/Path");
  EXPECT_EQ(h.str("regex_replace(\"a-b-c\", \"-\", \"+\")"), "a+b-c");  // first match only
  EXPECT_EQ(h.str("regex_replace(\"abc\", \"x\", \"y\")"), "abc");      // no match: unchanged
  EXPECT_EQ(h.str("regex_replace(\"abc\", \"b\", \"[${0}]\")"), "a[b]c");
  EXPECT_EQ(h.str("regex_replace(\"abc\", \"(a)(b)(c)\", \"${3}${2}${1}\")"), "cba");
  // Backslashes and a lone $ in the replacement are literal.
  EXPECT_EQ(h.str("regex_replace(\"abc\", \"(b)\", r\"\\1$1\\\")"), "a\\1$1\\c");
  EXPECT_EQ(h.str("regex_replace(\"abc\", \"\", \"^\")"), "^abc");
  EXPECT_EQ(h.str("regex_replace(\"ABC\", \"(?i)b\", \"\")"), "AC");
  EXPECT_EQ(h.value("regex_replace(http.request.uri.args[\"b\"][0], \"\\xff\", \"X\")"),
            R"("X\xfe")");
}

TEST_F(FunctionsTest, SubstringCountsBytesWithNegativePositionsFromTheEnd) {
  EXPECT_EQ(h.str("substring(\"abcdef\", 0)"), "abcdef");
  EXPECT_EQ(h.str("substring(\"abcdef\", 2)"), "cdef");
  EXPECT_EQ(h.str("substring(\"abcdef\", 1, 3)"), "bc");  // the end is exclusive
  EXPECT_EQ(h.str("substring(\"abcdef\", -2)"), "ef");
  EXPECT_EQ(h.str("substring(\"abcdef\", 0, -1)"), "abcde");
  EXPECT_EQ(h.str("substring(\"abcdef\", -3, -1)"), "de");
  EXPECT_EQ(h.str("substring(\"abcdef\", 4, 2)"), "");  // end before start
  EXPECT_EQ(h.str("substring(\"abcdef\", 10)"), "");    // past the end
  EXPECT_EQ(h.str("substring(\"abcdef\", -10)"), "abcdef");
  EXPECT_EQ(h.str("substring(\"abcdef\", 2, 100)"), "cdef");
  EXPECT_EQ(h.str("substring(\"abcdef\", -9223372036854775808, 9223372036854775807)"), "abcdef");
  EXPECT_EQ(h.str("substring(\"abcdef\", 9223372036854775807, -9223372036854775808)"), "");
  EXPECT_EQ(h.str("substring(\"\", 0, 1)"), "");
  EXPECT_EQ(h.str("substring(\"abc\", 3)"), "");
}

TEST_F(FunctionsTest, LookupJsonString) {
  h.request.body = R"({"user": {"name": "root", "tags": ["a", "b\"c", {"k": "v"}], "n": 5},
                      "esc": "\u00e9\n\/", "dup": "first", "dup": "second", "e": "",
                      "k\"ey": "quoted key", "nested": [[["deep"]]]})";
  auto lookup = [&](std::string_view path) {
    return h.value("lookup_json_string(http.request.body.raw, " + std::string(path) + ")");
  };
  EXPECT_EQ(lookup("\"user\", \"name\""), R"("root")");
  EXPECT_EQ(lookup("\"user\", \"tags\", 0"), R"("a")");
  EXPECT_EQ(lookup("\"user\", \"tags\", 1"), R"("b\"c")");
  EXPECT_EQ(lookup("\"user\", \"tags\", 2, \"k\""), R"("v")");
  EXPECT_EQ(lookup("\"esc\""), R"("\xc3\xa9\x0a/")");
  EXPECT_EQ(lookup("\"dup\""), R"("first")");
  EXPECT_EQ(lookup("\"e\""), R"("")");
  EXPECT_EQ(lookup("\"k\\\"ey\""), R"("quoted key")");
  EXPECT_EQ(lookup("\"nested\", 0, 0, 0"), R"("deep")");
  // Not there, or not a string: missing.
  EXPECT_EQ(lookup("\"user\""), "(missing)");
  EXPECT_EQ(lookup("\"user\", \"n\""), "(missing)");
  EXPECT_EQ(lookup("\"user\", \"tags\", 3"), "(missing)");
  EXPECT_EQ(lookup("\"user\", \"tags\", \"0\""), "(missing)");
  EXPECT_EQ(lookup("\"user\", 0"), "(missing)");
  EXPECT_EQ(lookup("\"nope\""), "(missing)");
  EXPECT_EQ(lookup("\"USER\", \"name\""), "(missing)");
  EXPECT_FALSE(h.match("lookup_json_string(http.request.body.raw, \"nope\") ne \"x\""));
}

TEST_F(FunctionsTest, LookupJsonStringOnMalformedDocuments) {
  auto lookup = [&](std::string_view json, std::string_view path) {
    h.request.body = json;
    return h.value("lookup_json_string(http.request.body.raw, " + std::string(path) + ")");
  };
  EXPECT_EQ(lookup("", "\"a\""), "(missing)");
  EXPECT_EQ(lookup("{", "\"a\""), "(missing)");
  EXPECT_EQ(lookup("{}", "\"a\""), "(missing)");
  EXPECT_EQ(lookup("[]", "0"), "(missing)");
  EXPECT_EQ(lookup("\"a\"", "\"a\""), "(missing)");
  EXPECT_EQ(lookup(R"({"a": "unterminated)", "\"a\""), "(missing)");
  EXPECT_EQ(lookup(R"({"a": "bad \x escape"})", "\"a\""), "(missing)");
  EXPECT_EQ(lookup(R"({"a": "bad \u12 escape"})", "\"a\""), "(missing)");
  EXPECT_EQ(lookup("{\"a\": \"raw\nnewline\"}", "\"a\""), "(missing)");
  EXPECT_EQ(lookup(R"({"x": {"unclosed": [1, 2}, "a": "v"})", "\"a\""), "(missing)");
  EXPECT_EQ(lookup(R"({"x": ]], "a": "v"})", "\"a\""), "(missing)");
  // Whatever follows the value is not read: a lookup is not a validator.
  EXPECT_EQ(lookup(R"({"a": "v", garbage)", "\"a\""), R"("v")");
  EXPECT_EQ(lookup(R"(  { "b" : [ 1 , { } , null , true , -2.5e3 ] , "a" : "v" } )", "\"a\""),
            R"("v")");
  // Deep nesting is skipped without recursion, up to a limit.
  std::string deep = "{\"x\": " + std::string(400, '[') + std::string(400, ']') + ", \"a\": \"v\"}";
  EXPECT_EQ(lookup(deep, "\"a\""), R"("v")");
  std::string too_deep =
      "{\"x\": " + std::string(100000, '[') + std::string(100000, ']') + ", \"a\": \"v\"}";
  EXPECT_EQ(lookup(too_deep, "\"a\""), "(missing)");
}

TEST_F(FunctionsTest, CidrMasksHostBits) {
  h.request.client_ip = testing::ip("198.51.100.77");
  EXPECT_EQ(h.value("cidr(ip.src, 24, 64)"), "198.51.100.0");
  EXPECT_EQ(h.value("cidr(ip.src, 1, 64)"), "128.0.0.0");
  EXPECT_EQ(h.value("cidr(ip.src, 32, 64)"), "198.51.100.77");
  EXPECT_EQ(h.value("cidr(ip.src, 20, 64)"), "198.51.96.0");
  EXPECT_TRUE(h.match("cidr(ip.src, 24, 64) eq 198.51.100.0"));
  h.request.client_ip = testing::ip("2001:db8:1:2:3:4:5:6");
  EXPECT_EQ(h.value("cidr(ip.src, 24, 64)"), "2001:db8:1:2::");
  EXPECT_EQ(h.value("cidr(ip.src, 24, 48)"), "2001:db8:1::");
  EXPECT_EQ(h.value("cidr(ip.src, 24, 128)"), "2001:db8:1:2:3:4:5:6");
  EXPECT_EQ(h.value("cidr(ip.src, 24, 1)"), "::");
  EXPECT_EQ(h.value("cidr(ip.src, 24, 63)"), "2001:db8:1:2::");
  EXPECT_EQ(h.value("cidr(ip.src, 24, 61)"), "2001:db8:1::");
}

TEST_F(FunctionsTest, NestedCalls) {
  EXPECT_TRUE(
      h.match("lower(url_decode(http.request.uri.args[\"redirect\"][0])) wildcard "
              "\"https://*.example/\""));
  EXPECT_TRUE(
      h.match("starts_with(url_decode(http.request.uri.args[\"redirect\"][0]), "
              "concat(\"https://\", \"evil\"))"));
  EXPECT_EQ(h.str("upper(substring(lower(concat(\"AB\", \"CD\")), 1, 3))"), "BC");
}

}  // namespace
}  // namespace rampart::rules
