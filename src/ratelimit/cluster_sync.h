#pragma once
// Rate-limit counters shared by a fleet through Redis. Each process runs one sync
// thread per cluster setting: every interval it drains what the request path noted in
// each rule's ClusterChannel, pushes the admitted requests to Redis (one pipelined
// round trip, a GCRA script per rule) and folds the fleet's debt per key back into the
// local table. Requests never wait on Redis; while it is unreachable every node
// limits on its own, logs that once per log interval, and retries with backoff.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "ratelimit/cluster_channel.h"
#include "ratelimit/key_hash.h"
#include "redis/connection.h"
#include "redis/link_thread.h"

namespace rampart::ratelimit {

struct ClusterOptions {
  redis::Endpoint redis;
  std::string key_prefix = "rampart:";
  Nanos sync_interval = 100'000'000;
  Nanos log_interval = 10 * kSecond;
  size_t max_keys = 16'384;  // keys per rule a node shares per interval

  // Everything above, for finding the running sync of an unchanged setting.
  std::string identity() const;
};

struct ClusterStats {
  std::atomic<uint64_t> syncs_ok{0};
  std::atomic<uint64_t> syncs_failed{0};
  std::atomic<bool> connected{false};
};

class ClusterSync {
 public:
  explicit ClusterSync(ClusterOptions options);
  ~ClusterSync();  // stops and joins the thread
  ClusterSync(const ClusterSync&) = delete;
  ClusterSync& operator=(const ClusterSync&) = delete;

  // The channel of a rule (found again while a snapshot still holds it). `rule` names
  // the rule and everything that gives its counts their meaning, the same on every
  // node with the same rule.
  std::shared_ptr<ClusterChannel> channel(const std::string& rule,
                                          std::shared_ptr<Limiter> limiter);

  // Keyed from the password and key prefix: the same on every node of the fleet, so
  // the same client lands on the same Redis key everywhere.
  const KeyHasher& fleet_hasher() const { return fleet_hasher_; }
  const ClusterStats& stats() const { return stats_; }
  const ClusterOptions& options() const { return options_; }

 private:
  void run();

  ClusterOptions options_;
  KeyHasher fleet_hasher_;
  ClusterStats stats_;
  std::map<std::string, std::weak_ptr<ClusterChannel>, std::less<>> channels_;  // thread_'s mutex
  redis::LinkThread thread_;
};

}  // namespace rampart::ratelimit
