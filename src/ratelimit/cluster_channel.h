#pragma once
// One rate-limit rule's link to the fleet: the request path notes here which keys it
// counted (a few dozen nanoseconds under a striped lock, never any I/O) and the sync
// thread drains the notes every interval to push them to Redis.
//
// Each stripe is a fixed open-addressed table allocated up front, so noting never
// allocates; a key that finds its stripe full is counted locally only (`unshared`).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ratelimit/key_table.h"

namespace rampart::ratelimit {

struct Noted {
  uint64_t fleet_key = 0;  // 0: empty slot
  uint64_t local_key = 0;
  uint64_t counted = 0;     // requests admitted and counted since the last drain
  Nanos first_counted = 0;  // when the first of them came (this node's clock; 0: unknown)
  Nanos block_until = 0;    // a mitigation timeout this node started, until then (0: none)
};

// A mitigation timeout somebody in the fleet started on a key.
struct FleetBlock {
  uint64_t fleet_key = 0;
  Nanos until = 0;  // this node's clock
};

class ClusterChannel {
 public:
  // `redis_prefix` starts every Redis key of the rule; up to `max_keys` distinct keys
  // are noted per interval.
  ClusterChannel(std::shared_ptr<Limiter> limiter, std::string redis_prefix, size_t max_keys);
  ClusterChannel(const ClusterChannel&) = delete;
  ClusterChannel& operator=(const ClusterChannel&) = delete;

  // A request of the key reached the limiter; `counted` when it was admitted and
  // counted (refused requests still keep the key's fleet standing fresh).
  // `block_until`: this request started the key's mitigation timeout, lasting until then.
  // `now`: when the request came, so the fleet counts it from then rather than from the
  // sync that carries it (0: unknown, counted from the sync).
  void note(uint64_t local_key, uint64_t fleet_key, bool counted, Nanos block_until = 0,
            Nanos now = 0);

  // Until when the fleet blocks the key (0: it does not). A lookup under the key's
  // stripe lock, skipped while the fleet blocks nothing.
  Nanos fleet_block(uint64_t fleet_key);
  // Replaces the fleet's blocks (the sync thread, after each sync). Allocates only
  // here, off the request path.
  void set_fleet_blocks(const std::vector<FleetBlock>& blocks);

  // Appends everything noted since the last drain and starts afresh.
  void drain(std::vector<Noted>& out);

  Limiter& limiter() { return *limiter_; }
  const std::string& redis_prefix() const { return redis_prefix_; }
  uint64_t unshared() const { return unshared_.load(std::memory_order_relaxed); }
  void add_unshared(uint64_t n) { unshared_.fetch_add(n, std::memory_order_relaxed); }

 private:
  static constexpr size_t kStripes = 16;

  struct alignas(64) Stripe {
    std::mutex mutex;
    std::unique_ptr<Noted[]> active;
    std::unique_ptr<Noted[]> standby;
    size_t used = 0;
    std::unique_ptr<FleetBlock[]> blocks;  // open-addressed; null while none
    size_t block_mask = 0;
  };

  std::shared_ptr<Limiter> limiter_;
  std::string redis_prefix_;
  size_t capacity_;  // slots per stripe, a power of two
  size_t fill_;      // most keys per stripe (half the slots: short probes)
  Stripe stripes_[kStripes];
  std::atomic<uint64_t> unshared_{0};
  std::atomic<size_t> fleet_blocks_{0};
};

}  // namespace rampart::ratelimit
