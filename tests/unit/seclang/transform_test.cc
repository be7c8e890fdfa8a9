// Each transformation on ordinary and malformed input, with the result ModSecurity v3
// gives (transform_diff_test.cc checks the same against the library itself when it is
// installed; these cases hold without it).
#include "seclang/transform.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace rampart::seclang {
namespace {

using namespace std::string_literals;

struct Case {
  Transform t;
  std::string in;
  std::string want;
};

// Readable parameter dumps in failure messages.
void PrintTo(const Case& c, std::ostream* os) {
  *os << transform_name(c.t) << "(" << ::testing::PrintToString(c.in) << ")";
}

std::string run(Transform t, std::string_view in) {
  std::string out = "stale";
  bool changed = apply_transform(t, in, out);
  EXPECT_EQ(changed, out != in) << transform_name(t) << " reported changed=" << changed;
  return out;
}

class TransformCaseTest : public ::testing::TestWithParam<Case> {};

TEST_P(TransformCaseTest, GivesModSecurityResult) {
  const Case& c = GetParam();
  EXPECT_EQ(run(c.t, c.in), c.want) << transform_name(c.t) << "(" << c.in << ")";
}

using T = Transform;

const Case kCases[] = {
    // urlDecode: %XX and '+'; an invalid or truncated escape stays as written.
    {T::kUrlDecode, "a%20b+c", "a b c"},
    {T::kUrlDecode, "%zz%4%", "%zz%4%"},
    {T::kUrlDecode, "%%41", "%A"},
    {T::kUrlDecode, "%u0041", "%u0041"},  // no %u in plain urlDecode
    {T::kUrlDecode, "%00x", "\0x"s},
    // urlDecodeUni: %uXXXX through the 20127 best-fit map, else its low byte; full-width
    // ASCII folds to ASCII; a malformed %u keeps both bytes.
    {T::kUrlDecodeUni, "%u0041%U0042", "AB"},
    {T::kUrlDecodeUni, "%uff1c%uFF1E", "<>"},
    {T::kUrlDecodeUni, "%u00e9%u2019", "e'"},
    {T::kUrlDecodeUni, "%u4e41", "A"},
    {T::kUrlDecodeUni, "%u004%uzzzz%u", "%u004%uzzzz%u"},
    {T::kUrlDecodeUni, "%41+%2", "A %2"},
    // htmlEntityDecode: decimal/hex without ';', five named entities (any case), huge
    // numbers saturate to 0xff, unknown names and bare '&#' stay.
    {T::kHtmlEntityDecode, "&#60;&#x3c&#X3C;", "<<<"},
    {T::kHtmlEntityDecode, "&LT;&gt&amp;&quot;&nbsp;", "<>&\"\xa0"},
    {T::kHtmlEntityDecode, "&apos;&foo&#;&#x;&", "&apos;&foo&#;&#x;&"},
    {T::kHtmlEntityDecode, "&#99999999999999999999;", "\xff"},
    {T::kHtmlEntityDecode, "&#X11111111111111111111a", "\xff"},  // saturates, not wraps
    {T::kHtmlEntityDecode, "&#321;", "A"},  // only the low byte of the code point
    // jsDecode: \uHHHH (low byte, full-width folded), \xHH, octal up to one byte, \C.
    {T::kJsDecode, "\\u0041\\uff21\\x42\\101",
     "AAB"
     "A"},
    {T::kJsDecode, "\\400\\777",
     "\x20"
     "0?7"},
    {T::kJsDecode, "\\n\\t\\q\\'", "\n\tq'"},
    {T::kJsDecode, "\\u00zz\\x4\\", "u00zzx4\\"},
    {T::kJsDecode, "\\U0041", "U0041"},  // \u is lower case only
    // cssDecode: 1-6 hex digits (last two count), a following space is eaten, escaped
    // newline vanishes, a trailing backslash vanishes, the result ends at a NUL.
    {T::kCssDecode, "\\41 b\\42",
     "Ab"
     "B"},
    {T::kCssDecode, "\\ff21\\0ff21\\00ff21\\1ff21", "AAA!"},
    {T::kCssDecode, "a\\\nb\\", "ab"},
    {T::kCssDecode, "\\g\\\\", "g\\"},
    {T::kCssDecode, "a\\0g", "a"},
    // escapeSeqDecode: C escapes, \xHH (either case of x), octal without the byte limit.
    {T::kEscapeSeqDecode, "\\a\\x41\\X42\\101", "\aABA"},
    {T::kEscapeSeqDecode, "\\777\\q\\x4", "\xffqx4"},
    {T::kEscapeSeqDecode, "end\\", "end\\"},
    // hexDecode: pairs, no validation, odd last byte dropped.
    {T::kHexDecode, "414243", "ABC"},
    {T::kHexDecode, "414", "A"},
    {T::kHexDecode, "zz", "S"},
    {T::kHexDecode, "", ""},
    // sqlHexDecode: 0x runs of pairs; the last byte of the value is dropped unless a run
    // consumed it, and the value ends at a NUL.
    {T::kSqlHexDecode, "a0x414243z", "aABCz"},
    {T::kSqlHexDecode, "0x41", "A"},
    {T::kSqlHexDecode, "abc", "ab"},
    {T::kSqlHexDecode, "0x4", "0x"},
    {T::kSqlHexDecode, "0X41420041", "AB"},
    // base64Decode: all or nothing (mbedTLS); base64DecodeExt skips what it cannot use.
    {T::kBase64Decode, "QUJD", "ABC"},
    {T::kBase64Decode, "QUJDRA==", "ABCD"},
    {T::kBase64Decode, "QUJD$RA==", ""},
    {T::kBase64Decode, "QUJDRA", "ABC"},  // the incomplete group is dropped
    {T::kBase64Decode, "QUJD\r\nRA==", "ABCD"},
    {T::kBase64Decode, "QU JD", ""},
    {T::kBase64DecodeExt, "QU$JD.RA==", "ABCD"},
    {T::kBase64DecodeExt, "QUJ", "AB"},
    {T::kBase64DecodeExt, "QUJDR=A", ""},  // a lone '=' after one digit of a group
    {T::kBase64Encode, "ABCD", "QUJDRA=="},
    {T::kBase64Encode, "", ""},
    {T::kHexEncode, "A\xff", "41ff"},
    // urlEncode: only alphanumerics and '*' stay, space becomes '+', the rest %xx.
    {T::kUrlEncode, "a b*/\xe9", "a+b*%2f%e9"},
    // utf8toUnicode: %uXXXX (lower case, at least 4 digits); invalid lead bytes dropped.
    {T::kUtf8ToUnicode, "a\xc3\xa9\xe2\x82\xac", "a%u00e9%u20ac"},
    {T::kUtf8ToUnicode, "\xf0\x9f\x98\x80", "%u1f600"},
    {T::kUtf8ToUnicode, "\xc3z\x80", "z\x80"},
    {T::kUtf8ToUnicode, "\xc0\xaf", "%u002f\xc0"},      // overlong: lead byte follows
    {T::kUtf8ToUnicode, "\xed\xa0\x80", "%ud800\xed"},  // surrogate: lead byte follows
    {T::kUtf8ToUnicode, "a\0b"s, "ab"},
    // cmdLine: deletes \ " ' ^, separators to one space, no space before / or (, lower.
    {T::kCmdLine, "C:\\ Win'd\"o^ws, sys;tem /bin (x) A", "c: windows sys tem/bin(x) a"},
    {T::kCmdLine, "a ' b", "a b"},
    {T::kCmdLine, ",;  \t", " "},
    {T::kCompressWhitespace, "a  \t\n b\v\fc", "a b c"},
    {T::kCompressWhitespace,
     "a\xa0\xa0"
     "b",
     "a\xa0\xa0"
     "b"},  // NBSP is not whitespace here
    {T::kRemoveWhitespace,
     " a\tb\xa0"
     "c\xc2"
     "d ",
     "abcd"},
    {T::kRemoveNulls, "a\0b\0"s, "ab"},
    {T::kReplaceNulls, "a\0b"s, "a b"},
    {T::kTrim, " \t a b \r\n", "a b"},
    {T::kTrimLeft, "  a ", "a "},
    {T::kTrimRight, "  a \v", "  a"},
    {T::kTrim,
     "\xa0"
     "a",
     "\xa0"
     "a"},
    {T::kLowercase, "AbC\xc9", "abc\xc9"},
    {T::kUppercase, "aBc\xe9", "ABC\xe9"},
    // Comments: removeComments cuts at -- and #, and copies the byte after */ unexamined
    // (the terminating NUL when the comment ends the value).
    {T::kRemoveComments, "a/*x*/b", "ab"},
    {T::kRemoveComments, "a/*x*/", "a\0"s},
    {T::kRemoveComments, "a/*x", "a "},
    {T::kRemoveComments, "a--b#c", "a"},
    {T::kRemoveComments, "1<!--x-->2", "12"},
    {T::kReplaceComments, "a/*x*/b/*", "a b "},
    {T::kReplaceComments, "a*/b", "a*/b"},
    {T::kRemoveCommentsChar, "a/*b*/c<!--d-->e--f#g", "abcdefg"},
    {T::kRemoveCommentsChar, "-/**/-", "--"},
    // normalisePath: . and .. segments, repeated slashes; a relative path keeps a ".."
    // that would climb above its start, but once a segment was removed the next one that
    // climbs past the start takes everything before it.
    {T::kNormalisePath, "/a/b/../c/./d//e", "/a/c/d/e"},
    {T::kNormalisePath, "/../../etc/passwd", "/etc/passwd"},
    {T::kNormalisePath, "../../b", "../../b"},
    {T::kNormalisePath, "a/../../b", "../b"},
    {T::kNormalisePath, "../a/../../b", "b"},
    {T::kNormalisePath, "a/./b/", "a/b/"},
    {T::kNormalisePath, "a\\..\\b", "a\\..\\b"},
    {T::kNormalisePathWin, "a\\..\\b", "b"},
    {T::kNormalisePathWin, "C:\\windows\\system32\\..\\win.ini", "C:/windows/win.ini"},
    // parity: bit 7 from the parity of the whole byte.
    {T::kParityEven7bit,
     "\x80\xff\x7f"
     "A",
     "\x80\x7f\xff"
     "A"},
    {T::kParityOdd7bit,
     "\x80\xff\x7f"
     "A",
     "\x00\xff\x7f\xc1"s},
    {T::kParityZero7bit, "\xc1\x41", "AA"},
    // length: the byte count in decimal (a NUL counts).
    {T::kLength, "", "0"},
    {T::kLength, "1", "1"},
    {T::kLength, "a\0bcdefghij"s, "11"},
    {T::kNone, "Anything %41", "Anything %41"},
    // md5 / sha1: the raw digest bytes, not hex.
    {T::kMd5, "", "\xd4\x1d\x8c\xd9\x8f\x00\xb2\x04\xe9\x80\x09\x98\xec\xf8\x42\x7e"s},
    {T::kSha1, "abc",
     "\xa9\x99\x3e\x36\x47\x06\x81\x6a\xba\x3e\x25\x71\x78\x50\xc2\x6c\x9c\xd0\xd8\x9d"s},
};

INSTANTIATE_TEST_SUITE_P(Cases, TransformCaseTest, ::testing::ValuesIn(kCases));

TEST(TransformTest, UnchangedInputReportsFalseAndStillWritesOut) {
  std::string out = "stale";
  EXPECT_FALSE(apply_transform(Transform::kLowercase, "already lower", out));
  EXPECT_EQ(out, "already lower");
  EXPECT_FALSE(apply_transform(Transform::kUrlDecodeUni, "plain", out));
  EXPECT_EQ(out, "plain");
  EXPECT_FALSE(apply_transform(Transform::kLength, "1", out));  // one byte: "1"
  EXPECT_EQ(out, "1");
  EXPECT_TRUE(apply_transform(Transform::kLength, "7", out));
  EXPECT_EQ(out, "1");
}

TEST(TransformTest, NamesRoundTripAndAliases) {
  for (int i = 0; i <= static_cast<int>(Transform::kUtf8ToUnicode); ++i) {
    auto t = static_cast<Transform>(i);
    EXPECT_EQ(transform_by_name(transform_name(t)), t) << transform_name(t);
  }
  EXPECT_EQ(transform_by_name("normalizePath"), Transform::kNormalisePath);
  EXPECT_EQ(transform_by_name("normalizePathWin"), Transform::kNormalisePathWin);
  EXPECT_EQ(transform_by_name("utf8toUnicode"), Transform::kUtf8ToUnicode);
  EXPECT_EQ(transform_by_name("cmdLine"), Transform::kCmdLine);
  // ModSecurity v3 matches t: names without regard to case.
  EXPECT_EQ(transform_by_name("LOWERCASE"), Transform::kLowercase);
  EXPECT_EQ(transform_by_name("urldecodeuni"), Transform::kUrlDecodeUni);
  EXPECT_FALSE(transform_by_name("urlDecodeUnicode").has_value());
  EXPECT_FALSE(transform_by_name("utf\x18toUnicode").has_value());  // a control byte, not the "8"
  EXPECT_FALSE(transform_by_name("").has_value());
}

// The evaluation skips a transformation transforms_without_effect names for a value's
// bytes: it must then really give the text back unchanged. Random texts over small random
// alphabets, so that texts without a transformation's special bytes come up often, and
// often with every other byte near them (runs of spaces, '/', '.', '-', NULs, high bytes).
TEST(TransformTest, WithoutEffectHoldsOnTextsWithoutTriggers) {
  std::mt19937 rng(7);
  const std::string pool = "aZ09 \t\n\r\v\f/.\\-#<!*%+&;,'\"^()xX\xa0\xc2\xff\x80"s + '\0';
  const int last = static_cast<int>(Transform::kUtf8ToUnicode);
  std::vector<int> skipped(last + 1, 0);
  for (int round = 0; round < 20000; ++round) {
    std::string alphabet;
    const size_t letters = 1 + rng() % 5;
    for (size_t i = 0; i < letters; ++i) {
      alphabet += rng() % 3 == 0 ? static_cast<char>(rng() % 256) : pool[rng() % pool.size()];
    }
    std::string text;
    const size_t size = rng() % 24;
    for (size_t i = 0; i < size; ++i) text += alphabet[rng() % alphabet.size()];
    const ByteSet present = bytes_present(text);
    const uint64_t mask = transforms_without_effect(present);
    // effect_bytes, one transformation at a time (what a RuleSet keeps of its own), agrees.
    uint64_t one_by_one = 0;
    for (int i = 0; i <= last; ++i) {
      const ByteSet* effect = effect_bytes(static_cast<Transform>(i));
      if (effect != nullptr && !effect->intersects(present)) one_by_one |= uint64_t{1} << i;
    }
    EXPECT_EQ(one_by_one, mask);
    for (int i = 0; i <= last; ++i) {
      if (((mask >> i) & 1u) == 0) continue;
      ++skipped[i];
      auto t = static_cast<Transform>(i);
      std::string out = "stale";
      EXPECT_FALSE(apply_transform(t, text, out))
          << transform_name(t) << "(" << ::testing::PrintToString(text) << ")";
      EXPECT_EQ(out, text) << transform_name(t);
    }
  }
  // The transformations the CRS chains use most are among those skipped.
  for (Transform t : {Transform::kLowercase, Transform::kUrlDecodeUni, Transform::kCmdLine,
                      Transform::kHtmlEntityDecode, Transform::kCompressWhitespace}) {
    EXPECT_GT(skipped[static_cast<int>(t)], 1000) << transform_name(t);
  }
  EXPECT_EQ(transforms_without_effect(bytes_present("Mozilla/5.0")) &
                (uint64_t{1} << static_cast<int>(Transform::kLowercase)),
            0u);
}

}  // namespace
}  // namespace rampart::seclang
