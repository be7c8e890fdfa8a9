#include "modules/ddos/top_k.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "modules/ddos/detector.h"

namespace rampart::modules::ddos {

uint64_t hash_value(std::string_view value) {
  // libstdc++'s string hash reads 8 bytes at a time. A collision only makes two values
  // share a counter; the rule still names the value that was stored.
  return std::hash<std::string_view>{}(value);
}

template <size_t Capacity>
void TopK<Capacity>::add(std::string_view value, uint64_t hash, uint32_t count, uint32_t error,
                         bool truncated) {
  for (size_t i = 0; i < size_; ++i) {
    if (hashes_[i] == hash) {
      counts_[i] += count;
      values_[i].error += error;
      return;
    }
  }
  size_t slot = size_;
  uint32_t inherited = 0;
  if (size_ < Capacity) {
    ++size_;
  } else {
    // Space-Saving: the new value replaces the smallest counter and inherits its count
    // as its possible over-estimate.
    slot = 0;
    for (size_t i = 1; i < Capacity; ++i) {
      if (counts_[i] < counts_[slot]) slot = i;
    }
    inherited = counts_[slot];
  }
  hashes_[slot] = hash;
  counts_[slot] = inherited + count;
  Stored& v = values_[slot];
  v.error = inherited + error;
  size_t n = std::min(value.size(), kMaxValueBytes);
  std::memcpy(v.text.data(), value.data(), n);
  v.length = static_cast<uint16_t>(n);
  v.truncated = truncated || value.size() > kMaxValueBytes;
}

template <size_t Capacity>
std::optional<TopKItem> TopK<Capacity>::top() const {
  std::optional<TopKItem> best;
  for (size_t i = 0; i < size_; ++i) {
    TopKItem item = (*this)[i];
    if (!best || item.guaranteed() > best->guaranteed()) best = item;
  }
  return best;
}

template <size_t N>
void ShareTable::learn(const TopK<N>& window, uint64_t total, double alpha) {
  if (total == 0) return;
  for (size_t i = 0; i < size_; ++i) entries_[i].share *= (1 - alpha);
  for (size_t k = 0; k < window.size(); ++k) {
    TopKItem w = window[k];
    double add = alpha * static_cast<double>(w.guaranteed()) / static_cast<double>(total);
    if (add <= 0) continue;
    size_t i = 0;
    while (i < size_ && entries_[i].hash != w.hash) ++i;
    if (i == size_) {
      if (size_ < kCapacity) {
        ++size_;
      } else {
        // Full: the value takes the place of the smallest share if it outweighs it.
        i = 0;
        for (size_t j = 1; j < kCapacity; ++j) {
          if (entries_[j].share < entries_[i].share) i = j;
        }
        if (entries_[i].share >= add) continue;
      }
      entries_[i] = {w.hash, 0};
    }
    entries_[i].share += add;
  }
}

double ShareTable::share(uint64_t hash) const {
  for (size_t i = 0; i < size_; ++i) {
    if (entries_[i].hash == hash) return entries_[i].share;
  }
  return 0;
}

template class TopK<kShardCapacity>;
template class TopK<kMergedCapacity>;
template void ShareTable::learn(const TopK<kMergedCapacity>&, uint64_t, double);

}  // namespace rampart::modules::ddos
