// The byte-class prefilter's pattern analyser on hand-written patterns: which byte sets
// it finds required, and that what it does not follow gives no condition.

#include "seclang/byte_filter.h"

#include <gtest/gtest.h>

#include <string>

namespace rampart::seclang {
namespace {

ByteSet set_of(std::string_view bytes) {
  ByteSet s;
  for (char c : bytes) s.add(static_cast<uint8_t>(c));
  return s;
}

std::vector<ByteSet> sets(std::string_view pattern) {
  auto result = required_byte_sets(pattern);
  EXPECT_TRUE(result.has_value()) << pattern;
  return result.value_or(std::vector<ByteSet>{});
}

// Whether a value holding these bytes passes every required set of the pattern.
bool passes(std::string_view pattern, std::string_view value) {
  auto result = required_byte_sets(pattern);
  if (!result) return true;
  ByteSet present = bytes_present(value);
  for (const ByteSet& s : *result) {
    if (!s.intersects(present)) return false;
  }
  return true;
}

TEST(ByteFilterTest, ConcatenationRequiresEveryLiteral) {
  EXPECT_EQ(sets("a<b"), (std::vector<ByteSet>{set_of("a"), set_of("<"), set_of("b")}));
  EXPECT_TRUE(passes("a<b", "zz b<a"));  // bytes, not order: a superset
  EXPECT_FALSE(passes("a<b", "ab"));
}

TEST(ByteFilterTest, AlternationNeedsASetInEveryBranch) {
  EXPECT_EQ(sets("<|>"), (std::vector<ByteSet>{set_of("<>")}));
  EXPECT_TRUE(passes("foo;|bar'", "bar'"));
  EXPECT_TRUE(passes("foo;|bar'", "';"));
  EXPECT_FALSE(passes("foo;|bar'", "foobar"));
  // A branch that may match nothing leaves the alternation without a condition.
  EXPECT_TRUE(sets("<|x*").empty());
  EXPECT_TRUE(sets("(?:<|)").empty());
  EXPECT_EQ(sets("(?:a|b)c"), (std::vector<ByteSet>{set_of("ab"), set_of("c")}));
  // Besides the union of the rarest sets (letters here), the union of the symbols.
  EXPECT_FALSE(passes("(?:xhaving[^\\w\\s]|zselect\\()", "xhaving zselect"));
  EXPECT_TRUE(passes("(?:xhaving[^\\w\\s]|zselect\\()", "zselect("));
  EXPECT_TRUE(passes("(?:xhaving[^\\w\\s]|zselect\\()", "xhaving-"));
}

TEST(ByteFilterTest, ClassesAndNegatedClasses) {
  EXPECT_EQ(sets("[<>'\"]"), (std::vector<ByteSet>{set_of("<>'\"")}));
  EXPECT_EQ(sets("[a-c]"), (std::vector<ByteSet>{set_of("abc")}));
  EXPECT_EQ(sets("[]x]"), (std::vector<ByteSet>{set_of("]x")}));  // a leading ']' is literal
  EXPECT_EQ(sets("[-x]"), (std::vector<ByteSet>{set_of("-x")}));
  EXPECT_FALSE(passes("[^a-z]", "hello"));
  EXPECT_TRUE(passes("[^a-z]", "hello world"));
  EXPECT_TRUE(passes("[^a-z]", "\xff"));
  EXPECT_FALSE(passes("[[:digit:]]", "abc"));
  EXPECT_TRUE(passes("[[:punct:]]", "a;b"));
  EXPECT_FALSE(passes("[\\d.]", "abc"));
  EXPECT_TRUE(passes("[\\d.]", "a.c"));
}

TEST(ByteFilterTest, CaselessPatternsFoldLetters) {
  EXPECT_EQ(sets("(?i)ab"), (std::vector<ByteSet>{set_of("aA"), set_of("bB")}));
  EXPECT_TRUE(passes("(?i:select)", "SELECT"));
  EXPECT_TRUE(passes("x(?i:s)", "xS"));    // an inline option folds the whole pattern
  EXPECT_FALSE(passes("(?i)[^a]", "aA"));  // neither case is in the class
  EXPECT_TRUE(passes("(?i)[^a]", "A:"));
  EXPECT_TRUE(passes("(?i)\\xe9", "\xc9"));  // Latin-1 letters fold as RE2 folds them
  EXPECT_FALSE(passes("(?i)ab", "xyz"));
}

// An inline `i` somewhere does not make the whole pattern caseless: a negated class
// outside its reach matches the other case of its members (folding would drop it).
TEST(ByteFilterTest, NegatedClassOutsideTheCaselessPartKeepsTheOtherCase) {
  EXPECT_TRUE(passes("[^a]|(?i:x)y", "A"));
  EXPECT_TRUE(passes("[^k]|(?i)x", "K"));
  EXPECT_TRUE(passes("(?i:x)|[^[:upper:]]", "s"));
  EXPECT_TRUE(passes("(?i)(?-i:[^a])", "A"));
  // PCRE (which runs caseless patterns with bytes past ASCII) folds ASCII letters only.
  EXPECT_TRUE(passes("(?i)[^\\xe9]", "\xc9"));
  // A pattern caseless from its start keeps the exact reading.
  EXPECT_FALSE(passes("(?i)[^a]", "aA"));
}

TEST(ByteFilterTest, QuantifiersWithMinimumZeroRequireNothing) {
  EXPECT_TRUE(sets("<*").empty());
  EXPECT_TRUE(sets("<?").empty());
  EXPECT_TRUE(sets("<{0,3}").empty());
  EXPECT_TRUE(sets("<{,3}").empty());
  EXPECT_EQ(sets("<+"), (std::vector<ByteSet>{set_of("<")}));
  EXPECT_EQ(sets("<{2}"), (std::vector<ByteSet>{set_of("<")}));
  EXPECT_EQ(sets("<{1,}?"), (std::vector<ByteSet>{set_of("<")}));
  EXPECT_EQ(sets("(?:ab)*c"), (std::vector<ByteSet>{set_of("c")}));
  // Not a quantifier: a literal brace.
  EXPECT_EQ(sets("a{x"), (std::vector<ByteSet>{set_of("a"), set_of("{"), set_of("x")}));
}

TEST(ByteFilterTest, Escapes) {
  EXPECT_FALSE(passes("\\d", "abc"));
  EXPECT_TRUE(passes("\\d", "a1"));
  EXPECT_FALSE(passes("\\w", ";;"));
  EXPECT_TRUE(passes("\\W", "a;"));
  EXPECT_TRUE(passes("\\s", "a\vb"));  // PCRE's \s includes the vertical tab
  EXPECT_FALSE(passes("\\s", "ab"));
  EXPECT_EQ(sets("\\x41"), (std::vector<ByteSet>{set_of("A")}));
  EXPECT_EQ(sets("\\x{3c}"), (std::vector<ByteSet>{set_of("<")}));
  EXPECT_EQ(sets("\\."), (std::vector<ByteSet>{set_of(".")}));
  EXPECT_EQ(sets("\\Q<*\\E"), (std::vector<ByteSet>{set_of("<"), set_of("*")}));
  EXPECT_EQ(sets("\\Q<*\\E?"), (std::vector<ByteSet>{set_of("<")}));
  EXPECT_EQ(sets("\\t\\n"), (std::vector<ByteSet>{set_of("\t"), set_of("\n")}));
}

TEST(ByteFilterTest, NestedGroupsAnchorsAndLookarounds) {
  EXPECT_EQ(sets("((<|>)(;))+"), (std::vector<ByteSet>{set_of("<>"), set_of(";")}));
  EXPECT_EQ(sets("(?<name>a)(?P<b>b)(?'c'c)"),
            (std::vector<ByteSet>{set_of("a"), set_of("b"), set_of("c")}));
  EXPECT_TRUE(sets("^$").empty());
  EXPECT_EQ(sets("^\\bx\\b$"), (std::vector<ByteSet>{set_of("x")}));
  EXPECT_EQ(sets("(?=<)a(?!b)(?<=c)(?<!d)"), (std::vector<ByteSet>{set_of("a")}));
  EXPECT_EQ(sets("(?>a)"), (std::vector<ByteSet>{set_of("a")}));
  EXPECT_TRUE(sets(".").empty());
  EXPECT_TRUE(sets("").empty());
}

TEST(ByteFilterTest, WhatItDoesNotFollowGivesNoCondition) {
  EXPECT_FALSE(required_byte_sets("(a)\\1"));
  EXPECT_FALSE(required_byte_sets("(?x) a b"));
  EXPECT_FALSE(required_byte_sets("a(?R)?b"));
  EXPECT_FALSE(required_byte_sets("(?(1)a|b)"));
  EXPECT_FALSE(required_byte_sets("(*UTF)a"));
  EXPECT_FALSE(required_byte_sets("\\p{L}"));
  EXPECT_FALSE(required_byte_sets("(?#c)a"));
  EXPECT_FALSE(required_byte_sets("a\\E*"));  // the * repeats the a
  EXPECT_FALSE(required_byte_sets("(a"));
  EXPECT_FALSE(required_byte_sets("[a"));
  EXPECT_FALSE(required_byte_sets("*a"));
  EXPECT_TRUE(byte_condition_for("(a)\\1").empty());
}

TEST(ByteFilterTest, ConditionKeepsTheRarestSets) {
  ByteCondition c = byte_condition_for("(?i)select\\s*[`'\"]\\s*from");
  ASSERT_FALSE(c.empty());
  EXPECT_LE(c.size(), ByteCondition::kMaxSets);
  EXPECT_EQ(c.set(0), set_of("`'\""));
  EXPECT_FALSE(c.passes(bytes_present("select name from users")));
  EXPECT_TRUE(c.passes(bytes_present("SELECT ' FROM")));
  // Only common letters: the rarest set alone, which still settles empty values.
  ByteCondition letters = byte_condition_for("(?i)tea");
  EXPECT_EQ(letters.size(), 1u);
  EXPECT_FALSE(letters.passes(bytes_present("")));
  EXPECT_TRUE(letters.passes(bytes_present("TEA")));
}

TEST(ByteFilterTest, BytesPresent) {
  ByteSet s = bytes_present(std::string("a\0\xff", 3));
  EXPECT_TRUE(s.has('a'));
  EXPECT_TRUE(s.has(0));
  EXPECT_TRUE(s.has(0xff));
  EXPECT_FALSE(s.has('b'));
  EXPECT_EQ(bytes_present(""), ByteSet());
}

}  // namespace
}  // namespace rampart::seclang
