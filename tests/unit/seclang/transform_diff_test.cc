// Differential test: every transformation against ModSecurity v3 itself (the installed
// libmodsecurity, loaded at run time), on hand-picked malformed inputs and on random
// strings built from the bytes each decoder reacts to. Skips when the library is absent.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "seclang/transform.h"
#include "unit/seclang/modsec_oracle.h"

namespace rampart::seclang {
namespace {

std::string printable(std::string_view s) {
  std::string r;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      r.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      r += buf;
    }
  }
  return r;
}

std::vector<Transform> all_transforms() {
  std::vector<Transform> all;
  for (int i = 0; i <= static_cast<int>(Transform::kUtf8ToUnicode); ++i) {
    all.push_back(static_cast<Transform>(i));
  }
  return all;
}

// Inputs that sit on the edges of the decoders' grammars.
std::vector<std::string> edge_inputs() {
  using namespace std::string_literals;
  return {
      "",
      "a",
      "1",
      "A",
      " ",
      "%",
      "%4",
      "%41",
      "%zz",
      "%%41",
      "%u",
      "%u004",
      "%u0041",
      "%U0041",
      "%uff21",
      "%uFF5e",
      "%uff00",
      "%u4e00",
      "%u00e9",
      "a+b",
      "&",
      "&#",
      "&#x",
      "&#65",
      "&#x41;",
      "&#X41",
      "&#99999999999999999999;",
      "&lt;&GT&amp&quot;&nbsp;",
      "&foo;",
      "&1;",
      "\\",
      "\\u0041",
      "\\uff21",
      "\\x41",
      "\\x4",
      "\\101",
      "\\400",
      "\\777",
      "\\8",
      "\\n\\t\\q",
      "\\\\",
      "\\41 b",
      "\\ff21",
      "\\0ff21",
      "\\00ff21",
      "\\1234567",
      "\\\n",
      "a\\0b",
      "\\X41",
      "\\?",
      "0x41",
      "0x414",
      "0x",
      "x0x4",
      "abc",
      "0X4142",
      "0x00",
      "a0x41b",
      "414",
      "41zz42",
      "zz",
      "QUJD",
      "QUJDRA==",
      "QUJ",
      "QQ=",
      "QQ==",
      "QQ=A",
      "QU JD",
      "QUJD\r\nRA==",
      "QUJD\nRA==  ",
      "Q===",
      "QUJD$RA==",
      "-_-_",
      "QUJ9",
      "QUJDR9",
      "a\0b"s,
      "a\0"s,
      "\0"s,
      "/a/b/../c",
      "a/./b",
      "../a",
      "/..",
      "/../..",
      "a/..",
      "a//b///c/",
      ".",
      "..",
      "/",
      "//",
      "/./",
      "a/b/c/..",
      "\\a\\..\\b",
      "c:\\windows\\..\\x\\\\y",
      "./.././a",
      "a/../../b",
      "a/b/../../../c",
      "/*a*/b",
      "a/*x*/",
      "a/*x",
      "a<!--x-->",
      "a<!--x",
      "a--b",
      "a#b",
      "/**/-->",
      "*/*/",
      "-/**/-",
      "<!---->",
      "C:\\ Win'd\"o^ws, sys;tem /bin (x) A",
      "a  \t\n b",
      "  a  ",
      "\xa0\xc2 x \xa0",
      "\x80\xff\x7f",
      "\xc3\xa9",
      "\xc3",
      "\xe2\x82\xac",
      "\xed\xa0\x80",
      "\xe0\x80\x80",
      "\xf0\x9f\x98\x80",
      "\xf5\x80\x80\x80",
      "\xf8\x88\x80\x80\x80",
      "\xc0\xaf",
  };
}

// RAMPART_TRANSFORM_DIFF_ITERATIONS raises the number of random inputs for a deep run.
int iterations() {
  const char* env = std::getenv("RAMPART_TRANSFORM_DIFF_ITERATIONS");
  return env != nullptr ? std::atoi(env) : 20000;
}

// Mostly bytes the decoders react to; every fourth input is arbitrary bytes.
std::string random_input(std::mt19937& rng) {
  static const std::string alphabet =
      "%%%uU+&#;xX0123456789aAfFbBzZ\\\\\\/./.*-!<>='\"^,; \t\n\r\x0b\x0cqQuUnNlLtTgG_$"
      "\x00\xa0\xc2\xc3\xe2\xf0\xff\x80\xbf";
  std::uniform_int_distribution<size_t> len_dist(0, 40);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::string s(len_dist(rng), '\0');
  bool arbitrary = rng() % 4 == 0;
  for (char& c : s) c = arbitrary ? static_cast<char>(rng()) : alphabet[pick(rng)];
  return s;
}

class TransformDiffTest : public ::testing::TestWithParam<Transform> {};

TEST_P(TransformDiffTest, MatchesModSecurity) {
  auto& oracle = testing::ModsecOracle::get();
  if (!oracle.available()) GTEST_SKIP() << "libmodsecurity.so.3 not installed";
  Transform t = GetParam();
  std::vector<std::string> inputs = edge_inputs();
  std::mt19937 rng(1234 + static_cast<unsigned>(t));
  for (int i = 0, n = iterations(); i < n; ++i) inputs.push_back(random_input(rng));
  int failures = 0;
  std::string out;
  for (const std::string& in : inputs) {
    std::string want = *oracle.apply(t, in);
    bool changed = apply_transform(t, in, out);
    if (out != want && ++failures <= 5) {
      ADD_FAILURE() << transform_name(t) << "(\"" << printable(in) << "\") = \"" << printable(out)
                    << "\", ModSecurity: \"" << printable(want) << "\"";
    }
    EXPECT_EQ(changed, out != in) << transform_name(t) << "(\"" << printable(in) << "\")";
  }
  EXPECT_EQ(failures, 0);
}

INSTANTIATE_TEST_SUITE_P(All, TransformDiffTest, ::testing::ValuesIn(all_transforms()),
                         [](const auto& info) { return std::string(transform_name(info.param)); });

}  // namespace
}  // namespace rampart::seclang
