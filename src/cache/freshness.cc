#include "cache/freshness.h"

#include <algorithm>
#include <optional>

#include "cache/field_text.h"
#include "cache/http_date.h"

namespace rampart::cache {

namespace {

int64_t clamp_delta(int64_t v) {
  return std::clamp<int64_t>(v, 0, detail::kDeltaMax);
}

int64_t sat_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

int64_t sat_sub(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? INT64_MAX : INT64_MIN;
  return r;
}

// A single-valued date field: nullopt when absent; `invalid` set when a line does not
// parse or two lines disagree (RFC 9111 §4.2.1: treat as stale rather than pick one).
struct DateField {
  bool present = false;
  bool invalid = false;
  int64_t value = 0;
};

DateField date_field(std::span<const http::Header> headers, std::string_view name) {
  DateField d;
  detail::for_each_field(headers, name, [&](std::string_view v) {
    const std::optional<int64_t> t = parse_http_date(v);
    if (!t || (d.present && !d.invalid && *t != d.value)) d.invalid = true;
    if (!d.present && t) d.value = *t;
    d.present = true;
  });
  return d;
}

}  // namespace

bool is_heuristically_cacheable(int status) {
  switch (status) {
    case 200:
    case 203:
    case 204:
    case 206:
    case 300:
    case 301:
    case 308:
    case 404:
    case 405:
    case 410:
    case 414:
    case 501:
      return true;
    default:
      return false;
  }
}

std::optional<CacheControl> cdn_override_of(std::span<const http::Header> response_headers) {
  CacheControl cdn = parse_cdn_cache_control(response_headers);
  if (!cdn.usable_as_override()) return std::nullopt;
  return cdn;
}

Freshness compute_freshness(int status, std::span<const http::Header> headers, bool shared_cache,
                            int64_t response_time, const CacheControl* cdn_override,
                            const FreshnessOptions& options) {
  Freshness f;
  const bool use_cdn = cdn_override != nullptr && cdn_override->usable_as_override();
  CacheControl own;
  if (!use_cdn) own = parse_cache_control(headers);
  const CacheControl& cc = use_cdn ? *cdn_override : own;
  f.from_cdn_cache_control = use_cdn;

  const bool explicit_revalidate = cc.must_revalidate || (shared_cache && cc.proxy_revalidate);
  f.must_revalidate = explicit_revalidate || (shared_cache && cc.s_maxage.present);
  f.no_cache = cc.no_cache;
  f.no_cache_fields = cc.no_cache_fields;
  if (!explicit_revalidate && !cc.no_cache) {
    if (cc.stale_while_revalidate.usable()) {
      f.stale_while_revalidate = cc.stale_while_revalidate.seconds;
    }
    if (cc.stale_if_error.usable()) f.stale_if_error = cc.stale_if_error.seconds;
  }

  // An invalid or conflicting s-maxage / max-age still is the explicit lifetime: it
  // makes the response stale (§4.2.1), and no heuristic may override it.
  if (shared_cache && cc.s_maxage.present) {
    f.lifetime = cc.s_maxage.usable() ? cc.s_maxage.seconds : 0;
    return f;
  }
  if (cc.max_age.present) {
    f.lifetime = cc.max_age.usable() ? cc.max_age.seconds : 0;
    return f;
  }
  DateField date = date_field(headers, "date");
  const int64_t date_value = date.present && !date.invalid ? date.value : response_time;
  if (!use_cdn) {
    const DateField expires = date_field(headers, "expires");
    if (expires.present) {
      f.lifetime = expires.invalid ? 0 : clamp_delta(sat_sub(expires.value, date_value));
      return f;
    }
  }
  if (!is_heuristically_cacheable(status) && !cc.is_public) return f;
  const DateField last_modified = date_field(headers, "last-modified");
  if (!last_modified.present || last_modified.invalid) return f;
  const int64_t since = sat_sub(date_value, last_modified.value);
  if (since <= 0) return f;
  f.heuristic = true;
  const int64_t percent = std::clamp(options.heuristic_percent, 0, 100);
  f.lifetime = std::clamp<int64_t>(since / 100 * percent + since % 100 * percent / 100, 0,
                                   std::max<int64_t>(options.heuristic_cap, 0));
  return f;
}

int64_t current_age(std::span<const http::Header> headers, int64_t request_time,
                    int64_t response_time, int64_t now) {
  // age_value: the origin's (or an upstream cache's) Age; absent or invalid counts as 0.
  int64_t age_value = 0;
  if (const http::Header* age = detail::find_field(headers, "age")) {
    age_value = detail::parse_delta_seconds(age->value).value_or(0);
  }
  const DateField date = date_field(headers, "date");
  const int64_t date_value = date.present && !date.invalid ? date.value : response_time;

  const int64_t apparent_age = std::max<int64_t>(0, sat_sub(response_time, date_value));
  // A clock that ran backwards between request and response adds no delay.
  const int64_t response_delay = std::max<int64_t>(0, sat_sub(response_time, request_time));
  const int64_t corrected_age_value = sat_add(age_value, response_delay);
  const int64_t corrected_initial_age = std::max(apparent_age, corrected_age_value);
  const int64_t resident_time = std::max<int64_t>(0, sat_sub(now, response_time));
  return clamp_delta(sat_add(corrected_initial_age, resident_time));
}

Use decide_use(const Freshness& f, int64_t age, const CacheControl* request) {
  if (f.no_cache) return Use::kMustValidate;
  if (request != nullptr) {
    if (request->no_cache) return Use::kMustValidate;
    // An invalid request max-age is ignored rather than forcing a validation storm.
    if (request->max_age.usable() && age > request->max_age.seconds) return Use::kMustValidate;
    if (request->min_fresh.usable() && sat_sub(f.lifetime, age) < request->min_fresh.seconds) {
      return Use::kMustValidate;
    }
  }
  if (f.lifetime > age) return Use::kFresh;
  if (f.must_revalidate) return Use::kMustValidate;
  const int64_t staleness = sat_sub(age, f.lifetime);
  if (request != nullptr && (request->max_stale_any || (request->max_stale.usable() &&
                                                        staleness <= request->max_stale.seconds))) {
    return Use::kStaleAllowed;
  }
  if (staleness < f.stale_while_revalidate) return Use::kStaleWhileRevalidate;
  return Use::kMustValidate;
}

bool can_serve_stale_if_error(const Freshness& f, int64_t age) {
  // stale_if_error is already 0 when must-revalidate or no-cache forbid stale use.
  if (f.no_cache) return false;
  return sat_sub(age, f.lifetime) < f.stale_if_error;
}

}  // namespace rampart::cache
