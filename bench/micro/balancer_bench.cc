// The origin phase's steering: proxy::Balancer::pick plus the on_start/on_finish
// bookkeeping a forwarded request does, per policy, for pools of 4 and 64 endpoints.
// One thread (the W=1 case: no contention on the shared atomics or the round-robin lock).
// 16 requests are kept in flight (a ring: each iteration starts one and finishes the
// oldest), so least_outstanding and p2c compare real in-flight counts instead of ties.

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/balancer.h"

namespace rampart::proxy {
namespace {

constexpr size_t kInFlight = 16;
constexpr size_t kKeys = 1024;  // power of two: the key cursor wraps with a mask

std::vector<EndpointSpec> endpoints(size_t n) {
  std::vector<EndpointSpec> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(
        {"10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + ":8080", 1});
  }
  return out;
}

// The per-worker random number the server passes in: a cheap xorshift, like a worker's.
uint64_t next_random(uint64_t& s) {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

void run(benchmark::State& state, Steering steering) {
  const size_t n = static_cast<size_t>(state.range(0));
  Balancer balancer(steering, endpoints(n));
  std::vector<std::string> keys;  // hash keys (kHash): request paths
  keys.reserve(kKeys);
  for (size_t i = 0; i < kKeys; ++i) keys.push_back("/app/item/" + std::to_string(i * 7919));
  std::array<std::optional<size_t>, kInFlight> ring{};
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  uint64_t ttfb = 800;
  size_t cursor = 0;
  uint64_t misses = 0;
  for (auto _ : state) {
    auto& slot = ring[cursor % kInFlight];
    if (slot) {
      ttfb = 700 + (ttfb * 31 + *slot) % 300;  // varied TTFB samples for the latency EWMA
      balancer.on_finish(*slot, ttfb);
    }
    std::optional<size_t> pick = balancer.pick(keys[cursor & (kKeys - 1)], {}, next_random(seed));
    if (pick) {
      balancer.on_start(*pick);
    } else {
      ++misses;
    }
    slot = pick;
    ++cursor;
    benchmark::DoNotOptimize(pick);
  }
  for (auto& slot : ring) {
    if (slot) balancer.on_finish(*slot, std::nullopt);
  }
  if (misses > 0) state.SkipWithError("pick found no endpoint");
}

void BM_Balancer_RoundRobin(benchmark::State& state) {
  run(state, Steering::kRoundRobin);
}
BENCHMARK(BM_Balancer_RoundRobin)->Arg(4)->Arg(64);

void BM_Balancer_Random(benchmark::State& state) {
  run(state, Steering::kRandom);
}
BENCHMARK(BM_Balancer_Random)->Arg(4)->Arg(64);

void BM_Balancer_LeastOutstanding(benchmark::State& state) {
  run(state, Steering::kLeastOutstanding);
}
BENCHMARK(BM_Balancer_LeastOutstanding)->Arg(4)->Arg(64);

void BM_Balancer_PowerOfTwo(benchmark::State& state) {
  run(state, Steering::kPowerOfTwo);
}
BENCHMARK(BM_Balancer_PowerOfTwo)->Arg(4)->Arg(64);

void BM_Balancer_Latency(benchmark::State& state) {
  run(state, Steering::kLatency);
}
BENCHMARK(BM_Balancer_Latency)->Arg(4)->Arg(64);

void BM_Balancer_Hash(benchmark::State& state) {
  run(state, Steering::kHash);
}
BENCHMARK(BM_Balancer_Hash)->Arg(4)->Arg(64);

}  // namespace
}  // namespace rampart::proxy
