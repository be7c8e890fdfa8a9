#pragma once
// Caps on open client connections, in total and per client IP, checked at accept time
// before a byte is parsed.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "core/ip.h"

namespace rampart::server {

class ConnectionLimiter {
 public:
  void set_limits(uint32_t total, uint32_t per_ip) {
    max_total_.store(total, std::memory_order_relaxed);
    max_per_ip_.store(per_ip, std::memory_order_relaxed);
  }
  // True when the connection may proceed; then release() must be called once.
  bool try_acquire(const core::IpAddress& ip);
  void release(const core::IpAddress& ip);
  uint32_t total() const { return total_.load(std::memory_order_relaxed); }

 private:
  struct IpHash {
    size_t operator()(const core::IpAddress& ip) const;
  };
  static constexpr size_t kShards = 16;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<core::IpAddress, uint32_t, IpHash> counts;
  };
  Shard& shard_for(const core::IpAddress& ip) { return shards_[IpHash{}(ip) % kShards]; }

  std::atomic<uint32_t> max_total_{20000};
  std::atomic<uint32_t> max_per_ip_{512};
  std::atomic<uint32_t> total_{0};
  Shard shards_[kShards];
};

}  // namespace rampart::server
