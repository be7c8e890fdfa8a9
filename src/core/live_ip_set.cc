#include "core/live_ip_set.h"

#include <chrono>
#include <thread>

namespace rampart::core {

namespace {
std::atomic<size_t> g_next_reader_slot{0};
}

LiveIpSet::LiveIpSet(std::shared_ptr<const IpRangeSet> set, bool live) : live_(live) {
  if (set == nullptr) set = std::make_shared<const IpRangeSet>();
  if (live_) {
    current_.store(set.get(), std::memory_order_seq_cst);
    owner_ = std::move(set);
  } else {
    fixed_ = std::move(set);
  }
}

// Each thread takes the next slot the first time it reads any live set, so a few
// workers each write a cache line of their own.
size_t LiveIpSet::reader_slot() {
  thread_local size_t slot = g_next_reader_slot.fetch_add(1, std::memory_order_relaxed) % kSlots;
  return slot;
}

bool LiveIpSet::readers_gone() const {
  // A reader that loaded an older pointer incremented its counter before that load, so
  // it shows here until it is done; a reader that starts after its slot was seen at
  // zero loads the new pointer (both sides are sequentially consistent).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  for (const Slot& slot : slots_) {
    while (slot.readers.load(std::memory_order_seq_cst) != 0) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
  }
  return true;
}

void LiveIpSet::publish(std::shared_ptr<const IpRangeSet> set) {
  if (!live_ || set == nullptr) return;
  std::lock_guard lock(mu_);
  if (set == owner_) return;
  retired_.push_back(std::move(owner_));
  owner_ = std::move(set);
  current_.store(owner_.get(), std::memory_order_seq_cst);
  if (readers_gone()) retired_.clear();
}

std::shared_ptr<const IpRangeSet> LiveIpSet::get() const {
  if (!live_) return fixed_;
  std::lock_guard lock(mu_);
  return owner_;
}

}  // namespace rampart::core
