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

}  // namespace
}  // namespace rampart::server
