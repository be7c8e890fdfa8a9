#include "ratelimit/key_table.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>
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

constexpr size_t kHugePage = size_t{2} << 20;

// Tables of a huge page or more are allocated in whole huge pages; smaller ones as is.
size_t table_bytes(size_t sets, size_t set_size) {
  size_t bytes = sets * set_size;
  if (bytes < kHugePage) return bytes;
  return (bytes + kHugePage - 1) / kHugePage * kHugePage;
}

KeyTable::KeyTable(size_t max_keys)
    : set_count_(std::max<size_t>(1, (std::max<size_t>(max_keys, 1) * 4 + kWays - 1) / kWays)),
      sets_(nullptr, Release{table_bytes(set_count_, sizeof(Set))}) {
  // Every decision lands on a random set, so in a large table nearly every one would
  // also miss the TLB; on huge pages (where the kernel grants them) it mostly does not.
  size_t bytes = sets_.get_deleter().bytes;
  bool huge = bytes >= kHugePage;
  void* memory = std::aligned_alloc(huge ? kHugePage : alignof(Set), bytes);
  if (memory == nullptr) throw std::bad_alloc();  // at config load, never per request
#ifdef MADV_HUGEPAGE
  if (huge) madvise(memory, bytes, MADV_HUGEPAGE);
#endif
  Set* sets = static_cast<Set*>(memory);
  for (size_t i = 0; i < set_count_; ++i) new (&sets[i]) Set();
  sets_.reset(sets);
}

void KeyTable::Release::operator()(Set* sets) const {
  std::free(sets);  // Set is trivially destructible but for its atomic: nothing to run
}

KeyTable::Guard::Guard(std::atomic<uint32_t>& lock) : lock_(lock) {
  // Held for a few dozen instructions: spin, and yield only if the holder was
  // descheduled. The first attempt writes at once: the set was prefetched for
  // writing, and a read first would only ask for the line twice.
  if (lock_.exchange(1, std::memory_order_acquire) == 0) return;
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
