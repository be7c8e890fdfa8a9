#pragma once
// One pool of origin endpoints as a snapshot runs it: the resolved endpoints, the
// steering policy (Balancer), the retry budget, session-affinity tokens, the compiled
// hash key, and passive health (outlier detection). Live per-endpoint state comes from
// the OriginStateStore, so it carries over reloads.

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "proxy/balancer.h"
#include "proxy/endpoint_state.h"
#include "proxy/retry_budget.h"
#include "rules/compiler.h"
#include "rules/program.h"
#include "tls/origin_contexts.h"

namespace rampart::proxy {

// Milliseconds on the steady clock: the unit of ejection deadlines and budget windows.
int64_t steady_now_ms();

// Endpoint states by (pool, endpoint), kept for as long as some snapshot uses them.
class OriginStateStore {
 public:
  std::shared_ptr<EndpointState> endpoint(std::string_view pool, std::string_view endpoint);
  // Forgets states no live pool holds any more (called after a snapshot is built).
  void prune();

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<EndpointState>, std::less<>> states_;
};

struct OriginEndpoint {
  std::string name;  // "127.0.0.1:8081", "[::1]:8081"
  std::string host;  // as configured: a DNS name or an IP literal (TLS names come from it)
  boost::asio::ip::tcp::endpoint address;
  std::string affinity_token;  // opaque cookie value naming this endpoint
  std::string labels;          // pool="web",endpoint="127.0.0.1:8081" (metrics)
  bool configured_enabled = true;
};

// The idle-pool transport id of cleartext HTTP/2 (TLS context ids count up from 1).
inline constexpr uint64_t kH2cTransport = ~uint64_t{0};

// How one try at an endpoint ended, for passive health.
enum class TryOutcome : uint8_t { kSuccess, kConnectFailure, kReset, kTimeout, k5xx };

std::string_view try_outcome_name(TryOutcome outcome);

class OriginPool {
 public:
  OriginPool(const config::Pool& config, std::vector<OriginEndpoint> endpoints,
             OriginStateStore& store);
  OriginPool(const OriginPool&) = delete;
  OriginPool& operator=(const OriginPool&) = delete;

  const config::Pool& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  size_t size() const { return endpoints_.size(); }
  const OriginEndpoint& endpoint(size_t i) const { return endpoints_[i]; }
  EndpointState& state(size_t i) const { return balancer_.state(i); }
  Balancer& balancer() { return balancer_; }
  const Balancer& balancer() const { return balancer_; }
  RetryBudget& retry_budget() { return budget_; }

  size_t usable_count() const { return balancer_.usable_count(); }
  std::optional<size_t> find(std::string_view endpoint_name) const;
  std::optional<size_t> find_by_token(std::string_view token) const;

  // The hash key expression (steering: hash), compiled for this pool.
  void set_hash_key(std::shared_ptr<const rules::Program> program, std::vector<rules::Slot> slots) {
    hash_key_ = std::move(program);
    hash_slots_ = std::move(slots);
  }
  const rules::Program* hash_key() const { return hash_key_.get(); }

  // The client TLS context of a pool whose endpoints speak TLS; null for plain TCP.
  void set_tls(std::shared_ptr<const tls::OriginContext> tls) { tls_ = std::move(tls); }
  const tls::OriginContext* tls() const { return tls_.get(); }
  // HTTP/2 to the origins (over tls() when set, else cleartext prior knowledge).
  bool http2() const { return config_.http2; }
  // What the idle connection pool files this pool's connections under.
  uint64_t transport() const { return tls_ ? tls_->id() : config_.http2 ? kH2cTransport : 0; }
  const std::vector<rules::Slot>& hash_slots() const { return hash_slots_; }

  // Passive health: counts the try and may eject the endpoint (or end its streak).
  void record(size_t i, TryOutcome outcome, int64_t now_ms);
  // Ends ejections whose time is up; run by the health checker's housekeeping.
  void end_ejections(int64_t now_ms);
  // Active health verdicts, with a log line when the state changes.
  void set_healthy(size_t i, bool healthy, std::string_view reason);
  // The operator's drain / disable / enable, logged.
  void set_admin(size_t i, AdminState state);

  // Counters for /metrics.
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> budget_exhausted{0};
  std::atomic<uint64_t> shed{0};  // requests answered 503 because the pool was full
  std::atomic<uint32_t> pending{0};

 private:
  void eject(size_t i, int64_t now_ms, TryOutcome why);

  config::Pool config_;
  std::vector<OriginEndpoint> endpoints_;
  Balancer balancer_;
  RetryBudget budget_;
  std::shared_ptr<const rules::Program> hash_key_;
  std::vector<rules::Slot> hash_slots_;
  std::shared_ptr<const tls::OriginContext> tls_;
  std::mutex eject_mutex_;  // ejections are rare; the cap needs a consistent count
};

}  // namespace rampart::proxy
