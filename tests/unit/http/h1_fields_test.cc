// The grammar helpers behind both head parsers, tested directly where the head tests
// would need many near-identical inputs.

#include <gtest/gtest.h>

#include <string>

#include "http/h1_internal.h"

namespace rampart::http::detail {
namespace {

TEST(H1Fields, CharClassTables) {
  int tchars = 0;
  int vchars = 0;
  for (int c = 0; c < 256; ++c) {
    tchars += is_tchar(static_cast<char>(c));
    vchars += has_class(static_cast<char>(c), kVchar);
  }
  EXPECT_EQ(tchars, 26 * 2 + 10 + 15);
  EXPECT_EQ(vchars, 0x7E - 0x21 + 1);
  for (char c : std::string_view("()<>@,;:\\\"/[]?={} \t")) EXPECT_FALSE(is_tchar(c)) << c;
}

// The word-at-a-time check must agree with the byte table for every byte at every
// position of a word, with the bad byte anywhere in a string of any length.
TEST(H1Fields, FieldValueCheckMatchesTable) {
  for (int c = 0; c < 256; ++c) {
    const bool allowed = c == '\t' || (c >= 0x20 && c != 0x7F);
    for (size_t len = 1; len <= 24; ++len) {
      for (size_t at = 0; at < len; ++at) {
        std::string s(len, 'a');
        s[at] = static_cast<char>(c);
        ASSERT_EQ(valid_field_value(s.data(), s.size()), allowed)
            << "byte " << c << " at " << at << " of " << len;
      }
    }
  }
  EXPECT_TRUE(valid_field_value("", 0));
}

// The same for the other scanners: every byte value at every offset of strings long
// enough to take both the vector and the tail paths.
TEST(H1Fields, ScannersMatchTable) {
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    for (size_t len = 1; len <= 40; ++len) {
      for (size_t at = 0; at < len; ++at) {
        std::string s(len, 'a');
        s[at] = ch;
        const char* b = s.data();
        const char* e = b + len;
        ASSERT_EQ(skip_tchars(b, e), is_tchar(ch) ? e : b + at) << c << " at " << at;
        ASSERT_EQ(skip_vchars(b, e), has_class(ch, kVchar) ? e : b + at) << c << " at " << at;
        const char* lf = find_lf(b, e);
        ASSERT_EQ(lf, ch == '\n' ? b + at : nullptr) << c << " at " << at;
      }
    }
  }
  // Common name bytes in bulk, with rarer token characters among them.
  const std::string name = "X-Forwarded-For_2.0~!#$%&'*+^`|Accept-Encoding";
  EXPECT_EQ(skip_tchars(name.data(), name.data() + name.size()), name.data() + name.size());
  const std::string tabs = "a\tb\tc\td\te\tf\tg\th\ti\tj\tk\tl\tm\t\x80\xff";
  EXPECT_TRUE(valid_field_value(tabs.data(), tabs.size()));
}

TEST(H1Fields, ParseDecimal) {
  uint64_t v = 1;
  EXPECT_TRUE(parse_decimal("0", v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(parse_decimal("18446744073709551615", v));
  EXPECT_EQ(v, 18446744073709551615u);
  EXPECT_FALSE(parse_decimal("18446744073709551616", v));
  EXPECT_FALSE(parse_decimal("", v));
  EXPECT_FALSE(parse_decimal(" 1", v));
  EXPECT_FALSE(parse_decimal("1,1", v));
}

TEST(H1Fields, TransferEncodingClassification) {
  EXPECT_EQ(classify_transfer_encoding("chunked"), TransferCoding::kChunked);
  EXPECT_EQ(classify_transfer_encoding("cHuNkEd"), TransferCoding::kChunked);
  EXPECT_EQ(classify_transfer_encoding("gzip , chunked"), TransferCoding::kUnsupported);
  EXPECT_EQ(classify_transfer_encoding("gzip;level=1, chunked"), TransferCoding::kUnsupported);
  EXPECT_EQ(classify_transfer_encoding("x-custom"), TransferCoding::kUnsupported);
  EXPECT_EQ(classify_transfer_encoding("chunked , gzip"), TransferCoding::kMalformed);
  EXPECT_EQ(classify_transfer_encoding("gzip,,chunked"), TransferCoding::kMalformed);
  EXPECT_EQ(classify_transfer_encoding("chunked;"), TransferCoding::kMalformed);
  EXPECT_EQ(classify_transfer_encoding("chunked chunked"), TransferCoding::kMalformed);
  EXPECT_EQ(classify_transfer_encoding("chunk ed"), TransferCoding::kMalformed);
  EXPECT_EQ(classify_transfer_encoding("chunked\x80"), TransferCoding::kMalformed);
}

TEST(H1Fields, Authority) {
  EXPECT_TRUE(valid_authority("example.com", false));
  EXPECT_TRUE(valid_authority("example.com:0", true));
  EXPECT_TRUE(valid_authority("example.com:65535", true));
  EXPECT_TRUE(valid_authority("[::ffff:192.0.2.1]:8443", true));
  EXPECT_FALSE(valid_authority("example.com", true));
  EXPECT_FALSE(valid_authority("example.com:65536", false));
  EXPECT_FALSE(valid_authority("example.com:000080", false));
  EXPECT_FALSE(valid_authority(":80", false));
  EXPECT_FALSE(valid_authority("[]:80", false));
  EXPECT_FALSE(valid_authority("[v1.x]", false));
  EXPECT_FALSE(valid_authority("[fe80::1%25eth0]", false));
  EXPECT_FALSE(valid_authority("[::1]x", false));
  EXPECT_FALSE(valid_authority("a:b:c", false));
  EXPECT_FALSE(valid_authority("", false));
}

TEST(H1Fields, ConnectionTokens) {
  ConnectionTokens t;
  EXPECT_TRUE(add_connection_tokens(" Upgrade ,, x-y ", t));
  EXPECT_TRUE(t.upgrade);
  EXPECT_FALSE(t.close);
  EXPECT_TRUE(add_connection_tokens("CLOSE", t));
  EXPECT_TRUE(t.close);
  EXPECT_TRUE(t.upgrade);  // accumulates over lines
  EXPECT_FALSE(add_connection_tokens("a;b", t));
  EXPECT_TRUE(add_connection_tokens("", t));
}

}  // namespace
}  // namespace rampart::http::detail
