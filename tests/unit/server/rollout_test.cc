// The cluster rollout state machine: which node starts its canary when, and what a
// rollback elsewhere or an unreachable Redis does to it.

#include "server/rollout.h"

#include <gtest/gtest.h>

#include <chrono>

namespace rampart::server {
namespace {

using namespace std::chrono_literals;
using Clock = RolloutTracker::Clock;

RolloutRecord record(std::vector<RolloutEntry> nodes, std::string bad = "") {
  return RolloutRecord{std::move(nodes), std::move(bad)};
}

TEST(RolloutRecord, ParsesEntriesAndSkipsGarbage) {
  auto r = parse_rollout_record({
      {rollout_field("a:9901"), rollout_value(0, RolloutStage::kPromoted)},
      {rollout_field("b"), "1 canary"},
      {"node:c", "x canary"},    // group not a number
      {"node:d", "1 sideways"},  // unknown stage
      {"node:", "0 promoted"},   // no name
      {"node:e", "2"},           // no stage
      {"something-else", "0 promoted"},
  });
  ASSERT_EQ(r.nodes.size(), 2u);
  EXPECT_EQ(r.nodes[0].node, "a:9901");
  EXPECT_EQ(r.nodes[0].group, 0u);
  EXPECT_EQ(r.nodes[0].stage, RolloutStage::kPromoted);
  EXPECT_EQ(r.nodes[1].stage, RolloutStage::kCanary);
  EXPECT_TRUE(r.bad.empty());
  auto bad = parse_rollout_record({{"bad", rollout_bad_text("a", "error rate 50%")}});
  EXPECT_EQ(bad.bad, "rolled back on node a: error rate 50%");
}

TEST(RolloutTracker, GroupZeroStartsInItsCanaryAtOnce) {
  RolloutTracker t("a", 0, 60s);
  EXPECT_FALSE(t.waiting());
  EXPECT_TRUE(t.in_canary());
  EXPECT_EQ(t.on_record(record({{"a", 0, RolloutStage::kCanary}})), RolloutAction::kNone);
}

TEST(RolloutTracker, LaterGroupWaitsUntilEveryLowerNodePromoted) {
  RolloutTracker t("c", 1, 60s);
  EXPECT_TRUE(t.waiting());
  auto a = RolloutEntry{"a", 0, RolloutStage::kCanary};
  auto b = RolloutEntry{"b", 0, RolloutStage::kWaiting};
  auto c = RolloutEntry{"c", 1, RolloutStage::kWaiting};
  auto peer = RolloutEntry{"d", 1, RolloutStage::kWaiting};  // same group: no wait
  EXPECT_EQ(t.on_record(record({a, b, c, peer})), RolloutAction::kNone);
  EXPECT_TRUE(t.waiting());
  EXPECT_EQ(t.waiting_for(), "group 0");
  a.stage = RolloutStage::kPromoted;
  EXPECT_EQ(t.on_record(record({a, b, c, peer})), RolloutAction::kNone);
  b.stage = RolloutStage::kPromoted;
  EXPECT_EQ(t.on_record(record({a, b, c, peer})), RolloutAction::kStartCanary);
  EXPECT_TRUE(t.in_canary());
  EXPECT_EQ(t.on_record(record({a, b, c, peer})), RolloutAction::kNone);
}

TEST(RolloutTracker, WaitsForTheLowestUnfinishedGroup) {
  RolloutTracker t("z", 3, 60s);
  EXPECT_EQ(t.on_record(record({{"a", 0, RolloutStage::kPromoted},
                                {"b", 1, RolloutStage::kCanary},
                                {"c", 2, RolloutStage::kWaiting}})),
            RolloutAction::kNone);
  EXPECT_EQ(t.waiting_for(), "group 1");
}

TEST(RolloutTracker, NoLowerNodeRegisteredMeansNothingToWaitFor) {
  RolloutTracker t("c", 2, 60s);
  EXPECT_EQ(
      t.on_record(record({{"c", 2, RolloutStage::kWaiting}, {"x", 5, RolloutStage::kCanary}})),
      RolloutAction::kStartCanary);
}

TEST(RolloutTracker, RollbackElsewhereDropsAWaitingVersion) {
  RolloutTracker t("c", 1, 60s);
  auto action = t.on_record(
      record({{"a", 0, RolloutStage::kRolledBack}}, rollout_bad_text("a", "error rate 40%")));
  EXPECT_EQ(action, RolloutAction::kDrop);
  EXPECT_EQ(t.reason(), "rolled back on node a: error rate 40%");
  EXPECT_FALSE(t.waiting());
  EXPECT_FALSE(t.in_canary());
  // Finished: later reads change nothing.
  EXPECT_EQ(t.on_record(record({}, "x")), RolloutAction::kNone);
}

TEST(RolloutTracker, RollbackElsewhereEndsARunningCanary) {
  RolloutTracker t("b", 0, 60s);
  EXPECT_EQ(t.on_record(record({}, rollout_bad_text("a", "p95 latency"))),
            RolloutAction::kRollBack);
  EXPECT_EQ(t.reason(), "rolled back on node a: p95 latency");
}

TEST(RolloutTracker, OwnRollbackIsNotFollowedTwice) {
  RolloutTracker t("a", 0, 60s);
  EXPECT_EQ(t.on_record(record({}, rollout_bad_text("a", "error rate"))), RolloutAction::kNone);
  EXPECT_TRUE(t.in_canary());
}

TEST(RolloutTracker, UnreachableRedisLogsOnceThenFallsBackAfterTheTimeout) {
  auto t0 = Clock::now();
  RolloutTracker t("c", 1, 10s);
  EXPECT_EQ(t.on_unreachable(t0), RolloutAction::kLogUnreachable);
  EXPECT_FALSE(t.redis_reachable());
  EXPECT_EQ(t.on_unreachable(t0 + 1s), RolloutAction::kNone);
  EXPECT_EQ(t.on_unreachable(t0 + 9s), RolloutAction::kNone);
  EXPECT_TRUE(t.waiting());
  EXPECT_EQ(t.on_unreachable(t0 + 10s), RolloutAction::kFallBack);
  EXPECT_TRUE(t.in_canary());
  EXPECT_EQ(t.on_unreachable(t0 + 11s), RolloutAction::kNone);
}

TEST(RolloutTracker, ReachingRedisAgainRestartsTheTimeoutAndTheLog) {
  auto t0 = Clock::now();
  RolloutTracker t("c", 1, 10s);
  auto lower = record({{"a", 0, RolloutStage::kCanary}});
  EXPECT_EQ(t.on_unreachable(t0), RolloutAction::kLogUnreachable);
  EXPECT_EQ(t.on_record(lower), RolloutAction::kNone);
  EXPECT_TRUE(t.redis_reachable());
  // A new outage: logged again, and the timeout counts from its start.
  EXPECT_EQ(t.on_unreachable(t0 + 8s), RolloutAction::kLogUnreachable);
  EXPECT_EQ(t.on_unreachable(t0 + 12s), RolloutAction::kNone);
  EXPECT_TRUE(t.waiting());
  EXPECT_EQ(t.on_unreachable(t0 + 18s), RolloutAction::kFallBack);
}

TEST(RolloutTracker, OperatorDecisionEndsTheTracking) {
  RolloutTracker t("c", 1, 10s);
  t.finish();
  EXPECT_FALSE(t.waiting());
  EXPECT_EQ(t.on_record(record({}, rollout_bad_text("a", "x"))), RolloutAction::kNone);
  EXPECT_EQ(t.on_unreachable(Clock::now()), RolloutAction::kNone);
}

TEST(RolloutRecord, HeartbeatRoundTripsAndOldEntriesHaveNone) {
  auto r = parse_rollout_record({
      {rollout_field("a"), rollout_value(0, RolloutStage::kCanary, 1700000000123)},
      {rollout_field("b"), "1 waiting"},      // an older writer: no heartbeat
      {rollout_field("c"), "0 canary soon"},  // garbled heartbeat
      {rollout_field("d"), "0 canary -5"},    // negative
  });
  ASSERT_EQ(r.nodes.size(), 2u);
  EXPECT_EQ(r.nodes[0].heartbeat_ms, 1700000000123);
  EXPECT_EQ(r.nodes[0].stage, RolloutStage::kCanary);
  EXPECT_EQ(r.nodes[1].heartbeat_ms, 0);
}

TEST(RolloutTracker, ALowerNodeSilentPastTheBoundIsGone) {
  const int64_t t0 = 1'700'000'000'000;
  RolloutTracker t("c", 1, 60s, 30s);
  RolloutEntry dead{"a", 0, RolloutStage::kCanary, t0};
  auto at = [&](int64_t ms) {
    RolloutEntry self{"c", 1, RolloutStage::kWaiting, ms};
    return t.on_record(record({dead, self}), ms);
  };
  EXPECT_EQ(at(t0 + 1'000), RolloutAction::kNone);
  EXPECT_EQ(at(t0 + 29'000), RolloutAction::kNone);
  EXPECT_EQ(t.waiting_for(), "group 0");
  EXPECT_TRUE(t.gone().empty());
  EXPECT_EQ(at(t0 + 31'000), RolloutAction::kStartCanary);
  ASSERT_EQ(t.gone().size(), 1u);
  EXPECT_TRUE(t.gone()[0].starts_with("a (group 0, canary, silent 31 s)"));
}

TEST(RolloutTracker, ALiveLowerNodeKeepsHoldingAndAnEntryWithoutHeartbeatToo) {
  const int64_t t0 = 1'700'000'000'000;
  RolloutTracker t("c", 1, 60s, 30s);
  for (int64_t s = 1; s <= 120; s += 10) {
    RolloutEntry live{"a", 0, RolloutStage::kCanary, t0 + s * 1000 - 200};
    RolloutEntry legacy{"b", 0, RolloutStage::kCanary, 0};
    EXPECT_EQ(t.on_record(record({live, legacy}), t0 + s * 1000), RolloutAction::kNone);
  }
  EXPECT_TRUE(t.waiting());
  EXPECT_TRUE(t.gone().empty());
}

TEST(RolloutTracker, HeartbeatsAreNotJudgedRightAfterRedisCameBack) {
  const int64_t t0 = 1'700'000'000'000;
  auto steady = Clock::now();
  RolloutTracker t("c", 1, 600s, 30s);
  EXPECT_EQ(t.on_record(record({{"a", 0, RolloutStage::kCanary, t0}}), t0), RolloutAction::kNone);
  // Redis down for a minute: every entry is old on the first read after it.
  EXPECT_EQ(t.on_unreachable(steady), RolloutAction::kLogUnreachable);
  EXPECT_EQ(t.on_record(record({{"a", 0, RolloutStage::kCanary, t0}}), t0 + 60'000),
            RolloutAction::kNone);
  EXPECT_TRUE(t.waiting());
  // The live node wrote again meanwhile: still held.
  EXPECT_EQ(t.on_record(record({{"a", 0, RolloutStage::kCanary, t0 + 61'000}}), t0 + 63'000),
            RolloutAction::kNone);
  EXPECT_TRUE(t.waiting());
  // A node that stays silent past the grace is gone.
  EXPECT_EQ(t.on_record(record({{"a", 0, RolloutStage::kCanary, t0}}), t0 + 63'000),
            RolloutAction::kStartCanary);
}

TEST(RolloutTracker, NoBoundNeverJudgesHeartbeats) {
  RolloutTracker t("c", 1, 60s);
  EXPECT_EQ(t.on_record(record({{"a", 0, RolloutStage::kCanary, 1}}), 1'000'000'000'000),
            RolloutAction::kNone);
  EXPECT_EQ(t.on_record(record({{"a", 0, RolloutStage::kCanary, 1}}), 1'000'000'100'000),
            RolloutAction::kNone);
  EXPECT_TRUE(t.waiting());
}

TEST(RolloutTracker, ARecordLostWithRedisStillHoldsUntilTheLowerNodeIsSilent) {
  const int64_t t0 = 1'700'000'000'000;
  auto steady = Clock::now();
  RolloutTracker t("c", 1, 600s, 30s);
  EXPECT_EQ(t.on_record(record({{"a", 0, RolloutStage::kCanary, t0}}), t0), RolloutAction::kNone);
  // Redis restarted empty: only this node's own entry is back.
  EXPECT_EQ(t.on_unreachable(steady), RolloutAction::kLogUnreachable);
  EXPECT_EQ(t.on_record(record({{"c", 1, RolloutStage::kWaiting, t0 + 5'000}}), t0 + 5'000),
            RolloutAction::kNone);
  EXPECT_EQ(t.waiting_for(), "group 0");
  // The node comes back promoted: the canary starts.
  EXPECT_EQ(t.on_record(record({{"a", 0, RolloutStage::kPromoted, t0 + 6'000}}), t0 + 6'000),
            RolloutAction::kStartCanary);
}

TEST(RolloutTracker, ALostRecordOfADeadNodeEndsWithItsHeartbeat) {
  const int64_t t0 = 1'700'000'000'000;
  RolloutTracker t("c", 1, 600s, 30s);
  EXPECT_EQ(t.on_record(record({{"a", 0, RolloutStage::kCanary, t0}}), t0), RolloutAction::kNone);
  EXPECT_EQ(t.on_record(record({}), t0 + 20'000), RolloutAction::kNone);
  EXPECT_EQ(t.on_record(record({}), t0 + 31'000), RolloutAction::kStartCanary);
  EXPECT_EQ(t.gone().size(), 1u);
}

}  // namespace
}  // namespace rampart::server
