#include "cache/http_date.h"

#include <array>

#include "cache/field_text.h"

namespace rampart::cache {

namespace {

constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr int64_t kMinSeconds = -62167219200;  // 0000-01-01T00:00:00Z
constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z

bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int64_t y, int m) {
  static constexpr std::array<int, 12> kLen = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kLen[m - 1];
}

// The year that day number `days` (since 1970-01-01) falls in; the first guess is at
// most a few years off, in either direction.
int64_t year_of_day(int64_t days) {
  int64_t year = 1970 + days / 366;
  while (days_from_civil(year + 1, 1, 1) <= days) ++year;
  while (days_from_civil(year, 1, 1) > days) --year;
  return year;
}

// A cursor over the text; each step either consumes exactly what it expects or fails.
struct Cursor {
  std::string_view s;
  bool ok = true;

  bool literal(std::string_view lit) {
    if (!ok || s.substr(0, lit.size()) != lit) return ok = false;
    s.remove_prefix(lit.size());
    return true;
  }
  int digits(size_t n) {
    if (!ok || s.size() < n) return ok = false, 0;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!detail::is_digit(s[i])) return ok = false, 0;
      v = v * 10 + (s[i] - '0');
    }
    s.remove_prefix(n);
    return v;
  }
  template <size_t N>
  int name(const std::array<std::string_view, N>& names) {
    if (!ok) return -1;
    for (size_t i = 0; i < N; ++i) {
      if (s.substr(0, names[i].size()) == names[i]) {
        s.remove_prefix(names[i].size());
        return static_cast<int>(i);
      }
    }
    ok = false;
    return -1;
  }
  // time-of-day = hour ":" minute ":" second
  void time(int& h, int& m, int& sec) {
    h = digits(2);
    literal(":");
    m = digits(2);
    literal(":");
    sec = digits(2);
  }
};

struct Fields {
  int64_t year = 0;
  int month = 0;  // 1-12
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

std::optional<int64_t> to_seconds(const Fields& f) {
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > days_in_month(f.year, f.month) ||
      f.hour > 23 || f.minute > 59 || f.second > 60) {
    return std::nullopt;
  }
  return days_from_civil(f.year, f.month, f.day) * 86400 + f.hour * 3600 + f.minute * 60 + f.second;
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<int64_t> parse_imf(std::string_view s) {
  Cursor c{s};
  Fields f;
  c.name(kDays);
  c.literal(", ");
  f.day = c.digits(2);
  c.literal(" ");
  f.month = c.name(kMonths) + 1;
  c.literal(" ");
  f.year = c.digits(4);
  c.literal(" ");
  c.time(f.hour, f.minute, f.second);
  c.literal(" GMT");
  if (!c.ok || !c.s.empty()) return std::nullopt;
  return to_seconds(f);
}

int64_t year_from_two_digits(int yy, std::optional<int64_t> now) {
  if (!now) return yy < 70 ? 2000 + yy : 1900 + yy;
  // The current year, from the date's own arithmetic rather than the C library.
  const int64_t clamped = std::min(std::max(*now, kMinSeconds), kMaxSeconds);
  const int64_t now_year = year_of_day(clamped / 86400 - (clamped % 86400 < 0 ? 1 : 0));
  int64_t year = now_year - now_year % 100 + yy;
  if (year > now_year + 50) year -= 100;
  if (year < now_year - 50) year += 100;
  // Stay within the four-digit years everything else here works in.
  if (year > 9999) year -= 100;
  if (year < 0) year += 100;
  return year;
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<int64_t> parse_rfc850(std::string_view s, std::optional<int64_t> now) {
  Cursor c{s};
  Fields f;
  c.name(kLongDays);
  c.literal(", ");
  f.day = c.digits(2);
  c.literal("-");
  f.month = c.name(kMonths) + 1;
  c.literal("-");
  const int yy = c.digits(2);
  c.literal(" ");
  c.time(f.hour, f.minute, f.second);
  c.literal(" GMT");
  if (!c.ok || !c.s.empty()) return std::nullopt;
  f.year = year_from_two_digits(yy, now);
  return to_seconds(f);
}

// "Sun Nov  6 08:49:37 1994" (day is 2DIGIT or SP DIGIT)
std::optional<int64_t> parse_asctime(std::string_view s) {
  Cursor c{s};
  Fields f;
  c.name(kDays);
  c.literal(" ");
  f.month = c.name(kMonths) + 1;
  c.literal(" ");
  if (c.ok && !c.s.empty() && c.s.front() == ' ') {
    c.s.remove_prefix(1);
    f.day = c.digits(1);
  } else {
    f.day = c.digits(2);
  }
  c.literal(" ");
  c.time(f.hour, f.minute, f.second);
  c.literal(" ");
  f.year = c.digits(4);
  if (!c.ok || !c.s.empty()) return std::nullopt;
  return to_seconds(f);
}

void append2(std::string& out, int v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

}  // namespace

int64_t days_from_civil(int64_t year, int month, int day) {
  // Count from 1 March so the leap day is the last day of the counted year; eras of 400
  // years (146097 days) keep the arithmetic on non-negative numbers.
  const int64_t y = month <= 2 ? year - 1 : year;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t year_of_era = y - era * 400;
  const int64_t shifted_month = month > 2 ? month - 3 : month + 9;
  const int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;  // 719468: days from 0000-03-01 to 1970-01-01
}

std::optional<int64_t> parse_http_date(std::string_view text, std::optional<int64_t> now) {
  text = detail::trim_ows(text);
  if (text.size() < 4) return std::nullopt;
  // The fourth character tells the three forms apart: ',' IMF, ' ' asctime, else RFC 850.
  if (text[3] == ',') return parse_imf(text);
  if (text[3] == ' ') return parse_asctime(text);
  return parse_rfc850(text, now);
}

std::string format_http_date(int64_t seconds) {
  seconds = std::min(std::max(seconds, kMinSeconds), kMaxSeconds);
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // 1970-01-01 was a Thursday.
  const int64_t weekday = ((days % 7) + 7 + 4) % 7;
  const int64_t year = year_of_day(days);
  int month = 1;
  while (month < 12 && days_from_civil(year, month + 1, 1) <= days) ++month;
  const int day = static_cast<int>(days - days_from_civil(year, month, 1)) + 1;

  std::string out;
  out.reserve(29);
  out.append(kDays[static_cast<size_t>(weekday)]);
  out.append(", ");
  append2(out, day);
  out.push_back(' ');
  out.append(kMonths[static_cast<size_t>(month - 1)]);
  out.push_back(' ');
  append2(out, static_cast<int>(year / 100));
  append2(out, static_cast<int>(year % 100));
  out.push_back(' ');
  append2(out, static_cast<int>(rem / 3600));
  out.push_back(':');
  append2(out, static_cast<int>(rem / 60 % 60));
  out.push_back(':');
  append2(out, static_cast<int>(rem % 60));
  out.append(" GMT");
  return out;
}

}  // namespace rampart::cache
