#pragma once
// HTTP-date (RFC 9110 §5.6.7) to and from seconds since the Unix epoch, with no
// dependency on the C library's time zone, locale or strptime.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::cache {

// Parses IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the obsolete RFC 850 form
// ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994").
// Names are case-sensitive as the grammar says; a day name that does not match the date
// is accepted (the date itself is unambiguous). Returns nullopt for anything else,
// including out-of-range fields (Feb 30, hour 24, minute 60; second 60 is a leap second
// and is accepted).
//
// RFC 850 two-digit years: with `now`, the RFC 9110 rule — the year is in the century of
// `now` unless that puts it more than 50 years in the future (then the century before)
// or more than 50 years in the past (then the century after). Without `now`, a fixed
// pivot: 00-69 are 2000-2069, 70-99 are 1970-1999.
std::optional<int64_t> parse_http_date(std::string_view text,
                                       std::optional<int64_t> now = std::nullopt);

// IMF-fixdate. Seconds outside years 0000-9999 are clamped into that range, so the
// result always parses back.
std::string format_http_date(int64_t seconds);

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12); exposed for tests.
int64_t days_from_civil(int64_t year, int month, int day);

}  // namespace rampart::cache
