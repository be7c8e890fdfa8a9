#include "ratelimit/cluster_channel.h"

#include <algorithm>
#include <bit>

namespace rampart::ratelimit {

ClusterChannel::ClusterChannel(std::shared_ptr<Limiter> limiter, std::string redis_prefix,
                               size_t max_keys)
    : limiter_(std::move(limiter)),
      redis_prefix_(std::move(redis_prefix)),
      capacity_(std::bit_ceil(std::max<size_t>(64, 2 * ((max_keys + kStripes - 1) / kStripes)))),
      fill_(capacity_ / 2) {
  for (Stripe& s : stripes_) {
    s.active = std::make_unique<Noted[]>(capacity_);
    s.standby = std::make_unique<Noted[]>(capacity_);
  }
}

void ClusterChannel::note(uint64_t local_key, uint64_t fleet_key, bool counted) {
  if (fleet_key == 0) fleet_key = 1;  // 0 marks an empty slot
  // The low bits pick the stripe, the high bits the slot within it.
  Stripe& s = stripes_[fleet_key % kStripes];
  size_t mask = capacity_ - 1;
  std::lock_guard lock(s.mutex);
  for (size_t i = (fleet_key >> 32) & mask;; i = (i + 1) & mask) {
    Noted& n = s.active[i];
    if (n.fleet_key == fleet_key) {
      n.counted += counted ? 1 : 0;
      return;
    }
    if (n.fleet_key == 0) {
      if (s.used >= fill_) {
        if (counted) unshared_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      ++s.used;
      n = Noted{fleet_key, local_key, counted ? 1u : 0u};
      return;
    }
  }
}

void ClusterChannel::drain(std::vector<Noted>& out) {
  for (Stripe& s : stripes_) {
    {
      std::lock_guard lock(s.mutex);
      if (s.used == 0) continue;
      std::swap(s.active, s.standby);
      s.used = 0;
    }
    // The standby table is the sync thread's alone until the next swap.
    for (size_t i = 0; i < capacity_; ++i) {
      if (s.standby[i].fleet_key != 0) out.push_back(s.standby[i]);
    }
    std::fill_n(s.standby.get(), capacity_, Noted{});
  }
}

}  // namespace rampart::ratelimit
