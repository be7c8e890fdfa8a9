#include "server/metrics.h"

#include "http/h2_server_session.h"
#include "tls/origin_contexts.h"

#include <fmt/format.h>

namespace rampart::server {

Metrics::Metrics(unsigned workers) : worker_count_(workers), workers_(new WorkerSlot[workers]) {}

SiteCounters* Metrics::site(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto it = by_name_.find(name); it != by_name_.end()) return it->second;
  SiteCounters& counters = sites_.emplace_back();
  counters.site = std::string(name);
  counters.slots.reset(new SiteSlot[worker_count_]);
  by_name_.emplace(counters.site, &counters);
  return &counters;
}

void Metrics::observe_latency(unsigned worker, double seconds) {
  WorkerSlot& slot = workers_[worker];
  size_t i = 0;
  while (i < kLatencyBuckets.size() && seconds > kLatencyBuckets[i]) ++i;
  slot.latency[i].fetch_add(1, std::memory_order_relaxed);
  slot.latency_sum_us.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

int64_t Metrics::active_connections() const {
  int64_t total = 0;
  for (size_t w = 0; w < worker_count_; ++w) {
    total += workers_[w].active_connections.load(std::memory_order_relaxed);
  }
  return total;
}

namespace {

template <typename Field>
uint64_t sum_workers(const WorkerSlot* slots, unsigned n, Field field) {
  uint64_t total = 0;
  for (size_t w = 0; w < n; ++w) {
    total += (slots[w].*field).load(std::memory_order_relaxed);
  }
  return total;
}

std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void counter(std::string& out, std::string_view name, std::string_view help, uint64_t value) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} counter\n{} {}\n", name, help,
                 name, name, value);
}

}  // namespace

void Metrics::render_protocol_metrics(std::string& out) const {
  auto it = std::back_inserter(out);
  const WorkerSlot* w = workers_.get();
  fmt::format_to(it,
                 "# HELP rampart_http_requests_total Requests by protocol.\n"
                 "# TYPE rampart_http_requests_total counter\n"
                 "rampart_http_requests_total{{protocol=\"HTTP/1.x\"}} {}\n"
                 "rampart_http_requests_total{{protocol=\"HTTP/2\"}} {}\n",
                 sum_workers(w, worker_count_, &WorkerSlot::requests_h1),
                 sum_workers(w, worker_count_, &WorkerSlot::requests_h2));
  fmt::format_to(it,
                 "# HELP rampart_tls_handshakes_total TLS handshakes by outcome.\n"
                 "# TYPE rampart_tls_handshakes_total counter\n"
                 "rampart_tls_handshakes_total{{result=\"full\"}} {}\n"
                 "rampart_tls_handshakes_total{{result=\"resumed\"}} {}\n"
                 "rampart_tls_handshakes_total{{result=\"failed\"}} {}\n",
                 sum_workers(w, worker_count_, &WorkerSlot::tls_handshakes),
                 sum_workers(w, worker_count_, &WorkerSlot::tls_resumed),
                 sum_workers(w, worker_count_, &WorkerSlot::tls_handshake_failures));
  const tls::OriginHandshakeCounters& o = tls::origin_handshake_counters();
  fmt::format_to(it,
                 "# HELP rampart_origin_tls_handshakes_total TLS handshakes with origins by "
                 "outcome.\n"
                 "# TYPE rampart_origin_tls_handshakes_total counter\n"
                 "rampart_origin_tls_handshakes_total{{result=\"full\"}} {}\n"
                 "rampart_origin_tls_handshakes_total{{result=\"resumed\"}} {}\n"
                 "rampart_origin_tls_handshakes_total{{result=\"untrusted\"}} {}\n"
                 "rampart_origin_tls_handshakes_total{{result=\"pin_mismatch\"}} {}\n"
                 "rampart_origin_tls_handshakes_total{{result=\"failed\"}} {}\n",
                 o.full.load(std::memory_order_relaxed), o.resumed.load(std::memory_order_relaxed),
                 o.untrusted.load(std::memory_order_relaxed),
                 o.pin_mismatch.load(std::memory_order_relaxed),
                 o.failed.load(std::memory_order_relaxed));
  counter(out, "rampart_http2_connections_total", "Client connections that spoke HTTP/2.",
          sum_workers(w, worker_count_, &WorkerSlot::h2_connections));
  counter(out, "rampart_http2_streams_total", "HTTP/2 streams clients opened.",
          sum_workers(w, worker_count_, &WorkerSlot::h2_streams));
  counter(out, "rampart_http2_protocol_errors_total",
          "HTTP/2 connections closed for a protocol error.",
          sum_workers(w, worker_count_, &WorkerSlot::h2_protocol_errors));
  counter(out, "rampart_http2_stalled_streams_total",
          "HTTP/2 streams cut after the client kept their flow-control window shut past the "
          "send timeout.",
          sum_workers(w, worker_count_, &WorkerSlot::h2_stalls));
  fmt::format_to(it,
                 "# HELP rampart_http2_floods_total HTTP/2 connections closed with GOAWAY for a "
                 "flood, by kind.\n"
                 "# TYPE rampart_http2_floods_total counter\n");
  for (size_t kind = 1; kind < WorkerSlot{}.h2_floods.size(); ++kind) {
    uint64_t n = 0;
    for (unsigned i = 0; i < worker_count_; ++i) {
      n += w[i].h2_floods[kind].load(std::memory_order_relaxed);
    }
    fmt::format_to(it, "rampart_http2_floods_total{{kind=\"{}\"}} {}\n",
                   http::to_string(static_cast<http::H2Flood>(kind)), n);
  }
}

