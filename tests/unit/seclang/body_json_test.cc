// JSON flattened, limited and failed as ModSecurity v3 (yajl) does it (each expectation
// checked against libmodsecurity 3.0.9).

#include <gtest/gtest.h>

#include <string>

#include "seclang/body.h"

namespace rampart::seclang {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;
Pairs pairs(const ParsedBody& p) {
  Pairs out;
  for (const auto& a : p.args) out.emplace_back(a.name, a.value);
  return out;
}

TEST(BodyJson, NamesNestedKeysAndArrayElements) {
  ParsedBody p = parse_json(R"({"a":[1,{"b":null}],"c":{},"d":[],"e":true,"f":1.5e3})", {});
  EXPECT_FALSE(p.error);
  EXPECT_EQ(pairs(p), (Pairs{{"json.a.array_0", "1"},
                             {"json.a.array_1.b", ""},
                             {"json.e", "true"},
                             {"json.f", "1.5e3"}}));
}

TEST(BodyJson, TopLevelArraysScalarsAndEmptyKeys) {
  EXPECT_EQ(pairs(parse_json("[1,[2,[]],{\"x\":[{}]}]", {})),
            (Pairs{{"json.array_0", "1"}, {"json.array_1.array_0", "2"}}));
  EXPECT_EQ(pairs(parse_json("\"str\"", {})), (Pairs{{"json", "str"}}));
  EXPECT_EQ(pairs(parse_json(R"({"":1,"a.b":{"":2}})", {})),
            (Pairs{{"json.empty-key", "1"}, {"json.a.b.empty-key", "2"}}));
  EXPECT_EQ(pairs(parse_json(R"({"a":1,"a":2})", {})), (Pairs{{"json.a", "1"}, {"json.a", "2"}}));
}

TEST(BodyJson, StringEscapesAsYajlDecodesThem) {
  EXPECT_EQ(parse_json(R"(["\u00e9\ud83d\ude00\u0000z"])", {}).args.at(0).value,
            std::string("\xc3\xa9\xf0\x9f\x98\x80\0z", 8));
  EXPECT_EQ(parse_json(R"(["\ud83dx"])", {}).args.at(0).value, "?x");
  EXPECT_EQ(parse_json(R"(["\/\b\f\n\r\t"])", {}).args.at(0).value, "/\b\f\n\r\t");
}

TEST(BodyJson, ArgumentsBeforeASyntaxErrorAreKept) {
  ParsedBody p = parse_json(R"({"a":01})", {});
  EXPECT_TRUE(p.error);
  EXPECT_EQ(pairs(p), (Pairs{{"json.a", "0"}}));
  EXPECT_EQ(
      p.error_message,
      "JSON parsing error: parse error: after key and value, inside map, I expect ',' or '}'\n");
}

TEST(BodyJson, ErrorTexts) {
  EXPECT_EQ(parse_json(R"({"a":1,})", {}).error_message,
            "JSON parsing error: parse error: invalid object key (must be a string)\n");
  EXPECT_EQ(parse_json(R"({"a":1} x)", {}).error_message,
            "JSON parsing error: parse error: trailing garbage\n");
  EXPECT_EQ(parse_json("nul", {}).error_message,
            "JSON parsing error: lexical error: invalid string in json text.\n");
  EXPECT_EQ(parse_json("[\"\xff\"]", {}).error_message,
            "JSON parsing error: lexical error: invalid bytes in UTF8 string.\n");
  EXPECT_EQ(parse_json("[1,]", {}).error_message,
            "JSON parsing error: parse error: unallowed token at this point in JSON text\n");
  EXPECT_EQ(parse_json("{\"a\":1", {}).error_message,
            "JSON parsing error: parse error: premature EOF\n");
}

TEST(BodyJson, TruncatedSurrogateEscapeIsAnError) {
  EXPECT_TRUE(parse_json("[\"\\ud83d\\", {}).error);
  EXPECT_TRUE(parse_json("[\"\\ud83d\\u12", {}).error);
}

TEST(BodyJson, EmptyBodyIsNotAnError) {
  EXPECT_FALSE(parse_json("", {}).error);
}

TEST(BodyJson, DepthLimit) {
  BodyLimits limits;
  limits.max_json_depth = 5;
  EXPECT_FALSE(parse_json("[[[[[1]]]]]", limits).error);
  ParsedBody p = parse_json("[[[[[[]]]]]]", limits);
  EXPECT_TRUE(p.error);
  EXPECT_NE(p.error_message.find("Parsing depth limit exceeded"), std::string::npos);
  // Hostile nesting far beyond the limit is refused without recursion.
  EXPECT_TRUE(parse_json(std::string(1'000'000, '['), {}).error);
}

TEST(BodyJson, ArgumentsLimitIsAnError) {
  BodyLimits limits;
  limits.max_args = 8;
  EXPECT_FALSE(parse_json("[1,2,3,4,5,6,7,8]", limits).error);
  ParsedBody p = parse_json("[1,2,3,4,5,6,7,8,9]", limits);
  EXPECT_TRUE(p.error);
  EXPECT_EQ(p.args.size(), 8u);
}

}  // namespace
}  // namespace rampart::seclang
