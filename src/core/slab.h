#pragma once
// Fixed-size object slots carved from 64 KiB blocks, one free list per thread. Objects
// that live long (connections) are packed together instead of being scattered between
// short-lived buffers, which keeps the heap from fragmenting under many idle
// connections. Blocks are kept for reuse, never returned.

#include <cstddef>
#include <new>
#include <vector>

namespace rampart::core {

template <size_t kSize>
class SlabAllocator {
 public:
#if defined(__SANITIZE_ADDRESS__)
  // Under ASan every object gets its own allocation, so use-after-free and leaks of
  // individual objects are caught (a slab would hide both).
  static void* allocate() {
    return ::operator new(kSize);
  }
  static void deallocate(void* p) {
    ::operator delete(p);
  }
#else
  static void* allocate() {
    Slab& slab = local();
    if (slab.free_list == nullptr) slab.grow();
    FreeSlot* slot = slab.free_list;
    slab.free_list = slot->next;
    return slot;
  }
  // Must be called on the thread that allocated `p` (workers never migrate objects).
  static void deallocate(void* p) {
    Slab& slab = local();
    auto* slot = static_cast<FreeSlot*>(p);
    slot->next = slab.free_list;
    slab.free_list = slot;
  }
#endif

 private:
  struct FreeSlot {
    FreeSlot* next;
  };
  static constexpr size_t kAlign = alignof(std::max_align_t);
  static constexpr size_t kSlot = (kSize + kAlign - 1) / kAlign * kAlign;
  static constexpr size_t kBlock = 64 * 1024;

  struct Slab {
    FreeSlot* free_list = nullptr;
    std::vector<void*> blocks;
    void grow() {
      char* block = static_cast<char*>(::operator new(kBlock));
      blocks.push_back(block);
      for (size_t off = 0; off + kSlot <= kBlock; off += kSlot) {
        auto* slot = reinterpret_cast<FreeSlot*>(block + off);
        slot->next = free_list;
        free_list = slot;
      }
    }
  };
  static Slab& local() {
    thread_local Slab slab;
    return slab;
  }
};

}  // namespace rampart::core
