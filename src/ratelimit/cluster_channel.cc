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

void ClusterChannel::note(uint64_t local_key, uint64_t fleet_key, bool counted, Nanos block_until,
                          Nanos now) {
  if (fleet_key == 0) fleet_key = 1;  // 0 marks an empty slot
  // The low bits pick the stripe, the high bits the slot within it.
  Stripe& s = stripes_[fleet_key % kStripes];
  size_t mask = capacity_ - 1;
  std::lock_guard lock(s.mutex);
  for (size_t i = (fleet_key >> 32) & mask;; i = (i + 1) & mask) {
    Noted& n = s.active[i];
    if (n.fleet_key == fleet_key) {
      if (counted && n.counted++ == 0) n.first_counted = now;
      n.block_until = std::max(n.block_until, block_until);
      return;
    }
    if (n.fleet_key == 0) {
      if (s.used >= fill_) {
        if (counted) unshared_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      ++s.used;
      n = Noted{fleet_key, local_key, counted ? 1u : 0u, counted ? now : 0, block_until};
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

Nanos ClusterChannel::fleet_block(uint64_t fleet_key) {
  if (fleet_blocks_.load(std::memory_order_relaxed) == 0) return 0;
  if (fleet_key == 0) fleet_key = 1;
  Stripe& s = stripes_[fleet_key % kStripes];
  std::lock_guard lock(s.mutex);
  if (!s.blocks) return 0;
  for (size_t i = (fleet_key >> 32) & s.block_mask;; i = (i + 1) & s.block_mask) {
    const FleetBlock& b = s.blocks[i];
    if (b.fleet_key == fleet_key) return b.until;
    if (b.fleet_key == 0) return 0;
  }
}

void ClusterChannel::set_fleet_blocks(const std::vector<FleetBlock>& blocks) {
  size_t counts[kStripes] = {};
  for (const FleetBlock& b : blocks) ++counts[(b.fleet_key == 0 ? 1 : b.fleet_key) % kStripes];
  for (size_t k = 0; k < kStripes; ++k) {
    std::unique_ptr<FleetBlock[]> table;
    size_t mask = 0;
    if (counts[k] > 0) {
      // At most half full, so every probe ends at an empty slot soon.
      size_t capacity = std::bit_ceil(std::max<size_t>(8, 2 * counts[k]));
      mask = capacity - 1;
      table = std::make_unique<FleetBlock[]>(capacity);
      for (const FleetBlock& b : blocks) {
        uint64_t key = b.fleet_key == 0 ? 1 : b.fleet_key;
        if (key % kStripes != k) continue;
        for (size_t i = (key >> 32) & mask;; i = (i + 1) & mask) {
          if (table[i].fleet_key == key) {
            table[i].until = std::max(table[i].until, b.until);
            break;
          }
          if (table[i].fleet_key == 0) {
            table[i] = FleetBlock{key, b.until};
            break;
          }
        }
      }
    }
    Stripe& s = stripes_[k];
    {
      std::lock_guard lock(s.mutex);
      std::swap(s.blocks, table);
      s.block_mask = mask;
    }
    // The replaced table is freed here, outside the lock.
  }
  fleet_blocks_.store(blocks.size(), std::memory_order_relaxed);
}

}  // namespace rampart::ratelimit
