// The non-regex operators: strings, phrase lists, numbers, IPs, validation, constants,
// detector adapters and the factory's error reporting.

#include "seclang/operator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "operator_test_util.h"

namespace rampart::seclang {
namespace {

using testing::compile;
using testing::compile_error;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/rampart_operator_test_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ + "/" + name, std::ios::binary) << content;
    return path_ + "/" + name;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(OperatorFactoryTest, UnknownOperatorIsAnError) {
  EXPECT_NE(compile_error("rxx", "a").find("unknown operator @rxx"), std::string::npos);
  EXPECT_NE(compile_error("verifyCC", "\\d{16}").find("unknown operator"), std::string::npos);
}

TEST(OperatorFactoryTest, NamesAreCaseInsensitive) {
  EXPECT_TRUE(compile("BEGINSWITH", "ab").matches("abc"));
  EXPECT_TRUE(compile("StrEq", "x").matches("x"));
  EXPECT_TRUE(compile("RX", "^a").matches("abc"));
}

TEST(OperatorFactoryTest, ConstantOperators) {
  auto yes = compile("unconditionalMatch", "");
  EXPECT_TRUE(yes.matches(""));
  EXPECT_TRUE(yes.matches("anything"));
  auto no = compile("noMatch", "");
  EXPECT_FALSE(no.matches(""));
  EXPECT_FALSE(no.matches("anything"));
}

TEST(StringOperatorTest, BeginsEndsContainsStreq) {
  auto begins = compile("beginsWith", "GET");
  EXPECT_TRUE(begins.matches("GET /"));
  EXPECT_FALSE(begins.matches("get /"));  // case-sensitive
  EXPECT_FALSE(begins.matches("GE"));
  EXPECT_TRUE(compile("beginsWith", "").matches("x"));

  auto ends = compile("endsWith", ".php");
  EXPECT_TRUE(ends.matches("/index.php"));
  EXPECT_FALSE(ends.matches("/index.php5"));
  EXPECT_FALSE(ends.matches("php"));

  auto contains = compile("contains", "..");
  EXPECT_TRUE(contains.matches("/a/../b"));
  EXPECT_FALSE(contains.matches("/a/./b"));

  auto streq = compile("streq", "POST");
  EXPECT_TRUE(streq.matches("POST"));
  EXPECT_FALSE(streq.matches("POST "));
  EXPECT_FALSE(streq.matches("post"));
  EXPECT_TRUE(compile("streq", "").matches(""));
}

TEST(StringOperatorTest, BytesAreComparedExactly) {
  std::string nul_arg("a\0b", 3);
  auto contains = compile("contains", nul_arg);
  EXPECT_TRUE(contains.matches(std::string("xa\0bx", 5)));
  EXPECT_FALSE(contains.matches("ab"));
}

TEST(StringOperatorTest, WithinFindsTheInputInTheArgument) {
  auto within = compile("within", "GET HEAD POST OPTIONS");
  EXPECT_TRUE(within.matches("GET"));
  EXPECT_TRUE(within.matches("POST"));
  EXPECT_FALSE(within.matches("DELETE"));
  // ModSecurity's substring semantics: a fragment of the list matches too.
  EXPECT_TRUE(within.matches("EAD"));
  // and so does an empty input.
  EXPECT_TRUE(within.matches(""));
}

TEST(StringOperatorTest, ContainsWordNeedsNonLetterBoundaries) {
  auto word = compile("containsWord", "select");
  EXPECT_TRUE(word.matches("select"));
  EXPECT_TRUE(word.matches("select * from t"));
  EXPECT_TRUE(word.matches("1 select"));
  EXPECT_TRUE(word.matches("(select)"));
  EXPECT_TRUE(word.matches("1select2"));  // digits are boundaries for ModSecurity
  EXPECT_FALSE(word.matches("selected"));
  EXPECT_FALSE(word.matches("unselect"));
  EXPECT_TRUE(word.matches("selected or select"));  // a later occurrence counts
  EXPECT_FALSE(word.matches(""));
  EXPECT_TRUE(compile("containsWord", "").matches("anything"));
}

TEST(StringOperatorTest, DynamicArgumentsAreUsedPerCall) {
  auto within = compile("within", "%{tx.allowed_methods}", true);
  EXPECT_TRUE(within.matches_with("PUT", "GET PUT"));
  EXPECT_FALSE(within.matches_with("PUT", "GET HEAD"));
  auto streq = compile("streq", "%{request_headers.host}", true);
  EXPECT_TRUE(streq.matches_with("example.com", "example.com"));
  EXPECT_FALSE(streq.matches_with("example.com", "example.org"));
  auto ends = compile("endsWith", "%{tx.ext}", true);
  EXPECT_TRUE(ends.matches_with("a.exe", ".exe"));
}

TEST(PmOperatorTest, MatchesAnyPhraseCaseInsensitively) {
  auto pm = compile("pm", "WebZIP .NET CLR nikto");
  EXPECT_TRUE(pm.matches("Mozilla/4.0 (webzip)"));
  EXPECT_TRUE(pm.matches("Mozilla (.net clr 2.0)"));
  EXPECT_TRUE(pm.matches("NIKTO/2.1"));
  EXPECT_TRUE(pm.matches("CLR"));  // ".NET CLR" is two phrases: ".NET" and "CLR"
  EXPECT_FALSE(pm.matches("Mozilla/5.0 Firefox"));
  EXPECT_FALSE(pm.matches(""));
}

TEST(PmOperatorTest, OverlappingPhrasesAndSuffixes) {
  auto pm = compile("pm", "abcd bc xyz");
  EXPECT_TRUE(pm.matches("abc"));  // "bc" inside a partial "abcd"
  EXPECT_TRUE(pm.matches("aabcd"));
  EXPECT_TRUE(pm.matches("xxyz"));
  EXPECT_FALSE(pm.matches("abxy"));
  auto nested = compile("pm", "he she his hers");
  EXPECT_TRUE(nested.matches("ushers"));
  EXPECT_TRUE(nested.matches("ahis"));
  EXPECT_FALSE(nested.matches("hi s"));
}

TEST(PmOperatorTest, CapturesTheMatchedPhrase) {
  auto pm = compile("pm", "foo bar");
  Captures captures;
  EXPECT_EQ(pm.run("xxBARxx", &captures), MatchResult::kMatch);
  EXPECT_EQ(captures.count, 1);
  EXPECT_EQ(captures.groups[0], "bar");
}

TEST(PmOperatorTest, QuotedHexAndEscapedContent) {
  auto quoted = compile("pm", "\"alpha beta\"");
  EXPECT_TRUE(quoted.matches("xbeta"));
  auto hex = compile("pm", "|41 42|c");  // "ABc"
  EXPECT_TRUE(hex.matches("zabcz"));
  EXPECT_FALSE(hex.matches("|41"));
  auto escaped = compile("pm", "a\\;b");
  EXPECT_TRUE(escaped.matches("xa;bx"));
}

TEST(PmOperatorTest, NonAsciiBytesAreNotFolded) {
  auto pm = compile("pm", "\xc3\xa9t\xc3\xa9");
  EXPECT_TRUE(pm.matches("l'\xc3\xa9t\xc3\xa9"));
  EXPECT_FALSE(pm.matches("l'\xc3\x89T\xc3\x89"));
}

TEST(PmOperatorTest, ManyPhrasesAgreeWithNaiveSearch) {
  // Every 3-letter phrase over {a,b,c} except a few; inputs over the same alphabet.
  std::string list;
  std::vector<std::string> phrases;
  const char letters[] = "abc";
  for (char x : letters) {
    for (char y : std::string_view(letters, 3)) {
      for (char z : std::string_view(letters, 3)) {
        if (x == '\0') continue;
        std::string p{x, y, z};
        if (p == "abc" || p == "cab" || p == "bbb") continue;
        phrases.push_back(p);
        list += p + " ";
      }
    }
  }
  auto pm = compile("pm", list);
  uint32_t seed = 12345;
  for (int i = 0; i < 2000; ++i) {
    std::string input;
    int len = i % 9;
    for (int k = 0; k < len; ++k) {
      seed = seed * 1103515245 + 12345;
      input += letters[(seed >> 16) % 3];
    }
    bool expected = false;
    for (const auto& p : phrases) expected |= input.find(p) != std::string::npos;
    EXPECT_EQ(pm.matches(input), expected) << input;
  }
}

TEST(PmOperatorTest, DynamicPhraseList) {
  auto pm = compile("pm", "%{tx.words}", true);
  EXPECT_TRUE(pm.matches_with("a FOO b", "bar foo"));
  EXPECT_FALSE(pm.matches_with("a FOO b", "bar baz"));
}

TEST(PmFromFileTest, ReadsPhrasesRelativeToTheRulesDir) {
  TempDir dir;
  dir.write("ua.data", "# scanners\n\nnikto\n  # indented comment\nsqlmap\r\nwith space\n");
  OperatorLoadContext context;
  context.rules_dir = dir.path();
  for (const char* name : {"pmFromFile", "pmf"}) {
    auto pm = compile(name, "ua.data", false, context);
    EXPECT_TRUE(pm.matches("Mozilla nikto"));
    EXPECT_TRUE(pm.matches("SQLMAP/1.0"));  // CRLF line end stripped
    EXPECT_TRUE(pm.matches("a WITH SPACE b"));
    EXPECT_FALSE(pm.matches("scanners"));  // comment lines are not phrases
    EXPECT_FALSE(pm.matches("indented"));
    EXPECT_FALSE(pm.matches("with"));
  }
  auto absolute = compile("pmFromFile", dir.path() + "/ua.data");
  EXPECT_TRUE(absolute.matches("nikto"));
}

TEST(PmFromFileTest, MissingOversizedRemoteAndDynamicFilesAreErrors) {
  TempDir dir;
  OperatorLoadContext context;
  context.rules_dir = dir.path();
  EXPECT_NE(compile_error("pmFromFile", "missing.data", context).find("missing.data"),
            std::string::npos);
  dir.write("big.data", std::string(2000, 'a') + "\n");
  context.max_data_file_bytes = 1000;
  EXPECT_NE(compile_error("pmFromFile", "big.data", context).find("larger"), std::string::npos);
  compile_error("pmFromFile", "https://example.com/list.data", context);
  std::string error;
  OperatorSpec spec{"pmFromFile", "%{tx.file}", false};
  EXPECT_EQ(compile_operator(spec, true, context, error), nullptr);
  EXPECT_FALSE(error.empty());
}

TEST(PmFromFileTest, EveryCrsDataFileLoads) {
  const std::string dir = "/usr/share/modsecurity-crs/rules";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no CRS at " << dir;
  OperatorLoadContext context;
  context.rules_dir = dir;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".data") continue;
    ++files;
    auto pm = compile("pmFromFile", entry.path().filename().string(), false, context);
    ASSERT_TRUE(pm.op);
    EXPECT_FALSE(pm.matches("zzzz")) << entry.path();
  }
  EXPECT_GT(files, 10);
  auto lfi = compile("pmFromFile", "lfi-os-files.data", false, context);
  EXPECT_TRUE(lfi.matches("/../../etc/passwd"));
  auto ua = compile("pmFromFile", "scanners-user-agents.data", false, context);
  EXPECT_TRUE(ua.matches("Mozilla/5.0 sqlmap/1.5"));
}

