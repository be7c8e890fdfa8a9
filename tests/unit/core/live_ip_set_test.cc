#include "core/live_ip_set.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace rampart::core {
namespace {

std::shared_ptr<const IpRangeSet> set_of(std::initializer_list<const char*> items) {
  IpRangeSet::Builder b;
  for (const char* item : items) b.add(*Cidr::parse(item));
  return std::make_shared<const IpRangeSet>(std::move(b).build());
}

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

TEST(LiveIpSet, APublishedSetIsWhatTheNextLookupSees) {
  LiveIpSet live(set_of({"192.0.2.0/24"}), true);
  EXPECT_TRUE(live.contains(ip("192.0.2.7")));
  EXPECT_FALSE(live.contains(ip("198.51.100.1")));
  live.publish(set_of({"198.51.100.0/24"}));
  EXPECT_FALSE(live.contains(ip("192.0.2.7")));
  EXPECT_TRUE(live.contains(ip("198.51.100.1")));
  EXPECT_EQ(live.get()->entry_count(), 1u);
}

TEST(LiveIpSet, AFixedSetIgnoresPublish) {
  LiveIpSet fixed(set_of({"192.0.2.0/24"}), false);
  fixed.publish(set_of({"198.51.100.0/24"}));
  EXPECT_TRUE(fixed.contains(ip("192.0.2.7")));
  EXPECT_FALSE(fixed.contains(ip("198.51.100.1")));
}

// Readers on several threads while the set is replaced many times: every lookup sees
// one whole version (an address in both versions always matches, one in neither never
// does), and the replaced sets are freed under them without a crash (ASan checks the
// use after free this would be).
TEST(LiveIpSet, ReadersSeeWholeVersionsWhileTheSetIsReplaced) {
  auto a = set_of({"10.0.0.0/8", "192.0.2.0/24"});
  auto b = set_of({"10.0.0.0/8", "198.51.100.0/24"});
  LiveIpSet live(a, true);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> wrong{0}, lookups{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        if (!live.contains(ip("10.1.2.3"))) wrong.fetch_add(1);
        if (live.contains(ip("203.0.113.1"))) wrong.fetch_add(1);
        lookups.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  // On a busy machine the readers may not have started before the swaps are done.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (lookups.load() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  for (int i = 0; i < 2000; ++i) {
    // New copies each time, so each replaced set is really freed.
    live.publish(i % 2 ? set_of({"10.0.0.0/8", "192.0.2.0/24"})
                       : set_of({"10.0.0.0/8", "198.51.100.0/24"}));
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_GT(lookups.load(), 0u);
}

}  // namespace
}  // namespace rampart::core
