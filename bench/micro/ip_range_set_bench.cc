// IpRangeSet lookups on million-entry lists, plus the cost of building and loading one.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/ip_range_set.h"

namespace rampart::core {
namespace {

constexpr size_t kEntries = 1'000'000;
constexpr size_t kProbes = 1 << 20;  // power of two: the probe cursor wraps with a mask

IpAddress v4_address(uint32_t v) {
  IpAddress a;
  a.bytes[10] = a.bytes[11] = 0xff;
  for (int k = 0; k < 4; ++k) a.bytes[12 + k] = static_cast<uint8_t>(v >> (24 - 8 * k));
  a.v4 = true;
  return a;
}

// 70% /32s, the rest /20../31, anywhere in the space: a few percent of it covered.
std::vector<Cidr> v4_list(std::mt19937_64& rng) {
  std::vector<Cidr> out;
  out.reserve(kEntries);
  for (size_t i = 0; i < kEntries; ++i) {
    Cidr c;
    c.prefix_len = rng() % 10 < 7 ? 32 : 20 + static_cast<int>(rng() % 12);
    uint32_t host = c.prefix_len == 32 ? 0 : ~uint32_t{0} >> c.prefix_len;
    c.base = v4_address(static_cast<uint32_t>(rng()) & ~host);
    out.push_back(c);
  }
  return out;
}

// Global unicast 2000::/3: half /128s, half /32../64 (the sizes feeds list).
std::vector<Cidr> v6_list(std::mt19937_64& rng) {
  std::vector<Cidr> out;
  out.reserve(kEntries);
  for (size_t i = 0; i < kEntries; ++i) {
    Cidr c;
    for (auto& b : c.base.bytes) b = static_cast<uint8_t>(rng());
    c.base.bytes[0] = static_cast<uint8_t>(0x20 | (c.base.bytes[0] & 0x1f));
    c.prefix_len = rng() % 2 ? 128 : 32 + static_cast<int>(rng() % 33);
    for (int bit = c.prefix_len; bit < 128; ++bit) {
      c.base.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
    }
    out.push_back(c);
  }
  return out;
}

IpAddress random_inside(const Cidr& c, std::mt19937_64& rng) {
  IpAddress a = c.base;
  int bits = c.base.v4 ? 96 + c.prefix_len : c.prefix_len;
  for (int bit = bits; bit < 128; ++bit) {
    if (rng() & 1) a.bytes[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
  }
  return a;
}

struct Fixture {
  std::vector<Cidr> cidrs;
  IpRangeSet set;
  std::vector<IpAddress> hits;
  std::vector<IpAddress> misses;
};

Fixture make_fixture(bool v6) {
  std::mt19937_64 rng(v6 ? 66 : 44);
  Fixture f;
  f.cidrs = v6 ? v6_list(rng) : v4_list(rng);
  IpRangeSet::Builder builder;
  for (const Cidr& c : f.cidrs) builder.add(c);
  f.set = std::move(builder).build();
  while (f.hits.size() < kProbes) f.hits.push_back(random_inside(f.cidrs[rng() % kEntries], rng));
  while (f.misses.size() < kProbes) {
    IpAddress a = v6 ? random_inside(Cidr{IpAddress{.bytes = {0x20}}, 3}, rng)
                     : v4_address(static_cast<uint32_t>(rng()));
    if (!f.set.contains(a)) f.misses.push_back(a);
  }
  return f;
}

const Fixture& fixture(bool v6) {
  static const Fixture v4_fixture = make_fixture(false);
  static const Fixture v6_fixture = make_fixture(true);
  return v6 ? v6_fixture : v4_fixture;
}

// Independent lookups: throughput, as a worker sees them across many requests.
void BM_IpRangeSet_Contains(benchmark::State& state, bool v6, bool hit) {
  const Fixture& f = fixture(v6);
  const std::vector<IpAddress>& probes = hit ? f.hits : f.misses;
  size_t i = 0;
  size_t found = 0;
  for (auto _ : state) {
    found += f.set.contains(probes[i++ & (kProbes - 1)]);
  }
  benchmark::DoNotOptimize(found);
  size_t expected = hit ? static_cast<size_t>(state.iterations()) : 0;
  if (found != expected) state.SkipWithError("wrong lookup result");
  state.SetItemsProcessed(state.iterations());
  state.counters["ranges"] = static_cast<double>(f.set.range_count());
  state.counters["MiB"] = static_cast<double>(f.set.memory_bytes()) / (1 << 20);
}

// Each probe's position depends on the previous result: latency of one cold lookup.
void BM_IpRangeSet_ContainsLatency(benchmark::State& state, bool v6) {
  const Fixture& f = fixture(v6);
  size_t i = 0;
  for (auto _ : state) {
    bool found = f.set.contains(f.hits[i & (kProbes - 1)]);
    i = i * 0x9E3779B97F4A7C15ull + 1 + found;
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_IpRangeSet_Contains, v4_hit, false, true);
BENCHMARK_CAPTURE(BM_IpRangeSet_Contains, v4_miss, false, false);
BENCHMARK_CAPTURE(BM_IpRangeSet_Contains, v6_hit, true, true);
BENCHMARK_CAPTURE(BM_IpRangeSet_Contains, v6_miss, true, false);
BENCHMARK_CAPTURE(BM_IpRangeSet_ContainsLatency, v4, false);
BENCHMARK_CAPTURE(BM_IpRangeSet_ContainsLatency, v6, true);

void BM_IpRangeSet_Build(benchmark::State& state, bool v6) {
  const Fixture& f = fixture(v6);
  for (auto _ : state) {
    IpRangeSet::Builder builder;
    for (const Cidr& c : f.cidrs) builder.add(c);
    IpRangeSet set = std::move(builder).build();
    benchmark::DoNotOptimize(set);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(f.cidrs.size()));
}
BENCHMARK_CAPTURE(BM_IpRangeSet_Build, v4_1m, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_IpRangeSet_Build, v6_1m, true)->Unit(benchmark::kMillisecond);

// load_ip_list_file on a 1M-line file (from the page cache): read, parse, build.
void BM_IpRangeSet_LoadFile(benchmark::State& state, bool v6) {
  const Fixture& f = fixture(v6);
  std::string path = (std::filesystem::temp_directory_path() /
                      ("rampart_ip_list_bench_" + std::to_string(::getpid()) + ".txt"))
                         .string();
  {
    std::ofstream out(path);
    for (const Cidr& c : f.cidrs)
      out << (c.prefix_len == (v6 ? 128 : 32) ? c.base.to_string() : c.to_string()) << '\n';
  }
  for (auto _ : state) {
    IpListLoad load = load_ip_list_file(path, kEntries, size_t{1} << 30);
    if (!load.set) state.SkipWithError(load.errors.at(0).to_string().c_str());
    benchmark::DoNotOptimize(load);
  }
  state.counters["MiB_file"] = static_cast<double>(std::filesystem::file_size(path)) / (1 << 20);
  std::filesystem::remove(path);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(f.cidrs.size()));
}
BENCHMARK_CAPTURE(BM_IpRangeSet_LoadFile, v4_1m, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_IpRangeSet_LoadFile, v6_1m, true)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rampart::core
