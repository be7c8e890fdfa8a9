#pragma once
// A 64-bit string hash of our own for the steering tables and affinity tokens:
// rampart_proxy does not link xxhash, and these only need good avalanche, not speed
// records. 8-byte chunks folded through the murmur3 finalizer; the tail is packed into
// one more chunk with the length mixed in so "a" and "a\0" differ.

#include <cstdint>
#include <cstring>
#include <string_view>

namespace rampart::proxy {

inline uint64_t fmix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

inline uint64_t hash64(std::string_view data, uint64_t seed) {
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ULL;
  uint64_t h = fmix64(seed ^ (data.size() * kMul));
  size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    uint64_t chunk;
    std::memcpy(&chunk, data.data() + i, 8);
    h = fmix64(h ^ (chunk * kMul)) + kMul;
  }
  uint64_t tail = 0;
  // memcpy from a null pointer is undefined even for zero bytes (an empty string_view).
  if (i < data.size()) std::memcpy(&tail, data.data() + i, data.size() - i);
  return fmix64(h ^ (tail * kMul) ^ data.size());
}

}  // namespace rampart::proxy
