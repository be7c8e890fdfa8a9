#include "cache/ttl_policy.h"

#include "cache/field_text.h"

namespace rampart::cache {

bool origin_gives_lifetime(std::span<const http::Header> response_headers,
                           const CacheControl* cdn_override) {
  if (cdn_override != nullptr && cdn_override->usable_as_override()) {
    return cdn_override->max_age.present || cdn_override->s_maxage.present;
  }
  CacheControl cc = parse_cache_control(response_headers);
  return cc.max_age.present || cc.s_maxage.present ||
         detail::find_field(response_headers, "expires") != nullptr;
}

EdgeDecision resolve_edge_ttl(const EdgePolicy& policy, const Freshness& origin,
                              bool origin_explicit) {
  auto rule_ttl = [](int64_t seconds, std::string_view why) {
    EdgeDecision d;
    d.overridden = true;
    d.lifetime = seconds;
    d.store = seconds > 0;
    if (!d.store) d.reason = why;
    return d;
  };
  auto origin_ttl = [&] {
    EdgeDecision d;
    d.lifetime = origin.lifetime;
    return d;
  };
  if (policy.status_seconds) return rule_ttl(*policy.status_seconds, "status-ttl");
  switch (policy.mode) {
    case EdgeMode::kOverrideOrigin:
      return rule_ttl(policy.default_seconds.value_or(0), "edge-ttl");
    case EdgeMode::kBypassByDefault:
      if (origin_explicit) return origin_ttl();
      return EdgeDecision{false, 0, false, "no-origin-ttl"};
    case EdgeMode::kRespectOrigin:
      if (origin_explicit || !policy.default_seconds) return origin_ttl();
      return rule_ttl(*policy.default_seconds, "edge-ttl");
  }
  return origin_ttl();
}

std::optional<std::string> browser_cache_control(BrowserMode mode, int64_t seconds, int status,
                                                 std::span<const http::Header> response_headers) {
  switch (mode) {
    case BrowserMode::kRespectOrigin:
      return std::nullopt;
    case BrowserMode::kBypass:
      return std::string("no-store");
    case BrowserMode::kOverrideOrigin:
      break;
  }
  if (status >= 500) return std::nullopt;
  CacheControl cc = parse_cache_control(response_headers);
  std::string value;
  // A no-store from the origin stays: the override lengthens caching, it does not
  // make a response the origin refused to have kept keepable.
  if (cc.no_store) return std::nullopt;
  if (cc.private_all) value = "private, ";
  value += "max-age=" + std::to_string(seconds < 0 ? 0 : seconds);
  if (cc.no_transform) value += ", no-transform";
  return value;
}

}  // namespace rampart::cache
