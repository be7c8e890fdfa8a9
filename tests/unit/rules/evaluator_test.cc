// Evaluation on real parsed requests: operators, logic, missing values, arrays,
// any()/all(), sets, lists, regexes and wildcards.

#include "rules/evaluator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules_test_util.h"

namespace rampart::rules {
namespace {

using testing::get;
using testing::Harness;

// A request with repeated headers, a query and cookies.
const char kRequest[] =
    "GET /shop/Item.PHP?id=42&tag=a&tag=b&q=%E0%0A%FF HTTP/1.1\r\n"
    "Host: Shop.Example:8443\r\n"
    "User-Agent: Mozilla/5.0 curl/8.1\r\n"
    "Accept: text/html\r\n"
    "Accept: application/json\r\n"
    "X-Empty:\r\n"
    "Cookie: sid=abc; theme=dark\r\n"
    "\r\n";

class EvaluatorTest : public ::testing::Test {
 protected:
  Harness h{kRequest};
};

TEST_F(EvaluatorTest, Equality) {
  EXPECT_TRUE(h.match("http.host eq \"shop.example\""));
  EXPECT_TRUE(h.match("http.host == \"shop.example\""));
  EXPECT_FALSE(h.match("http.host eq \"Shop.Example\""));  // strings compare exactly
  EXPECT_TRUE(h.match("http.host ne \"other\""));
  EXPECT_TRUE(h.match("http.host != \"other\""));
  EXPECT_FALSE(h.match("http.host ne \"shop.example\""));
  EXPECT_TRUE(h.match("http.request.method eq \"GET\""));
  EXPECT_TRUE(h.match("ssl eq false"));
  EXPECT_TRUE(h.match("ssl ne true"));
  EXPECT_TRUE(h.match("ip.src eq 192.0.2.1"));
  EXPECT_TRUE(h.match("ip.src ne 192.0.2.2"));
  EXPECT_TRUE(h.match("ip.src eq ::ffff:192.0.2.1"));  // the same address, mapped
  EXPECT_FALSE(h.match("ip.src eq ::1"));
}

TEST_F(EvaluatorTest, IntegerOrdering) {
  h.request.response_status = 503;
  EXPECT_TRUE(h.match("http.response.code gt 499"));
  EXPECT_TRUE(h.match("http.response.code > 499"));
  EXPECT_FALSE(h.match("http.response.code gt 503"));
  EXPECT_TRUE(h.match("http.response.code ge 503"));
  EXPECT_TRUE(h.match("http.response.code >= 503"));
  EXPECT_TRUE(h.match("http.response.code lt 504"));
  EXPECT_TRUE(h.match("http.response.code < 504"));
  EXPECT_FALSE(h.match("http.response.code lt 503"));
  EXPECT_TRUE(h.match("http.response.code le 503"));
  EXPECT_TRUE(h.match("http.response.code <= 503"));
  EXPECT_TRUE(h.match("http.response.code gt -1"));
  EXPECT_TRUE(h.match("http.response.code lt 9223372036854775807"));
  EXPECT_TRUE(h.match("http.response.code gt -9223372036854775808"));
}

TEST_F(EvaluatorTest, StringOrderingIsByBytes) {
  EXPECT_TRUE(h.match("http.request.method lt \"POST\""));
  EXPECT_TRUE(h.match("http.request.method gt \"DELETE\""));
  EXPECT_TRUE(h.match("http.request.method ge \"GET\""));
  EXPECT_TRUE(h.match("http.request.method le \"GET\""));
  EXPECT_TRUE(h.match("http.request.method lt \"GETX\""));   // a prefix sorts first
  EXPECT_TRUE(h.match("http.request.method lt \"get\""));    // 'G' < 'g'
  EXPECT_TRUE(h.match("http.request.method lt \"\\xff\""));  // bytes are unsigned
}

TEST_F(EvaluatorTest, Contains) {
  EXPECT_TRUE(h.match("http.user_agent contains \"curl/\""));
  EXPECT_FALSE(h.match("http.user_agent contains \"CURL\""));  // case-sensitive
  EXPECT_TRUE(h.match("http.user_agent contains \"\""));
  EXPECT_TRUE(h.match("http.user_agent contains \"Mozilla/5.0 curl/8.1\""));
  EXPECT_FALSE(h.match("http.user_agent contains \"Mozilla/5.0 curl/8.1 \""));
  EXPECT_TRUE(h.match("http.request.uri.args[\"q\"] contains \"\\n\""));
  EXPECT_TRUE(h.match("http.request.uri.args[\"q\"] contains \"\\xff\""));
}

TEST_F(EvaluatorTest, MatchesIsAnUnanchoredRe2Search) {
  EXPECT_TRUE(h.match("http.user_agent matches \"curl\""));
  EXPECT_TRUE(h.match("http.user_agent ~ r\"curl/\\d+\\.\\d+$\""));
  EXPECT_FALSE(h.match("http.user_agent ~ \"^curl\""));
  EXPECT_FALSE(h.match("http.user_agent ~ \"CURL\""));
  EXPECT_TRUE(h.match("http.user_agent ~ \"(?i)CURL\""));
  EXPECT_FALSE(h.match("http.request.uri.path ~ r\"\\.(php|asp)$\""));
  EXPECT_TRUE(h.match("http.request.uri.path ~ r\"(?i)\\.(php|asp)$\""));
  EXPECT_TRUE(h.match("http.host ~ \"\""));
}

TEST_F(EvaluatorTest, RegexesWorkOnBytes) {
  // q decodes to E0 0A FF: not UTF-8. "." is any byte but newline.
  EXPECT_TRUE(h.match("http.request.uri.args[\"q\"] ~ r\"^\\xe0\\n\\xff$\""));
  EXPECT_TRUE(h.match("http.request.uri.args[\"q\"] ~ r\"^.\\n.$\""));
  EXPECT_FALSE(h.match("http.request.uri.args[\"q\"] ~ r\"^...$\""));
  EXPECT_TRUE(h.match("http.request.uri.args[\"q\"] ~ r\"(?s)^...$\""));
  EXPECT_TRUE(h.match("http.request.uri.args[\"q\"] ~ r\"[\\x80-\\xff]\""));
  EXPECT_TRUE(h.match("http.request.uri.args[\"q\"] ~ \"\\xff\""));
  EXPECT_TRUE(h.match("http.request.uri.args[\"q\"] ~ r\"\\x{e0}\\x{a}\\x{ff}\""));
  EXPECT_TRUE(h.match("http.request.uri.args[\"q\"] ~ r\"^\\C\\n\""));
}

TEST_F(EvaluatorTest, WildcardIsAnchoredAndCaseInsensitive) {
  EXPECT_TRUE(h.match("http.host wildcard \"*.example\""));
  EXPECT_TRUE(h.match("http.host wildcard \"SHOP.*\""));
  EXPECT_TRUE(h.match("http.host wildcard \"shop.example\""));
  EXPECT_TRUE(h.match("http.host wildcard \"*\""));
  EXPECT_FALSE(h.match("http.host wildcard \"shop\""));  // anchored at both ends
  EXPECT_FALSE(h.match("http.host wildcard \"hop.example\""));
  EXPECT_TRUE(h.match("http.host wildcard \"s*p*e\""));
  EXPECT_FALSE(h.match("http.host wildcard \"\""));
  EXPECT_TRUE(h.match("http.request.uri.args[\"q\"] wildcard \"*\""));  // * crosses newlines
  EXPECT_TRUE(h.match("http.request.uri.args[\"q\"] wildcard \"\\xe0*\\xff\""));
}

TEST_F(EvaluatorTest, WildcardTreatsEverythingButStarLiterally) {
  h.set_request(get("/a.b?x=a%2Ab&y=a(b)%5B%5D%5C&z=a.c"));
  EXPECT_TRUE(h.match("http.request.uri.args[\"z\"] wildcard \"a.c\""));
  EXPECT_FALSE(h.match("http.request.uri.args[\"z\"] wildcard \"a?c\""));
  EXPECT_FALSE(h.match("http.request.uri.path wildcard \"/a?b\""));
  EXPECT_TRUE(h.match("http.request.uri.args[\"y\"] wildcard \"a(b)[]\\\\\""));
  EXPECT_TRUE(h.match("http.request.uri.args[\"y\"] wildcard r\"a(b)[]\\\\\""));
  // \* is a literal star.
  EXPECT_TRUE(h.match("http.request.uri.args[\"x\"] wildcard r\"a\\*b\""));
  EXPECT_FALSE(h.match("http.request.uri.args[\"z\"] wildcard r\"a\\*c\""));
  EXPECT_TRUE(h.match("http.request.uri.args[\"z\"] wildcard \"a*c\""));
  EXPECT_FALSE(h.match("http.request.uri.args[\"z\"] wildcard \"a+c\""));
  EXPECT_FALSE(h.match("http.request.uri.args[\"z\"] wildcard \"^a.c$\""));
}

TEST_F(EvaluatorTest, WildcardFoldsOnlyAsciiCase) {
  // %C0 is not the upper case of %E0: bytes are not Latin-1 letters.
  h.set_request(get("/?a=%E0&b=%C0x"));
  EXPECT_TRUE(h.match("http.request.uri.args[\"a\"] wildcard \"\\xe0\""));
  EXPECT_FALSE(h.match("http.request.uri.args[\"a\"] wildcard \"\\xc0\""));
  EXPECT_FALSE(h.match("http.request.uri.args[\"b\"] wildcard \"\\xe0X\""));
  EXPECT_TRUE(h.match("http.request.uri.args[\"b\"] wildcard \"\\xc0X\""));
}

TEST_F(EvaluatorTest, StrictWildcardIsCaseSensitive) {
  EXPECT_TRUE(h.match("http.request.uri.path strict wildcard \"/shop/*.PHP\""));
  EXPECT_FALSE(h.match("http.request.uri.path strict wildcard \"/shop/*.php\""));
  EXPECT_TRUE(h.match("http.request.uri.path wildcard \"/shop/*.php\""));
  EXPECT_TRUE(h.match("http.request.uri.path strict wildcard \"/*/Item*\""));
}

TEST_F(EvaluatorTest, LogicalOperators) {
  const char* t = "ssl eq false";
  const char* f = "ssl eq true";
  auto both = [&](const char* a, const char* op, const char* b) {
    return h.match(std::string(a) + " " + op + " " + b);
  };
  for (const char* op : {"and", "&&"}) {
    EXPECT_TRUE(both(t, op, t));
    EXPECT_FALSE(both(t, op, f));
    EXPECT_FALSE(both(f, op, t));
    EXPECT_FALSE(both(f, op, f));
  }
  for (const char* op : {"or", "||"}) {
    EXPECT_TRUE(both(t, op, t));
    EXPECT_TRUE(both(t, op, f));
    EXPECT_TRUE(both(f, op, t));
    EXPECT_FALSE(both(f, op, f));
  }
  for (const char* op : {"xor", "^^"}) {
    EXPECT_FALSE(both(t, op, t));
    EXPECT_TRUE(both(t, op, f));
    EXPECT_TRUE(both(f, op, t));
    EXPECT_FALSE(both(f, op, f));
  }
  EXPECT_TRUE(h.match("not ssl"));
  EXPECT_TRUE(h.match("!ssl"));
  EXPECT_FALSE(h.match("not not ssl"));
  EXPECT_TRUE(h.match("true"));
  EXPECT_FALSE(h.match("false"));
  // Precedence: and binds tighter than or, not tighter than and.
  EXPECT_TRUE(h.match("true or false and false"));
  EXPECT_FALSE(h.match("(true or false) and false"));
  EXPECT_TRUE(h.match("not false and true"));
  EXPECT_FALSE(h.match("not (false or true)"));
  EXPECT_TRUE(h.match("true xor true or true"));    // (true xor true) or true
  EXPECT_FALSE(h.match("true xor true and true"));  // true xor (true and true)
}

TEST_F(EvaluatorTest, LogicShortCircuits) {
  Harness many{kRequest};
  ASSERT_TRUE(many.match("true or any(http.request.headers.names[*] contains \"zzz\")"));
  uint64_t short_steps = many.steps;
  ASSERT_FALSE(many.match("false or any(http.request.headers.names[*] contains \"zzz\")"));
  EXPECT_LT(short_steps, many.steps);
  ASSERT_FALSE(many.match("false and any(http.request.headers.names[*] contains \"zzz\")"));
  EXPECT_LT(many.steps, 4u);
}

TEST_F(EvaluatorTest, StringSets) {
  EXPECT_TRUE(h.match("http.request.method in {\"GET\" \"HEAD\"}"));
  EXPECT_TRUE(h.match("http.request.method in {\"POST\", \"GET\"}"));
  EXPECT_FALSE(h.match("http.request.method in {\"get\" \"POST\"}"));
  EXPECT_TRUE(h.match("http.request.method in {\"GET\" \"GET\"}"));  // duplicates are fine
  EXPECT_TRUE(h.match("not http.request.method in {\"POST\"}"));
  EXPECT_TRUE(h.match("\"\" in {\"\" \"a\"}"));
}

TEST_F(EvaluatorTest, IntegerSets) {
  h.request.response_status = 404;
  EXPECT_TRUE(h.match("http.response.code in {404 410}"));
  EXPECT_TRUE(h.match("http.response.code in {500, 410, 404, 404}"));
  EXPECT_FALSE(h.match("http.response.code in {200 -404}"));
  EXPECT_TRUE(h.match("-1 in {-1}"));
}

TEST_F(EvaluatorTest, AddressSets) {
  EXPECT_TRUE(h.match("ip.src in {192.0.2.0/24}"));
  EXPECT_TRUE(h.match("ip.src in {10.0.0.0/8 192.0.2.1}"));
  EXPECT_FALSE(h.match("ip.src in {192.0.2.2 192.0.2.128/25}"));
  EXPECT_TRUE(h.match("ip.src in {192.0.2.1/32}"));
  EXPECT_TRUE(h.match("ip.src in {0.0.0.0/0}"));
  EXPECT_TRUE(h.match("ip.src in {::ffff:192.0.2.0/120}"));  // mapped form of a v4 prefix
  EXPECT_FALSE(h.match("ip.src in {2001:db8::/32}"));
  h.request.client_ip = testing::ip("2001:db8::42");
  EXPECT_TRUE(h.match("ip.src in {2001:db8::/32}"));
  EXPECT_TRUE(h.match("ip.src in {10.0.0.0/8, 2001:db8::42}"));
  EXPECT_FALSE(h.match("ip.src in {0.0.0.0/0}"));
  EXPECT_TRUE(h.match("ip.src eq 2001:db8::42"));
  EXPECT_TRUE(h.match("ip.src eq 2001:DB8:0::42"));
}

TEST_F(EvaluatorTest, Lists) {
  EXPECT_FALSE(h.match("ip.src in $bad"));
  EXPECT_TRUE(h.match("ip.src in $office"));
  EXPECT_TRUE(h.match("not ip.src in $bad and ip.src in $office"));
  h.request.client_ip = testing::ip("203.0.113.77");
  EXPECT_TRUE(h.match("ip.src in $bad"));
  h.request.client_ip = testing::ip("2001:db8:bad:1::1");
  EXPECT_TRUE(h.match("ip.src in $bad"));
  h.request.client_ip = testing::ip("2001:db8:bae::1");
  EXPECT_FALSE(h.match("ip.src in $bad"));
  // cidr() results can be looked up too.
  h.request.client_ip = testing::ip("203.0.113.77");
  EXPECT_TRUE(h.match("cidr(ip.src, 16, 64) in {203.0.0.0/16}"));
}

TEST_F(EvaluatorTest, MissingValuesMakeComparisonsFalse) {
  // No Referer, no response yet, no body.
  for (const char* expr : {
           "http.referer eq \"x\"",
           "http.referer ne \"x\"",
           "http.referer lt \"zzz\"",
           "http.referer ge \"\"",
           "http.referer contains \"\"",
           "http.referer matches \"\"",
           "http.referer ~ \".*\"",
           "http.referer wildcard \"*\"",
           "http.referer strict wildcard \"*\"",
           "http.referer in {\"\"}",
           "http.response.code eq 0",
           "http.response.code ne 0",
           "http.response.code in {0}",
           "http.request.body.raw eq \"\"",
           "lower(http.referer) eq \"\"",
           "len(http.referer) ge 0",
           "concat(http.host, http.referer) ne \"\"",
           "substring(http.referer, 0) eq \"\"",
           "url_decode(http.referer) eq \"\"",
           "regex_replace(http.referer, \"a\", \"b\") eq \"\"",
           "lookup_json_string(http.request.body.raw, \"a\") ne \"x\"",
           "starts_with(http.referer, \"\")",
           "ends_with(http.referer, \"\")",
           "starts_with(http.host, http.referer)",
           "http.request.headers[\"x-none\"][0] eq \"\"",
           "http.request.headers[\"x-none\"][0] ne \"\"",
       }) {
    EXPECT_FALSE(h.match(expr)) << expr;
  }
  EXPECT_EQ(h.value("http.referer"), "(missing)");
  EXPECT_EQ(h.value("lower(http.referer)"), "(missing)");
  EXPECT_EQ(h.value("http.response.code"), "(missing)");
}

TEST_F(EvaluatorTest, NotOfAComparisonWithAMissingValueIsTrue) {
  EXPECT_TRUE(h.match("not http.referer eq \"x\""));
  EXPECT_TRUE(h.match("not http.referer ne \"x\""));
  EXPECT_TRUE(h.match("not http.referer contains \"x\""));
  EXPECT_TRUE(h.match("not starts_with(http.referer, \"https://shop.example/\")"));
  EXPECT_TRUE(h.match("not ends_with(http.referer, \"x\")"));
  EXPECT_TRUE(h.match("http.referer eq \"x\" or true"));
  EXPECT_TRUE(h.match("http.referer eq \"x\" xor true"));
}

TEST_F(EvaluatorTest, PresentButEmptyIsNotMissing) {
  EXPECT_TRUE(h.match("http.request.headers[\"x-empty\"][0] eq \"\""));
  EXPECT_TRUE(h.match("len(http.request.headers[\"x-empty\"][0]) eq 0"));
  EXPECT_TRUE(h.match("http.request.uri.query ne \"\""));
  h.set_request(get("/path"));
  EXPECT_TRUE(h.match("http.request.uri.query eq \"\""));
}

TEST_F(EvaluatorTest, ArraysByPosition) {
  EXPECT_EQ(h.value("http.request.headers[\"accept\"]"), R"(["text/html", "application/json"])");
  EXPECT_TRUE(h.match("http.request.headers[\"accept\"][0] eq \"text/html\""));
  EXPECT_TRUE(h.match("http.request.headers[\"accept\"][1] eq \"application/json\""));
  EXPECT_EQ(h.value("http.request.headers[\"accept\"][2]"), "(missing)");
  EXPECT_FALSE(h.match("http.request.headers[\"accept\"][2] ne \"x\""));
  EXPECT_EQ(h.value("http.request.headers[\"accept\"][9223372036854775807]"), "(missing)");
  EXPECT_EQ(h.value("len(http.request.headers[\"accept\"])"), "2");
  EXPECT_EQ(h.value("len(http.request.headers[\"x-none\"])"), "0");
  EXPECT_EQ(h.value("http.request.headers[\"x-none\"]"), "[]");
}

TEST_F(EvaluatorTest, ArrayComparedDirectlyMeansAnyElement) {
  EXPECT_TRUE(h.match("http.request.headers[\"accept\"] eq \"application/json\""));
  EXPECT_TRUE(h.match("http.request.headers[\"accept\"] contains \"html\""));
  // ne on a whole array: no element equals the value.
  EXPECT_FALSE(h.match("http.request.headers[\"accept\"] ne \"text/html\""));
  EXPECT_TRUE(h.match("http.request.headers[\"accept\"] ne \"image/png\""));
  EXPECT_TRUE(h.match("any(http.request.headers[\"accept\"][*] ne \"text/html\")"));
  EXPECT_FALSE(h.match("http.request.headers[\"accept\"] eq \"image/png\""));
  EXPECT_TRUE(h.match("http.request.headers[\"accept\"] in {\"image/png\" \"text/html\"}"));
  EXPECT_TRUE(h.match("http.request.headers[\"accept\"] wildcard \"APPLICATION/*\""));
  EXPECT_TRUE(h.match("http.request.headers[\"accept\"] ~ \"^text/\""));
  EXPECT_TRUE(h.match("http.request.uri.args[\"tag\"] eq \"b\""));
  EXPECT_TRUE(h.match("http.request.uri.args[\"tag\"] lt \"b\""));
  EXPECT_FALSE(h.match("http.request.uri.args[\"tag\"] gt \"b\""));
  // No elements: no element matches; so "ne" (none equal) holds.
  EXPECT_FALSE(h.match("http.request.headers[\"x-none\"] eq \"a\""));
  EXPECT_TRUE(h.match("http.request.headers[\"x-none\"] ne \"a\""));
  EXPECT_TRUE(h.match("not http.request.headers[\"x-none\"] eq \"a\""));
  // The right side is evaluated per element and may use functions.
  EXPECT_TRUE(h.match("http.request.headers[\"accept\"] eq concat(\"text/\", \"html\")"));
}

TEST_F(EvaluatorTest, AnyAndAll) {
  EXPECT_TRUE(h.match("any(http.request.headers[\"accept\"][*] contains \"json\")"));
  EXPECT_FALSE(h.match("all(http.request.headers[\"accept\"][*] contains \"json\")"));
  EXPECT_TRUE(h.match("all(http.request.headers[\"accept\"][*] contains \"/\")"));
  EXPECT_TRUE(h.match("any(starts_with(http.request.headers.names[*], \"user-\"))"));
  EXPECT_TRUE(h.match("all(len(http.request.headers.names[*]) lt 20)"));
  EXPECT_TRUE(h.match("any(lower(http.request.headers.values[*]) contains \"curl\")"));
  EXPECT_TRUE(
      h.match("any(http.request.uri.args.values[*] eq \"b\" and "
              "http.request.uri.args.values[*] ne \"a\")"));
  EXPECT_FALSE(
      h.match("any(http.request.uri.args.values[*] eq \"b\" and "
              "http.request.uri.args.values[*] eq \"a\")"));  // the same element
  EXPECT_TRUE(h.match("not all(http.request.uri.args.values[*] eq \"a\")"));
  // Several loops in one rule, one after the other.
  EXPECT_TRUE(
      h.match("any(http.request.headers.names[*] eq \"accept\") and "
              "all(http.request.uri.args.names[*] ne \"debug\") and "
              "http.request.uri.args[\"tag\"] eq \"a\""));
}

TEST_F(EvaluatorTest, QuantifiersOverNothing) {
  EXPECT_FALSE(h.match("any(http.request.headers[\"x-none\"][*] eq \"a\")"));
  EXPECT_FALSE(h.match("all(http.request.headers[\"x-none\"][*] eq \"a\")"));
  EXPECT_FALSE(h.match("all(http.request.headers[\"x-none\"][*] ne \"a\")"));
  EXPECT_TRUE(h.match("not all(http.request.headers[\"x-none\"][*] eq \"a\")"));
}

TEST_F(EvaluatorTest, QuantifierPredicatesMayReadOtherFields) {
  EXPECT_TRUE(
      h.match("any(concat(http.request.headers.names[*], \"@\", http.host) eq "
              "\"host@shop.example\")"));
  EXPECT_TRUE(
      h.match("any(http.request.headers[\"accept\"][*] eq http.request.headers[\"accept\"][1])"));
}

TEST_F(EvaluatorTest, IntegerArraysFromExtensions) {
  FieldRegistry registry;
  FieldId ports = registry.add_extension("test.ports", Type::kIntArray, "ports");
  FieldId label = registry.add_extension("test.label", Type::kString, "a label");
  FieldId flag = registry.add_extension("test.flag", Type::kBool, "a flag");
  h.registry = &registry;
  static const int64_t kPorts[] = {80, 443, 8080};
  h.request.set_extension(ports, Value::of_ints(kPorts));
  EXPECT_EQ(h.value("test.ports"), "[80, 443, 8080]");
  EXPECT_TRUE(h.match("test.ports eq 443"));
  EXPECT_TRUE(h.match("test.ports in {22 8080}"));
  EXPECT_FALSE(h.match("test.ports gt 8080"));
  EXPECT_TRUE(h.match("all(test.ports[*] ge 80)"));
  EXPECT_TRUE(h.match("any(test.ports[*] eq 8080)"));
  EXPECT_TRUE(h.match("test.ports[1] eq 443"));
  EXPECT_TRUE(h.match("len(test.ports) eq 3"));
  // Extensions that were not set are missing.
  EXPECT_EQ(h.value("test.label"), "(missing)");
  EXPECT_FALSE(h.match("test.label ne \"x\""));
  EXPECT_FALSE(h.match("test.flag"));
  EXPECT_FALSE(h.match("not test.flag"));  // unknown stays unknown
  EXPECT_FALSE(h.match("test.flag eq false"));
  h.request.set_extension(flag, Value::of_bool(false));
  EXPECT_TRUE(h.match("not test.flag"));
  h.request.set_extension(label, Value::of_string("gold"));
  h.request.set_extension(label, Value::of_string("silver"));  // set again: replaced
  EXPECT_TRUE(h.match("test.label eq \"silver\""));
}

TEST_F(EvaluatorTest, ManyExtensionsPastTheInlineSlots) {
  // More modules' fields than a request keeps inline: every one stays readable and
  // settable again, wherever it is stored.
  FieldRegistry registry;
  h.registry = &registry;
  constexpr size_t kFields = Request::kInlineExtensions + 5;
  std::vector<FieldId> ids;
  for (size_t i = 0; i < kFields; ++i) {
    ids.push_back(registry.add_extension("test.n" + std::to_string(i), Type::kInt, "n"));
    h.request.set_extension(ids.back(), Value::of_int(static_cast<int64_t>(i * 10)));
  }
  EXPECT_EQ(h.request.extension_count(), kFields);
  EXPECT_TRUE(h.match("test.n0 eq 0"));
  EXPECT_TRUE(h.match("test.n11 eq 110"));
  EXPECT_TRUE(h.match("test.n16 eq 160"));
  h.request.set_extension(ids[1], Value::of_int(7));
  h.request.set_extension(ids[kFields - 1], Value::of_int(8));
  EXPECT_EQ(h.request.extension_count(), kFields);
  EXPECT_TRUE(h.match("test.n1 eq 7 and test.n16 eq 8"));
}

TEST_F(EvaluatorTest, EachFieldIsComputedOncePerEvaluation) {
  h.value("http.host eq \"a\" or http.host eq \"b\" or lower(http.host) eq \"c\"");
  ASSERT_EQ(h.last_trace.size(), 1u);
  EXPECT_EQ(h.last_trace[0], "http.host = \"shop.example\"");
  h.value(
      "http.request.headers[\"Accept\"] eq \"x\" or http.request.headers[\"accept\"][0] eq "
      "\"y\" or http.user_agent eq \"z\"");
  ASSERT_EQ(h.last_trace.size(), 2u);
  EXPECT_EQ(h.last_trace[0],
            R"(http.request.headers["accept"] = ["text/html", "application/json"])");
  EXPECT_EQ(h.last_trace[1], R"(http.user_agent = "Mozilla/5.0 curl/8.1")");
}

TEST_F(EvaluatorTest, OneStateServesManyPrograms) {
  Compiler compiler(h.options());
  auto a = compiler.compile("http.host eq \"shop.example\"").program;
  auto b = compiler.compile("any(http.request.headers.names[*] eq \"accept\")").program;
  auto c = compiler.compile("http.host ne \"shop.example\"").program;
  ASSERT_TRUE(a && b && c);
  EvalState state(h.request, compiler.slots());
  std::vector<TraceEntry> trace;
  state.trace_into(&trace);
  EXPECT_TRUE(matches(*a, state));
  EXPECT_TRUE(matches(*b, state));
  EXPECT_FALSE(matches(*c, state));
  EXPECT_EQ(trace.size(), 2u);  // http.host once, the header names once
}

TEST_F(EvaluatorTest, StepsGrowLinearlyWithArrays) {
  std::string headers;
  for (int i = 0; i < 90; ++i) headers += "X-H" + std::to_string(i) + ": v\r\n";
  h.set_request(get("/", headers));
  ASSERT_FALSE(h.match("any(http.request.headers.values[*] eq \"nope\")"));
  uint64_t steps_90 = h.steps;
  EXPECT_GE(steps_90, 90u);
  EXPECT_LE(steps_90, 4u * 92u);
  ASSERT_FALSE(
      h.match("http.request.headers.values eq \"nope\" or "
              "http.request.headers.names eq \"nope\""));
  EXPECT_LE(h.steps, 2 * 4u * 92u);
}

TEST_F(EvaluatorTest, LoopsComputeWhatDoesNotDependOnTheElementOnce) {
  std::string headers;
  for (int i = 0; i < 90; ++i)
    headers += "X-H" + std::to_string(i) + ": v" + std::to_string(i) + "\r\n";
  h.set_request(get("/", headers, "V89.example"));
  // Per element: or, eq, the element, the constant; lower(http.host) eq "q" only once.
  ASSERT_FALSE(
      h.match("any(http.request.headers.values[*] eq \"zz\" or lower(http.host) eq \"q\")"));
  EXPECT_LE(h.steps, 4u * 91u + 10u);
  ASSERT_FALSE(h.match("http.request.headers.values eq concat(lower(http.host), \"x\")"));
  EXPECT_LE(h.steps, 3u * 91u + 10u);
  // The value computed once is right for every element.
  EXPECT_TRUE(
      h.match("any(concat(http.request.headers.values[*], \".example\") eq lower(http.host))"));
  EXPECT_TRUE(h.match("http.request.headers.values eq substring(lower(http.host), 0, 3)"));
  EXPECT_TRUE(
      h.match("all(http.request.headers.values[*] ne \"zz\" and "
              "starts_with(http.request.uri.path, \"/\"))"));
  EXPECT_FALSE(
      h.match("all(http.request.headers.values[*] ne \"zz\" and "
              "starts_with(http.request.uri.path, \"/x\"))"));
  // Several programs on one state each compute their own.
  Compiler compiler(h.options());
  auto a = compiler.compile("any(http.request.headers.values[*] eq lower(http.host))").program;
  auto b = compiler
               .compile(
                   "any(http.request.headers.values[*] eq \"v1\" and "
                   "upper(http.host) eq \"V89.EXAMPLE\")")
               .program;
  ASSERT_TRUE(a && b);
  EvalState state(h.request, compiler.slots());
  EXPECT_FALSE(matches(*a, state));
  EXPECT_TRUE(matches(*b, state));
  EXPECT_FALSE(matches(*a, state));
}

TEST(EvaluatorLimitTest, TheStepLimitIsPerEvaluation) {
  std::string target = "/?";
  for (int i = 0; i < 1500; ++i) target += "a&";
  Harness h{get(target)};
  Compiler compiler(h.options());
  auto program = compiler.compile("any(http.request.uri.args.names[*] eq \"zz\")").program;
  ASSERT_TRUE(program);
  EvalState state(h.request, compiler.slots());
  // Many rules over one request share a state; their steps do not add up to a limit.
  for (int i = 0; i < 300; ++i) EXPECT_FALSE(matches(*program, state));
  EXPECT_GT(state.steps, kMaxSteps);
  EXPECT_FALSE(state.exhausted);
}

TEST(EvaluatorLimitTest, AnEvaluationOverTheLimitStopsAndDoesNotMatch) {
  std::string target = "/?";
  for (int i = 0; i < 3500; ++i) target += "a&";
  target += "b";
  Harness h{get(target)};
  std::string expr = "any(";
  for (int i = 0; i < 100; ++i) expr += "http.request.uri.args.names[*] eq \"z\" or ";
  expr += "http.request.uri.args.names[*] eq \"b\")";
  Compiler compiler(h.options());
  auto program = compiler.compile(expr).program;
  ASSERT_TRUE(program);
  EvalState state(h.request, compiler.slots());
  EXPECT_FALSE(matches(*program, state));  // "b" is the last element, never reached
  EXPECT_TRUE(state.exhausted);
  EXPECT_LE(state.steps, kMaxSteps + program->nodes.size());
  // The same rule on a shorter request matches.
  Harness small{get("/?a&b")};
  EXPECT_TRUE(small.match(expr));
}

TEST_F(EvaluatorTest, StringResults) {
  EXPECT_EQ(h.str("concat(\"https://\", http.host, http.request.uri.path)"),
            "https://shop.example/shop/Item.PHP");
  EXPECT_EQ(h.value("http.request.uri.args[\"q\"][0]"), R"("\xe0\x0a\xff")");
  EXPECT_EQ(h.value("\"a\\\"b\\\\c\""), R"("a\"b\\c")");
}

TEST(FormatValueTest, EveryType) {
  EXPECT_EQ(format_value(Value::none(Type::kString)), "(missing)");
  EXPECT_EQ(format_value(Value::of_bool(true)), "true");
  EXPECT_EQ(format_value(Value::of_bool(false)), "false");
  EXPECT_EQ(format_value(Value::of_int(-5)), "-5");
  EXPECT_EQ(format_value(Value::of_string("a\tb\x7f")), R"("a\x09b\x7f")");
  EXPECT_EQ(format_value(Value::of_ip(testing::ip("2001:db8::1"))), "2001:db8::1");
  EXPECT_EQ(format_value(Value::of_ip(testing::ip("192.0.2.9"))), "192.0.2.9");
  std::string_view strings[] = {"a", "\"q\""};
  EXPECT_EQ(format_value(Value::of_strings(strings)), R"(["a", "\"q\""])");
  EXPECT_EQ(format_value(Value::of_strings({})), "[]");
  int64_t ints[] = {1, -2};
  EXPECT_EQ(format_value(Value::of_ints(ints)), "[1, -2]");
}

}  // namespace
}  // namespace rampart::rules
