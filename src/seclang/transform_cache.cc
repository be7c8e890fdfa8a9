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
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.source == nullptr) continue;
    size_t i = home(s.source, s.size, s.chain);
    while (slots_[i].source != nullptr) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

std::pair<TransformCacheEntry*, bool> TransformCache::find_or_add(const void* source, size_t size,
                                                                  uint32_t chain) {
  if ((used_ + 1) * 2 > slots_.size()) grow();
  const size_t mask = slots_.size() - 1;
  size_t i = home(source, size, chain);
  while (slots_[i].source != nullptr) {
    const Slot& s = slots_[i];
    if (s.source == source && s.size == size && s.chain == chain) {
      return {&chunks_[s.entry / kChunk][s.entry % kChunk], false};
    }
    i = (i + 1) & mask;
  }
  auto index = static_cast<uint32_t>(used_);
  if (index % kChunk == 0) chunks_.push_back(std::make_unique<TransformCacheEntry[]>(kChunk));
  slots_[i] = Slot{source, size, chain, index};
  ++used_;
  return {&chunks_[index / kChunk][index % kChunk], true};
}

}  // namespace rampart::seclang
