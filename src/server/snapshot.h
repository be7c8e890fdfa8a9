#pragma once
// One immutable, fully built configuration: the validated config, its module pipeline,
// its site router and resolved origin endpoints. Workers share it read-only; a request
// keeps a reference to the snapshot it started with until it ends.

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "config/config.h"
#include "feeds/feed.h"
#include "http/h1_parser.h"
#include "pipeline/pipeline.h"
#include "proxy/origin_set.h"
#include "server/deployment.h"
#include "server/metrics.h"
#include "server/site_router.h"
#include "tls/server_contexts.h"
#include "tls/ticket_keys.h"

namespace rampart::server {

struct Snapshot {
  std::shared_ptr<const config::Config> config;
  std::unique_ptr<pipeline::Pipeline> pipeline;
  std::unique_ptr<SiteRouter> router;
  std::shared_ptr<const proxy::OriginSet> origins;  // pools and each site's failover plan
  std::vector<SiteCounters*> site_counters;         // per site
  // The TLS listeners' and sites' contexts; null when no listener speaks TLS.
  std::shared_ptr<const tls::ServerContexts> tls;
  http::ParserLimits parser_limits;
  uint64_t generation = 0;
  // What this snapshot served, compared when it is a candidate or the running one.
  std::shared_ptr<DeploymentCounters> served;
  // The data feeds of the config's list files, polled while this snapshot lives.
  std::vector<std::shared_ptr<feeds::Feed>> list_feeds;
};

struct BuildResult {
  std::shared_ptr<const Snapshot> snapshot;
  std::vector<config::Diagnostic> errors;
};

// Compiles a validated config: builds the pipeline and the origin pools (resolving
// endpoint names). Pools take their endpoints' live state from `origin_states`, so a
// reload keeps health and drains; without one (validate) they start fresh. TLS contexts
// encrypt session tickets with `ticket_keys`, which outlive reloads (without them, keys
// made for this snapshot alone).
BuildResult build_snapshot(std::shared_ptr<const config::Config> config,
                           const pipeline::ModuleRegistry& registry, Metrics& metrics,
                           proxy::OriginStateStore* origin_states = nullptr,
                           std::shared_ptr<tls::TicketKeys> ticket_keys = nullptr);

// The current snapshot and, during a staged activation, the candidate on trial with
// the share of connections (per 10,000) it serves. Readers on workers check one atomic
// generation per request and only touch the shared pointers when it changed.
class SnapshotStore {
 public:
  static constexpr uint32_t kShareScale = 10'000;

  // Replaces the current snapshot and ends any trial.
  void publish(std::shared_ptr<const Snapshot> snapshot);
  // Starts (or, with null, ends) a trial of `candidate` on `share` of kShareScale.
  void publish_candidate(std::shared_ptr<const Snapshot> candidate, uint32_t share);
  std::shared_ptr<const Snapshot> load() const;
  std::shared_ptr<const Snapshot> load_candidate() const;
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  friend class SnapshotCache;
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> current_;
  std::shared_ptr<const Snapshot> candidate_;
  uint32_t share_ = 0;
  std::atomic<uint64_t> generation_{0};
};

// A worker's cached view of the store.
class SnapshotCache {
 public:
  explicit SnapshotCache(const SnapshotStore& store) : store_(store) {}
  // The running snapshot (connection-wide decisions: accept guards, housekeeping).
  const std::shared_ptr<const Snapshot>& get() {
    refresh();
    return cached_;
  }
  // The snapshot that serves the connection with `key` (stable for its life, spread
  // evenly): the candidate for keys inside its share while a trial runs.
  const std::shared_ptr<const Snapshot>& get(uint32_t key) {
    refresh();
    if (candidate_ && key % SnapshotStore::kShareScale < share_) return candidate_;
    return cached_;
  }

 private:
  void refresh() {
    uint64_t g = store_.generation();
    if (g != generation_ || !cached_) {
      std::lock_guard lock(store_.mutex_);
      cached_ = store_.current_;
      candidate_ = store_.candidate_;
      share_ = store_.share_;
      generation_ = g;
    }
  }

  const SnapshotStore& store_;
  std::shared_ptr<const Snapshot> cached_;
  std::shared_ptr<const Snapshot> candidate_;
  uint32_t share_ = 0;
  uint64_t generation_ = 0;
};

// A well-spread key for a connection from its peer address and port, which stay the
// same for the connection's life (parked and resumed included).
uint32_t connection_key(const core::IpAddress& peer, uint16_t port);

}  // namespace rampart::server
