// @rx: PCRE semantics on RE2 and the PCRE2 fallback, captures, limits, dynamic patterns.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <gtest/gtest.h>
#include <pcre2.h>

#include <thread>
#include <vector>

#include "operator_test_util.h"
#include "seclang/operator.h"
#include "seclang/operator_regex.h"

namespace rampart::seclang {
namespace {

using testing::compile;
using testing::compile_error;

bool uses_pcre2(const std::string& pattern) {
  std::string error;
  auto re = detail::PcreCompatRegex::compile(pattern, 10000, error);
  EXPECT_TRUE(re) << pattern << ": " << error;
  return re && re->uses_pcre2();
}

TEST(RxOperatorTest, BasicMatching) {
  auto rx = compile("rx", "(?i)union\\s+select");
  EXPECT_TRUE(rx.matches("1 UNION  SELECT 2"));
  EXPECT_FALSE(rx.matches("union-select"));
  EXPECT_TRUE(compile("rx", "").matches("anything"));  // empty pattern matches
  EXPECT_EQ(*rx.op->static_regex(), "(?i)union\\s+select");
}

TEST(RxOperatorTest, DotMatchesNewlineLikePcreDotall) {
  auto rx = compile("rx", "a.b");
  EXPECT_TRUE(rx.matches("a\nb"));
  EXPECT_TRUE(rx.matches(std::string("a\0b", 3)));
}

TEST(RxOperatorTest, AnchorsAreMultilineAsInModSecurity) {
  auto rx = compile("rx", "^admin$");
  EXPECT_TRUE(rx.matches("admin"));
  EXPECT_TRUE(rx.matches("x\nadmin\ny"));
  EXPECT_FALSE(rx.matches("xadmin"));
  auto anchored = compile("rx", "\\Aadmin\\z");
  EXPECT_FALSE(anchored.matches("x\nadmin"));
}

TEST(RxOperatorTest, LineStartDoesNotMatchAfterAFinalNewline) {
  // PCRE's multi-line ^ never matches at the very end, even after a newline.
  auto empty_line = compile("rx", "^$");
  EXPECT_FALSE(empty_line.matches("a\n"));
  EXPECT_TRUE(empty_line.matches("a\n\nb"));
  EXPECT_TRUE(empty_line.matches(""));
  EXPECT_FALSE(compile("rx", "a\n^").matches("a\n"));
  EXPECT_TRUE(compile("rx", "^b").matches("a\nb\n"));
  EXPECT_FALSE(uses_pcre2("^$"));
  EXPECT_TRUE(detail::has_line_start_anchor("x|^y"));
  EXPECT_FALSE(detail::has_line_start_anchor("[^a]\\^\\Q^\\E"));
}

TEST(RxOperatorTest, WhitespaceClassIncludesVerticalTab) {
  // PCRE2's \s includes VT; RE2's does not, so the pattern is rewritten for RE2.
  auto rx = compile("rx", "union\\s+select");
  EXPECT_TRUE(rx.matches("union\vselect"));
  auto in_class = compile("rx", "a[\\s,]b");
  EXPECT_TRUE(in_class.matches("a\vb"));
  EXPECT_TRUE(in_class.matches("a,b"));
  EXPECT_FALSE(compile("rx", "a\\Sb").matches("a\vb"));
  EXPECT_FALSE(uses_pcre2("union\\s+select"));
}

TEST(RxOperatorTest, RewriteLeavesQuotedAndClassesIntact) {
  EXPECT_EQ(detail::rewrite_for_re2("\\Q\\s\\E\\s"), "\\Q\\s\\E[\\s\\x0B]");
  EXPECT_EQ(detail::rewrite_for_re2("[]\\s]"), "[]\\s\\x0B]");
  EXPECT_EQ(detail::rewrite_for_re2("[[:alpha:]\\s]x"), "[[:alpha:]\\s\\x0B]x");
  EXPECT_EQ(detail::rewrite_for_re2("\\\\s"), "\\\\s");  // an escaped backslash, then 's'
}

TEST(RxOperatorTest, InputIsBytesNotUtf8) {
  auto rx = compile("rx", "^.$");
  EXPECT_TRUE(rx.matches("\xff"));       // invalid UTF-8 is still one byte
  EXPECT_FALSE(rx.matches("\xc3\xa9"));  // two bytes, not one character
  auto high = compile("rx", "[\\x80-\\xff]");
  EXPECT_TRUE(high.matches("caf\xc3\xa9"));
  EXPECT_FALSE(high.matches("cafe"));
}

TEST(RxOperatorTest, CaseInsensitiveHighBytesFoldOnlyAscii) {
  // PCRE without UTF folds ASCII only; RE2 in Latin-1 mode would fold 0xC9/0xE9.
  EXPECT_TRUE(uses_pcre2("(?i)caf\\xe9"));
  auto rx = compile("rx", "(?i)caf\\xe9");
  EXPECT_TRUE(rx.matches("CAF\xe9"));
  EXPECT_FALSE(rx.matches("caf\xc9"));
  EXPECT_FALSE(uses_pcre2("(?i)caf\\x45"));
  EXPECT_FALSE(uses_pcre2("caf\xc3\xa9"));
}

TEST(RxOperatorTest, PcreOnlyConstructsFallBackToPcre2) {
  struct Case {
    const char* pattern;
    const char* yes;
    const char* no;
  } cases[] = {
      {"foo(?=bar)", "foobar", "foobaz"},
      {"(?<!x)abc", "yabc", "xabc"},
      {"(a)\\1", "aa", "ab"},
      {"a++b", "aaab", "aaa"},
      {"abc\\Z", "abc\n", "abcd"},
      {"(?<word>ab)c", "abc", "acb"},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(uses_pcre2(c.pattern)) << c.pattern;
    auto rx = compile("rx", c.pattern);
    EXPECT_TRUE(rx.matches(c.yes)) << c.pattern;
    EXPECT_FALSE(rx.matches(c.no)) << c.pattern;
  }
}

// PCRE2 compiled as ModSecurity compiles @rx: the reference the RE2 path must agree with.
bool pcre2_matches(const std::string& pattern, const std::string& input) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 PCRE2_DOTALL | PCRE2_MULTILINE, &code, &offset, nullptr);
  EXPECT_NE(re, nullptr) << pattern;
  if (re == nullptr) return false;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(re, nullptr);
  int rc =
      pcre2_match(re, reinterpret_cast<PCRE2_SPTR>(input.c_str()), input.size(), 0, 0, md, nullptr);
  pcre2_match_data_free(md);
  pcre2_code_free(re);
  return rc >= 0;
}

