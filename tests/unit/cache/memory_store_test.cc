// The memory tier: budget, replacement, purges, and S3-FIFO keeping popular objects
// through a scan that flushes plain LRU.

#include "cache/memory_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using rampart::cache::CachedObject;
using rampart::cache::Eviction;
using rampart::cache::MemoryStore;
using rampart::cache::MemoryStoreOptions;

std::shared_ptr<const CachedObject> object(size_t body_bytes, std::vector<std::string> tags = {},
                                           char fill = 'x') {
  std::vector<rampart::http::Header> headers = {{"Content-Type", "text/plain"},
                                                {"Cache-Control", "max-age=60"}};
  return std::make_shared<CachedObject>(200, headers, std::string(body_bytes, fill), 100, 101,
                                        std::move(tags));
}

// key("k", i) trips a GCC 12 -Wrestrict false positive.
std::string key(std::string_view prefix, uint64_t i) {
  std::string k(prefix);
  k += std::to_string(i);
  return k;
}

MemoryStoreOptions options(size_t capacity, Eviction eviction = Eviction::kS3Fifo,
                           size_t shards = 1) {
  MemoryStoreOptions o;
  o.capacity_bytes = capacity;
  o.shards = shards;
  o.eviction = eviction;
  o.max_object_share = 0.5;
  return o;
}

TEST(CachedObject, OwnsItsHeadersAndCountsEverything) {
  std::string name = "X-Temp", value = "v";
  std::vector<rampart::http::Header> headers = {{name, value}};
  CachedObject o(203, headers, "body", 5, 6, {"tag-a"});
  name = "changed";
  value = "changed";
  ASSERT_EQ(o.headers().size(), 1u);
  EXPECT_EQ(o.headers()[0].name, "X-Temp");
  EXPECT_EQ(o.headers()[0].value, "v");
  EXPECT_EQ(o.status(), 203);
  EXPECT_EQ(o.body(), "body");
  EXPECT_GE(o.charge(), sizeof(CachedObject) + 4 + 7);
}

TEST(MemoryStore, FindsWhatWasInsertedAndReplaces) {
  MemoryStore store(options(1 << 20));
  EXPECT_EQ(store.find("a"), nullptr);
  ASSERT_TRUE(store.insert("a", object(10, {}, 'a')));
  auto got = store.find("a");
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->body(), std::string(10, 'a'));
  ASSERT_TRUE(store.insert("a", object(20, {}, 'b')));
  EXPECT_EQ(store.find("a")->body(), std::string(20, 'b'));
  EXPECT_EQ(store.stats().objects, 1u);
  // A reader keeps its object alive after the store dropped it.
  EXPECT_TRUE(store.erase("a"));
  EXPECT_EQ(got->body(), std::string(10, 'a'));
  EXPECT_EQ(store.find("a"), nullptr);
  EXPECT_FALSE(store.erase("a"));
}

TEST(MemoryStore, LongKeysThatShareAPrefixAreDistinct) {
  // Real keys are host + target: long, and alike up to their last bytes.
  MemoryStore store(options(1 << 20));
  std::string prefix = "shop.example:443/catalogue/items?page=";
  for (char c : std::string("abcdefgh")) {
    ASSERT_TRUE(store.insert(prefix + c, object(5, {}, c)));
  }
  for (char c : std::string("abcdefgh")) {
    auto got = store.find(prefix + c);
    ASSERT_NE(got, nullptr) << c;
    EXPECT_EQ(got->body(), std::string(5, c));
  }
  EXPECT_EQ(store.find(prefix), nullptr);
  EXPECT_EQ(store.find(prefix + "ab"), nullptr);
  std::vector<std::string> seen;
  store.purge_if([&](std::string_view k) {
    seen.emplace_back(k);
    return k.back() < 'e';
  });
  std::sort(seen.begin(), seen.end());
  ASSERT_EQ(seen.size(), 8u);
  EXPECT_EQ(seen.front(), prefix + 'a');
  EXPECT_EQ(seen.back(), prefix + 'h');
  EXPECT_EQ(store.find(prefix + 'd'), nullptr);
  EXPECT_NE(store.find(prefix + 'e'), nullptr);
  EXPECT_EQ(store.stats().objects, 4u);
}

TEST(MemoryStore, StaysWithinItsByteBudget) {
  for (Eviction e : {Eviction::kS3Fifo, Eviction::kLru}) {
    MemoryStore store(options(64 * 1024, e, 4));
    for (int i = 0; i < 2000; ++i) store.insert(key("k", i), object(500));
    auto stats = store.stats();
    EXPECT_LE(stats.bytes, 64u * 1024);
    EXPECT_GT(stats.objects, 40u);
    EXPECT_GT(stats.evictions, 1500u);
  }
}

