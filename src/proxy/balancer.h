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

#include "config/config.h"
#include "proxy/endpoint_state.h"

namespace rampart::proxy {

// The policies are the config's (`steering:` of a pool).
using Steering = config::Steering;

struct EndpointSpec {
  std::string name;     // "host:port" as configured
  uint32_t weight = 1;  // 1-1000; 0 is refused by the config
};

class Balancer {
 public:
  // `states` are the endpoints' live states, parallel to `endpoints`, kept by the caller
  // across snapshots; missing ones are created fresh.
  Balancer(Steering steering, std::vector<EndpointSpec> endpoints,
           std::vector<std::shared_ptr<EndpointState>> states = {});
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
  // on_start() unless the endpoint is at its in-flight cap (then false, nothing counted).
  bool try_start(size_t endpoint);
  // Endpoints with this many requests in flight are not picked (0 = no cap): the
  // per-endpoint connection limit, since each request in flight holds one connection.
  void set_max_in_flight(uint32_t max) { max_in_flight_ = max; }
  void on_finish(size_t endpoint, std::optional<uint64_t> ttfb_us);

  size_t size() const { return specs_.size(); }
  const EndpointSpec& spec(size_t i) const { return specs_[i]; }
  EndpointState& state(size_t i) const { return *states_[i]; }
  const std::shared_ptr<EndpointState>& shared_state(size_t i) const { return states_[i]; }
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
  std::vector<std::shared_ptr<EndpointState>> states_;
  uint32_t max_in_flight_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::proxy
