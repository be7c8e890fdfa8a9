#include "server/snapshot.h"

#include <algorithm>

#include "feeds/ip_list_feed.h"

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
  snapshot->served = std::make_shared<DeploymentCounters>(metrics.workers());
  // List files become data feeds: changes on disk reach the rules without a reload, and
  // a reload publishes the feed's running version, so a held-back jump stays held back.
  for (const auto& [name, list] : config->lists) {
    if (list.file.empty() || list.live == nullptr) continue;
    feeds::Limits feed_limits{list.max_bytes, list.max_entries, list.max_change};
    snapshot->list_feeds.push_back(feeds::use_ip_list(name, list.file, feed_limits, list.live));
  }
  snapshot->generation = g_next_generation.fetch_add(1);
  snapshot->config = std::move(config);
  if (result.errors.empty()) result.snapshot = std::move(snapshot);
  return result;
}

void SnapshotStore::publish(std::shared_ptr<const Snapshot> snapshot) {
  {
    std::lock_guard lock(mutex_);
    current_ = std::move(snapshot);
    candidate_.reset();
    share_ = 0;
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

void SnapshotStore::publish_candidate(std::shared_ptr<const Snapshot> candidate, uint32_t share) {
  {
    std::lock_guard lock(mutex_);
    share_ = candidate ? std::min(share, kShareScale) : 0;
    candidate_ = std::move(candidate);
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

std::shared_ptr<const Snapshot> SnapshotStore::load() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::shared_ptr<const Snapshot> SnapshotStore::load_candidate() const {
  std::lock_guard lock(mutex_);
  return candidate_;
}

uint32_t connection_key(const core::IpAddress& peer, uint16_t port) {
  // splitmix64 over the address and port: neighbouring ports land far apart, so a share
  // of keys is that share of connections.
  uint64_t x = port;
  for (size_t i = 0; i < peer.bytes.size(); i += 8) {
    uint64_t word = 0;
    for (size_t j = 0; j < 8 && i + j < peer.bytes.size(); ++j) {
      word |= static_cast<uint64_t>(peer.bytes[i + j]) << (8 * j);
    }
    x ^= word + 0x9e3779b97f4a7c15ULL + (x << 6) + (x >> 2);
  }
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return static_cast<uint32_t>(x >> 32);
}

}  // namespace rampart::server
