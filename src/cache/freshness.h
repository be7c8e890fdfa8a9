#pragma once
// Freshness and age of a stored response (RFC 9111 §4.2), and whether a stored response
// may be used as is, used stale, or must be validated first.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cache/cache_control.h"
#include "http/message.h"

namespace rampart::cache {

struct FreshnessOptions {
  // Heuristic freshness (RFC 9111 §4.2.2) is this percentage of the time since
  // Last-Modified, never more than heuristic_cap seconds.
  int heuristic_percent = 10;
  int64_t heuristic_cap = 86400;
};

struct Freshness {
  int64_t lifetime = 0;                 // seconds; 0 when the response is stale on arrival
  bool heuristic = false;               // no explicit lifetime: computed from Last-Modified
  bool from_cdn_cache_control = false;  // CDN-Cache-Control governed (RFC 9213)
  // Once stale, never used without validation: must-revalidate, or for a shared cache
  // proxy-revalidate or s-maxage (RFC 9111 §5.2.2.2, §5.2.2.8, §5.2.2.10).
  bool must_revalidate = false;
  bool no_cache = false;  // unqualified no-cache: validate on every use (§5.2.2.4)
  std::vector<std::string> no_cache_fields;  // not to be sent without validation
  // RFC 5861 windows past the lifetime, 0 when not allowed. An explicit
  // must-revalidate / proxy-revalidate or an unqualified no-cache closes both; the
  // proxy-revalidate implied by s-maxage does not, since the origin asked for both.
  int64_t stale_while_revalidate = 0;
  int64_t stale_if_error = 0;
};

// Status codes that are heuristically cacheable (RFC 9110 §15.1).
bool is_heuristically_cacheable(int status);

// The CDN-Cache-Control policy of a response when it is usable (present, parsed and
// non-empty, RFC 9213 §2.1), else nullopt; callers pass its address as `cdn_override`.
std::optional<CacheControl> cdn_override_of(std::span<const http::Header> response_headers);

// The freshness lifetime (§4.2.1): s-maxage (shared caches) > max-age > Expires − Date
// (an invalid Expires means already expired) > heuristic. When `cdn_override` is usable
// it replaces Cache-Control and Expires entirely, as RFC 9213 §2.1 requires.
// `response_time` stands in for a missing or invalid Date (RFC 9110 §6.6.1).
Freshness compute_freshness(int status, std::span<const http::Header> response_headers,
                            bool shared_cache, int64_t response_time,
                            const CacheControl* cdn_override = nullptr,
                            const FreshnessOptions& options = {});

// current_age per RFC 9111 §4.2.3, from the stored response's Date and Age, the time the
// request was sent and the response received, and now. Saturates at 2^31.
int64_t current_age(std::span<const http::Header> response_headers, int64_t request_time,
                    int64_t response_time, int64_t now);

enum class Use : uint8_t {
  kFresh,                 // serve as is
  kStaleWhileRevalidate,  // serve stale and revalidate in the background
  kStaleAllowed,          // stale, but the request's max-stale accepts it (§5.2.1.2)
  kMustValidate,          // do not serve before the origin confirms it
};

// What a cache may do with a stored response of `age` for a request with the given
// request directives (max-age, min-fresh, max-stale, no-cache; nullptr for none).
Use decide_use(const Freshness& f, int64_t age, const CacheControl* request = nullptr);

// Whether a stale response of `age` may answer when validation failed with an error
// (RFC 5861 §4): within lifetime + stale-if-error.
bool can_serve_stale_if_error(const Freshness& f, int64_t age);

}  // namespace rampart::cache
