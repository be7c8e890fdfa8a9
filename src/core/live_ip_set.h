#pragma once
// An IP list whose contents may be replaced while workers read it: a named list backed
// by a file that is polled as a data feed. Readers never lock and never touch a shared
// reference count: each reads one atomic pointer, bracketed by an increment and a
// decrement of a reader counter in a cache line that (usually) only its own thread
// writes. The writer swaps the pointer and frees the previous set only once every
// counter has been seen at zero after the swap, so no reader can still hold it.
//
// A list written inline in the config is a fixed set: `contains` then skips the
// counters altogether.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/ip.h"
#include "core/ip_range_set.h"

namespace rampart::core {

class LiveIpSet {
 public:
  // `live`: the set may be replaced later with publish().
  LiveIpSet(std::shared_ptr<const IpRangeSet> set, bool live);
  LiveIpSet(const LiveIpSet&) = delete;
  LiveIpSet& operator=(const LiveIpSet&) = delete;

  bool live() const { return live_; }

  bool contains(const IpAddress& ip) const {
    if (!live_) return fixed_->contains(ip);
    Slot& slot = slots_[reader_slot()];
    slot.readers.fetch_add(1, std::memory_order_seq_cst);
    bool hit = current_.load(std::memory_order_seq_cst)->contains(ip);
    slot.readers.fetch_sub(1, std::memory_order_release);
    return hit;
  }

  // Replaces the set (a live one only; a fixed set ignores it). Waits a bounded time
  // for readers of the previous set to finish; one still read then is freed by a later
  // publish or with this object.
  void publish(std::shared_ptr<const IpRangeSet> set);

  // The set that serves now, for code off the request path (unions, admin views).
  std::shared_ptr<const IpRangeSet> get() const;

 private:
  static constexpr size_t kSlots = 32;
  struct alignas(64) Slot {
    std::atomic<uint32_t> readers{0};
  };
  static size_t reader_slot();
  bool readers_gone() const;

  const bool live_;
  std::shared_ptr<const IpRangeSet> fixed_;  // the set of a fixed list
  mutable Slot slots_[kSlots];
  std::atomic<const IpRangeSet*> current_{nullptr};
  mutable std::mutex mu_;                    // the writer's side below
  std::shared_ptr<const IpRangeSet> owner_;  // keeps *current_ alive
  std::vector<std::shared_ptr<const IpRangeSet>> retired_;
};

}  // namespace rampart::core
