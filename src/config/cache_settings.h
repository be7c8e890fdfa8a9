#pragma once
// Cache settings: the shared cache's budgets and disk tier, and each site's cache rules
// chosen by rules-language expressions.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/basics.h"
#include "config/rule_settings.h"

namespace rampart::config {

enum class EdgeTtlMode : uint8_t {
  kRespectOrigin,    // the origin's lifetime; `default` when it gives none
  kOverrideOrigin,   // `default`, whatever the origin says (no-store and private still win)
  kBypassByDefault,  // the origin's lifetime; not stored when it gives none
};

enum class BrowserTtlMode : uint8_t {
  kRespectOrigin,   // the client sees the origin's Cache-Control
  kOverrideOrigin,  // the client sees max-age=`default`
  kBypass,          // the client sees no-store
};

// A status code range and the edge lifetime for it; 0 seconds: not stored.
struct StatusTtl {
  StatusRange codes;
  int64_t seconds = 0;
};

struct EdgeTtl {
  EdgeTtlMode mode = EdgeTtlMode::kRespectOrigin;
  std::optional<int64_t> default_seconds;  // required by override_origin
  std::vector<StatusTtl> status_ttls;      // first matching entry wins over the mode
};

struct BrowserTtl {
  BrowserTtlMode mode = BrowserTtlMode::kRespectOrigin;
  int64_t default_seconds = 0;  // override_origin
};

// How the query string takes part in the cache key.
enum class QueryKeyMode : uint8_t {
  kAll,      // every argument, as sent
  kInclude,  // only the named arguments
  kExclude,  // every argument except the named ones
  kNone,     // none (exclude: ["*"])
};

struct QueryKey {
  QueryKeyMode mode = QueryKeyMode::kAll;
  std::vector<std::string> names;  // as written (matched against decoded argument names)
};

// Every setting a cache rule may carry; an unset optional leaves the value that earlier
// rules (or the defaults) gave. Later matching rules override earlier ones per setting.
struct CacheRuleSettings {
  std::optional<bool> cache;  // true: eligible even on a site with enabled: false; false: bypass
  std::optional<EdgeTtl> edge_ttl;
  std::optional<BrowserTtl> browser_ttl;
  std::optional<bool> ignore_query_strings_order;
  std::optional<bool> cache_deception_armor;
  std::optional<QueryKey> query_string;
  std::optional<std::vector<std::string>> key_headers;  // lower-case names
  std::optional<std::vector<std::string>> key_cookies;
  std::optional<bool> host_resolved;  // true: the site's first host name instead of Host
  std::optional<bool> disable_stale_while_updating;
  std::optional<bool> disable_stale_if_error;
};

struct CacheRule {
  std::string id;  // unique in a config, like firewall rule ids
  std::string description;
  SourceText expression;
  CacheRuleSettings settings;
  bool enabled = true;
  int line = 0;  // where the rule's list item starts
  int column = 0;
};

// The site's use of the shared cache.
struct SiteCache {
  bool enabled = false;
  // Serve stale copies when the origin is down, times out or answers 5xx, for as long
  // as they are kept, not only within the response's stale-if-error window.
  bool always_online = false;
  // stale-while-revalidate and stale-if-error from the origin are honoured (off: a
  // stale copy is always validated first and never served on errors).
  bool serve_stale = true;
  std::vector<CacheRule> rules;  // evaluated in order in the cache_lookup phase
};

// The cache's disk tier: a directory of its own and a byte budget for its files.
struct DiskCacheSettings {
  std::string path;  // absolute; empty: no disk tier
  uint64_t size_bytes = 0;
};

// The cache shared by every site: its memory budget, the largest object it keeps and
// its disk tier.
struct CacheSettings {
  uint64_t memory_bytes = 256ull << 20;
  uint64_t max_object_bytes = 8ull << 20;
  DiskCacheSettings disk;
};

}  // namespace rampart::config