TEST(NumericOperatorTest, ComparesIntegers) {
  EXPECT_TRUE(compile("eq", "5").matches("5"));
  EXPECT_FALSE(compile("eq", "5").matches("6"));
  EXPECT_TRUE(compile("ge", "5").matches("5"));
  EXPECT_TRUE(compile("ge", "5").matches("10"));
  EXPECT_FALSE(compile("ge", "5").matches("4"));
  EXPECT_TRUE(compile("gt", "5").matches("6"));
  EXPECT_FALSE(compile("gt", "5").matches("5"));
  EXPECT_TRUE(compile("le", "5").matches("5"));
  EXPECT_FALSE(compile("le", "5").matches("6"));
  EXPECT_TRUE(compile("lt", "5").matches("-3"));
  EXPECT_FALSE(compile("lt", "5").matches("5"));
}

TEST(NumericOperatorTest, ParsesLikeStoiWithFailuresAsZero) {
  auto eq0 = compile("eq", "0");
  EXPECT_TRUE(eq0.matches("abc"));
  EXPECT_TRUE(eq0.matches(""));
  EXPECT_TRUE(eq0.matches("99999999999"));  // out of int range: 0
  EXPECT_TRUE(eq0.matches("-"));
  auto eq12 = compile("eq", "12");
  EXPECT_TRUE(eq12.matches("12abc"));
  EXPECT_TRUE(eq12.matches("  +12"));
  EXPECT_TRUE(eq12.matches("\t12 "));
  EXPECT_FALSE(eq12.matches("1 2"));
  EXPECT_TRUE(compile("eq", "-2147483648").matches("-2147483648"));
  EXPECT_TRUE(compile("eq", "2147483647").matches("2147483647"));
  EXPECT_TRUE(compile("eq", "0").matches("2147483648"));
  EXPECT_TRUE(compile("eq", "x").matches("0"));  // a bad argument is 0 too
}

