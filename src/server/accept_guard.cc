#include "server/accept_guard.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace rampart::server {

namespace {

uint64_t hash_ip(const core::IpAddress& ip) {
  uint64_t a, b;
  std::memcpy(&a, ip.bytes.data(), 8);
  std::memcpy(&b, ip.bytes.data() + 8, 8);
  uint64_t h = (a ^ 0x243f6a8885a308d3ull) * 0x9e3779b97f4a7c15ull;
  h ^= (b + 0x13198a2e03707344ull) * 0xc2b2ae3d27d4eb4full;
  return h ^ (h >> 31);
}

}  // namespace

AcceptRateTable::AcceptRateTable() : slots_(static_cast<Slot*>(std::calloc(kSlots, sizeof(Slot)))) {
  if (!slots_) throw std::bad_alloc();
}

bool AcceptRateTable::allow(const core::IpAddress& ip, uint32_t rate, uint32_t burst,
                            std::chrono::steady_clock::time_point now) {
  if (rate == 0) return true;
  if (burst == 0) burst = rate * 2;
  // Never 0: a free slot is marked by 0.
  int64_t now_ns = std::max<int64_t>(1, now.time_since_epoch().count());
  uint64_t h = hash_ip(ip);
  size_t shard = h % kShards;
  size_t set = (h / kShards) % kSetsPerShard;
  Slot* ways = slots_.get() + (shard * kSetsPerShard + set) * kWays;
  auto refilled = [&](const Slot& s) {
    double elapsed = static_cast<double>(now_ns - s.last_ns) / 1e9;
    return std::min<double>(burst, s.tokens + std::max(0.0, elapsed) * rate);
  };

  std::lock_guard lock(shards_[shard].mutex);
  Slot* victim = nullptr;
  double victim_tokens = -1;
  for (size_t i = 0; i < kWays; ++i) {
    Slot& s = ways[i];
    if (s.last_ns != 0 && std::memcmp(s.ip, ip.bytes.data(), 16) == 0) {
      double tokens = refilled(s);
      s.last_ns = now_ns;
      if (tokens < 1.0) {
        s.tokens = tokens;
        return false;
      }
      s.tokens = tokens - 1.0;
      return true;
    }
    double cold = s.last_ns == 0 ? 1e300 : refilled(s);
    if (cold > victim_tokens) {
      victim_tokens = cold;
      victim = &s;
    }
  }
  std::memcpy(victim->ip, ip.bytes.data(), 16);
  victim->last_ns = now_ns;
  victim->tokens = static_cast<double>(burst) - 1.0;
  return true;
}

}  // namespace rampart::server
