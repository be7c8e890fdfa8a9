#include "ratelimit/key_hash.h"

#include <bit>
#include <cstring>
#include <random>

namespace rampart::ratelimit {
namespace {

// Odd constants with well-spread bits (from the digits of pi), only to make the
// stages differ; the secrecy is all in k0 and k1.
constexpr uint64_t kStage0 = 0x243f6a8885a308d3ull;
constexpr uint64_t kStage1 = 0x13198a2e03707345ull;
constexpr uint64_t kStage2 = 0xa4093822299f31d1ull;

// The 128-bit product of two words folded to 64 bits: every input bit reaches the
// middle of the result, and neither factor can be cancelled without knowing the key
// that was folded into it.
inline uint64_t fold(uint64_t a, uint64_t b) {
  unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

inline uint64_t load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}

}  // namespace

uint64_t KeyHasher::operator()(std::string_view bytes) const {
  const char* p = bytes.data();
  size_t n = bytes.size();
  uint64_t h = k0_ ^ (static_cast<uint64_t>(n) * kStage0);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) h = fold(load64(p + i) ^ k1_, load64(p + i + 8) ^ h ^ kStage1);
  // The last 0-15 bytes as two words; overlapping loads are fine because the length
  // is already in h, so no two inputs of one length give the same pair.
  size_t r = n - i;
  const char* t = p + i;
  uint64_t a = 0;
  uint64_t b = 0;
  if (r >= 8) {
    a = load64(t);
    b = load64(t + r - 8);
  } else if (r >= 4) {
    a = load32(t);
    b = load32(t + r - 4);
  } else if (r > 0) {
    a = static_cast<unsigned char>(t[0]);
    b = (static_cast<uint64_t>(static_cast<unsigned char>(t[r / 2])) << 8) |
        static_cast<unsigned char>(t[r - 1]);
  }
  h = fold(a ^ k1_ ^ kStage2, b ^ h);
  return fold(h ^ k0_, k1_ ^ kStage1);
}

const KeyHasher& KeyHasher::process() {
  static const KeyHasher hasher = [] {
    std::random_device rd;
    auto word = [&] { return (static_cast<uint64_t>(rd()) << 32) ^ rd(); };
    uint64_t k0 = word();
    uint64_t k1 = word();
    return KeyHasher(k0, k1);
  }();
  return hasher;
}

}  // namespace rampart::ratelimit