TEST(NumericOperatorTest, DynamicArgument) {
  auto ge = compile("ge", "%{tx.inbound_anomaly_score_threshold}", true);
  EXPECT_TRUE(ge.matches_with("5", "5"));
  EXPECT_FALSE(ge.matches_with("4", "5"));
  EXPECT_TRUE(ge.matches_with("4", ""));  // unset macro expands empty: 0
  auto lt = compile("lt", "%{tx.max}", true);
  EXPECT_TRUE(lt.matches_with("3", "10"));
  EXPECT_FALSE(lt.matches_with("30", "10"));
}

TEST(IpMatchTest, AddressesAndPrefixesOfBothFamilies) {
  auto ip = compile("ipMatch", "127.0.0.1, 10.0.0.0/8,::1,2001:db8::/32");
  EXPECT_TRUE(ip.matches("127.0.0.1"));
  EXPECT_FALSE(ip.matches("127.0.0.2"));
  EXPECT_TRUE(ip.matches("10.200.3.4"));
  EXPECT_FALSE(ip.matches("11.0.0.1"));
  EXPECT_TRUE(ip.matches("::1"));
  EXPECT_TRUE(ip.matches("2001:db8:1::5"));
  EXPECT_FALSE(ip.matches("2001:db9::1"));
  EXPECT_FALSE(ip.matches("not an ip"));
  EXPECT_FALSE(ip.matches(""));
}

