// The arithmetic that folds the fleet's standing into a node's table, and a fleet of
// nodes syncing through a stand-in for the Redis script (the same arithmetic,
// cluster::fleet_advance) to check the documented accuracy bound.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "ratelimit/cluster_channel.h"
#include "ratelimit/cluster_merge.h"
#include "ratelimit/gcra.h"

namespace rampart::ratelimit {
namespace {

constexpr Nanos kStart = 1'000 * kSecond;
constexpr Nanos kMs = 1'000'000;

Policy policy(Nanos period, uint64_t limit, Nanos mitigation = 0) {
  return *Policy::make(period, limit, mitigation);
}

TEST(ClusterMergeTest, FleetDebtUsesTheLocalQuota) {
  Policy p = policy(10 * kSecond, 10);  // one per second, burst of 10
  uint64_t word = 0;
  // The rest of the fleet admitted 7: 7 s of debt.
  word = cluster::merge_fleet_debt(word, p, kStart, 7 * kSecond);
  int admitted = 0;
  for (int i = 0; i < 10; ++i) admitted += gcra::decide(word, p, kStart, Mode::kCount).allowed;
  EXPECT_EQ(admitted, 3);
}

TEST(ClusterMergeTest, TheFurtherAheadOfLocalAndFleetWins) {
  Policy p = policy(10 * kSecond, 10);
  uint64_t word = gcra::word_of(kStart + 5 * kSecond, false);
  // The fleet knows less than the node (its own requests not yet pushed): kept.
  EXPECT_EQ(gcra::tat_of(cluster::merge_fleet_debt(word, p, kStart, 2 * kSecond)),
            kStart + 5 * kSecond);
  EXPECT_EQ(gcra::tat_of(cluster::merge_fleet_debt(word, p, kStart, 8 * kSecond)),
            kStart + 8 * kSecond);
  // No debt, or a negative one, never moves the word back.
  EXPECT_EQ(cluster::merge_fleet_debt(word, p, kStart, 0), word);
  EXPECT_EQ(cluster::merge_fleet_debt(word, p, kStart, -kSecond), word);
}

TEST(ClusterMergeTest, DebtIsCappedAndTheTimeoutFlagKept) {
  Policy p = policy(10 * kSecond, 10, 60 * kSecond);
  uint64_t word = gcra::word_of(kStart, true);
  uint64_t merged = cluster::merge_fleet_debt(word, p, kStart, 1000 * kSecond);
  EXPECT_EQ(gcra::tat_of(merged), kStart + cluster::debt_cap(p));
  EXPECT_TRUE(gcra::flagged(merged));
}

TEST(ClusterMergeTest, FleetAdvanceMovesOneIntervalPerRequestUpToTheCap) {
  Policy p = policy(10 * kSecond, 10);
  EXPECT_EQ(cluster::fleet_advance(0, p, kStart, 3), kStart + 3 * kSecond);
  // A stored time in the past starts from now.
  EXPECT_EQ(cluster::fleet_advance(kStart - 50 * kSecond, p, kStart, 1), kStart + kSecond);
  EXPECT_EQ(cluster::fleet_advance(kStart + 4 * kSecond, p, kStart, 2), kStart + 6 * kSecond);
  EXPECT_EQ(cluster::fleet_advance(0, p, kStart, 1000), kStart + cluster::debt_cap(p));
  EXPECT_EQ(cluster::fleet_advance(kStart + 5 * kSecond, p, kStart, 0), kStart + 5 * kSecond);
}

// A burst pushed a while after it came counts from when it came: the fleet's arrival
// time then equals the node's own, and the node's next request within its quota is not
// refused because the sync was late (counted from the push, it ran ahead by the delay).
TEST(ClusterMergeTest, FleetAdvanceCountsFromTheFirstRequestNotThePush) {
  Policy p = policy(kSecond, 5);  // one request every 200 ms, a burst of 5
  constexpr Nanos kDelay = 100 * kMs;
  Nanos pushed_at = kStart + kDelay;
  EXPECT_EQ(cluster::fleet_advance(0, p, pushed_at, 4, kDelay), kStart + 4 * p.interval());
  EXPECT_EQ(cluster::fleet_advance(0, p, pushed_at, 4), pushed_at + 4 * p.interval());
  // A stored arrival time later than the first request still wins.
  EXPECT_EQ(cluster::fleet_advance(kStart + kSecond, p, pushed_at, 1, kDelay),
            kStart + kSecond + p.interval());
}

// Nodes that each decide locally and sync every `interval` (their phases offset), with
// a request every `gap` going to the nodes in turn. The fleet admits N plus at most
// what arrives within two sync intervals (a node learns another's request at its own
// sync after the other's push), plus the refill over the run.
struct FleetRun {
  uint64_t admitted = 0;
  uint64_t bound = 0;
};

FleetRun run_fleet(size_t nodes, Policy p, Nanos interval, Nanos gap, Nanos duration) {
  std::vector<uint64_t> words(nodes, 0);
  std::vector<uint64_t> unpushed(nodes, 0);
  std::vector<Nanos> next_sync(nodes);
  for (size_t i = 0; i < nodes; ++i) {
    next_sync[i] = kStart + interval * static_cast<Nanos>(i + 1) / static_cast<Nanos>(nodes);
  }
  Nanos fleet_tat = 0;
  FleetRun out;
  size_t turn = 0;
  for (Nanos t = kStart; t < kStart + duration; t += gap) {
    for (size_t i = 0; i < nodes; ++i) {
      while (next_sync[i] <= t) {
        fleet_tat = cluster::fleet_advance(fleet_tat, p, next_sync[i], unpushed[i]);
        unpushed[i] = 0;
        words[i] = cluster::merge_fleet_debt(words[i], p, next_sync[i], fleet_tat - next_sync[i]);
        next_sync[i] += interval;
      }
    }
    size_t n = turn++ % nodes;
    if (gcra::decide(words[n], p, t, Mode::kCount).allowed) {
      ++out.admitted;
      ++unpushed[n];
    }
  }
  uint64_t per_two_intervals = static_cast<uint64_t>((2 * interval + gap - 1) / gap);
  uint64_t refill = static_cast<uint64_t>(duration / p.interval());
  out.bound = p.limit() + refill + per_two_intervals;
  return out;
}

TEST(ClusterMergeTest, TwoNodesAdmitAboutNBetweenThem) {
  Policy p = policy(60 * kSecond, 100);
  FleetRun r = run_fleet(2, p, 100 * kMs, 10 * kMs, 5 * kSecond);  // 100 req/s for 5 s
  EXPECT_GE(r.admitted, 100u);
  EXPECT_LE(r.admitted, r.bound);
  EXPECT_LT(r.admitted, 150u);  // two independent nodes would admit 200
}

TEST(ClusterMergeTest, FourNodesStayWithinTheBoundOverManyPeriods) {
  Policy p = policy(1 * kSecond, 50);
  FleetRun r = run_fleet(4, p, 100 * kMs, 2 * kMs, 20 * kSecond);  // 500 req/s for 20 s
  EXPECT_GE(r.admitted, 50u * 20);
  // Over many periods the overshoot is paid back (debt past a period is kept), so the
  // long-run rate stays close to N per period.
  EXPECT_LE(r.admitted, r.bound);
  EXPECT_LE(r.admitted, 50u * 20 * 105 / 100 + 100);
}

TEST(ClusterChannelTest, NotesAccumulateUntilDrained) {
  auto limiter = std::make_shared<Limiter>(policy(kSecond, 10), 100);
  ClusterChannel ch(limiter, "p:", 100);
  ch.note(11, 1001, true);
  ch.note(11, 1001, true);
  ch.note(11, 1001, false);  // refused: watched, not counted
  ch.note(12, 1002, false);
  std::vector<Noted> out;
  ch.drain(out);
  ASSERT_EQ(out.size(), 2u);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.fleet_key < b.fleet_key; });
  EXPECT_EQ(out[0].local_key, 11u);
  EXPECT_EQ(out[0].counted, 2u);
  EXPECT_EQ(out[1].counted, 0u);
  out.clear();
  ch.drain(out);
  EXPECT_TRUE(out.empty());
  ch.note(11, 1001, true);
  ch.drain(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].counted, 1u);
}