TEST(RxOperatorTest, AgreesWithPcre2OnRandomInputs) {
  const std::vector<std::string> patterns = {
      "^a",
      "a$",
      "^$",
      "(?i)A\\s+b",
      "\\S+$",
      "[^\\s]b",
      "(?i)[a-c]+\\b",
      "\\bab\\B",
      "a.?b",
      "\\w+\\W",
      "^b$",
      "a\\z",
      "\\Aa",
      "[\\w\\s]+z",
      "(?i)z[^a]",
      "\\s$",
      "(?i)\\xc9",
      "\\x{e9}",
      "[[:space:]]b",
      "(?i)[[:upper:]]",
      "a\\n^b",
      "(?i)\\Qa.\\E",
  };
  // 17 bytes: the letters, separators, control bytes, two Latin-1 letters and a NUL.
  const std::string alphabet = std::string("aAbBzZ_- .\n\v\t\r\xc9\xe9", 17);
  uint32_t seed = 7;
  for (const std::string& pattern : patterns) {
    auto rx = compile("rx", pattern);
    for (int i = 0; i < 3000; ++i) {
      std::string input;
      int len = i % 7;
      for (int k = 0; k < len; ++k) {
        seed = seed * 1103515245 + 12345;
        input += alphabet[(seed >> 16) % alphabet.size()];
      }
      ASSERT_EQ(rx.matches(input), pcre2_matches(pattern, input))
          << "pattern " << pattern << " on " << ::testing::PrintToString(input);
    }
  }
}

TEST(RxOperatorTest, InvalidPatternsAreLoadErrors) {
  EXPECT_NE(compile_error("rx", "(abc").find("@rx"), std::string::npos);
  compile_error("rx", "a{2,1}");
  compile_error("rx", "[z-a]");
}