TEST(IpMatchTest, BadEntriesAreLoadErrors) {
  EXPECT_NE(compile_error("ipMatch", "10.0.0.300").find("10.0.0.300"), std::string::npos);
  compile_error("ipMatch", "1.2.3.4/33");
}

TEST(IpMatchTest, FromFileAndDynamic) {
  TempDir dir;
  dir.write("ips.txt", "# blocked\n192.0.2.0/24\n2001:db8::1\n");
  OperatorLoadContext context;
  context.rules_dir = dir.path();
  for (const char* name : {"ipMatchFromFile", "ipMatchF"}) {
    auto ip = compile(name, "ips.txt", false, context);
    EXPECT_TRUE(ip.matches("192.0.2.77"));
    EXPECT_TRUE(ip.matches("2001:db8::1"));
    EXPECT_FALSE(ip.matches("192.0.3.1"));
  }
  dir.write("bad.txt", "192.0.2.0/24\nnope\n");
  compile_error("ipMatchFromFile", "bad.txt", context);
  compile_error("ipMatchFromFile", "absent.txt", context);

  auto dynamic = compile("ipMatch", "%{tx.trusted}", true);
  EXPECT_TRUE(dynamic.matches_with("10.1.1.1", "10.0.0.0/8"));
  EXPECT_FALSE(dynamic.matches_with("11.1.1.1", "10.0.0.0/8"));
  EXPECT_EQ(dynamic.op->match("10.1.1.1", "garbage", nullptr), MatchResult::kError);
}

TEST(UnavailableOperatorTest, RblAndGeoLookupLoadButReportErrors) {
  auto rbl = compile("rbl", "sbl-xbl.spamhaus.org");
  EXPECT_EQ(rbl.run("192.0.2.1"), MatchResult::kError);
  auto geo = compile("geoLookup", "");
  EXPECT_EQ(geo.run("192.0.2.1"), MatchResult::kError);
}

