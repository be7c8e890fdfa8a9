#include "rules/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace rampart::rules {
namespace {

std::vector<Token> tokens_of(std::string_view text) {
  LexResult r = lex(text);
  EXPECT_FALSE(r.error.has_value()) << text << ": " << (r.error ? r.error->message : "");
  return r.tokens;
}

// "kind:text" per token, without the final end token.
std::string kinds(std::string_view text) {
  std::string out;
  for (const Token& t : tokens_of(text)) {
    if (t.kind == TokenKind::kEnd) break;
    if (!out.empty()) out += ' ';
    switch (t.kind) {
      case TokenKind::kWord:
        out += "word";
        break;
      case TokenKind::kString:
        out += "str";
        break;
      case TokenKind::kInt:
        out += "int";
        break;
      case TokenKind::kIp:
        out += "ip";
        break;
      case TokenKind::kList:
        out += "list";
        break;
      case TokenKind::kSymbol:
        out += "sym";
        break;
      default:
        out += "punct";
        break;
    }
    out += ':' + t.text;
  }
  return out;
}

CompileError error_of(std::string_view text) {
  LexResult r = lex(text);
  EXPECT_TRUE(r.error.has_value()) << "expected a lex error for: " << text;
  return r.error.value_or(CompileError{});
}

std::string span(std::string_view text, const CompileError& e) {
  return std::string(text.substr(e.offset, e.length));
}

TEST(LexerTest, EmptyAndBlankTextGiveOnlyTheEndToken) {
  for (std::string_view text : {"", " \t\r\n  "}) {
    auto t = tokens_of(text);
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].kind, TokenKind::kEnd);
    EXPECT_EQ(t[0].offset, text.size());
  }
}

TEST(LexerTest, WordsSymbolsAndPunctuation) {
  EXPECT_EQ(kinds("http.host eq \"a\" and not ip.src in $bad"),
            "word:http.host word:eq str:a word:and word:not word:ip.src word:in list:bad");
  EXPECT_EQ(kinds("a==b!=c<=d>=e<f>g~h&&i||j^^k!l"),
            "word:a sym:== word:b sym:!= word:c sym:<= word:d sym:>= word:e sym:< word:f sym:> "
            "word:g sym:~ word:h sym:&& word:i sym:|| word:j sym:^^ word:k sym:! word:l");
  EXPECT_EQ(kinds("any(x[*]){1,2}"),
            "word:any punct:( word:x punct:[ punct:* punct:] punct:) punct:{ int:1 punct:, "
            "int:2 punct:}");
}

TEST(LexerTest, TokensRecordWhereTheyStand) {
  std::string_view text = "  http.host  eq\t\"x y\"";
  auto t = tokens_of(text);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].offset, 2u);
  EXPECT_EQ(t[0].length, 9u);
  EXPECT_EQ(t[1].offset, 13u);
  EXPECT_EQ(t[1].length, 2u);
  EXPECT_EQ(t[2].offset, 16u);
  EXPECT_EQ(t[2].length, 5u);  // the quotes are part of the token
  EXPECT_EQ(t[3].kind, TokenKind::kEnd);
  EXPECT_EQ(t[3].offset, text.size());
}

TEST(LexerTest, StringEscapesAreDecoded) {
  auto t = tokens_of(R"("a\"b\\c\nd\re\tf\x41\x7a\x00g")");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].kind, TokenKind::kString);
  EXPECT_EQ(t[0].text, std::string("a\"b\\c\nd\re\tfAz\0g", 15));
  EXPECT_EQ(tokens_of(R"("\0")")[0].text, std::string(1, '\0'));
  EXPECT_EQ(tokens_of(R"("\xfF")")[0].text, "\xff");
  EXPECT_EQ(tokens_of(R"("")")[0].text, "");
}

TEST(LexerTest, StringsMayHoldAnyByte) {
  std::string text = "\"\xc3\xa9\x01\n\"";
  auto t = tokens_of(text);
  EXPECT_EQ(t[0].text, "\xc3\xa9\x01\n");
}

