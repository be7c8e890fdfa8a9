#pragma once
// New-connection rate per client IP, checked at accept before a byte is read: a token
// bucket per address (`rate` a second, up to `burst` at once) in a fixed-size table, so
// a flood from millions of addresses costs no more memory than one from a few.
//
// The table is set-associative: an address hashes to one set of kWays slots in one of
// kShards locked shards. A new address takes a free slot or evicts the set's coldest
// entry (the bucket that would be fullest now); an evicted address starts again with a
// full bucket, so eviction can only ever be lenient, never refuse a client wrongly.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "core/ip.h"

namespace rampart::server {

class AcceptRateTable {
 public:
  static constexpr size_t kShards = 16;
  static constexpr size_t kSetsPerShard = 1024;
  static constexpr size_t kWays = 4;
  static constexpr size_t kSlots = kShards * kSetsPerShard * kWays;  // 64Ki, 2 MiB

  AcceptRateTable();

  // True when a connection from `ip` may proceed at `now` (and takes a token).
  bool allow(const core::IpAddress& ip, uint32_t rate, uint32_t burst,
             std::chrono::steady_clock::time_point now);

 private:
  struct Slot {
    uint8_t ip[16];
    int64_t last_ns;  // 0: free
    double tokens;
  };
  static_assert(sizeof(Slot) == 32);
  struct alignas(64) Shard {
    std::mutex mutex;
  };
  struct FreeSlots {
    void operator()(Slot* p) const { std::free(p); }
  };

  Shard shards_[kShards];
  // calloc'd: pages nobody has hashed to yet stay untouched.
  std::unique_ptr<Slot[], FreeSlots> slots_;
};

}  // namespace rampart::server