TEST(ClusterChannelTest, RemembersWhenTheFirstCountedRequestCame) {
  auto limiter = std::make_shared<Limiter>(policy(kSecond, 10), 100);
  ClusterChannel ch(limiter, "p:", 100);
  ch.note(11, 1001, false, 0, kStart);  // refused: not a counted request
  ch.note(11, 1001, true, 0, kStart + 5 * kMs);
  ch.note(11, 1001, true, 0, kStart + 9 * kMs);
  ch.note(12, 1002, true, 0, kStart + 7 * kMs);
  std::vector<Noted> out;
  ch.drain(out);
  ASSERT_EQ(out.size(), 2u);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.fleet_key < b.fleet_key; });
  EXPECT_EQ(out[0].first_counted, kStart + 5 * kMs);
  EXPECT_EQ(out[1].first_counted, kStart + 7 * kMs);
}

TEST(ClusterChannelTest, AFloodOfKeysIsBoundedAndCountedAsUnshared) {
  auto limiter = std::make_shared<Limiter>(policy(kSecond, 10), 100);
  ClusterChannel ch(limiter, "p:", 64);
  for (uint64_t k = 1; k <= 100'000; ++k) ch.note(k, k * 0x9e3779b97f4a7c15ull, true);
  std::vector<Noted> out;
  ch.drain(out);
  EXPECT_GE(out.size(), 64u);
  EXPECT_LE(out.size(), 16u * 64);  // fixed capacity, whatever the flood
  EXPECT_EQ(out.size() + ch.unshared(), 100'000u);
}

TEST(ClusterMergeTest, AFleetBlockRefusesUntilItEndsThenTheKeyPasses) {
  Policy p = policy(kSecond, 5, 30 * kSecond);
  uint64_t word = gcra::word_of(kStart - kSecond, false);  // a quiet key, nothing owed
  Nanos until = kStart + 20 * kSecond;
  word = cluster::merge_fleet_block(word, p, kStart, until);
  Decision d = gcra::decide(word, p, kStart, Mode::kCount);
  EXPECT_FALSE(d.allowed);
  EXPECT_TRUE(d.blocked);
  EXPECT_FALSE(d.started_block);  // another node started it: not pushed again
  EXPECT_EQ(d.retry_after, 20 * kSecond);
  // Hammering it neither passes nor prolongs it.
  for (Nanos t = kStart; t < until; t += kSecond) {
    EXPECT_FALSE(gcra::decide(word, p, t, Mode::kCount).allowed) << t;
  }
  Decision after = gcra::decide(word, p, until, Mode::kCount);
  EXPECT_TRUE(after.allowed);
  EXPECT_FALSE(after.blocked);
}

TEST(ClusterMergeTest, AFleetBlockKeepsALongerLocalBlockAndDebt) {
  Policy p = policy(kSecond, 5, 30 * kSecond);
  uint64_t word = 0;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(gcra::decide(word, p, kStart, Mode::kCount).allowed);
  Decision started = gcra::decide(word, p, kStart, Mode::kCount);
  ASSERT_TRUE(started.started_block);
  ASSERT_EQ(started.retry_after, 30 * kSecond);
  // A shorter block from elsewhere changes nothing; an ended one neither.
  EXPECT_EQ(cluster::merge_fleet_block(word, p, kStart, kStart + 5 * kSecond), word);
  EXPECT_EQ(cluster::merge_fleet_block(word, p, kStart, kStart - kSecond), word);
  // A longer one extends the block to its end.
  uint64_t longer = cluster::merge_fleet_block(word, p, kStart, kStart + 50 * kSecond);
  EXPECT_EQ(gcra::decide(longer, p, kStart + 40 * kSecond, Mode::kCount).retry_after, 10 * kSecond);
}

TEST(ClusterMergeTest, OnlyTheRefusalThatStartsATimeoutSaysSo) {
  Policy p = policy(kSecond, 2, 10 * kSecond);
  uint64_t word = 0;
  int started = 0;
  for (int i = 0; i < 50; ++i) {
    started += gcra::decide(word, p, kStart + i * 100 * kMs, Mode::kCount).started_block;
  }
  EXPECT_EQ(started, 1);
  Policy throttle = policy(kSecond, 2, 0);  // no timeout: nothing to share
  word = 0;
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(gcra::decide(word, throttle, kStart, Mode::kCount).started_block);
  }
}

TEST(ClusterChannelTest, NotedBlocksDrainWithTheirEnd) {
  auto limiter = std::make_shared<Limiter>(policy(kSecond, 10, 60 * kSecond), 100);
  ClusterChannel ch(limiter, "p:", 100);
  ch.note(11, 1001, false, kStart + 60 * kSecond);
  ch.note(11, 1001, false);  // later refusals inside the block carry no end
  ch.note(12, 1002, true);
  std::vector<Noted> out;
  ch.drain(out);
  ASSERT_EQ(out.size(), 2u);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.fleet_key < b.fleet_key; });
  EXPECT_EQ(out[0].block_until, kStart + 60 * kSecond);
  EXPECT_EQ(out[1].block_until, 0);
}