TEST(MemoryStore, RefusesAnObjectTooBigForItsShard) {
  MemoryStore store(options(10'000));
  EXPECT_FALSE(store.insert("big", object(8'000)));
  EXPECT_EQ(store.find("big"), nullptr);
  EXPECT_EQ(store.stats().rejected, 1u);
  // A smaller version stored earlier goes too: it is out of date.
  ASSERT_TRUE(store.insert("k", object(100)));
  EXPECT_FALSE(store.insert("k", object(8'000)));
  EXPECT_EQ(store.find("k"), nullptr);
}

TEST(MemoryStore, PurgeByTagPrefixAndAll) {
  MemoryStore store(options(1 << 20, Eviction::kS3Fifo, 4));
  store.insert("https://a.example/p/1", object(10, {"product", "p1"}));
  store.insert("https://a.example/p/2", object(10, {"product"}));
  store.insert("https://a.example/about", object(10, {"page"}));
  store.insert("https://b.example/p/1", object(10, {"product"}));
  EXPECT_EQ(store.purge_tag("p1"), 1u);
  EXPECT_EQ(store.find("https://a.example/p/1"), nullptr);
  EXPECT_EQ(store.purge_tag("product"), 2u);
  EXPECT_EQ(store.purge_tag("product"), 0u);
  EXPECT_NE(store.find("https://a.example/about"), nullptr);
  store.insert("https://a.example/p/3", object(10));
  EXPECT_EQ(
      store.purge_if([](std::string_view k) { return k.starts_with("https://a.example/p/"); }), 1u);
  EXPECT_EQ(store.purge_all(), 1u);
  EXPECT_EQ(store.stats().objects, 0u);
  EXPECT_EQ(store.stats().bytes, 0u);
}

TEST(MemoryStore, ReplacingAnObjectUpdatesItsTags) {
  MemoryStore store(options(1 << 20));
  store.insert("k", object(10, {"old"}));
  store.insert("k", object(10, {"new"}));
  EXPECT_EQ(store.purge_tag("old"), 0u);
  EXPECT_EQ(store.purge_tag("new"), 1u);
}

// A hot set read again and again, then a long scan of one-time keys: LRU lets the scan
// push the hot set out; S3-FIFO keeps it in main and the scan churns through probation.
size_t hot_survivors(Eviction eviction) {
  MemoryStore store(options(200 * 1024, eviction));
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 100; ++i) {
      std::string hot = key("hot", i);
      if (store.find(hot) == nullptr) store.insert(hot, object(1000));
    }
  }
  for (int i = 0; i < 2000; ++i) store.insert(key("scan", i), object(1000));
  size_t survivors = 0;
  for (int i = 0; i < 100; ++i) survivors += store.find(key("hot", i)) ? 1 : 0;
  return survivors;
}

TEST(MemoryStore, S3FifoKeepsTheHotSetThroughAScan) {
  EXPECT_EQ(hot_survivors(Eviction::kLru), 0u);
  EXPECT_GE(hot_survivors(Eviction::kS3Fifo), 90u);
}

TEST(MemoryStore, GhostHitSkipsProbation) {
  // Key "a" is dropped from probation unused, comes back soon, and then outlives a
  // burst of newcomers that only pass through probation.
  MemoryStore store(options(20 * 1024));
  store.insert("a", object(1000));
  for (int i = 0; i < 40; ++i) store.insert(key("x", i), object(1000));
  ASSERT_EQ(store.find("a"), nullptr);
  store.insert("a", object(1000));
  for (int i = 40; i < 60; ++i) store.insert(key("x", i), object(1000));
  EXPECT_NE(store.find("a"), nullptr);
}

TEST(MemoryStore, ZipfHitRatioBeatsLru) {
  auto hit_ratio = [](Eviction eviction) {
    MemoryStore store(options(2'000 * 1'100, eviction, 4));  // ~2,000 of 20,000 objects
    std::mt19937_64 rng(7);
    // Zipf(0.9) over 20,000 keys by inverse CDF on precomputed weights.
    const int n = 20'000;
    std::vector<double> cdf(n);
    double sum = 0;
    for (int i = 0; i < n; ++i) cdf[i] = (sum += 1.0 / std::pow(i + 1, 0.9));
    std::uniform_real_distribution<double> u(0, sum);
    size_t hits = 0, total = 200'000;
    for (size_t r = 0; r < total; ++r) {
      int k = static_cast<int>(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin());
      std::string name = key("k", k);
      if (store.find(name)) {
        ++hits;
      } else {
        store.insert(name, object(1000));
      }
    }
    return static_cast<double>(hits) / static_cast<double>(total);
  };
  double lru = hit_ratio(Eviction::kLru);
  double s3 = hit_ratio(Eviction::kS3Fifo);
  EXPECT_GT(s3, lru + 0.01) << "S3-FIFO " << s3 << " vs LRU " << lru;
}

TEST(MemoryStore, ConcurrentUseKeepsTheBudget) {
  MemoryStore store(options(256 * 1024, Eviction::kS3Fifo, 8));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 20'000; ++i) {
        std::string name = key("k", rng() % 2'000);
        if (!store.find(name)) store.insert(name, object(200 + rng() % 800, {key("t", t)}));
        if (i % 5'000 == 0) store.purge_tag(key("t", (t + 1) % 4));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(store.stats().bytes, 256u * 1024);
}

}  // namespace
