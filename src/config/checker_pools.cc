// Cross-field checks of pools: the names that origins and route actions give exist,
// and the values of one pool agree with each other.

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/loader_internal.h"
#include "config/value_parsers.h"

namespace rampart::config::detail {
namespace {

std::string at_line(Pos pos) {
  if (pos.line <= 0) return "";
  return " (line " + std::to_string(pos.line) + ", column " + std::to_string(pos.column) + ")";
}

// Every pool reference of the config, with the explicit pool names to check them against.
class RefChecker {
 public:
  RefChecker(const Config& config, Diagnostics& diags) : diags_(diags) {
    for (const Pool& p : config.pools) {
      pools_.emplace(p.name, &p);
      if (!p.implicit) names_.push_back(p.name);
    }
  }

  void check(const std::vector<PoolRef>& refs) {
    for (const PoolRef& ref : refs) {
      if (diags_.stopped()) return;
      auto it = pools_.find(ref.name);
      const Pool* p = it == pools_.end() ? nullptr : it->second;
      if (p && !p->implicit) continue;
      std::string msg = ref.path + ": ";
      if (p) {
        msg += quote(ref.name) +
               " is the pool a site's `origin: endpoints:` makes; to share endpoints, define "
               "a pool under `pools:` and name it";
      } else {
        msg += "no pool is named " + quote(ref.name) + " under `pools:`";
        if (std::string best = closest_match(ref.name, names_); !best.empty()) {
          msg += "; did you mean \"" + best + "\"?";
        }
      }
      diags_.error(ref.pos, msg);
    }
  }

 private:
  Diagnostics& diags_;
  // Config::pool() is a linear scan; 10,000 sites naming pools among 1,000 want a map.
  std::unordered_map<std::string_view, const Pool*> pools_;
  std::vector<std::string_view> names_;
};

void check_pool_values(const Pool& p, const PoolSource& src, Diagnostics& diags) {
  std::string prefix = "pools." + p.name;
  if (!p.endpoints.empty() && p.min_healthy > p.endpoints.size() && src.min_healthy) {
    diags.error(*src.min_healthy, prefix + ".min_healthy: " + std::to_string(p.min_healthy) +
                                      " is more than the pool's endpoints (" +
                                      std::to_string(p.endpoints.size()) +
                                      "), so the pool could never serve");
  }
  const HealthCheck& hc = p.health_check;
  if (hc.enabled && hc.timeout > hc.interval) {
    // The walker fitted a default timeout to the interval; here the timeout was written.
    Pos pos = src.health_timeout.value_or(src.health_interval.value_or(src.name));
    std::string msg = prefix + ".health_check.timeout: " + format_duration(hc.timeout) +
                      " must not exceed health_check.interval (" + format_duration(hc.interval);
    msg += src.health_interval ? ")" : ", the default)";
    if (src.health_interval) msg += at_line(*src.health_interval);
    msg += ": a check may not outlast the time until the next one";
    diags.error(pos, std::move(msg));
  }
  const OutlierDetection& od = p.outlier_detection;
  if (od.max_ejection < od.base_ejection) {
    Pos pos = src.max_ejection.value_or(src.base_ejection.value_or(src.name));
    std::string msg = prefix +
                      ".outlier_detection.max_ejection: " + format_duration(od.max_ejection) +
                      " must be at least outlier_detection.base_ejection (" +
                      format_duration(od.base_ejection) + ")";
    if (src.base_ejection) msg += at_line(*src.base_ejection);
    diags.error(pos, std::move(msg));
  }
}

}  // namespace

void check_pools(const Config& config, const SourceMap& where, Diagnostics& diags) {
  for (size_t i = 0; i < config.pools.size() && i < where.pools.size(); ++i) {
    if (diags.stopped()) return;
    if (!config.pools[i].implicit) check_pool_values(config.pools[i], where.pools[i], diags);
  }
  RefChecker refs(config, diags);
  for (const RuleSource& rule : where.firewall_rules) refs.check(rule.pool_refs);
  for (const SiteSource& site : where.sites) {
    refs.check(site.pool_refs);
    for (const RuleSource& rule : site.firewall_rules) refs.check(rule.pool_refs);
  }
}

}  // namespace rampart::config::detail
