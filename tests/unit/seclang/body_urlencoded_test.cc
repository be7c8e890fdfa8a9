// Query strings and urlencoded bodies split and decoded as ModSecurity v3 does (each
// expectation checked against libmodsecurity 3.0.9).

#include <gtest/gtest.h>

#include "seclang/body.h"

namespace rampart::seclang {
namespace {

std::vector<std::pair<std::string, std::string>> pairs(const ParsedBody& p) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& a : p.args) out.emplace_back(a.name, a.value);
  return out;
}
using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(BodyUrlencoded, EmptyPairInTheMiddleCountsTrailingOneDoesNot) {
  EXPECT_EQ(pairs(parse_urlencoded("a=1&&b", {})), (Pairs{{"a", "1"}, {"", ""}, {"b", ""}}));
  EXPECT_EQ(pairs(parse_urlencoded("&&", {})), (Pairs{{"", ""}, {"", ""}}));
  EXPECT_EQ(pairs(parse_urlencoded("a&", {})), (Pairs{{"a", ""}}));
  EXPECT_TRUE(parse_urlencoded("", {}).args.empty());
}

TEST(BodyUrlencoded, NameOnlyEmptyNameAndFirstEqualsSplits) {
  EXPECT_EQ(pairs(parse_urlencoded("=x&a&c=1=2", {})), (Pairs{{"", "x"}, {"a", ""}, {"c", "1=2"}}));
}

TEST(BodyUrlencoded, LenientPercentDecodingAndPlus) {
  EXPECT_EQ(pairs(parse_urlencoded("a=%41%4&b=%zz%&a+b=c+d%2B&u=%u0041&n=%00b", {})),
            (Pairs{{"a", "A%4"},
                   {"b", "%zz%"},
                   {"a b", "c d+"},
                   {"u", "%u0041"},
                   {"n", std::string("\0b", 2)}}));
  EXPECT_EQ(pairs(parse_urlencoded("x=%%41", {})), (Pairs{{"x", "%A"}}));
}

TEST(BodyUrlencoded, RepeatedNamesKeptInOrder) {
  EXPECT_EQ(pairs(parse_urlencoded("a=1&a=2", {})), (Pairs{{"a", "1"}, {"a", "2"}}));
}

TEST(BodyUrlencoded, ArgumentsBeyondTheLimitAreSkippedWithoutAnError) {
  BodyLimits limits;
  limits.max_args = 2;
  ParsedBody p = parse_urlencoded("a=1&b=2&c=3", limits);
  EXPECT_EQ(pairs(p), (Pairs{{"a", "1"}, {"b", "2"}}));
  EXPECT_FALSE(p.error);
}

TEST(BodyUrlencoded, OtherSeparator) {
  EXPECT_EQ(pairs(parse_urlencoded("a=1;b=2&c", {}, ';')), (Pairs{{"a", "1"}, {"b", "2&c"}}));
}

}  // namespace
}  // namespace rampart::seclang
