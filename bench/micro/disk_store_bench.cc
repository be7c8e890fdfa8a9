// The cache's disk tier: a load (read, verify, build the object) of a 4 KiB and a
// 64 KiB object from a warm page cache, and open()'s index rebuild over 10,000 files.
// The files live under /tmp and are removed at the end.

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cache/disk_store.h"

namespace rampart::cache {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char pattern[] = "/tmp/rampart-disk-bench-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::shared_ptr<const CachedObject> object_of(size_t body_bytes) {
  static const std::vector<http::Header> headers = {
      {"Content-Type", "text/html; charset=utf-8"},
      {"Cache-Control", "public, max-age=3600"},
      {"ETag", "\"33a64df551425fcc55e4d42a148795d9f25f89d4\""}};
  return std::make_shared<CachedObject>(200, headers, std::string(body_bytes, 'x'), 0, 0,
                                        std::vector<std::string>{"product-1"});
}

DiskStoreOptions options_for(const std::string& dir) {
  DiskStoreOptions o;
  o.directory = dir + "/cache";
  o.capacity_bytes = 1ull << 30;
  o.max_object_bytes = 1 << 20;
  o.queue_objects = 20'000;
  o.queue_bytes = 1ull << 30;
  return o;
}

// Arg: body bytes.
void DiskLoad(benchmark::State& state) {
  TempDir dir;
  DiskStore store(options_for(dir.path));
  if (!store.open().ok) {
    state.SkipWithError("open failed");
    return;
  }
  const std::string key = "https://shop.example/product/1";
  store.store_async(key, object_of(static_cast<size_t>(state.range(0))));
  store.drain(std::chrono::seconds(10));
  if (store.load(key) == nullptr) {
    state.SkipWithError("not stored");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(store.load(key));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(DiskLoad)->Arg(4 << 10)->Arg(64 << 10);

// Arg: objects already on disk (1 KiB bodies). Each iteration is a fresh store's open().
void DiskOpen(benchmark::State& state) {
  TempDir dir;
  const DiskStoreOptions options = options_for(dir.path);
  {
    DiskStore store(options);
    if (!store.open().ok) {
      state.SkipWithError("open failed");
      return;
    }
    const auto object = object_of(1024);
    for (int64_t i = 0; i < state.range(0); ++i) {
      store.store_async("https://shop.example/product/" + std::to_string(i), object);
    }
    store.drain(std::chrono::seconds(60));
  }
  uint64_t objects = 0;
  for (auto _ : state) {
    DiskStore store(options);
    objects = store.open().objects;
  }
  state.counters["objects"] = static_cast<double>(objects);
}
BENCHMARK(DiskOpen)->Arg(10'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rampart::cache
