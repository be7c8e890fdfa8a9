#include "seclang/detect_sqli.h"

#include <gtest/gtest.h>

#include <string>

#include "detect_corpus.h"
#include "seclang/detect_sqli_internal.h"

namespace rampart::seclang {
namespace {

using testing::load_corpus;

TEST(DetectSqli, DetectsTheAttackCorpus) {
  const auto attacks = load_corpus("sqli_attacks.txt");
  ASSERT_GE(attacks.size(), 300u);
  size_t detected = 0;
  for (const auto& a : attacks) {
    if (detect_sqli(a)) {
      ++detected;
    } else {
      std::printf("missed: %s   [as-is %s, ' %s, \" %s]\n", a.c_str(),
                  sqli::fingerprint(a, 0).c_str(), sqli::fingerprint(a, '\'').c_str(),
                  sqli::fingerprint(a, '"').c_str());
    }
  }
  EXPECT_GE(detected * 100, attacks.size() * 95) << detected << " of " << attacks.size();
}

TEST(DetectSqli, LetsTheBenignCorpusThrough) {
  const auto benign = load_corpus("sqli_benign.txt");
  ASSERT_GE(benign.size(), 300u);
  size_t flagged = 0;
  for (const auto& b : benign) {
    std::string fp;
    if (detect_sqli(b, &fp)) {
      ++flagged;
      std::printf("flagged (%s): %s\n", fp.c_str(), b.c_str());
    }
  }
  EXPECT_LE(flagged * 100, benign.size()) << flagged << " of " << benign.size();
}

// ModSecurity's detector, which the CRS is tuned against, leaves some SQL to the
// CRS's regex rules (whole statements, bare T-SQL commands) and flags some prose;
// @detectSQLi gives the same verdicts, so both WAFs treat the request alike.
TEST(DetectSqli, GivesLibinjectionsVerdictsOnItsOddCases) {
  const auto unflagged = load_corpus("sqli_unflagged_attacks.txt");
  ASSERT_GE(unflagged.size(), 20u);
  for (const auto& in : unflagged) EXPECT_FALSE(detect_sqli(in)) << in;
  const auto flagged = load_corpus("sqli_flagged_benign.txt");
  ASSERT_GE(flagged.size(), 3u);
  for (const auto& in : flagged) EXPECT_TRUE(detect_sqli(in)) << in;
}

// The fingerprint is what ModSecurity reports as the matched data, so a given attack
// must keep giving the same one.
TEST(DetectSqli, ReportsStableFingerprints) {
  struct Case {
    const char* input;
    const char* fingerprint;
  };
  const Case cases[] = {
      {"' or 1=1--", "s&1c"},
      {"admin'--", "sc"},
      {"admin'/*", "sc"},
      {"1 union select 1,2,3", "1UE1,"},
      {"-1' union all select null,@@version--", "sUE1,"},
      {"1' order by 3-- ", "sB1c"},
      {"' or 'a'='a", "s&s"},
      {"\" or \"a\"=\"a", "s&s"},
      {"1 or 1=1", "1&1"},
      {"1' and sleep(5)#", "s&fc"},
      {"'; drop table users--", "s;Ekn"},
      {"select * from users where id=1", "Eoknk"},
      {"Call me (555) 123-4567", "Tn(1)"},
      {"setTimeout('while(1){}',0)", "sT(1)"},
      {"<iframe srcdoc=\"<script>alert(1)</script>\">", "son(1"},
      {"1/*!union*/select 1", "1XUE1"},
  };
  for (const Case& c : cases) {
    std::string fp;
    EXPECT_TRUE(detect_sqli(c.input, &fp)) << c.input;
    EXPECT_EQ(fp, c.fingerprint) << c.input;
  }
}

TEST(DetectSqli, LeavesNamesApostrophesAndProseAlone) {
  for (const char* input :
       {"O'Brien", "it's a nice day", "Tom's and Jerry's", "2 or 3 items", "Select your size",
        "Update your profile", "rock and roll", "C# developer", "see the \"--verbose\" option",
        "use '#' for comments", "price: $19.99", "{\"name\":\"O'Brien\",\"age\":30}", "", "'", "\"",
        "--", "1"}) {
    std::string fp;
    EXPECT_FALSE(detect_sqli(input, &fp)) << input << " -> " << fp;
    EXPECT_TRUE(fp.empty()) << input;
  }
}

// A fingerprint of two or three types is also the shape of ordinary text; it counts
// only with more to it than the shape.
TEST(DetectSqli, WantsMoreThanAShortShape) {
  // A bare "--" or "/*" ends the query; a "#" or "-- text" is as likely prose.
  EXPECT_TRUE(detect_sqli("admin'--"));
  EXPECT_FALSE(detect_sqli("admin'#"));
  EXPECT_FALSE(detect_sqli("it's fine' -- really"));
  // "x or y" with nothing computed on either side is a sentence...
  EXPECT_FALSE(detect_sqli("1 or 2"));
  EXPECT_FALSE(detect_sqli("x' or y"));
  EXPECT_FALSE(detect_sqli("sexy and 17"));
  // ...while a comparison, or a literal reopened without closing, is an injection.
  EXPECT_TRUE(detect_sqli("1 or 1=1"));
  EXPECT_TRUE(detect_sqli("x' or 'y"));
  EXPECT_FALSE(detect_sqli("x' or 'y'"));
}

TEST(DetectSqli, FoldsExpressionsIntoOneValue) {
  // Arithmetic, comparisons, signs, parentheses, lists and calls are one value each.
  EXPECT_EQ(sqli::fingerprint("1+2-3 or -4=(5)", 0), "1&1");
  EXPECT_EQ(sqli::fingerprint("1 and 2 in (1,2,3)", 0), "1&1");
  EXPECT_EQ(sqli::fingerprint("'a' 'b' or 'c'", 0), "s&s");
  EXPECT_EQ(sqli::fingerprint("1 and concat(1,2,3)", 0), "1&f");
  EXPECT_EQ(sqli::fingerprint("1 and sleep (5)", 0), "1&f");
  EXPECT_EQ(sqli::fingerprint("x is not null", 0), "n");
  // Multi-word keywords and comments used as whitespace.
  EXPECT_EQ(sqli::fingerprint("1 order by 2", 0), "1B1");
  EXPECT_EQ(sqli::fingerprint("1 union all select 2", 0), "1UE1");
  EXPECT_EQ(sqli::fingerprint("1/**/union/**/select/**/2", 0), "1UE1");
  // Read from inside a literal, the input's first quote closes it.
  EXPECT_EQ(sqli::fingerprint("x' or 1=1", '\''), "s&1");
  EXPECT_EQ(sqli::fingerprint("x\" or 1=1", '"'), "s&1");
  // "--" only comments out the rest before whitespace, as in MySQL.
  EXPECT_EQ(sqli::fingerprint("x'--", '\''), "sc");
  EXPECT_NE(sqli::fingerprint("x'--verbose", '\''), "sc");
}

TEST(DetectSqli, FindsSubqueriesBeyondTheFingerprint) {
  std::string fp;
  EXPECT_TRUE(detect_sqli("1 and 1=(select 1 from pg_sleep(5))", &fp));
  EXPECT_TRUE(detect_sqli("' order by (select 1)--", &fp));
  EXPECT_FALSE(detect_sqli("(select one) of these", &fp));
}

TEST(DetectSqli, FindsAnAttackAtTheStartOfLongInput) {
  std::string input = "1' or 1=1-- ";
  input.append(1 << 20, 'x');
  EXPECT_TRUE(detect_sqli(input));
  // Long benign input of every troublesome byte.
  std::string junk;
  for (int i = 0; i < (1 << 16); ++i) junk.push_back("'\"\\`(/*-#@ a1"[i % 13]);
  std::string fp1, fp2;
  const bool first = detect_sqli(junk, &fp1);
  EXPECT_EQ(first, detect_sqli(junk, &fp2));
  EXPECT_EQ(fp1, fp2);
}

TEST(DetectSqli, KeepsEveryByteAsInput) {
  const std::string with_nul("1' or\0 1=1--", 12);
  EXPECT_TRUE(detect_sqli(with_nul));
}

}  // namespace
}  // namespace rampart::seclang
