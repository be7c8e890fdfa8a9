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
#include "http/h1_parser.h"
#include "pipeline/pipeline.h"
#include "proxy/origin_set.h"
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

// The current snapshot. Readers on workers check one atomic generation per request
// and only touch the shared pointer when it changed.
class SnapshotStore {
 public:
  void publish(std::shared_ptr<const Snapshot> snapshot);
  std::shared_ptr<const Snapshot> load() const;
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> current_;
  std::atomic<uint64_t> generation_{0};
};

// A worker's cached view of the store.
class SnapshotCache {
 public:
  explicit SnapshotCache(const SnapshotStore& store) : store_(store) {}
  const std::shared_ptr<const Snapshot>& get() {
    uint64_t g = store_.generation();
    if (g != generation_ || !cached_) {
      cached_ = store_.load();
      generation_ = g;
    }
    return cached_;
  }

 private:
  const SnapshotStore& store_;
  std::shared_ptr<const Snapshot> cached_;
  uint64_t generation_ = 0;
};

}  // namespace rampart::server
