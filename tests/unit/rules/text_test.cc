// The byte-string helpers behind fields and functions, and caret_snippet.

#include "rules/text.h"

#include <gtest/gtest.h>

#include <re2/re2.h>

#include <random>
#include <string>
#include <vector>

#include "rules/error.h"

namespace rampart::rules {
namespace {

std::string pairs(std::span<const NameValue> nv) {
  std::string out;
  for (const auto& p : nv) {
    if (!out.empty()) out += " ";
    out += "[" + std::string(p.name) + "=" + std::string(p.value) + "]";
  }
  return out;
}

TEST(TextTest, CaseMappingReturnsTheInputWhenNothingChanges) {
  Scratch s;
  std::string_view lower = "already lower 123";
  EXPECT_EQ(to_lower(lower, s).data(), lower.data());
  EXPECT_EQ(to_upper("ABC", s), "ABC");
  EXPECT_EQ(to_lower("MiXeD\xc0", s), "mixed\xc0");
  EXPECT_EQ(to_upper("MiXeD\xe0", s), "MIXED\xe0");
}

TEST(TextTest, UrlDecode) {
  Scratch s;
  EXPECT_EQ(url_decode("a%20b+c", true, s), "a b c");
  EXPECT_EQ(url_decode("a%20b+c", false, s), "a b+c");
  EXPECT_EQ(url_decode("%", true, s), "%");
  EXPECT_EQ(url_decode("%4", true, s), "%4");
  EXPECT_EQ(url_decode("%41", true, s), "A");
  EXPECT_EQ(url_decode("x%41", true, s), "xA");
  EXPECT_EQ(url_decode("%%41", true, s), "%A");
  std::string_view plain = "nothing-to-do";
  EXPECT_EQ(url_decode(plain, true, s).data(), plain.data());
}

TEST(TextTest, SplitQuery) {
  Scratch s;
  EXPECT_EQ(pairs(split_query("", s)), "");
  EXPECT_EQ(pairs(split_query("a=1&b=2", s)), "[a=1] [b=2]");
  EXPECT_EQ(pairs(split_query("&&a&=x&b==2&", s)), "[a=] [=x] [b==2]");
  EXPECT_EQ(pairs(split_query("k%20ey=v+al%26", s)), "[k ey=v al&]");
}

TEST(TextTest, SplitCookies) {
  Scratch s;
  std::string_view one[] = {"a=1; b=\"two\";c ; d = 4 ;;"};
  EXPECT_EQ(pairs(split_cookies(one, s)), "[a=1] [b=two] [c=] [d=4]");
  std::string_view two[] = {"a=1", "a=2"};
  EXPECT_EQ(pairs(split_cookies(two, s)), "[a=1] [a=2]");
  std::string_view quote[] = {"q=\"", "r=\"\""};
  EXPECT_EQ(pairs(split_cookies(quote, s)), "[q=\"] [r=]");
  EXPECT_EQ(pairs(split_cookies({}, s)), "");
}

TEST(TextTest, WildcardToRegex) {
  EXPECT_EQ(wildcard_to_regex("*.example"), "(?s:.*)\\.example");
  EXPECT_EQ(wildcard_to_regex("a\\*b"), "a\\*b");
  EXPECT_EQ(wildcard_to_regex("a\\\\b"), "a\\\\b");
  EXPECT_EQ(wildcard_to_regex("a\\b"), "a\\\\b");
  EXPECT_EQ(wildcard_to_regex("(x)?+[]{}|^$"), "\\(x\\)\\?\\+\\[\\]\\{\\}\\|\\^\\$");
  EXPECT_EQ(wildcard_to_regex(std::string_view("\0", 1)), "\\x00");
  EXPECT_EQ(wildcard_to_regex(""), "");
}

TEST(TextTest, JsonLookupTakesAPath) {
  Scratch s;
  JsonStep user_name[] = {{"user", -1}, {"name", -1}};
  EXPECT_EQ(json_lookup_string(R"({"user":{"name":"x"}})", user_name, s), "x");
  JsonStep second[] = {{{}, 1}};
  EXPECT_EQ(json_lookup_string(R"(["a", "b"])", second, s), "b");
  EXPECT_EQ(json_lookup_string(R"(["a"])", second, s), std::nullopt);
  JsonStep key[] = {{"a", -1}};
  EXPECT_EQ(json_lookup_string(R"({"a":"\ud83d\ude00"})", key, s),
            "\xed\xa0\xbd\xed\xb8\x80");  // surrogate halves, each as written
}

TEST(CaretSnippetTest, MarksTheSpan) {
  EXPECT_EQ(caret_snippet("http.hots eq 1", 0, 9),
            "    http.hots eq 1\n"
            "    ^~~~~~~~~");
  EXPECT_EQ(caret_snippet("a eq 1)", 6, 1),
            "    a eq 1)\n"
            "          ^");
  // Past the end: the caret stands after the last character.
  EXPECT_EQ(caret_snippet("x in", 4, 1),
            "    x in\n"
            "        ^");
  EXPECT_EQ(caret_snippet("", 0, 1), "    \n    ^");
  // An offset beyond the text is clamped.
  EXPECT_EQ(caret_snippet("ab", 50, 3), "    ab\n      ^");
}

TEST(CaretSnippetTest, SpansDoNotRunPastTheLine) {
  EXPECT_EQ(caret_snippet("abc", 1, 100),
            "    abc\n"
            "     ^~");
}

TEST(CaretSnippetTest, ShowsOnlyTheLineWithTheError) {
  std::string_view text = "http.host eq \"a\"\n  and http.hots eq 1\n  or true";
  size_t at = text.find("http.hots");
  EXPECT_EQ(caret_snippet(text, at, 9),
            "      and http.hots eq 1\n"
            "          ^~~~~~~~~");
  // The first character of a line.
  EXPECT_EQ(caret_snippet(text, text.find("  or"), 2),
            "      or true\n"
            "    ^~");
  // At a newline: the line it ends.
  EXPECT_EQ(caret_snippet("ab\ncd", 2, 1), "    ab\n      ^");
}

TEST(CaretSnippetTest, TabsKeepTheCaretAligned) {
  EXPECT_EQ(caret_snippet("\tx eq\t1", 6, 1),
            "     x eq 1\n"
            "          ^");
}

TEST(CaretSnippetTest, LongLinesShowAWindow) {
  std::string text = std::string(200, 'a') + "BAD" + std::string(200, 'b');
  std::string out = caret_snippet(text, 200, 3);
  size_t nl = out.find('\n');
  ASSERT_NE(nl, std::string::npos);
  std::string line = out.substr(0, nl);
  std::string marks = out.substr(nl + 1);
  EXPECT_LT(line.size(), 140u);
  EXPECT_EQ(line.substr(0, 7), "    ...");
  size_t caret = marks.find('^');
  ASSERT_NE(caret, std::string::npos);
  EXPECT_EQ(line.substr(caret, 3), "BAD");
  EXPECT_EQ(marks.substr(caret), "^~~");
}

// The segment matcher the evaluator runs must agree with the regex the same pattern
// compiles to, for random patterns and texts over a small alphabet (so that stars,
// repeats and near-misses are common), folded and strict.
TEST(Wildcard, AgreesWithTheEquivalentRegex) {
  std::mt19937 rng(11);
  auto pick = [&](const char* alphabet, size_t max_len) {
    std::string s(rng() % (max_len + 1), 'a');
    size_t n = std::char_traits<char>::length(alphabet);
    for (char& c : s) c = alphabet[rng() % n];
    return s;
  };
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  for (int round = 0; round < 3000; ++round) {
    bool fold = round % 2 == 0;
    std::string pattern = pick("abA*\\", 7);
    RE2 re(wildcard_to_regex(pattern, fold), options);
    ASSERT_TRUE(re.ok()) << pattern;
    Wildcard w = Wildcard::parse(pattern, fold);
    for (int probe = 0; probe < 10; ++probe) {
      std::string text = pick("abAB*\\", 10);
      Scratch scratch;
      ASSERT_EQ(w.matches(text, scratch), RE2::FullMatch(text, re))
          << "pattern " << pattern << " text " << text << " fold " << fold;
    }
  }
}

TEST(Wildcard, SegmentsPrefixAndFolding) {
  Scratch scratch;
  Wildcard w = Wildcard::parse("/WP-*/x*", true);
  EXPECT_EQ(w.segments, (std::vector<std::string>{"/wp-", "/x", ""}));
  EXPECT_TRUE(w.matches("/wp-admin/x.php", scratch));
  EXPECT_TRUE(w.matches("/Wp-/X", scratch));
  EXPECT_FALSE(w.matches("/wp/x", scratch));
  Wildcard strict = Wildcard::parse("/Api/*", false);
  EXPECT_FALSE(strict.matches("/api/v1", scratch));
  EXPECT_TRUE(strict.matches("/Api/", scratch));
  // "ab*ab" must not let the prefix and the suffix overlap.
  EXPECT_FALSE(Wildcard::parse("ab*ab", false).matches("aba", scratch));
  EXPECT_TRUE(Wildcard::parse("ab*ab", false).matches("abab", scratch));
}

}  // namespace
}  // namespace rampart::rules
