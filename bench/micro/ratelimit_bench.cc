// The rate-limit decision per request: a clock reading (the module's clock,
// ratelimit/clock.h), hashing the key (an IPv4
// address's 16 bytes, as the module hashes ip.src) and one GCRA decision in the
// shared table.

#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <random>
#include <vector>

#include "ratelimit/clock.h"
#include "ratelimit/key_hash.h"
#include "ratelimit/key_table.h"

namespace rampart::ratelimit {
namespace {

constexpr size_t kTableKeys = 1'000'000;
constexpr size_t kProbes = 1 << 16;  // power of two: the cursor wraps with a mask

struct Fixture {
  Limiter limiter{*Policy::make(60 * kSecond, 100, 0), kTableKeys};
  std::vector<std::array<char, 16>> keys;  // client addresses as 16 bytes

  explicit Fixture(size_t distinct) {
    std::mt19937_64 rng(7);
    keys.resize(kProbes);
    for (auto& k : keys) {
      uint32_t v4 = static_cast<uint32_t>(rng() % distinct);
      std::memset(k.data(), 0, k.size());
      k[10] = k[11] = static_cast<char>(0xff);
      std::memcpy(k.data() + 12, &v4, 4);
    }
  }
};

Fixture& fixture(size_t distinct) {
  // One per key spread, shared by the threads of a multi-threaded run as the
  // workers of a node share one table.
  static Fixture many(kTableKeys);
  static Fixture some(10'000);
  static Fixture one(1);
  return distinct == 1 ? one : distinct == 10'000 ? some : many;
}

void run(benchmark::State& state, size_t distinct) {
  Fixture& f = fixture(distinct);
  const KeyHasher& hasher = KeyHasher::process();
  size_t cursor = static_cast<size_t>(state.thread_index()) * 7919;
  Nanos now = 0;
  uint64_t allowed = 0;
  for (auto _ : state) {
    const auto& k = f.keys[cursor++ & (kProbes - 1)];
    // In the module's order: hash, prefetch the set, read the clock (once per request).
    uint64_t key = hasher({k.data(), k.size()});
    f.limiter.prefetch(key);
    now = decision_clock();
    Decision d = f.limiter.acquire(key, now);
    allowed += d.allowed;
  }
  benchmark::DoNotOptimize(allowed);
  state.SetItemsProcessed(state.iterations());
}

// A million distinct clients in a table sized for a million: nearly every decision
// misses the CPU caches (the table is ~51 MB).
void RateLimitDecisionManyKeys(benchmark::State& state) {
  run(state, kTableKeys);
}
// 10,000 active clients in the same size of table: their sets stay in the caches.
void RateLimitDecision10kKeys(benchmark::State& state) {
  run(state, 10'000);
}
// Every request from one client: the hottest set's lock, contended across threads.
void RateLimitDecisionOneKey(benchmark::State& state) {
  run(state, 1);
}

BENCHMARK(RateLimitDecisionManyKeys)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(RateLimitDecision10kKeys)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(RateLimitDecisionOneKey)->Threads(1)->Threads(2)->UseRealTime();

void RateLimitKeyHash(benchmark::State& state) {
  const KeyHasher& hasher = KeyHasher::process();
  char key[16] = "198.51.100.7";
  uint64_t h = 0;
  for (auto _ : state) {
    key[0] = static_cast<char>(h);
    h += hasher({key, sizeof key});
  }
  benchmark::DoNotOptimize(h);
}
BENCHMARK(RateLimitKeyHash);

}  // namespace
}  // namespace rampart::ratelimit
