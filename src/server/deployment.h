#pragma once
// Staged activation: what each snapshot served (per worker, no lock on the request
// path) and the verdict on a candidate snapshot compared with the running one.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "config/deployment_settings.h"
#include "server/metrics.h"

namespace rampart::server {

// What a snapshot served, summed over workers (or the difference of two such sums).
struct Tally {
  uint64_t requests = 0;
  uint64_t errors = 0;         // 5xx rampart answered itself (rules, dead pools, failures)
  uint64_t origin_errors = 0;  // 5xx the origin sent, passed through
  uint64_t module_failures = 0;
  std::array<uint64_t, kLatencyBuckets.size() + 1> latency{};  // last = +Inf

  Tally since(const Tally& earlier) const;
  // Requests that failed because of the config: rampart's 5xx and module failures.
  double error_rate() const;
  // Upper bound of the latency bucket holding the 95th percentile; 0 without requests.
  double p95_seconds() const;
};

class DeploymentCounters {
 public:
  explicit DeploymentCounters(unsigned workers);
  // `by_rampart`: rampart answered the request itself rather than passing the origin's.
  void count(unsigned worker, int status, bool by_rampart, double seconds);
  Tally total() const;  // module_failures left 0: the pipeline counts those

 private:
  struct alignas(64) Slot {
    std::atomic<uint64_t> requests{0};
    std::atomic<uint64_t> errors{0};
    std::atomic<uint64_t> origin_errors{0};
    std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> latency{};
  };
  std::unique_ptr<Slot[]> slots_;
  unsigned workers_;
};

enum class Verdict : uint8_t {
  kWait,      // the window is still open and nothing is wrong yet
  kPromote,   // the window passed and the candidate did no worse
  kHold,      // the window passed; auto_promote is off, an operator decides
  kRollback,  // the candidate did worse
};

struct Decision {
  Verdict verdict = Verdict::kWait;
  std::string reason;
};

// Judges a candidate from what it and the running snapshot served since it started.
// A rollback needs the candidate's excess error rate to pass the configured increase
// plus three standard errors of its sample, so a few unlucky requests roll nothing back
// while a config that fails every request is caught after min_requests.
Decision decide(const config::Deployment& policy, const Tally& running, const Tally& candidate,
                std::chrono::milliseconds elapsed);

const char* verdict_name(Verdict verdict);

}  // namespace rampart::server