TEST(LexerTest, RawStringsKeepBackslashes) {
  EXPECT_EQ(tokens_of(R"(r"\d+\.php")")[0].text, R"(\d+\.php)");
  EXPECT_EQ(tokens_of(R"(r#"say "hi""#)")[0].text, R"(say "hi")");
  EXPECT_EQ(tokens_of(R"(r##"a"#b"##)")[0].text, R"(a"#b)");
  EXPECT_EQ(tokens_of(R"(r"")")[0].text, "");
  auto t = tokens_of(R"(x ~ r#"a"# and y)");
  ASSERT_EQ(t.size(), 6u);
  EXPECT_EQ(t[2].kind, TokenKind::kString);
  EXPECT_EQ(t[2].offset, 4u);
  EXPECT_EQ(t[2].length, 6u);
  EXPECT_EQ(t[3].text, "and");
}

TEST(LexerTest, WordsStartingWithRAreNotRawStrings) {
  EXPECT_EQ(kinds("regex_replace(r)"), "word:regex_replace punct:( word:r punct:)");
}

TEST(LexerTest, Integers) {
  auto t = tokens_of("0 42 -7 9223372036854775807 -9223372036854775808");
  ASSERT_EQ(t.size(), 6u);
  EXPECT_EQ(t[0].integer, 0);
  EXPECT_EQ(t[1].integer, 42);
  EXPECT_EQ(t[2].integer, -7);
  EXPECT_EQ(t[2].text, "-7");
  EXPECT_EQ(t[3].integer, INT64_MAX);
  EXPECT_EQ(t[4].integer, INT64_MIN);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(t[i].kind, TokenKind::kInt);
}

TEST(LexerTest, AddressesAndPrefixes) {
  EXPECT_EQ(kinds("192.0.2.1 10.0.0.0/8 2001:db8::/32 ::1 fe80::1 ::ffff:1.2.3.4"),
            "ip:192.0.2.1 ip:10.0.0.0/8 ip:2001:db8::/32 ip:::1 ip:fe80::1 ip:::ffff:1.2.3.4");
  // Inside a set, with the separators the language allows.
  EXPECT_EQ(kinds("{10.0.0.0/8,::1 192.0.2.1}"),
            "punct:{ ip:10.0.0.0/8 punct:, ip:::1 ip:192.0.2.1 punct:}");
}

TEST(LexerTest, ListNames) {
  EXPECT_EQ(kinds("$bad $tor-exits $v1.2_x"), "list:bad list:tor-exits list:v1.2_x");
  auto t = tokens_of("in $bad");
  EXPECT_EQ(t[1].offset, 3u);
  EXPECT_EQ(t[1].length, 4u);  // the $ is part of the token
}

TEST(LexerTest, ErrorsPointAtTheOffendingBytes) {
  struct Case {
    std::string_view text;
    std::string_view span;
    std::string_view message_part;
  };
  const Case cases[] = {
      {"a = 1", "=", "compare with \"eq\" or \"==\""},
      {"a eq 'x'", "'", "double quotes"},
      {"a eq \x01", "\x01", "unexpected byte"},
      {"a eq \xc3\xa9", "\xc3", "unexpected byte"},
      {"a @ b", "@", "unexpected character \"@\""},
      {"a - b", "-", "unexpected character \"-\""},
      {"ip.src in $ x", "$", "expected a list name after \"$\""},
      {"x eq 99999999999999999999", "99999999999999999999", "out of range for a 64-bit integer"},
      {"x eq -99999999999999999999", "-99999999999999999999", "out of range"},
      {"x eq 12ab", "12ab", "\"12ab\" is not a number"},
      {"x eq -1.5", "-1.5", "\"-1.5\" is not a number"},
      {"http.host/x eq 1", "http.host/x", "is not a field name or an IP prefix"},
      {"http. eq 1", "http.", "\"http.\" is not a valid field name"},
      {"http..host eq 1", "http..host", "is not a valid field name"},
      {R"(x eq "a\x4")", R"(\x)", "\\x needs two hex digits"},
      {R"(x eq "a\xg0")", R"(\x)", "\\x needs two hex digits"},
      {R"(x eq "a\d")", R"(\d)", "unknown escape"},
      {R"(x eq "abc)", R"("abc)", "not closed with \""},
      {R"(x eq r#abc)", "r#", "expected \" to open the raw string"},
      {R"(x eq r#"abc")", R"(r#"abc")", "not closed with \"#"},
      {R"(x eq r"abc)", R"(r"abc)", "not closed with \""},
  };
  for (const Case& c : cases) {
    CompileError e = error_of(c.text);
    EXPECT_EQ(span(c.text, e), c.span) << c.text;
    EXPECT_NE(e.message.find(c.message_part), std::string::npos) << c.text << " -> " << e.message;
    EXPECT_GE(e.length, 1u);
  }
}

TEST(LexerTest, UnknownEscapeSuggestsARawString) {
  CompileError e = error_of(R"(x matches "\d+")");
  EXPECT_NE(e.message.find("r\"...\""), std::string::npos) << e.message;
}

TEST(LexerTest, BackslashAtTheEndIsAnError) {
  std::string_view text = "x eq \"\\";
  CompileError e = error_of(text);
  EXPECT_EQ(e.offset, 6u);
  EXPECT_LE(e.offset, text.size());
}

}  // namespace
}  // namespace rampart::rules
