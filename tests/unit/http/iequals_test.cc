// Header names compare case-insensitively, eight bytes at a time: the result must be
// what a byte-by-byte ASCII comparison says for every pair of bytes at every position.

#include <gtest/gtest.h>

#include <string>

#include "http/message.h"

namespace rampart::http {
namespace {

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

TEST(Iequals, AgreesWithByteComparisonForEveryBytePair) {
  for (size_t len : {1u, 3u, 7u, 8u, 9u, 10u, 15u, 16u, 17u, 23u}) {
    for (size_t pos = 0; pos < len; ++pos) {
      std::string a(len, 'k');
      std::string b(len, 'K');
      for (int x = 0; x < 256; ++x) {
        for (int y = 0; y < 256; ++y) {
          a[pos] = static_cast<char>(x);
          b[pos] = static_cast<char>(y);
          bool want = ascii_lower(a[pos]) == ascii_lower(b[pos]);
          ASSERT_EQ(iequals(a, b), want)
              << "len " << len << " pos " << pos << " bytes " << x << " " << y;
        }
      }
    }
  }
}

TEST(Iequals, HeaderNames) {
  EXPECT_TRUE(iequals("User-Agent", "user-agent"));
  EXPECT_TRUE(iequals("CONTENT-SECURITY-POLICY", "content-security-policy"));
  EXPECT_FALSE(iequals("content-security-policz", "content-security-policy"));
  EXPECT_FALSE(iequals("xontent-security-policy", "content-security-policy"));
  EXPECT_FALSE(iequals("user-agent", "user-agent "));
  EXPECT_TRUE(iequals("", ""));
  // Bytes outside ASCII letters are compared exactly ('@' is not '`', 0xC4 is not 0xE4).
  EXPECT_FALSE(iequals("x-a@bcdefgh", "x-a`bcdefgh"));
  EXPECT_FALSE(iequals("x-\xC4-header", "x-\xE4-header"));
}

}  // namespace
}  // namespace rampart::http
