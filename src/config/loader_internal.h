#pragma once
// Shared between the YAML walker and the cross-field checker; not part of the public API.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace rampart::config::detail {

// Hard caps on untrusted input, checked while loading so that an oversized config is
// an error message and never an allocation storm or a slow reload.
inline constexpr size_t kMaxFileBytes = size_t{16} << 20;
// YAML values, counting each use of an alias as a copy of what it names: bounds both
// yaml-cpp's memory (~0.5 KiB a node) and the walk over aliased subtrees.
inline constexpr size_t kMaxYamlNodes = 1'000'000;
inline constexpr size_t kMaxListeners = 256;
inline constexpr size_t kMaxSites = 10'000;
inline constexpr size_t kMaxHostsPerSite = 1'000;
inline constexpr size_t kMaxEndpointsPerSite = 256;
inline constexpr size_t kMaxHeaderRulesPerList = 1'000;
inline constexpr size_t kMaxRedirectsPerSite = 1'000;
inline constexpr size_t kMaxTrustedProxies = 100'000;
inline constexpr size_t kMaxHeaderValueBytes = 8 << 10;
inline constexpr size_t kMaxRulesPerRuleset = 10'000;
inline constexpr size_t kMaxExpressionBytes = 16 << 10;
inline constexpr size_t kMaxLists = 1'000;
inline constexpr size_t kMaxInlineListItems = 100'000;
inline constexpr size_t kMaxBlockContentBytes = 32 << 10;
inline constexpr size_t kMaxErrors = 1'000;
inline constexpr size_t kMaxPools = 1'000;
inline constexpr size_t kMaxEndpointsPerPool = 256;
inline constexpr size_t kMaxCertificatesPerSite = 8;
// Rate-limit rules: each owns a fixed-size key table, so their number and the keys
// they track are capped to keep a config's memory predictable (~55 bytes a key).
inline constexpr size_t kMaxRateLimitRulesPerList = 100;
inline constexpr size_t kMaxRateLimitRules = 1'000;
inline constexpr size_t kMaxRateLimitCharacteristics = 8;
inline constexpr uint64_t kMaxRateLimitKeysPerRule = 20'000'000;
inline constexpr uint64_t kMaxRateLimitKeysTotal = 40'000'000;

// A 1-based position in the source; line 0 means "the file as a whole".
struct Pos {
  int line = 0;
  int column = 0;
};

// Collects diagnostics; after kMaxErrors it records one last note and refuses more,
// which also tells the walker to stop early.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void error(Pos pos, std::string message);
  // Records an error after which loading cannot usefully go on.
  void fatal(Pos pos, std::string message);
  bool stopped() const { return stopped_; }
  bool empty() const { return list_.empty(); }
  // The diagnostics in source order.
  std::vector<Diagnostic> finish();

 private:
  std::string file_;
  std::vector<Diagnostic> list_;
  bool stopped_ = false;
  bool truncated_ = false;
};

// Where the values that the cross-field checks compare were written. Vectors run
// parallel to the matching vectors of Config.
struct ListenerSource {
  Pos name;
  Pos address;
  std::optional<Pos> tls;  // where `tls:` is written, for a TLS listener
};

// A pool name written in a site's origin or a route action, checked once every pool
// is known.
struct PoolRef {
  std::string name;
  Pos pos;
  std::string path;  // "sites[0].origin.pools[1]"
};

// Where a pool's cross-checked values were written; an unset Pos was not written (the
// default is in use). Implicit pools point every position at the site's origin.
struct PoolSource {
  Pos name;
  std::optional<Pos> min_healthy;
  std::optional<Pos> health_interval;
  std::optional<Pos> health_timeout;
  std::optional<Pos> base_ejection;
  std::optional<Pos> max_ejection;
};

// Where a firewall rule and the ids its skip action names were written.
struct RuleSource {
  Pos item;
  Pos id;
  std::string path;                     // "sites[0].firewall.rules[2]"
  std::vector<Pos> skip_rules;          // parallel to ActionParameters::skip_rules
  std::vector<std::string> skip_paths;  // "...action_parameters.rules[j]"
  std::vector<PoolRef> pool_refs;       // named by a route action
};

struct SiteSource {
  Pos item;
  Pos name;
  std::vector<Pos> hosts;               // parallel to Site::hosts
  std::vector<std::string> host_paths;  // "sites[i].hosts[j]" as written
  Pos is_default;
  std::vector<RuleSource> firewall_rules;  // parallel to Site::firewall.rules
  std::vector<RuleSource> cache_rules;     // parallel to Site::cache.rules
  std::vector<PoolRef> pool_refs;          // origin pool, pools and fallback
  std::optional<Pos> tls;                  // where the site's `tls:` is written
  // Parallel to Site::rate_limit.rules.
  std::vector<RuleSource> rate_limit_rules;
};

struct SourceMap {
  Pos root;
  std::vector<ListenerSource> listeners;
  std::optional<Pos> admin_address;    // set only when written (and valid)
  bool admin_address_invalid = false;  // written but refused: the default is not in use
  std::vector<SiteSource> sites;
  std::vector<RuleSource> firewall_rules;  // parallel to Config::firewall.rules
  std::vector<PoolSource> pools;           // parallel to Config::pools
  std::optional<Pos> max_request_line;
  std::optional<Pos> max_header_bytes;
  std::optional<Pos> max_connections;
  std::optional<Pos> max_connections_per_ip;
  // Parallel to Config::rate_limit.rules.
  std::vector<RuleSource> rate_limit_rules;
};

// Checks relations between values that were each valid on their own: duplicate
// addresses, names and hosts, the single default site, ordered limits, rule ids.
void check_config(const Config& config, const SourceMap& where, Diagnostics& diags);

// TLS: a TLS listener needs a site with certificates to present (checker_tls.cc).
void check_tls(const Config& config, const SourceMap& where, Diagnostics& diags);

// Rule ids unique across the config, and skip actions naming rules evaluated later
// (checker_rules.cc).
void check_rules(const Config& config, const SourceMap& where, Diagnostics& diags);

// Pool names referenced by origins and route actions exist and are not implicit, and
// each pool's values agree with each other (checker_pools.cc).
void check_pools(const Config& config, const SourceMap& where, Diagnostics& diags);

// The loader behind load_file and load_string: relative paths in the config (list
// files) resolve against `base_dir`, or against the current directory when it is empty.
LoadResult load_text(std::string_view text, std::string_view source_name,
                     const std::string& base_dir);

// "did you mean" candidate: the closest of `known` to `word`, or "" when none is close.
std::string closest_match(std::string_view word, const std::vector<std::string_view>& known);

}  // namespace rampart::config::detail
