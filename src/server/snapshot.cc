#include "server/snapshot.h"

namespace rampart::server {

namespace {
std::atomic<uint64_t> g_next_generation{1};
}

BuildResult build_snapshot(std::shared_ptr<const config::Config> config,
                           const pipeline::ModuleRegistry& registry, Metrics& metrics,
                           proxy::OriginStateStore* origin_states) {
  BuildResult result;
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->pipeline = pipeline::Pipeline::build(*config, registry, result.errors);
  snapshot->router = std::make_unique<SiteRouter>(*config);
  proxy::OriginStateStore scratch_states;
  snapshot->origins = proxy::OriginSet::build(
      *config, origin_states ? *origin_states : scratch_states, result.errors);
  for (const config::Site& site : config->sites) {
    snapshot->site_counters.push_back(metrics.site(site.name));
  }
  const config::Limits& limits = config->limits;
  snapshot->parser_limits.max_request_line = limits.max_request_line;
  snapshot->parser_limits.max_header_bytes = limits.max_header_bytes;
  snapshot->parser_limits.max_header_count = limits.max_header_count;
  snapshot->parser_limits.max_body_bytes = limits.max_body_bytes;
  snapshot->generation = g_next_generation.fetch_add(1);
  snapshot->config = std::move(config);
  if (result.errors.empty()) result.snapshot = std::move(snapshot);
  return result;
}

void SnapshotStore::publish(std::shared_ptr<const Snapshot> snapshot) {
  {
    std::lock_guard lock(mutex_);
    current_ = std::move(snapshot);
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

std::shared_ptr<const Snapshot> SnapshotStore::load() const {
  std::lock_guard lock(mutex_);
  return current_;
}

}  // namespace rampart::server