void Metrics::render(std::string& out, std::string_view config_version) const {
  auto it = std::back_inserter(out);
  out.append("# HELP rampart_requests_total Requests answered, by site and status class.\n");
  out.append("# TYPE rampart_requests_total counter\n");
  {
    std::lock_guard lock(mutex_);
    static constexpr std::array<std::string_view, 6> kClass = {"other", "1xx", "2xx",
                                                               "3xx",   "4xx", "5xx"};
    for (const SiteCounters& site : sites_) {
      for (size_t c = 0; c < 6; ++c) {
        uint64_t total = 0;
        for (size_t w = 0; w < worker_count_; ++w) {
          total += site.slots[w].by_class[c].load(std::memory_order_relaxed);
        }
        if (total == 0 && c != 2) continue;
        fmt::format_to(it, "rampart_requests_total{{site=\"{}\",code_class=\"{}\"}} {}\n",
                       escape_label(site.site), kClass[c], total);
      }
    }
  }

  out.append("# HELP rampart_request_duration_seconds Time from request head to last byte.\n");
  out.append("# TYPE rampart_request_duration_seconds histogram\n");
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= kLatencyBuckets.size(); ++b) {
    for (size_t w = 0; w < worker_count_; ++w) {
      cumulative += workers_[w].latency[b].load(std::memory_order_relaxed);
    }
    if (b < kLatencyBuckets.size()) {
      fmt::format_to(it, "rampart_request_duration_seconds_bucket{{le=\"{}\"}} {}\n",
                     kLatencyBuckets[b], cumulative);
    } else {
      fmt::format_to(it, "rampart_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
    }
  }
  fmt::format_to(
      it, "rampart_request_duration_seconds_sum {}\n",
      static_cast<double>(sum_workers(workers_.get(), worker_count_, &WorkerSlot::latency_sum_us)) /
          1e6);
  fmt::format_to(it, "rampart_request_duration_seconds_count {}\n", cumulative);

  const WorkerSlot* w = workers_.get();
  counter(out, "rampart_upstream_connects_total", "New connections opened to origins.",
          sum_workers(w, worker_count_, &WorkerSlot::upstream_connects));
  counter(out, "rampart_upstream_reuses_total", "Requests sent on a reused origin connection.",
          sum_workers(w, worker_count_, &WorkerSlot::upstream_reuses));
  {
    uint64_t connects = sum_workers(w, worker_count_, &WorkerSlot::upstream_connects);
    uint64_t reuses = sum_workers(w, worker_count_, &WorkerSlot::upstream_reuses);
    fmt::format_to(it,
                   "# HELP rampart_upstream_connection_reuse_ratio Share of origin requests "
                   "sent on a reused connection.\n"
                   "# TYPE rampart_upstream_connection_reuse_ratio gauge\n"
                   "rampart_upstream_connection_reuse_ratio {:.4f}\n",
                   connects + reuses == 0
                       ? 0.0
                       : static_cast<double>(reuses) / static_cast<double>(connects + reuses));
  }
  counter(out, "rampart_upstream_hedges_total",
          "Hedged tries: the request also sent to a second endpoint after hedge_after.",
          sum_workers(w, worker_count_, &WorkerSlot::upstream_hedges));
  counter(out, "rampart_origin_unavailable_total",
          "Requests answered 503 because no origin endpoint was usable or free.",
          sum_workers(w, worker_count_, &WorkerSlot::origin_unavailable));
  counter(out, "rampart_upstream_connect_failures_total", "Failed connects to origins.",
          sum_workers(w, worker_count_, &WorkerSlot::upstream_connect_failures));
  counter(out, "rampart_upstream_retries_total",
          "Origin tries repeated: retries by policy and replays after a stale pooled "
          "connection.",
          sum_workers(w, worker_count_, &WorkerSlot::upstream_retries));
  counter(out, "rampart_connections_accepted_total", "Client connections accepted.",
          sum_workers(w, worker_count_, &WorkerSlot::accepted_connections));
  counter(out, "rampart_connections_rejected_total",
          "Client connections closed at accept: deny list, accept rate or a connection cap.",
          sum_workers(w, worker_count_, &WorkerSlot::rejected_connections));
  counter(out, "rampart_parse_errors_total", "Requests rejected by the HTTP/1 parser.",
          sum_workers(w, worker_count_, &WorkerSlot::parse_errors));
  counter(out, "rampart_timeouts_total", "Client or origin operations that timed out.",
          sum_workers(w, worker_count_, &WorkerSlot::timeouts));
  fmt::format_to(it,
                 "# HELP rampart_cache_requests_total Requests by what the cache did: hit, "
                 "miss, stale (served stale), revalidated (a 304 refreshed the copy), collapsed "
                 "(streamed from another request's fetch).\n"
                 "# TYPE rampart_cache_requests_total counter\n");
  for (auto [name, member] :
       {std::pair{"hit", &WorkerSlot::cache_hit}, std::pair{"miss", &WorkerSlot::cache_miss},
        std::pair{"stale", &WorkerSlot::cache_stale},
        std::pair{"revalidated", &WorkerSlot::cache_revalidated},
        std::pair{"collapsed", &WorkerSlot::cache_collapsed}}) {
    fmt::format_to(it, "rampart_cache_requests_total{{result=\"{}\"}} {}\n", name,
                   sum_workers(w, worker_count_, member));
  }
  render_protocol_metrics(out);
  render_guard_metrics(out);
  fmt::format_to(it,
                 "# HELP rampart_active_connections Open client connections.\n"
                 "# TYPE rampart_active_connections gauge\nrampart_active_connections {}\n",
                 active_connections());
  counter(out, "rampart_config_reloads_total", "Successful config reloads.",
          reloads.load(std::memory_order_relaxed));
  counter(out, "rampart_config_reload_failures_total",
          "Config reloads refused (the running config stayed).",
          reload_failures.load(std::memory_order_relaxed));
  render_rollout_metrics(out);
  fmt::format_to(it,
                 "# HELP rampart_config_version_info The running config version.\n"
                 "# TYPE rampart_config_version_info gauge\n"
                 "rampart_config_version_info{{version=\"{}\"}} 1\n",
                 escape_label(config_version));
}

