#include "server/snapshot.h"

namespace rampart::server {

namespace {
std::atomic<uint64_t> g_next_generation{1};
}

BuildResult build_snapshot(std::shared_ptr<const config::Config> config,
                           const pipeline::ModuleRegistry& registry, Metrics& metrics,
                           proxy::OriginStateStore* origin_states,
                           std::shared_ptr<tls::TicketKeys> ticket_keys) {
  BuildResult result;
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->pipeline = pipeline::Pipeline::build(*config, registry, result.errors);
  snapshot->router = std::make_unique<SiteRouter>(*config);
  proxy::OriginStateStore scratch_states;
  snapshot->origins = proxy::OriginSet::build(
      *config, origin_states ? *origin_states : scratch_states, result.errors);
  bool any_tls = false;
  for (const config::Listener& listener : config->listeners) any_tls |= listener.tls.has_value();
  if (any_tls) {
    if (!ticket_keys) ticket_keys = std::make_shared<tls::TicketKeys>();
    // SNI picks certificates the way Host picks sites. The lookup owns its router: a
    // handshake may outlive this snapshot.
    auto router = std::make_shared<const SiteRouter>(*config);
    snapshot->tls = tls::ServerContexts::build(
        *config, std::move(ticket_keys),
        [router](std::string_view host) { return router->route(host); }, result.errors);
  }
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
