// How a node keeps the fleet's mitigation-timeout blocks between syncs: the blocks it
// started that Redis has not taken yet (Redis down), and its copy of the fleet's blocks
// as whole and incremental fetches arrive.

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "ratelimit/cluster_merge.h"

namespace rampart::ratelimit {
namespace {

using cluster::FleetBlockSet;
using cluster::KeyedTime;
using cluster::UnpushedBlocks;

constexpr Nanos kStart = 1'000 * kSecond;

std::vector<KeyedTime> live(UnpushedBlocks& u, Nanos now) {
  std::vector<KeyedTime> out;
  u.live(now, out);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(UnpushedBlocksTest, BlocksStartedWhileRedisIsDownWaitUntilPushed) {
  UnpushedBlocks u;
  u.add(7, kStart + 30 * kSecond, kStart, 100);
  u.add(8, kStart + 5 * kSecond, kStart, 100);
  // Redis stays down for 10 s: the second block ended meanwhile and is not pushed; the
  // first goes with what is left of it.
  EXPECT_EQ(live(u, kStart + 10 * kSecond), (std::vector<KeyedTime>{{7, 20 * kSecond}}));
  // A failed push keeps it for the next attempt.
  EXPECT_EQ(live(u, kStart + 11 * kSecond), (std::vector<KeyedTime>{{7, 19 * kSecond}}));
  u.pushed();
  EXPECT_TRUE(live(u, kStart + 12 * kSecond).empty());
}

TEST(UnpushedBlocksTest, ALaterEndWinsAndTheCountIsBounded) {
  UnpushedBlocks u;
  u.add(7, kStart + 10 * kSecond, kStart, 2);
  u.add(7, kStart + 20 * kSecond, kStart, 2);
  u.add(7, kStart + 15 * kSecond, kStart, 2);
  u.add(8, kStart + 1 * kSecond, kStart, 2);
  u.add(9, kStart + 30 * kSecond, kStart, 2);  // full: stays on this node only
  EXPECT_EQ(u.size(), 2u);
  EXPECT_EQ(live(u, kStart), (std::vector<KeyedTime>{{7, 20 * kSecond}, {8, kSecond}}));
  // Once a block ended there is room again.
  u.add(9, kStart + 30 * kSecond, kStart + 2 * kSecond, 2);
  EXPECT_EQ(live(u, kStart + 2 * kSecond),
            (std::vector<KeyedTime>{{7, 18 * kSecond}, {9, 28 * kSecond}}));
}

TEST(FleetBlockSetTest, IncrementalFetchesAddToWhatAFullOneBrought) {
  FleetBlockSet f;
  EXPECT_TRUE(f.merge({{1, 30 * kSecond}, {2, 10 * kSecond}}, true, kStart, 100));
  EXPECT_EQ(f.until(1), kStart + 30 * kSecond);
  // The next sync brings only what changed: a new block, and one extended.
  Nanos t = kStart + kSecond;
  EXPECT_TRUE(f.merge({{3, 5 * kSecond}, {2, 20 * kSecond}}, false, t, 100));
  EXPECT_EQ(f.until(1), kStart + 30 * kSecond);  // unchanged, kept
  EXPECT_EQ(f.until(2), t + 20 * kSecond);
  EXPECT_EQ(f.until(3), t + 5 * kSecond);
  // Nothing new, or the same block again with an earlier end: no change to publish.
  EXPECT_FALSE(f.merge({}, false, t, 100));
  EXPECT_FALSE(f.merge({{1, kSecond}}, false, t, 100));
  EXPECT_EQ(f.until(1), kStart + 30 * kSecond);
}

TEST(FleetBlockSetTest, EndedBlocksGoAndAFullFetchReplaces) {
  FleetBlockSet f;
  f.merge({{1, 30 * kSecond}, {2, 3 * kSecond}}, true, kStart, 100);
  // Block 2 ended: an empty incremental fetch still changes the set.
  EXPECT_TRUE(f.merge({}, false, kStart + 4 * kSecond, 100));
  EXPECT_EQ(f.until(2), 0);
  EXPECT_EQ(f.size(), 1u);
  // A full fetch is the whole truth: what Redis no longer has goes here too.
  EXPECT_TRUE(f.merge({{5, 9 * kSecond}}, true, kStart + 5 * kSecond, 100));
  EXPECT_EQ(f.until(1), 0);
  EXPECT_EQ(f.until(5), kStart + 14 * kSecond);
  // Nonsense from Redis (no time left) is ignored.
  EXPECT_FALSE(f.merge({{6, 0}, {7, -5}}, false, kStart + 5 * kSecond, 100));
  EXPECT_EQ(f.size(), 1u);
}

TEST(FleetBlockSetTest, PastTheCapTheBlocksEndingSoonestGo) {
  FleetBlockSet f;
  std::vector<KeyedTime> got;
  for (uint64_t k = 1; k <= 10; ++k) got.emplace_back(k, static_cast<Nanos>(k) * kSecond);
  EXPECT_TRUE(f.merge(got, false, kStart, 4));
  EXPECT_EQ(f.size(), 4u);
  for (uint64_t k = 1; k <= 6; ++k) EXPECT_EQ(f.until(k), 0) << k;
  for (uint64_t k = 7; k <= 10; ++k) EXPECT_EQ(f.until(k), kStart + k * kSecond) << k;
}

}  // namespace
}  // namespace rampart::ratelimit
