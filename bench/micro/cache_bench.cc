// The cache's memory tier: hit ratio of S3-FIFO against plain LRU on Zipf traffic over
// more objects than fit, the cost of a lookup and an insert, and the memory an object
// costs beyond its own bytes.

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cache/memory_store.h"

namespace rampart::cache {
namespace {

constexpr size_t kKeys = 100'000;
constexpr size_t kRequests = 1'000'000;
constexpr size_t kBodyBytes = 1'000;

std::string key_of(size_t i) {
  std::string k = "https://shop.example/product/";
  k += std::to_string(i);
  return k;
}

std::shared_ptr<const CachedObject> object_of(size_t body_bytes) {
  static const std::vector<http::Header> headers = {
      {"Content-Type", "text/html; charset=utf-8"},
      {"Cache-Control", "public, max-age=3600"},
      {"ETag", "\"33a64df551425fcc55e4d42a148795d9f25f89d4\""}};
  return std::make_shared<CachedObject>(200, headers, std::string(body_bytes, 'x'), 0, 0);
}

// A Zipf trace over kKeys keys (skew `s`), fixed by its seed so every policy sees the
// same requests.
std::vector<uint32_t> zipf_trace(double s) {
  std::vector<double> cdf(kKeys);
  double sum = 0;
  for (size_t i = 0; i < kKeys; ++i)
    cdf[i] = (sum += 1.0 / std::pow(static_cast<double>(i + 1), s));
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, sum);
  std::vector<uint32_t> trace(kRequests);
  for (auto& t : trace)
    t = static_cast<uint32_t>(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin());
  return trace;
}

// Args: policy (0 S3-FIFO, 1 LRU), cache size in percent of the key set, skew x100.
void HitRatio(benchmark::State& state) {
  auto eviction = state.range(0) == 0 ? Eviction::kS3Fifo : Eviction::kLru;
  double skew = static_cast<double>(state.range(2)) / 100.0;
  static std::vector<uint32_t> trace;
  static double trace_skew = -1;
  if (trace_skew != skew) {
    trace = zipf_trace(skew);
    trace_skew = skew;
  }
  std::vector<std::string> keys(kKeys);
  for (size_t i = 0; i < kKeys; ++i) keys[i] = key_of(i);
  auto object = object_of(kBodyBytes);
  size_t per_object = object->charge() + keys[0].size() + 64;
  MemoryStoreOptions options;
  options.capacity_bytes = per_object * kKeys * static_cast<size_t>(state.range(1)) / 100;
  options.eviction = eviction;
  double hit_ratio = 0;
  for (auto _ : state) {
    MemoryStore store(options);
    size_t hits = 0;
    for (uint32_t k : trace) {
      if (store.find(keys[k])) {
        ++hits;
      } else {
        store.insert(keys[k], object);  // one shared object: the budget counts its charge
      }
    }
    hit_ratio = static_cast<double>(hits) / static_cast<double>(trace.size());
  }
  state.counters["hit_ratio"] = hit_ratio;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * trace.size()));
}
BENCHMARK(HitRatio)
    ->ArgNames({"lru", "size_pct", "zipf_x100"})
    ->Args({0, 1, 90})
    ->Args({1, 1, 90})
    ->Args({0, 5, 90})
    ->Args({1, 5, 90})
    ->Args({0, 10, 90})
    ->Args({1, 10, 90})
    ->Args({0, 5, 70})
    ->Args({1, 5, 70})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void FindHit(benchmark::State& state) {
  MemoryStoreOptions options;
  options.capacity_bytes = 1u << 30;
  MemoryStore store(options);
  std::vector<std::string> keys;
  for (size_t i = 0; i < 10'000; ++i) {
    keys.push_back(key_of(i));
    store.insert(keys.back(), object_of(100));
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(store.find(keys[i]));
    i = i + 1 == keys.size() ? 0 : i + 1;
  }
}
BENCHMARK(FindHit);

void InsertEvicting(benchmark::State& state) {
  MemoryStoreOptions options;
  options.capacity_bytes = 16u << 20;
  MemoryStore store(options);
  auto object = object_of(kBodyBytes);
  std::vector<std::string> keys;
  for (size_t i = 0; i < kKeys; ++i) keys.push_back(key_of(i));
  size_t i = 0;
  for (auto _ : state) {
    store.insert(keys[i], object);
    i = i + 1 == keys.size() ? 0 : i + 1;
  }
}
BENCHMARK(InsertEvicting);

// Purging 100,000 objects that share a Cache-Tag out of a store of 200,000.
void PurgeTag100k(benchmark::State& state) {
  auto tagged =
      std::make_shared<CachedObject>(200, std::span<const http::Header>(), std::string(100, 'x'), 0,
                                     0, std::vector<std::string>{"product"});
  auto other = object_of(100);
  std::vector<std::string> keys;
  for (size_t i = 0; i < 200'000; ++i) keys.push_back(key_of(i));
  size_t purged = 0;
  for (auto _ : state) {
    state.PauseTiming();
    MemoryStoreOptions options;
    options.capacity_bytes = size_t{4} << 30;
    auto store = std::make_unique<MemoryStore>(options);
    for (size_t i = 0; i < keys.size(); ++i) store->insert(keys[i], i % 2 ? tagged : other);
    state.ResumeTiming();
    purged = store->purge_tag("product");
    state.PauseTiming();
    store.reset();
    state.ResumeTiming();
  }
  state.counters["purged"] = static_cast<double>(purged);
}
BENCHMARK(PurgeTag100k)->Unit(benchmark::kMillisecond);

// Heap bytes per stored object beyond its body: headers, key, index and queue links.
void MemoryPerObject(benchmark::State& state) {
  constexpr size_t kObjects = 100'000;
  constexpr size_t kBody = 200;
  double overhead = 0;
  for (auto _ : state) {
    size_t before = mallinfo2().uordblks;
    {
      MemoryStoreOptions options;
      options.capacity_bytes = size_t{4} << 30;
      MemoryStore store(options);
      for (size_t i = 0; i < kObjects; ++i) store.insert(key_of(i), object_of(kBody));
      size_t after = mallinfo2().uordblks;
      overhead = (static_cast<double>(after - before) - static_cast<double>(kObjects * kBody)) /
                 static_cast<double>(kObjects);
    }
  }
  state.counters["bytes_per_object"] = overhead;
}
BENCHMARK(MemoryPerObject)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rampart::cache