void Metrics::set_rollout_stage(std::string_view version, std::string_view stage) {
  std::lock_guard lock(mutex_);
  rollout_version_ = version;
  rollout_stage_ = stage;
}

void Metrics::render_rollout_metrics(std::string& out) const {
  auto it = std::back_inserter(out);
  {
    std::lock_guard lock(mutex_);
    if (!rollout_version_.empty()) {
      fmt::format_to(it,
                     "# HELP rampart_config_rollout_stage This node's stage in the cluster "
                     "rollout of the newest version it followed.\n"
                     "# TYPE rampart_config_rollout_stage gauge\n"
                     "rampart_config_rollout_stage{{version=\"{}\",stage=\"{}\"}} 1\n",
                     escape_label(rollout_version_), escape_label(rollout_stage_));
    }
  }
  fmt::format_to(it,
                 "# HELP rampart_config_rollout_rollbacks_total Cluster-rolled versions this "
                 "node rolled back, by where the rollback began.\n"
                 "# TYPE rampart_config_rollout_rollbacks_total counter\n"
                 "rampart_config_rollout_rollbacks_total{{source=\"local\"}} {}\n"
                 "rampart_config_rollout_rollbacks_total{{source=\"fleet\"}} {}\n",
                 rollout_rollbacks_local.load(std::memory_order_relaxed),
                 rollout_rollbacks_fleet.load(std::memory_order_relaxed));
  counter(out, "rampart_config_rollout_nodes_gone_total",
          "Lower-group nodes whose rollout heartbeat went stale, no longer waited for.",
          rollout_nodes_gone.load(std::memory_order_relaxed));
}

}  // namespace rampart::server
