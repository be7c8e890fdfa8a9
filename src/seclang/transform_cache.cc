#include "seclang/transform_cache.h"

namespace rampart::seclang {

size_t TransformCache::home(const void* source, size_t size, uint32_t chain) const {
  uint64_t x = reinterpret_cast<uintptr_t>(source) ^ (uint64_t{size} << 40) ^
               (uint64_t{chain} * 0xFF51AFD7ED558CCDull);
  x *= 0x9E3779B97F4A7C15ull;
  x ^= x >> 29;
  return static_cast<size_t>(x) & (slots_.size() - 1);
}

void TransformCache::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? kInitialSlots : old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.generation != generation_) continue;
    size_t i = home(s.source, s.size, s.chain);
    while (slots_[i].generation == generation_) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

std::pair<TransformCacheEntry*, bool> TransformCache::find_or_add(const void* source, size_t size,
                                                                  uint32_t chain) {
  if ((used_ + 1) * 2 > slots_.size()) grow();
  const size_t mask = slots_.size() - 1;
  size_t i = home(source, size, chain);
  while (slots_[i].generation == generation_) {
    const Slot& s = slots_[i];
    if (s.source == source && s.size == size && s.chain == chain) {
      return {&chunks_[s.entry / kChunk][s.entry % kChunk], false};
    }
    i = (i + 1) & mask;
  }
  auto index = static_cast<uint32_t>(used_);
  if (index / kChunk == chunks_.size()) {
    chunks_.push_back(std::make_unique<TransformCacheEntry[]>(kChunk));
  }
  slots_[i] = Slot{source, size, chain, index, generation_};
  ++used_;
  return {&chunks_[index / kChunk][index % kChunk], true};
}

void TransformCache::reset() {
  // Entries past `used_` were reset when they were last released.
  for (size_t i = 0; i < used_; ++i) chunks_[i / kChunk][i % kChunk].reset(kKeptText);
  if (chunks_.size() > kKeptChunks) chunks_.resize(kKeptChunks);
  used_ = 0;
  if (slots_.size() > kKeptSlots) {
    std::vector<Slot>().swap(slots_);
    generation_ = 1;
    return;
  }
  // A new generation empties every slot without touching them; when the counter wraps,
  // old slots could look current, so they are cleared once.
  if (++generation_ == 0) {
    slots_.assign(slots_.size(), Slot{});
    generation_ = 1;
  }
}

}  // namespace rampart::seclang
