#include "server/connection_limiter.h"

#include <cstring>

namespace rampart::server {

size_t ConnectionLimiter::IpHash::operator()(const core::IpAddress& ip) const {
  uint64_t a, b;
  std::memcpy(&a, ip.bytes.data(), 8);
  std::memcpy(&b, ip.bytes.data() + 8, 8);
  uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b + 0x632be59bd9b4e019ull + (a << 6));
  return static_cast<size_t>(h ^ (h >> 29));
}

bool ConnectionLimiter::try_acquire(const core::IpAddress& ip) {
  if (total_.fetch_add(1, std::memory_order_relaxed) >=
      max_total_.load(std::memory_order_relaxed)) {
    total_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  Shard& shard = shard_for(ip);
  std::lock_guard lock(shard.mutex);
  uint32_t& count = shard.counts[ip];
  if (count >= max_per_ip_.load(std::memory_order_relaxed)) {
    if (count == 0) shard.counts.erase(ip);
    total_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  ++count;
  return true;
}

void ConnectionLimiter::release(const core::IpAddress& ip) {
  total_.fetch_sub(1, std::memory_order_relaxed);
  Shard& shard = shard_for(ip);
  std::lock_guard lock(shard.mutex);
  auto it = shard.counts.find(ip);
  if (it == shard.counts.end()) return;
  if (--it->second == 0) shard.counts.erase(it);
}

}  // namespace rampart::server
