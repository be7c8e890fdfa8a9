#include "cache/range.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rampart::cache {
namespace {

struct RangeRow {
  std::string_view section;
  std::string_view value;
  uint64_t length;
  RangeStatus status;
  std::vector<ByteRange> ranges = {};
};

TEST(Range, ParseTable) {
  constexpr auto kOk = RangeStatus::kSatisfiable;
  constexpr auto kIgnore = RangeStatus::kIgnore;
  constexpr auto k416 = RangeStatus::kUnsatisfiable;
  std::string sixteen = "bytes=";
  std::string seventeen = "bytes=";
  std::vector<ByteRange> sixteen_ranges;
  for (int i = 0; i < 17; ++i) {
    const std::string spec = std::to_string(i * 2) + "-" + std::to_string(i * 2);
    if (i < 16) {
      sixteen += (i ? "," : "") + spec;
      sixteen_ranges.push_back({uint64_t(i) * 2, uint64_t(i) * 2});
    }
    seventeen += (i ? "," : "") + spec;
  }
  const RangeRow rows[] = {
      {"9110 14.1.2 first 500 bytes", "bytes=0-499", 10000, kOk, {{0, 499}}},
      {"9110 14.1.2 second 500 bytes", "bytes=500-999", 10000, kOk, {{500, 999}}},
      {"9110 14.1.2 suffix", "bytes=-500", 10000, kOk, {{9500, 9999}}},
      {"9110 14.1.2 open-ended", "bytes=9500-", 10000, kOk, {{9500, 9999}}},
      {"9110 14.1.2 first and last byte", "bytes=0-0,-1", 10000, kOk, {{0, 0}, {9999, 9999}}},
      {"9110 14.1.1 suffix longer than length", "bytes=-20000", 10000, kOk, {{0, 9999}}},
      {"9110 14.1.1 last beyond length is clamped", "bytes=0-20000", 10000, kOk, {{0, 9999}}},
      {"9110 14.1.1 first beyond length", "bytes=10000-", 10000, k416},
      {"9110 14.1.1 first-last beyond length", "bytes=10000-20000", 10000, k416},
      {"9110 14.1.1 one satisfiable is enough", "bytes=0-1, 20000-", 10000, kOk, {{0, 1}}},
      {"9110 14.1.1 zero suffix", "bytes=-0", 10000, k416},
      {"9110 14.1.1 empty representation", "bytes=0-", 0, k416},
      {"9110 14.1.1 suffix of empty representation", "bytes=-5", 0, k416},
      {"9110 14.2 overlapping coalesced", "bytes=0-10,5-20", 100, kOk, {{0, 20}}},
      {"9110 14.2 adjacent coalesced", "bytes=0-9,10-19", 100, kOk, {{0, 19}}},
      {"9110 14.2 contained range coalesced", "bytes=0-50,10-20", 100, kOk, {{0, 50}}},
      {"9110 14.2 out of order sorted", "bytes=20-29,0-9", 100, kOk, {{0, 9}, {20, 29}}},
      {"9110 14.1.1 OWS around commas", "bytes=0-1 ,\t3-4", 100, kOk, {{0, 1}, {3, 4}}},
      {"9110 14.1 unit is case-insensitive", "BYTES=0-1", 100, kOk, {{0, 1}}},
      {"9110 14.1.2 huge last", "bytes=0-99999999999999999999999", 100, kOk, {{0, 99}}},
      {"9110 14.1.2 huge first", "bytes=99999999999999999999999-", 100, k416},
      {"9110 14.1.2 huge suffix", "bytes=-99999999999999999999999", 100, kOk, {{0, 99}}},
      {"cap: 16 ranges", sixteen, 100, kOk, sixteen_ranges},
      {"9110 14.2 cap: 17 ranges ignored", seventeen, 100, kIgnore},
      {"9110 17.15 more than two overlaps ignored", "bytes=0-5,0-5,0-5", 100, kIgnore},
      {"9110 17.15 two overlaps allowed", "bytes=0-5,0-5", 100, kOk, {{0, 5}}},
      {"9110 14.2 last before first is invalid", "bytes=5-1", 100, kIgnore},
      {"9110 14.2 other unit", "items=0-5", 100, kIgnore},
      {"9110 14.2 no ranges", "bytes=", 100, kIgnore},
      {"9110 14.2 only commas", "bytes=,,", 100, kIgnore},
      {"9110 14.2 letters", "bytes=a-b", 100, kIgnore},
      {"9110 14.2 no equals", "bytes 0-5", 100, kIgnore},
      {"9110 14.2 space before equals", "bytes =0-5", 100, kIgnore},
      {"9110 14.2 one bad spec spoils the set", "bytes=0-5,x", 100, kIgnore},
      {"9110 14.2 no dash", "bytes=1", 100, kIgnore},
      {"9110 14.2 double dash", "bytes=--1", 100, kIgnore},
      {"9110 14.2 signed", "bytes=+1-2", 100, kIgnore},
      {"9110 14.2 space inside spec", "bytes=0 -5", 100, kIgnore},
      {"9110 14.2 quoted", "bytes=\"0-5\"", 100, kIgnore},
      {"9110 14.2 invalid even when unsatisfiable", "bytes=200-100", 100, kIgnore},
  };
  for (const RangeRow& r : rows) {
    SCOPED_TRACE(r.section);
    const RangeResult got = parse_range(r.value, r.length);
    EXPECT_EQ(got.status, r.status);
    EXPECT_EQ(got.ranges, r.ranges);
  }
}

TEST(Range, LimitsAreParameters) {
  RangeLimits tight;
  tight.max_ranges = 2;
  EXPECT_EQ(parse_range("bytes=0-1,3-4", 100, tight).status, RangeStatus::kSatisfiable);
  EXPECT_EQ(parse_range("bytes=0-1,3-4,6-7", 100, tight).status, RangeStatus::kIgnore);
  tight.max_overlaps = 0;
  EXPECT_EQ(parse_range("bytes=0-5,5-6", 100, tight).status, RangeStatus::kIgnore);
}

TEST(Range, ContentRangeValues) {
  // RFC 9110 §14.4.
  EXPECT_EQ(format_content_range({0, 499}, 1234), "bytes 0-499/1234");
  EXPECT_EQ(format_content_range({9999, 9999}, 10000), "bytes 9999-9999/10000");
  EXPECT_EQ(format_unsatisfied_range(1234), "bytes */1234");
  EXPECT_EQ(format_unsatisfied_range(0), "bytes */0");
}

TEST(Range, MultipartBodyHasOnePartPerRangeAndAClosingDelimiter) {
  // RFC 9110 §14.6: each part has its own Content-Range; the body ends with --boundary--.
  const std::string body = "0123456789abcdef";
  const std::string got = multipart_byteranges(body, {{0, 2}, {10, 15}}, "text/plain", "B1");
  EXPECT_EQ(got,
            "--B1\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-2/16\r\n\r\n012\r\n"
            "--B1\r\nContent-Type: text/plain\r\nContent-Range: bytes 10-15/16\r\n\r\nabcdef\r\n"
            "--B1--\r\n");
  EXPECT_EQ(multipart_byteranges(body, {{4, 4}}, "", "x"),
            "--x\r\nContent-Range: bytes 4-4/16\r\n\r\n4\r\n--x--\r\n");
}

}  // namespace
}  // namespace rampart::cache
