#include "cache/http_date.h"

#include <gtest/gtest.h>

#include <optional>
#include <string_view>

namespace rampart::cache {
namespace {

constexpr int64_t kRfcExample = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr int64_t kNow2026 = 1795219200;    // 2026-11-21
constexpr int64_t kNow2090 = 3786912000;    // 2090-01-01

struct DateRow {
  std::string_view section;
  std::string_view text;
  std::optional<int64_t> now;
  std::optional<int64_t> want;
};

TEST(HttpDate, ParsesTable) {
  const DateRow rows[] = {
      // The three examples of RFC 9110 §5.6.7.
      {"9110 5.6.7 IMF-fixdate", "Sun, 06 Nov 1994 08:49:37 GMT", {}, kRfcExample},
      {"9110 5.6.7 rfc850-date", "Sunday, 06-Nov-94 08:49:37 GMT", kNow2026, kRfcExample},
      {"9110 5.6.7 asctime-date", "Sun Nov  6 08:49:37 1994", {}, kRfcExample},
      {"9110 5.6.7 asctime two-digit day", "Sun Nov 06 08:49:37 1994", {}, kRfcExample},
      {"9110 5.6.7 epoch", "Thu, 01 Jan 1970 00:00:00 GMT", {}, 0},
      {"9110 5.6.7 before the epoch", "Wed, 31 Dec 1969 23:59:59 GMT", {}, -1},
      {"9110 5.6.7 leap day", "Tue, 29 Feb 2000 12:00:00 GMT", {}, 951825600},
      {"9110 5.6.7 last representable", "Fri, 31 Dec 9999 23:59:59 GMT", {}, 253402300799},
      {"9110 5.6.7 leap second", "Sat, 31 Dec 2016 23:59:60 GMT", {}, 1483228799 + 1},
      {"9110 5.6.7 surrounding OWS", "  Sun, 06 Nov 1994 08:49:37 GMT\t", {}, kRfcExample},
      // A wrong day name does not make the date ambiguous; accepted by design.
      {"9110 5.6.7 day name not checked", "Mon, 06 Nov 1994 08:49:37 GMT", {}, kRfcExample},
      // Two-digit years (RFC 9110 §5.6.7: more than 50 years ahead means the past).
      {"9110 5.6.7 rfc850 30 in 2026", "Wednesday, 06-Nov-30 08:49:37 GMT", kNow2026, 1920185377},
      {"9110 5.6.7 rfc850 76 in 2026", "Friday, 06-Nov-76 08:49:37 GMT", kNow2026, 3371878177},
      {"9110 5.6.7 rfc850 77 in 2026", "Sunday, 06-Nov-77 08:49:37 GMT", kNow2026, 247654177},
      {"9110 5.6.7 rfc850 10 in 2090", "Wednesday, 01-Jan-10 00:00:00 GMT", kNow2090, 4417977600},
      {"rfc850 years stay four digits", "Wednesday, 01-Jan-10 00:00:00 GMT",
       253402300799 - 86400 * 400, days_from_civil(9910, 1, 1) * 86400},
      {"fixed pivot 69 -> 2069", "Tuesday, 01-Jan-69 00:00:00 GMT", {}, 3124224000},
      {"fixed pivot 70 -> 1970", "Thursday, 01-Jan-70 00:00:00 GMT", {}, 0},
      // Invalid: out-of-range fields.
      {"9110 5.6.7 Feb 30", "Fri, 30 Feb 2001 00:00:00 GMT", {}, {}},
      {"9110 5.6.7 Feb 29 of a non-leap century", "Thu, 29 Feb 1900 00:00:00 GMT", {}, {}},
      {"9110 5.6.7 hour 24", "Sun, 06 Nov 1994 24:00:00 GMT", {}, {}},
      {"9110 5.6.7 minute 60", "Sun, 06 Nov 1994 08:60:00 GMT", {}, {}},
      {"9110 5.6.7 second 61", "Sun, 06 Nov 1994 08:49:61 GMT", {}, {}},
      {"9110 5.6.7 day 00", "Sun, 00 Nov 1994 08:49:37 GMT", {}, {}},
      {"9110 5.6.7 day 32", "Sun, 32 Dec 1994 08:49:37 GMT", {}, {}},
      {"9110 5.6.7 Apr 31", "Sun, 31 Apr 1994 08:49:37 GMT", {}, {}},
      // Invalid: syntax.
      {"9110 5.6.7 garbage", "yesterday", {}, {}},
      {"9110 5.6.7 empty", "", {}, {}},
      {"9110 5.6.7 Expires: 0", "0", {}, {}},
      {"9110 5.6.7 case-sensitive names", "sun, 06 nov 1994 08:49:37 GMT", {}, {}},
      {"9110 5.6.7 UTC is not GMT", "Sun, 06 Nov 1994 08:49:37 UTC", {}, {}},
      {"9110 5.6.7 no zone", "Sun, 06 Nov 1994 08:49:37", {}, {}},
      {"9110 5.6.7 trailing text", "Sun, 06 Nov 1994 08:49:37 GMT x", {}, {}},
      {"9110 5.6.7 one-digit day in IMF", "Sun, 6 Nov 1994 08:49:37 GMT", {}, {}},
      {"9110 5.6.7 two-digit year in IMF", "Sun, 06 Nov 94 08:49:37 GMT", {}, {}},
      {"9110 5.6.7 unknown month", "Sun, 06 Foo 1994 08:49:37 GMT", {}, {}},
      {"9110 5.6.7 short day name in rfc850", "Sun, 06-Nov-94 08:49:37 GMT", {}, {}},
      {"9110 5.6.7 asctime with zone", "Sun Nov  6 08:49:37 1994 GMT", {}, {}},
      {"9110 5.6.7 signs are not digits", "Sun, +6 Nov 1994 08:49:37 GMT", {}, {}},
      {"9110 5.6.7 ISO 8601", "1994-11-06T08:49:37Z", {}, {}},
  };
  for (const DateRow& r : rows) {
    SCOPED_TRACE(r.section);
    SCOPED_TRACE(r.text);
    EXPECT_EQ(parse_http_date(r.text, r.now), r.want);
  }
}

TEST(HttpDate, FormatsImfFixdate) {
  // RFC 9110 §5.6.7: senders generate IMF-fixdate.
  EXPECT_EQ(format_http_date(kRfcExample), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_http_date(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(format_http_date(951825600), "Tue, 29 Feb 2000 12:00:00 GMT");
  EXPECT_EQ(format_http_date(-11670912000), "Wed, 01 Mar 1600 00:00:00 GMT");
  // Outside 0000-9999 the value is clamped so it still parses.
  EXPECT_EQ(format_http_date(INT64_MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
  EXPECT_EQ(format_http_date(INT64_MIN), "Sat, 01 Jan 0000 00:00:00 GMT");
}

TEST(HttpDate, RoundTripsEveryDayOfFourCenturies) {
  // 1900-2300 covers the 100- and 400-year leap rules in both directions.
  const int64_t first = days_from_civil(1900, 1, 1);
  const int64_t last = days_from_civil(2300, 1, 1);
  for (int64_t day = first; day < last; day += 1) {
    const int64_t t = day * 86400 + 12345;
    ASSERT_EQ(parse_http_date(format_http_date(t)), t) << format_http_date(t);
  }
}

TEST(HttpDate, DaysFromCivil) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28), 2);  // leap
  EXPECT_EQ(days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 28), 1);  // not leap
  EXPECT_EQ(days_from_civil(2001, 1, 1) - days_from_civil(2000, 1, 1), 366);
}

}  // namespace
}  // namespace rampart::cache
