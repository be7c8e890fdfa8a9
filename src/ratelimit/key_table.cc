#include "ratelimit/key_table.h"

#include <thread>

namespace rampart::ratelimit {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

KeyTable::KeyTable(size_t max_keys)
    : set_count_(std::max<size_t>(1, (std::max<size_t>(max_keys, 1) * 3 + kWays - 1) / kWays)),
      sets_(new Set[set_count_]) {}

KeyTable::Guard::Guard(std::atomic<uint32_t>& lock) : lock_(lock) {
  // Held for a few dozen instructions: spin, and yield only if the holder was
  // descheduled.
  for (unsigned spins = 0;; ++spins) {
    if (lock_.load(std::memory_order_relaxed) == 0 &&
        lock_.exchange(1, std::memory_order_acquire) == 0) {
      return;
    }
    if (spins < 64) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
}

size_t KeyTable::live_keys(Nanos now) const {
  size_t n = 0;
  for (size_t s = 0; s < set_count_; ++s) {
    Set& set = sets_[s];
    Guard guard(set.lock);
    for (size_t i = 0; i < kWays; ++i) {
      if (set.keys[i] != 0 && !gcra::is_idle(set.words[i], now)) ++n;
    }
  }
  return n;
}

}  // namespace rampart::ratelimit
