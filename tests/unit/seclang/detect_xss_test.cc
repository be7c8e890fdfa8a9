#include "seclang/detect_xss.h"

#include <gtest/gtest.h>

#include <string>

#include "detect_corpus.h"

namespace rampart::seclang {
namespace {

using testing::load_corpus;

TEST(DetectXss, DetectsTheAttackCorpus) {
  const auto attacks = load_corpus("xss_attacks.txt");
  ASSERT_GE(attacks.size(), 300u);
  size_t detected = 0;
  for (const auto& a : attacks) {
    if (detect_xss(a)) {
      ++detected;
    } else {
      std::printf("missed: %s\n", a.c_str());
    }
  }
  EXPECT_GE(detected * 100, attacks.size() * 95) << detected << " of " << attacks.size();
}

// libinjection (ModSecurity's detector) takes any value starting "java", "data",
// "vbscript" or "view-source" as a script URL, but not one with a blank inside the
// scheme, and any on* name of five letters or more, style or filter as an attribute
// anywhere: @detectXSS gives the same verdicts, so both WAFs treat the request alike.
TEST(DetectXss, GivesLibinjectionsVerdictsOnItsOddCases) {
  const auto unflagged = load_corpus("xss_unflagged_attacks.txt");
  ASSERT_GE(unflagged.size(), 3u);
  for (const auto& in : unflagged) EXPECT_FALSE(detect_xss(in)) << in;
  const auto flagged = load_corpus("xss_flagged_benign.txt");
  ASSERT_GE(flagged.size(), 3u);
  for (const auto& in : flagged) EXPECT_TRUE(detect_xss(in)) << in;
}

TEST(DetectXss, LetsTheBenignCorpusThrough) {
  const auto benign = load_corpus("xss_benign.txt");
  ASSERT_GE(benign.size(), 250u);
  size_t flagged = 0;
  for (const auto& b : benign) {
    if (detect_xss(b)) {
      ++flagged;
      std::printf("flagged: %s\n", b.c_str());
    }
  }
  EXPECT_LE(flagged * 100, benign.size()) << flagged << " of " << benign.size();
}

TEST(DetectXss, FlagsWhatRunsScript) {
  for (const char* input : {
           "<script>alert(1)</script>",
           "<SCRIPT SRC=//evil.example/x.js>",
           "<img src=x onerror=alert(1)>",
           "<svg/onload=alert(1)>",
           "<a href=\"javascript:alert(1)\">x</a>",
           "<a href=\"java&#x09;script&colon;alert(1)\">x</a>",
           "<a href=\"&#106;avascript:alert(1)\">x</a>",
           "<iframe src=//evil.example>",
           "<div style=\"width:expression(alert(1))\">",
           "<!--[if IE]><script>alert(1)</script><![endif]-->",
           "<button formaction=javascript:alert(1)>",
           "<div onmouseenter=alert(1)>",
           "<div onerrorx=alert(1)>",
           "<body onsomefutureevent=alert(1)>",
           "<!DOCTYPE html><html>",
           "<?xml version=\"1.0\"?><x:script xmlns:x=\"http://www.w3.org/1999/xhtml\">",
           "<!ENTITY x SYSTEM \"file:///etc/passwd\">",
           "<!-- `><img src=x onerror=alert(1)> -->",
           "<xsl:value-of select=\"x\"/>",
       }) {
    EXPECT_TRUE(detect_xss(input)) << input;
  }
}

TEST(DetectXss, FlagsBreakingOutOfAnAttributeValue) {
  EXPECT_TRUE(detect_xss("\" onmouseover=\"alert(1)"));
  EXPECT_TRUE(detect_xss("' onfocus='alert(1)' autofocus='"));
  EXPECT_TRUE(detect_xss("x onclick=alert(1)"));
  EXPECT_TRUE(detect_xss("` onclick=alert(1) `"));
  EXPECT_TRUE(detect_xss("\"><img src=x onerror=alert(1)>"));
}

TEST(DetectXss, LeavesHarmlessMarkupAndTextAlone) {
  for (const char* input : {
           "<b>bold</b> and <i>italic</i>",
           "<a href=\"https://example.com/?a=1&b=2\">link</a>",
           "<img src=\"/logo.png\" alt=\"a < b\">",
           "3 < 5 and 7 > 2",
           "I love this <3",
           "vector<int> v;",
           "The onload event fires when the page loads",
           "only=true&once=yes",
           "style is everything",
           "<a title=\"javascript:alert(1)\">tooltip</a>",
           "<div data-onload=\"x\">",
           "<!-- a comment -->",
           "",
           "<",
           "\"",
       }) {
    EXPECT_FALSE(detect_xss(input)) << input;
  }
}

TEST(DetectXss, HandlesUnterminatedMarkup) {
  EXPECT_TRUE(detect_xss("<img src=x onerror=alert(1)"));
  EXPECT_FALSE(detect_xss("<a href=\"https://example.com"));
  EXPECT_FALSE(detect_xss("<!-- never closed"));
  std::string long_input = "<p title=\"";
  long_input.append(1 << 20, 'x');
  EXPECT_FALSE(detect_xss(long_input));
  long_input += "\" onclick=alert(1)>";
  EXPECT_TRUE(detect_xss(long_input));
}

}  // namespace
}  // namespace rampart::seclang