TEST(RxOperatorTest, CapturesGroupsLikeTx0To9) {
  auto rx = compile("rx", "(\\w+)=(\\d+)(x)?");
  Captures captures;
  ASSERT_EQ(rx.run("id=42;", &captures), MatchResult::kMatch);
  EXPECT_EQ(captures.count, 3);
  EXPECT_EQ(captures.groups[0], "id=42");
  EXPECT_EQ(captures.groups[1], "id");
  EXPECT_EQ(captures.groups[2], "42");
  EXPECT_EQ(captures.groups[3], "");
  EXPECT_EQ(rx.run("nothing", &captures), MatchResult::kNoMatch);
  auto empty = compile("rx", "^(x?)$");
  ASSERT_EQ(empty.run("", &captures), MatchResult::kMatch);
  EXPECT_EQ(captures.count, 2);
  EXPECT_EQ(captures.groups[0], "");
}

TEST(RxOperatorTest, CapturesStopAtGroupNine) {
  std::string pattern;
  for (int i = 0; i < 12; ++i) pattern += "(" + std::string(1, static_cast<char>('a' + i)) + ")";
  for (const std::string& p : {pattern, pattern + "(?=m)"}) {  // RE2, then PCRE2
    auto rx = compile("rx", p);
    Captures captures;
    ASSERT_EQ(rx.run("abcdefghijklm", &captures), MatchResult::kMatch) << p;
    EXPECT_EQ(captures.count, 10);
    EXPECT_EQ(captures.groups[0], "abcdefghijkl");
    EXPECT_EQ(captures.groups[9], "i");
  }
}

TEST(RxOperatorTest, Pcre2CapturesSkipUnsetGroups) {
  auto rx = compile("rx", "(a)|(b)(?=c)");
  Captures captures;
  ASSERT_EQ(rx.run("bc", &captures), MatchResult::kMatch);
  EXPECT_EQ(captures.count, 3);
  EXPECT_EQ(captures.groups[1], "");
  EXPECT_EQ(captures.groups[2], "b");
}

TEST(RxOperatorTest, MatchLimitHitIsAnError) {
  // Catastrophic backtracking, only expressible on PCRE2 (the backreference).
  OperatorLoadContext context;
  context.pcre_match_limit = 1000;
  auto rx = compile("rx", "^(\\w+\\s?)*\\1$", false, context);
  std::string input(30, 'a');
  input += "!";
  EXPECT_EQ(rx.run(input), MatchResult::kError);
  EXPECT_EQ(rx.run("abab"), MatchResult::kMatch);
}

TEST(RxOperatorTest, DynamicPatternsAreCompiledPerExpansion) {
  auto rx = compile("rx", "^%{tx.y}$", true);
  EXPECT_EQ(rx.op->static_regex(), nullptr);
  EXPECT_TRUE(rx.matches_with("abc", "^abc$"));
  EXPECT_FALSE(rx.matches_with("abcd", "^abc$"));
  EXPECT_TRUE(rx.matches_with("abcd", "^abc"));
  // More distinct expansions than the cache holds, then the first again.
  for (int i = 0; i < 100; ++i) {
    std::string p = "^v" + std::to_string(i) + "$";
    EXPECT_TRUE(rx.matches_with("v" + std::to_string(i), p));
    EXPECT_FALSE(rx.matches_with("v" + std::to_string(i) + "x", p));
  }
  EXPECT_TRUE(rx.matches_with("abc", "^abc$"));
  EXPECT_EQ(rx.op->match("abc", "(unclosed", nullptr), MatchResult::kError);
  Captures captures;
  ASSERT_EQ(rx.op->match("k=v", "(\\w)=(\\w)", &captures), MatchResult::kMatch);
  EXPECT_EQ(captures.groups[2], "v");
}

TEST(RxOperatorTest, SharedAcrossThreads) {
  auto re2 = compile("rx", "(?i)select.+from");
  auto pcre = compile("rx", "select(?=.+from)");
  auto dynamic = compile("rx", "%{tx.p}", true);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string yes = "select a" + std::to_string(i + t) + " from b";
        std::string no = "select a" + std::to_string(i) + " to b";
        Captures captures;
        if (re2.run(yes, &captures) != MatchResult::kMatch || re2.matches(no)) ++failures;
        if (!pcre.matches(yes) || pcre.matches(no)) ++failures;
        if (!dynamic.matches_with(yes, "from b|x" + std::to_string(i % 50))) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace rampart::seclang
