#include "ratelimit/key_hash.h"

#include <bit>
#include <cstring>
#include <random>

namespace rampart::ratelimit {
namespace {

constexpr uint64_t rotl(uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

struct SipState {
  uint64_t v0, v1, v2, v3;

  void round() {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }

  void absorb(uint64_t m) {
    v3 ^= m;
    round();  // one compression round: SipHash-1-3
    v0 ^= m;
  }
};

uint64_t load_le(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

}  // namespace

uint64_t KeyHasher::operator()(std::string_view bytes) const {
  SipState s{k0_ ^ 0x736f6d6570736575ull, k1_ ^ 0x646f72616e646f6dull, k0_ ^ 0x6c7967656e657261ull,
             k1_ ^ 0x7465646279746573ull};
  const char* p = bytes.data();
  size_t n = bytes.size();
  size_t whole = n & ~size_t{7};
  for (size_t i = 0; i < whole; i += 8) s.absorb(load_le(p + i));
  uint64_t last = static_cast<uint64_t>(n & 0xff) << 56;
  for (size_t i = 0; i < (n & 7); ++i) {
    last |= static_cast<uint64_t>(static_cast<unsigned char>(p[whole + i])) << (8 * i);
  }
  s.absorb(last);
  s.v2 ^= 0xff;
  s.round();
  s.round();
  s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
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
