// The shared table: eviction leaves hot keys alone, memory is fixed, threads agree.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "ratelimit/key_hash.h"
#include "ratelimit/key_table.h"

namespace rampart::ratelimit {
namespace {

constexpr Nanos kStart = 1'000 * kSecond;

uint64_t hash_of(uint64_t i) {
  static const KeyHasher hasher(0x0123456789abcdefull, 0xfedcba9876543210ull);
  return hasher(std::string_view(reinterpret_cast<const char*>(&i), sizeof i));
}

size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0;
  size_t resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

TEST(KeyHash, DependsOnEveryByteAndTheKey) {
  KeyHasher a(1, 2);
  KeyHasher b(1, 3);
  EXPECT_NE(a("198.51.100.7"), a("198.51.100.8"));
  EXPECT_NE(a("abcdefgh"), a(std::string_view("abcdefgh\0", 9)));  // length matters
  EXPECT_NE(a("x"), b("x"));
  EXPECT_EQ(a("same"), a("same"));
}

TEST(KeyHash, OneFlippedBitChangesAboutHalfTheOutput) {
  // The table takes the set from the high bits and the tag from the low ones: both
  // must depend on every input bit, for the key lengths the module hashes.
  KeyHasher h(0x0123456789abcdefull, 0xfedcba9876543210ull);
  for (size_t len : {1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 40}) {
    std::string in(len, '\0');
    for (size_t i = 0; i < len; ++i) in[i] = static_cast<char>(i * 37 + len);
    uint64_t base = h(in);
    uint64_t high_total = 0;
    uint64_t low_total = 0;
    for (size_t bit = 0; bit < len * 8; ++bit) {
      std::string flipped = in;
      flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
      uint64_t diff = h(flipped) ^ base;
      int changed = __builtin_popcountll(diff);
      EXPECT_GE(changed, 12) << "len " << len << " bit " << bit;
      EXPECT_LE(changed, 52) << "len " << len << " bit " << bit;
      high_total += __builtin_popcountll(diff >> 32);
      low_total += __builtin_popcountll(diff & 0xffffffffu);
    }
    double bits = static_cast<double>(len * 8);
    EXPECT_NEAR(static_cast<double>(high_total) / bits, 16.0, 2.0) << len;
    EXPECT_NEAR(static_cast<double>(low_total) / bits, 16.0, 2.0) << len;
  }
}

TEST(KeyHash, IPv4KeysSpreadEvenlyOverTheSets) {
  // Consecutive addresses (a /16 of clients) in 1,024 sets by the top 10 bits, as the
  // table picks sets: every set gets close to its share.
  KeyHasher h(0x1111, 0x2222);
  std::vector<int> sets(1024);
  for (uint32_t a = 0; a < 65536; ++a) {
    char key[16] = {};
    key[10] = key[11] = static_cast<char>(0xff);
    key[12] = 10;
    key[13] = 1;
    key[14] = static_cast<char>(a >> 8);
    key[15] = static_cast<char>(a);
    ++sets[h(std::string_view(key, 16)) >> 54];
  }
  for (int n : sets) {
    EXPECT_GT(n, 64 / 2);
    EXPECT_LT(n, 64 * 2);
  }
}

TEST(KeyTable, CyclingKeysDoNotEvictAHotKey) {
  // A table for 1,000 keys, 2 million one-off keys (each live for a second, so ten
  // times more are live than the table holds) and one key hammering at 200x its
  // rate: the hot key must stay limited to its rate all along.
  Policy p = *Policy::make(10 * kSecond, 10, 0);
  Limiter limiter(p, 1000);
  const uint64_t hot = hash_of(~0ull);
  const Nanos step = kSecond / 10'000;  // 10,000 requests a second in all
  size_t hot_admitted = 0;
  size_t hot_sent = 0;
  Nanos now = kStart;
  for (uint64_t i = 0; i < 2'000'000; ++i, now += step) {
    limiter.acquire(hash_of(i), now);
    if (i % 50 == 0) {  // 200 a second from the hot key
      ++hot_sent;
      hot_admitted += limiter.acquire(hot, now).allowed;
    }
  }
  double seconds = static_cast<double>(now - kStart) / kSecond;
  EXPECT_GT(limiter.table().evictions(), 1'000'000u);  // the flood did churn the table
  // One a second, plus the initial burst of 10.
  EXPECT_LE(static_cast<double>(hot_admitted), seconds + 10 + 1);
  EXPECT_GE(static_cast<double>(hot_admitted), seconds * 0.99);
  EXPECT_GT(hot_sent, hot_admitted * 100);
}

TEST(KeyTable, TenMillionKeysFitInOneGibibyte) {
  const size_t keys = 10'000'000;
  size_t rss_before = resident_bytes();
  // Long period, one request each: every key stays live for the whole test.
  Limiter limiter(*Policy::make(3600 * kSecond, 100, 0), keys);
  for (uint64_t i = 0; i < keys; ++i) limiter.acquire(hash_of(i), kStart);
  size_t rss_growth = resident_bytes() - rss_before;
  const size_t gib = size_t{1} << 30;
  EXPECT_LE(limiter.table().memory_bytes(), gib);
  EXPECT_LE(rss_growth, gib);
  size_t live = limiter.table().live_keys(kStart);
  EXPECT_GE(live, keys * 995 / 1000);
  std::printf("10M keys: table %zu MiB, RSS growth %zu MiB, %zu keys tracked\n",
              limiter.table().memory_bytes() >> 20, rss_growth >> 20, live);
}

TEST(KeyTable, ThreadsShareOneCountPerKey) {
  Policy p = *Policy::make(3600 * kSecond, 1000, 0);
  Limiter limiter(p, 4096);
  std::atomic<size_t> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      size_t mine = 0;
      for (int i = 0; i < 5000; ++i) mine += limiter.acquire(hash_of(77), kStart).allowed;
      admitted += mine;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 1000u);
}

TEST(KeyTable, ThreadsHammeringManyKeysAdmitExactlyTheLimitOfEach) {
  // Four threads over the same 200 keys in different orders, many keys per set: each
  // key admits exactly its limit, however the threads interleave on its set's lock.
  Policy p = *Policy::make(3600 * kSecond, 50, 0);
  Limiter limiter(p, 256);
  constexpr uint64_t kKeys = 200;
  std::vector<std::atomic<uint32_t>> admitted(kKeys);
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < kKeys * 100; ++i) {
        uint64_t k = (i * (2 * t + 1) + t) % kKeys;
        if (limiter.acquire(hash_of(k), kStart).allowed) admitted[k].fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(limiter.table().evictions(), 0u);
  for (uint64_t k = 0; k < kKeys; ++k) EXPECT_EQ(admitted[k].load(), 50u) << k;
}

TEST(KeyTable, IdleEntriesAreReusedWithoutEvicting) {
  Policy p = *Policy::make(kSecond, 10, 0);
  Limiter limiter(p, 10);
  for (uint64_t round = 0; round < 100; ++round) {
    Nanos now = kStart + static_cast<Nanos>(round) * 2 * kSecond;
    for (uint64_t i = 0; i < 10; ++i) limiter.acquire(hash_of(round * 100 + i), now);
  }
  // Each round's keys had expired before the next round needed their slots.
  EXPECT_LT(limiter.table().evictions(), 10u);
}

}  // namespace
}  // namespace rampart::ratelimit
