#pragma once
// Every pool of one snapshot, and for each site its failover plan: which pool a request
// goes to given the pools' current health. Built with the snapshot, read-only after.

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "proxy/origin_pool.h"

namespace rampart::proxy {

// Pools in failover order, then the fallback.
struct FailoverPlan {
  std::vector<OriginPool*> pools;
  OriginPool* fallback = nullptr;
};

class OriginSet {
 public:
  // Resolves endpoint addresses and compiles hash keys; problems go to `errors` (and the
  // result is then unusable). `store` supplies live state carried over from the
  // previous snapshot.
  static std::shared_ptr<OriginSet> build(const config::Config& config, OriginStateStore& store,
                                          std::vector<config::Diagnostic>& errors);

  const std::vector<std::shared_ptr<OriginPool>>& pools() const { return pools_; }
  OriginPool* pool(std::string_view name) const;
  const FailoverPlan& site_plan(size_t site) const { return site_plans_[site]; }

  // The first pool with at least min_healthy usable endpoints; else the fallback if it
  // has a usable endpoint; else the first pool with any usable endpoint; else null (all
  // down).
  static OriginPool* choose(const FailoverPlan& plan);
  // The plan of a `route` action, looked up by name (unknown names are skipped: the
  // config checker refuses them, this is only a second line).
  FailoverPlan route_plan(std::span<const std::string> pools, std::string_view fallback) const;

 private:
  std::vector<std::shared_ptr<OriginPool>> pools_;
  std::vector<FailoverPlan> site_plans_;
};

}  // namespace rampart::proxy
