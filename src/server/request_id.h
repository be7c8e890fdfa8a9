#pragma once
// Request ids: 16 hex digits, unique per process run, cheap to make on the hot path.

#include <cstdint>
#include <random>

namespace rampart::server {

class RequestIdGenerator {
 public:
  RequestIdGenerator() {
    std::random_device rd;
    state_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }
  // Writes 16 hex digits into `out`.
  void next(char (&out)[16]) {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; --i) {
      out[i] = kHex[z & 0xf];
      z >>= 4;
    }
  }

 private:
  uint64_t state_;
};

}  // namespace rampart::server
