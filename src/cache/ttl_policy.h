#pragma once
// TTLs chosen by cache rules instead of (or on top of) the origin's headers: the edge
// lifetime of a response about to be stored, and the Cache-Control the client sees.
// Pure functions; the caller finds the rule's settings and passes them in.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cache/cache_control.h"
#include "cache/freshness.h"
#include "http/message.h"

namespace rampart::cache {

enum class EdgeMode : uint8_t {
  kRespectOrigin,    // the origin's lifetime; `default_seconds` when it gives none
  kOverrideOrigin,   // `default_seconds`, whatever the origin's lifetime
  kBypassByDefault,  // the origin's lifetime; nothing stored when it gives none
};

struct EdgePolicy {
  EdgeMode mode = EdgeMode::kRespectOrigin;
  std::optional<int64_t> default_seconds;
  // The status_code_ttl entry matching the response, if any: it wins over the mode.
  std::optional<int64_t> status_seconds;
};

struct EdgeDecision {
  bool store = true;
  // The lifetime the cache uses; when `overridden`, it replaces the origin's and the
  // origin's no-cache, max-age=0 and must-revalidate no longer apply at the edge.
  int64_t lifetime = 0;
  bool overridden = false;
  std::string_view reason;  // why not stored: "status-ttl", "edge-ttl", "no-origin-ttl"
};

// Whether the origin itself gave the response a lifetime: s-maxage, max-age or Expires
// (or max-age / s-maxage of a usable CDN-Cache-Control). A heuristic lifetime does not
// count.
bool origin_gives_lifetime(std::span<const http::Header> response_headers,
                           const CacheControl* cdn_override);

// The edge lifetime for a response whose own freshness is `origin` (computed as usual).
// A decision of 0 seconds (from a rule) means: not stored.
EdgeDecision resolve_edge_ttl(const EdgePolicy& policy, const Freshness& origin,
                              bool origin_explicit);

enum class BrowserMode : uint8_t {
  kRespectOrigin,   // the response as the origin sent it
  kOverrideOrigin,  // max-age=`seconds`
  kBypass,          // no-store
};

// The Cache-Control the client should see instead of the origin's, or nullopt to leave
// the response alone. An override keeps the origin's `private` (a rule must not widen
// who may store a response) and `no-transform`; it is not applied to a 5xx, which no
// browser should be told to keep.
std::optional<std::string> browser_cache_control(BrowserMode mode, int64_t seconds, int status,
                                                 std::span<const http::Header> response_headers);

}  // namespace rampart::cache
