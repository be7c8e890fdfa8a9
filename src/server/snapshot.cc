#include "server/snapshot.h"

#include "core/listener.h"

namespace rampart::server {

namespace {
std::atomic<uint64_t> g_next_generation{1};
}

BuildResult build_snapshot(std::shared_ptr<const config::Config> config,
                           const pipeline::ModuleRegistry& registry, Metrics& metrics) {
  BuildResult result;
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->pipeline = pipeline::Pipeline::build(*config, registry, result.errors);
  snapshot->router = std::make_unique<SiteRouter>(*config);
  for (const config::Site& site : config->sites) {
    std::vector<boost::asio::ip::tcp::endpoint> resolved;
    std::vector<std::string> names;
    for (const config::HostPort& endpoint : site.origin.endpoints) {
      std::string error;
      auto ep = core::resolve_endpoint(endpoint.host, endpoint.port, error);
      if (!ep) {
        result.errors.push_back(
            {config->source, 0, 0,
             "site '" + site.name + "': origin endpoint " + endpoint.to_string() + ": " + error});
        continue;
      }
      resolved.push_back(*ep);
      names.push_back(ep->address().is_v6()
                          ? "[" + ep->address().to_string() + "]:" + std::to_string(ep->port())
                          : ep->address().to_string() + ":" + std::to_string(ep->port()));
    }
    snapshot->endpoints.push_back(std::move(resolved));
    snapshot->endpoint_names.push_back(std::move(names));
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
