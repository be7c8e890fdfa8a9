#pragma once
// Prometheus metrics. Each worker writes only its own cache-line-aligned slot with
// relaxed atomics (no contention); a scrape sums the slots.

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace rampart::server {

struct alignas(64) SiteSlot {
  std::array<std::atomic<uint64_t>, 6> by_class{};  // 1xx..5xx, [0] = other
};

struct SiteCounters {
  std::string site;
  std::unique_ptr<SiteSlot[]> slots;  // one per worker
  void count(unsigned worker, int status) {
    int cls = status / 100;
    if (cls < 1 || cls > 5) cls = 0;
    slots[worker].by_class[cls].fetch_add(1, std::memory_order_relaxed);
  }
};

inline constexpr std::array<double, 12> kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

// Why the connection guard closed a client connection (rampart_connections_closed_total).
enum class GuardClose : uint8_t {
  kDenied,         // in limits.deny, closed at accept
  kAcceptRate,     // over limits.accept_rate_per_ip, closed at accept
  kConnectionCap,  // over max_connections or max_connections_per_ip, closed at accept
  kSlowHead,       // request head below limits.min_request_rate
  kSlowBody,       // request body below limits.min_request_rate
  kSlowSend,       // response read below limits.min_send_rate
  kCount
};

struct alignas(64) WorkerSlot {
  std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> latency{};  // last = +Inf
  std::atomic<uint64_t> latency_sum_us{0};
  std::atomic<uint64_t> upstream_connects{0};
  std::atomic<uint64_t> upstream_reuses{0};
  std::atomic<uint64_t> origin_unavailable{0};  // 503s: no usable or free endpoint
  std::atomic<uint64_t> upstream_hedges{0};     // second tries sent because the first was slow
  std::atomic<uint64_t> upstream_connect_failures{0};
  std::atomic<uint64_t> upstream_retries{0};
  std::atomic<int64_t> active_connections{0};
  std::atomic<uint64_t> accepted_connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> parse_errors{0};
  std::atomic<uint64_t> timeouts{0};
  // Requests by what the cache did for them (the access log's cache field).
  std::atomic<uint64_t> cache_hit{0};
  std::atomic<uint64_t> cache_miss{0};
  std::atomic<uint64_t> cache_stale{0};  // served stale: while revalidating or on error
  std::atomic<uint64_t> cache_revalidated{0};
  std::atomic<uint64_t> cache_collapsed{0};
  // TLS and HTTP/2.
  std::atomic<uint64_t> tls_handshakes{0};
  std::atomic<uint64_t> tls_resumed{0};
  std::atomic<uint64_t> tls_handshake_failures{0};
  std::atomic<uint64_t> requests_h1{0};
  std::atomic<uint64_t> requests_h2{0};
  std::atomic<uint64_t> h2_connections{0};
  std::atomic<uint64_t> h2_streams{0};
  std::atomic<uint64_t> h2_protocol_errors{0};
  std::atomic<uint64_t> h2_stalls{0};                // writes cut after waiting on a closed window
  std::array<std::atomic<uint64_t>, 8> h2_floods{};  // by http::H2Flood
  // The connection guard and overload protection.
  std::array<std::atomic<uint64_t>, static_cast<size_t>(GuardClose::kCount)> guard_closed{};
  std::array<std::atomic<uint64_t>, 4> overload_shed{};  // by ShedReason
  std::atomic<uint64_t> event_loop_lag_us{0};            // the load probe's decaying peak
  void count_close(GuardClose reason) {
    guard_closed[static_cast<size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  }
};

class Metrics {
 public:
  explicit Metrics(unsigned workers);
  unsigned workers() const { return worker_count_; }
  // Stable for the life of the process, so totals survive reloads.
  SiteCounters* site(std::string_view name);
  WorkerSlot& worker(unsigned index) { return workers_[index]; }
  void observe_latency(unsigned worker, double seconds);

  std::atomic<uint64_t> reloads{0};
  std::atomic<uint64_t> reload_failures{0};
  std::atomic<uint64_t> resident_bytes{0};  // sampled by worker 0's load probe
  // Cluster rollout: rollbacks of a rolled-out version this node made itself ("local") or
  // followed from another node ("fleet"), and lower-group nodes it judged gone.
  std::atomic<uint64_t> rollout_rollbacks_local{0};
  std::atomic<uint64_t> rollout_rollbacks_fleet{0};
  std::atomic<uint64_t> rollout_nodes_gone{0};
  // This node's stage in the rollout of the newest version it followed.
  void set_rollout_stage(std::string_view version, std::string_view stage);

  // Appends the Prometheus text exposition of everything counted here.
  void render(std::string& out, std::string_view config_version) const;
  int64_t active_connections() const;

 private:
  void render_protocol_metrics(std::string& out) const;
  void render_guard_metrics(std::string& out) const;  // metrics_guard.cc
  void render_rollout_metrics(std::string& out) const;

  mutable std::mutex mutex_;
  std::deque<SiteCounters> sites_;
  std::map<std::string, SiteCounters*, std::less<>> by_name_;
  unsigned worker_count_;
  std::unique_ptr<WorkerSlot[]> workers_;
  std::string rollout_version_;  // guarded by mutex_
  std::string rollout_stage_;    // guarded by mutex_
};

}  // namespace rampart::server