TEST(ValidateByteRangeTest, MatchesABytOutsideTheRanges) {
  auto range = compile("validateByteRange", "9,10,13,32-126");
  EXPECT_FALSE(range.matches("plain text\tline\r\n"));
  EXPECT_FALSE(range.matches(""));
  EXPECT_TRUE(range.matches(std::string("a\0b", 3)));
  EXPECT_TRUE(range.matches("caf\xc3\xa9"));
  EXPECT_TRUE(range.matches("\x7f"));
  auto all_but_nul = compile("validateByteRange", "1-255");
  EXPECT_FALSE(all_but_nul.matches("\x01\xff abc"));
  EXPECT_TRUE(all_but_nul.matches(std::string(1, '\0')));
  auto single = compile("validateByteRange", " 65 ");
  EXPECT_FALSE(single.matches("AAA"));
  EXPECT_TRUE(single.matches("AAB"));
}

TEST(ValidateByteRangeTest, BadRangesAreLoadErrors) {
  compile_error("validateByteRange", "");
  compile_error("validateByteRange", "1-256");
  compile_error("validateByteRange", "20-10");
  compile_error("validateByteRange", "a-z");
  compile_error("validateByteRange", "1,,2");
  auto dynamic = compile("validateByteRange", "%{tx.range}", true);
  EXPECT_TRUE(dynamic.matches_with("abc", "97-98"));
  EXPECT_FALSE(dynamic.matches_with("abc", "97-99"));
  EXPECT_EQ(dynamic.op->match("abc", "300", nullptr), MatchResult::kError);
}

TEST(ValidateUrlEncodingTest, MatchesBrokenPercentEncoding) {
  auto url = compile("validateUrlEncoding", "");
  EXPECT_FALSE(url.matches("a%20b%2F%2f"));
  EXPECT_FALSE(url.matches("no escapes"));
  EXPECT_FALSE(url.matches(""));
  EXPECT_TRUE(url.matches("a%2"));
  EXPECT_TRUE(url.matches("a%"));
  EXPECT_TRUE(url.matches("%zz"));
  EXPECT_TRUE(url.matches("%2g"));
  EXPECT_TRUE(url.matches("ok%20then%"));
}

TEST(ValidateUtf8EncodingTest, MatchesInvalidUtf8) {
  auto utf8 = compile("validateUtf8Encoding", "");
  EXPECT_FALSE(utf8.matches("ascii"));
  EXPECT_FALSE(utf8.matches("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(utf8.matches(""));
  EXPECT_TRUE(utf8.matches("\x80"));              // stray continuation
  EXPECT_TRUE(utf8.matches("\xc3"));              // truncated
  EXPECT_TRUE(utf8.matches("\xe2\x82"));          // truncated
  EXPECT_TRUE(utf8.matches("\xc3\x28"));          // bad continuation
  EXPECT_TRUE(utf8.matches("\xc0\xaf"));          // overlong '/'
  EXPECT_TRUE(utf8.matches("\xe0\x80\xaf"));      // overlong
  EXPECT_TRUE(utf8.matches("\xf0\x80\x80\xaf"));  // overlong
  EXPECT_TRUE(utf8.matches("\xed\xa0\x80"));      // surrogate
  EXPECT_TRUE(utf8.matches("\xf5\x80\x80\x80"));  // above U+10FFFF
  EXPECT_TRUE(utf8.matches("\xff"));
}

TEST(DetectOperatorTest, SqliAndXssAdapters) {
  auto sqli = compile("detectSQLi", "");
  EXPECT_FALSE(sqli.matches("hello world"));
  Captures captures;
  ASSERT_EQ(sqli.run("1' OR '1'='1", &captures), MatchResult::kMatch);
  EXPECT_EQ(captures.count, 1);
  EXPECT_FALSE(captures.groups[0].empty());  // the fingerprint
  auto xss = compile("detectXSS", "");
  EXPECT_TRUE(xss.matches("<script>alert(1)</script>"));
  EXPECT_FALSE(xss.matches("hello world"));
}

}  // namespace
}  // namespace rampart::seclang
