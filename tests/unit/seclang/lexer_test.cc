#include "seclang/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rampart::seclang {
namespace {

std::vector<std::string> texts(const LexDirective& d) {
  std::vector<std::string> out;
  for (const LexWord& w : d.words) out.push_back(w.text);
  return out;
}

TEST(Lexer, SplitsDirectivesAndSkipsCommentsAndBlankLines) {
  const LexResult r =
      lex("# a comment\n"
          "\n"
          "SecRuleEngine On\n"
          "   # indented comment\n"
          "\tSecMarker  END_HOST  \n");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.directives.size(), 2u);
  EXPECT_EQ(r.directives[0].line, 3);
  EXPECT_EQ(texts(r.directives[0]), (std::vector<std::string>{"SecRuleEngine", "On"}));
  EXPECT_EQ(r.directives[1].line, 5);
  EXPECT_EQ(texts(r.directives[1]), (std::vector<std::string>{"SecMarker", "END_HOST"}));
}

TEST(Lexer, ContinuationsJoinLinesAndKeepTheStartLine) {
  const LexResult r =
      lex("SecRule ARGS \"@rx a\" \\\n"
          "    \"id:1,\\\n"
          "    msg:'x'\"\n"
          "SecMarker B\n");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.directives.size(), 2u);
  EXPECT_EQ(r.directives[0].line, 1);
  EXPECT_EQ(texts(r.directives[0]),
            (std::vector<std::string>{"SecRule", "ARGS", "@rx a", "id:1,    msg:'x'"}));
  EXPECT_EQ(r.directives[1].line, 4);
}

TEST(Lexer, CrLfLineEndingsAndBlanksAfterTheBackslash) {
  const LexResult r = lex("SecAction \\  \r\n  \"id:1\"\r\nSecMarker A\r\n");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.directives.size(), 2u);
  EXPECT_EQ(texts(r.directives[0]), (std::vector<std::string>{"SecAction", "id:1"}));
  EXPECT_EQ(texts(r.directives[1]), (std::vector<std::string>{"SecMarker", "A"}));
  EXPECT_EQ(r.directives[1].line, 3);
}

// Checked against libmodsecurity 3.0.9: the rule after such a comment is loaded.
TEST(Lexer, CommentEndingInBackslashDoesNotSwallowTheNextLine) {
  const LexResult r = lex("# SecRule ARGS x \\\n  SecMarker A\n# \\\n");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.directives.size(), 1u);
  EXPECT_EQ(r.directives[0].line, 2);
  EXPECT_EQ(texts(r.directives[0]), (std::vector<std::string>{"SecMarker", "A"}));
}

// As ModSecurity v3 does (checked against libmodsecurity 3.0.9): an escaped quote does
// not close the word and keeps its backslash.
TEST(Lexer, EscapedQuotesDoNotCloseTheWordAndKeepTheirBackslash) {
  const LexResult r = lex(R"(SecRule ARGS "@rx ['\";=]\d\\" "msg:'the \"magic\" one'")");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.directives.size(), 1u);
  const std::vector<std::string> words = texts(r.directives[0]);
  ASSERT_EQ(words.size(), 4u);
  EXPECT_EQ(words[2], R"(@rx ['\";=]\d\\)");
  EXPECT_EQ(words[3], R"(msg:'the \"magic\" one')");
  EXPECT_TRUE(r.directives[0].words[2].quoted);
  EXPECT_FALSE(r.directives[0].words[1].quoted);
}

TEST(Lexer, QuoteAfterTwoBackslashesClosesTheWord) {
  const LexResult r = lex(R"(SecRule ARGS "a\\" "id:1")");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.directives.size(), 1u);
  EXPECT_EQ(texts(r.directives[0]),
            (std::vector<std::string>{"SecRule", "ARGS", R"(a\\)", "id:1"}));
}

TEST(Lexer, SingleQuotedWordsAndQuotedPartsOfUnquotedWords) {
  const LexResult r = lex("SecRule ARGS:'a b'|ARGS 'x \\' y' ''\n");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.directives.size(), 1u);
  EXPECT_EQ(texts(r.directives[0]),
            (std::vector<std::string>{"SecRule", "ARGS:'a b'|ARGS", "x \\' y", ""}));
  EXPECT_TRUE(r.directives[0].words[3].quoted);
}

TEST(Lexer, QuotedTextSpansContinuedLines) {
  const LexResult r = lex("SecAction \"id:1,\\\nmsg:'a, \\\nb'\"\n");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.directives.size(), 1u);
  EXPECT_EQ(r.directives[0].words[1].text, "id:1,msg:'a, b'");
}

TEST(Lexer, BackslashAtTheEndOfTheTextEndsTheDirective) {
  const LexResult r = lex("SecMarker A \\");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.directives.size(), 1u);
  EXPECT_EQ(texts(r.directives[0]), (std::vector<std::string>{"SecMarker", "A"}));
}

TEST(Lexer, ErrorsCarryTheirLineAndLexingGoesOn) {
  const LexResult r =
      lex("SecMarker A\n"
          "SecRule ARGS \"@rx a\n"
          "SecMarker B\n"
          "SecRule ARGS \"x\"y \"id:1\"\n"
          "SecRule ARGS:'oops \"x\"\n"
          "SecAction 'id:2\n"
          "SecMarker C\n");
  ASSERT_EQ(r.errors.size(), 4u);
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_NE(r.errors[0].message.find("double quote"), std::string::npos);
  EXPECT_EQ(r.errors[1].line, 4);
  EXPECT_EQ(r.errors[2].line, 5);
  EXPECT_NE(r.errors[2].message.find("single quote"), std::string::npos);
  EXPECT_EQ(r.errors[3].line, 6);
  ASSERT_EQ(r.directives.size(), 3u);
  EXPECT_EQ(r.directives[2].words[1].text, "C");
  EXPECT_EQ(r.directives[2].line, 7);
}

}  // namespace
}  // namespace rampart::seclang
