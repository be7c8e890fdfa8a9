#pragma once
// Picking an endpoint of a pool for one request: the steering policies of the origin
// phase. A Pool's endpoints and policy are fixed when a snapshot is built; what changes
// per request (in-flight counts, latency averages, health) lives in EndpointState,
// shared by all workers through relaxed atomics.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::proxy {

enum class Steering : uint8_t {
  kRoundRobin,        // smooth weighted round robin
  kRandom,            // weighted random
  kLeastOutstanding,  // fewest in-flight requests (weighted)
  kPowerOfTwo,        // two random candidates, the one with fewer in-flight requests
  kLatency,           // lowest EWMA time to first byte (weighted), probing others now and then
  kHash,              // consistent hashing (Maglev) on a request key
};

// Live state of one endpoint, shared by every worker.
struct EndpointState {
  std::atomic<uint32_t> in_flight{0};
  std::atomic<uint64_t> ewma_ttfb_us{0};  // 0 = no sample yet
  std::atomic<bool> healthy{true};        // health checks and outlier detection
  std::atomic<bool> enabled{true};        // the operator's switch (drain/disable)
  bool usable() const {
    return healthy.load(std::memory_order_relaxed) && enabled.load(std::memory_order_relaxed);
  }
};

struct EndpointSpec {
  std::string name;     // "host:port" as configured
  uint32_t weight = 1;  // 1-1000; 0 is refused by the config
};

class Balancer {
 public:
  Balancer(Steering steering, std::vector<EndpointSpec> endpoints);
  ~Balancer();
  Balancer(const Balancer&) = delete;
  Balancer& operator=(const Balancer&) = delete;

  // The endpoint for one request, or nullopt when none is usable. `key` is the hash key
  // (kHash only); `exclude` lists endpoints already tried for this request (retries go
  // elsewhere); `random` is a per-worker random number.
  std::optional<size_t> pick(std::string_view key, std::span<const size_t> exclude,
                             uint64_t random);

  // Bookkeeping the steering policies read.
  void on_start(size_t endpoint);
  void on_finish(size_t endpoint, std::optional<uint64_t> ttfb_us);

  size_t size() const { return specs_.size(); }
  const EndpointSpec& spec(size_t i) const { return specs_[i]; }
  EndpointState& state(size_t i) { return *states_[i]; }
  size_t usable_count() const;

 private:
  struct Impl;
  void build_maglev();
  bool is_candidate(size_t i, std::span<const size_t> exclude) const;
  std::optional<size_t> pick_round_robin(std::span<const size_t> exclude);
  // `also_skip`: an endpoint to leave out on top of `exclude` (p2c's second draw).
  std::optional<size_t> pick_weighted_random(std::span<const size_t> exclude, uint64_t random,
                                             std::optional<size_t> also_skip = std::nullopt);
  std::optional<size_t> pick_least_outstanding(std::span<const size_t> exclude, uint64_t random);
  std::optional<size_t> pick_power_of_two(std::span<const size_t> exclude, uint64_t random);
  std::optional<size_t> pick_latency(std::span<const size_t> exclude, uint64_t random);
  std::optional<size_t> pick_hash(std::string_view key, std::span<const size_t> exclude);

  Steering steering_;
  std::vector<EndpointSpec> specs_;
  std::vector<std::unique_ptr<EndpointState>> states_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::proxy
