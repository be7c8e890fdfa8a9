#include "cache/freshness.h"

#include <gtest/gtest.h>

#include <optional>
#include <string_view>

#include "cache/http_date.h"
#include "cache_test_util.h"

namespace rampart::cache {
namespace {

using test::Headers;

constexpr int64_t kDate = 784111777;  // the Date of every response below
constexpr std::string_view kDateText = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr std::string_view kPlusHour = "Sun, 06 Nov 1994 09:49:37 GMT";
constexpr std::string_view kMinusHour = "Sun, 06 Nov 1994 07:49:37 GMT";
constexpr std::string_view kMinus5Days = "Tue, 01 Nov 1994 08:49:37 GMT";
constexpr std::string_view kMinus100Days = "Fri, 29 Jul 1994 08:49:37 GMT";

struct FreshRow {
  std::string_view section;
  int status;
  Headers headers;  // Date is added unless the row has `no_date`
  int64_t lifetime;
  bool heuristic = false;
  bool shared = true;
  std::optional<std::string_view> cdn = std::nullopt;  // CDN-Cache-Control value
  bool no_date = false;
  bool from_cdn = false;
};

TEST(Freshness, LifetimeTable) {
  const FreshRow rows[] = {
      {"9111 4.2.1 s-maxage over max-age (shared)",
       200,
       {{"Cache-Control", "max-age=10, s-maxage=100"}},
       100},
      {"9111 4.2.1 s-maxage ignored by a private cache",
       200,
       {{"Cache-Control", "max-age=10, s-maxage=100"}},
       10,
       false,
       false},
      {"9111 4.2.1 max-age over Expires",
       200,
       {{"Cache-Control", "max-age=10"}, {"Expires", kPlusHour}},
       10},
      {"9111 4.2.1 Expires - Date", 200, {{"Expires", kPlusHour}}, 3600},
      {"9111 4.2.1 Expires before Date", 200, {{"Expires", kMinusHour}}, 0},
      {"9111 5.3 invalid Expires is already expired, no heuristic",
       200,
       {{"Expires", "0"}, {"Last-Modified", kMinus5Days}},
       0},
      {"9111 4.2.1 conflicting Expires lines are stale",
       200,
       {{"Expires", kPlusHour}, {"Expires", kMinusHour}},
       0},
      {"9110 6.6.1 no Date: Expires - response time",
       200,
       {{"Expires", kPlusHour}},
       3600,
       false,
       true,
       std::nullopt,
       true},
      {"9111 4.2.1 invalid max-age is stale, no heuristic",
       200,
       {{"Cache-Control", "max-age=soon"}, {"Last-Modified", kMinus5Days}},
       0},
      {"9111 4.2.1 conflicting max-age is stale, Expires not used",
       200,
       {{"Cache-Control", "max-age=10, max-age=20"}, {"Expires", kPlusHour}},
       0},
      {"9111 4.2.1 invalid s-maxage is stale for a shared cache",
       200,
       {{"Cache-Control", "s-maxage=-1, max-age=60"}},
       0},
      {"9111 1.2.2 saturated max-age", 200, {{"Cache-Control", "max-age=99999999999"}}, 2147483648},
      {"9111 4.2.2 heuristic: 10% of Date - Last-Modified",
       200,
       {{"Last-Modified", kMinus5Days}},
       43200,
       true},
      {"9111 4.2.2 heuristic capped at one day",
       200,
       {{"Last-Modified", kMinus100Days}},
       86400,
       true},
      {"9111 4.2.2 heuristic for 404", 404, {{"Last-Modified", kMinus5Days}}, 43200, true},
      {"9111 4.2.2 heuristic for 301", 301, {{"Last-Modified", kMinus5Days}}, 43200, true},
      {"9111 4.2.2 no heuristic for 302", 302, {{"Last-Modified", kMinus5Days}}, 0},
      {"9111 4.2.2 no heuristic for 500", 500, {{"Last-Modified", kMinus5Days}}, 0},
      {"9111 4.2.2 public makes 302 heuristically cacheable",
       302,
       {{"Cache-Control", "public"}, {"Last-Modified", kMinus5Days}},
       43200,
       true},
      {"9111 4.2.2 Last-Modified after Date: nothing", 200, {{"Last-Modified", kPlusHour}}, 0},
      {"9111 4.2.2 no Last-Modified: nothing", 200, {}, 0},
      {"9213 2.1 CDN-Cache-Control overrides Cache-Control",
       200,
       {{"Cache-Control", "max-age=10"}},
       600,
       false,
       true,
       "max-age=600",
       false,
       true},
      {"9213 2.1 CDN-Cache-Control overrides s-maxage",
       200,
       {{"Cache-Control", "s-maxage=10"}},
       600,
       false,
       true,
       "max-age=600",
       false,
       true},
      {"9213 2.1 CDN-Cache-Control s-maxage",
       200,
       {},
       30,
       false,
       true,
       "max-age=600, s-maxage=30",
       false,
       true},
      {"9213 2.1 Expires ignored under CDN-Cache-Control",
       200,
       {{"Expires", kPlusHour}, {"Last-Modified", kMinus5Days}},
       43200,
       true,
       true,
       "must-revalidate",
       false,
       true},
      {"9213 2.1 invalid CDN-Cache-Control falls back",
       200,
       {{"Cache-Control", "max-age=10"}},
       10,
       false,
       true,
       "Max-Age=600"},
      {"9213 2.1 empty CDN-Cache-Control falls back",
       200,
       {{"Cache-Control", "max-age=10"}},
       10,
       false,
       true,
       ""},
  };
  for (const FreshRow& r : rows) {
    SCOPED_TRACE(r.section);
    Headers h = r.headers;
    if (!r.no_date) h.push_back({"Date", kDateText});
    if (r.cdn) h.push_back({"CDN-Cache-Control", *r.cdn});
    const std::optional<CacheControl> cdn = cdn_override_of(h);
    const Freshness f = compute_freshness(r.status, h, r.shared, kDate, cdn ? &*cdn : nullptr);
    EXPECT_EQ(f.lifetime, r.lifetime);
    EXPECT_EQ(f.heuristic, r.heuristic);
    EXPECT_EQ(f.from_cdn_cache_control, r.from_cdn);
  }
}

TEST(Freshness, HeuristicParameters) {
  const Headers h = {{"Date", kDateText}, {"Last-Modified", kMinus100Days}};
  FreshnessOptions o;
  o.heuristic_cap = 3600;
  EXPECT_EQ(compute_freshness(200, h, true, kDate, nullptr, o).lifetime, 3600);
  o.heuristic_cap = 86400 * 30;
  o.heuristic_percent = 20;
  EXPECT_EQ(compute_freshness(200, h, true, kDate, nullptr, o).lifetime, 1728000);
}

struct FlagRow {
  std::string_view section;
  std::string_view cache_control;
  bool shared;
  bool must_revalidate;
  bool no_cache;
  int64_t swr;
  int64_t sie;
};

TEST(Freshness, RevalidationFlagsTable) {
  const FlagRow rows[] = {
      {"9111 5.2.2.2 must-revalidate", "max-age=5, must-revalidate", true, true, false, 0, 0},
      {"9111 5.2.2.8 proxy-revalidate (shared)", "max-age=5, proxy-revalidate", true, true, false,
       0, 0},
      {"9111 5.2.2.8 proxy-revalidate (private cache)", "max-age=5, proxy-revalidate", false, false,
       false, 0, 0},
      {"9111 5.2.2.10 s-maxage implies proxy-revalidate", "s-maxage=5", true, true, false, 0, 0},
      {"9111 5.2.2.4 unqualified no-cache", "max-age=5, no-cache", true, false, true, 0, 0},
      {"5861 3-4 windows", "max-age=5, stale-while-revalidate=30, stale-if-error=600", true, false,
       false, 30, 600},
      {"5861 3 windows closed by must-revalidate",
       "max-age=5, must-revalidate, stale-while-revalidate=30, stale-if-error=60", true, true,
       false, 0, 0},
      {"5861 3 windows closed by no-cache", "no-cache, stale-while-revalidate=30", true, false,
       true, 0, 0},
      {"5861 3 windows kept with s-maxage", "s-maxage=5, stale-while-revalidate=30", true, true,
       false, 30, 0},
      {"5861 3 invalid window is none", "max-age=5, stale-while-revalidate=x", true, false, false,
       0, 0},
  };
  for (const FlagRow& r : rows) {
    SCOPED_TRACE(r.section);
    const Headers h = {{"Date", kDateText}, {"Cache-Control", r.cache_control}};
    const Freshness f = compute_freshness(200, h, r.shared, kDate);
    EXPECT_EQ(f.must_revalidate, r.must_revalidate);
    EXPECT_EQ(f.no_cache, r.no_cache);
    EXPECT_EQ(f.stale_while_revalidate, r.swr);
    EXPECT_EQ(f.stale_if_error, r.sie);
  }
}

struct AgeRow {
  std::string_view section;
  std::optional<int64_t> date;  // Date = kDate + this, none when unset
  std::string_view age;         // Age field, none when empty
  int64_t request_time;         // all relative to kDate
  int64_t response_time;
  int64_t now;
  int64_t want;
};

TEST(Freshness, CurrentAgeTable) {
  const AgeRow rows[] = {
      {"9111 4.2.3 all zero", 0, "", 0, 0, 0, 0},
      {"9111 4.2.3 resident time", 0, "", 0, 0, 100, 100},
      {"9111 4.2.3 origin Age adds", 0, "50", 0, 0, 10, 60},
      {"9111 4.2.3 delayed response: Age + response_delay", 0, "50", 0, 5, 5, 55},
      {"9111 4.2.3 delayed response with resident time", 0, "50", 0, 5, 65, 115},
      {"9111 4.2.3 apparent_age wins over a small Age", -100, "10", -2, 0, 0, 100},
      {"9111 4.2.3 corrected_age_value wins over apparent_age", -10, "100", -2, 0, 30, 132},
      {"9111 4.2.3 Date in the future: apparent_age 0", 100, "", -2, 0, 0, 2},
      {"9111 4.2.3 invalid Age ignored", 0, "soon", 0, 0, 7, 7},
      {"9111 1.2.2 huge Age saturates", 0, "99999999999", 0, 0, 10, 2147483648},
      {"9110 6.6.1 no Date: date_value is response_time", std::nullopt, "", -3, 0, 4, 7},
      {"9111 4.2.3 clock ran backwards: no response_delay", 0, "", 10, 0, 0, 0},
      {"9111 4.2.3 now before response_time: no resident time", 0, "", 0, 0, -50, 0},
  };
  for (const AgeRow& r : rows) {
    SCOPED_TRACE(r.section);
    std::string date_text;
    Headers h;
    if (r.date) {
      date_text = format_http_date(kDate + *r.date);
      h.push_back({"Date", date_text});
    }
    if (!r.age.empty()) h.push_back({"Age", r.age});
    EXPECT_EQ(current_age(h, kDate + r.request_time, kDate + r.response_time, kDate + r.now),
              r.want);
  }
}

struct UseRow {
  std::string_view section;
  std::string_view response_cc;
  int64_t age;
  std::string_view request_cc;  // none when empty
  Use want;
};

TEST(Freshness, DecideUseTable) {
  const UseRow rows[] = {
      {"9111 4.2 fresh", "max-age=60", 59, "", Use::kFresh},
      {"9111 4.2 stale at lifetime", "max-age=60", 60, "", Use::kMustValidate},
      {"5861 3 stale within stale-while-revalidate", "max-age=60, stale-while-revalidate=30", 89,
       "", Use::kStaleWhileRevalidate},
      {"5861 3 stale past stale-while-revalidate", "max-age=60, stale-while-revalidate=30", 90, "",
       Use::kMustValidate},
      {"9111 5.2.2.4 no-cache validates even when fresh", "max-age=60, no-cache", 0, "",
       Use::kMustValidate},
      {"9111 5.2.1.4 request no-cache", "max-age=60", 0, "no-cache", Use::kMustValidate},
      {"9111 5.2.1.1 request max-age exceeded", "max-age=60", 31, "max-age=30", Use::kMustValidate},
      {"9111 5.2.1.1 request max-age met", "max-age=60", 30, "max-age=30", Use::kFresh},
      {"9111 5.2.1.3 request min-fresh not met", "max-age=60", 55, "min-fresh=10",
       Use::kMustValidate},
      {"9111 5.2.1.3 request min-fresh met", "max-age=60", 50, "min-fresh=10", Use::kFresh},
      {"9111 5.2.1.2 request max-stale accepts", "max-age=60", 70, "max-stale=10",
       Use::kStaleAllowed},
      {"9111 5.2.1.2 request max-stale too small", "max-age=60", 71, "max-stale=10",
       Use::kMustValidate},
      {"9111 5.2.1.2 request max-stale without value", "max-age=60", 100000, "max-stale",
       Use::kStaleAllowed},
      {"9111 5.2.2.2 must-revalidate beats max-stale", "max-age=60, must-revalidate", 70,
       "max-stale", Use::kMustValidate},
  };
  for (const UseRow& r : rows) {
    SCOPED_TRACE(r.section);
    const Headers h = {{"Date", kDateText}, {"Cache-Control", r.response_cc}};
    const Freshness f = compute_freshness(200, h, true, kDate);
    const Headers req = {{"Cache-Control", r.request_cc}};
    const CacheControl request = parse_cache_control(req);
    EXPECT_EQ(decide_use(f, r.age, r.request_cc.empty() ? nullptr : &request), r.want);
  }
}

TEST(Freshness, StaleIfError) {
  // RFC 5861 §4: usable on an error for stale-if-error seconds past the lifetime.
  const Headers h = {{"Date", kDateText}, {"Cache-Control", "max-age=60, stale-if-error=100"}};
  const Freshness f = compute_freshness(200, h, true, kDate);
  EXPECT_TRUE(can_serve_stale_if_error(f, 159));
  EXPECT_FALSE(can_serve_stale_if_error(f, 160));
  const Headers strict = {{"Date", kDateText},
                          {"Cache-Control", "max-age=60, stale-if-error=100, must-revalidate"}};
  EXPECT_FALSE(can_serve_stale_if_error(compute_freshness(200, strict, true, kDate), 61));
  const Headers none = {{"Date", kDateText}, {"Cache-Control", "max-age=60"}};
  EXPECT_FALSE(can_serve_stale_if_error(compute_freshness(200, none, true, kDate), 61));
}

}  // namespace
}  // namespace rampart::cache