TEST(ClusterChannelTest, FleetBlocksAreFoundAndReplacedWholesale) {
  auto limiter = std::make_shared<Limiter>(policy(kSecond, 10, 60 * kSecond), 100);
  ClusterChannel ch(limiter, "p:", 100);
  EXPECT_EQ(ch.fleet_block(1001), 0);
  std::vector<FleetBlock> blocks;
  for (uint64_t k = 1; k <= 1000; ++k) {
    blocks.push_back({k * 0x9e3779b97f4a7c15ull, kStart + static_cast<Nanos>(k)});
  }
  ch.set_fleet_blocks(blocks);
  for (const FleetBlock& b : blocks) EXPECT_EQ(ch.fleet_block(b.fleet_key), b.until);
  EXPECT_EQ(ch.fleet_block(12345), 0);
  ch.set_fleet_blocks({blocks[7]});
  EXPECT_EQ(ch.fleet_block(blocks[7].fleet_key), blocks[7].until);
  EXPECT_EQ(ch.fleet_block(blocks[8].fleet_key), 0);  // no longer blocked by the fleet
  ch.set_fleet_blocks({});
  EXPECT_EQ(ch.fleet_block(blocks[7].fleet_key), 0);
}

TEST(ClusterChannelTest, WorkersReadFleetBlocksWhileTheSyncThreadReplacesThem) {
  // Workers look keys up while the sync thread swaps the tables: a blocked key is
  // found with its own end or (between swaps of its stripe) not at all, never with
  // another key's end.
  auto limiter = std::make_shared<Limiter>(policy(kSecond, 10, 60 * kSecond), 100);
  ClusterChannel ch(limiter, "p:", 1000);
  std::vector<FleetBlock> even;
  std::vector<FleetBlock> odd;
  for (uint64_t k = 1; k <= 512; ++k) {
    FleetBlock b{k * 0x9e3779b97f4a7c15ull, static_cast<Nanos>(k) * kSecond};
    (k % 2 == 0 ? even : odd).push_back(b);
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> wrong{0};
  std::atomic<uint64_t> found{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 3; ++t) {
    workers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        for (uint64_t k = 1; k <= 512; ++k) {
          Nanos until = ch.fleet_block(k * 0x9e3779b97f4a7c15ull);
          if (until == 0) continue;
          found.fetch_add(1, std::memory_order_relaxed);
          if (until != static_cast<Nanos>(k) * kSecond) wrong.fetch_add(1);
        }
      }
    });
  }
  for (int round = 0; round < 2000; ++round) ch.set_fleet_blocks(round % 2 ? odd : even);
  stop = true;
  for (auto& w : workers) w.join();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_GT(found.load(), 0u);
}

TEST(ClusterChannelTest, AFleetBlockStopsAKeyThisNodeNeverSaw) {
  // The request path's use: the fleet's block is imposed on the local key before the
  // decision, and every request until its end is refused as blocked.
  auto limiter = std::make_shared<Limiter>(policy(kSecond, 100, 60 * kSecond), 100);
  ClusterChannel ch(limiter, "p:", 100);
  ch.set_fleet_blocks({{4242, kStart + 30 * kSecond}});
  int admitted = 0;
  for (Nanos t = kStart; t < kStart + 40 * kSecond; t += 100 * kMs) {
    Nanos until = ch.fleet_block(4242);
    if (until > t) limiter->merge_fleet_block(77, t, until);
    admitted += limiter->acquire(77, t).allowed;
  }
  // Nothing during the 30 s block, then 100 a second at most for the last 10 s (one
  // request every 100 ms: all of them).
  EXPECT_EQ(admitted, 100);
}

}  // namespace
}  // namespace rampart::ratelimit
