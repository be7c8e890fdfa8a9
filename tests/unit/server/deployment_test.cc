#include "server/deployment.h"

#include <gtest/gtest.h>

#include "server/snapshot.h"

namespace rampart::server {
namespace {

using std::chrono::milliseconds;

config::Deployment policy() {
  config::Deployment p;
  p.enabled = true;
  p.canary_percent = 10;
  p.window = milliseconds(30'000);
  p.max_error_rate_increase = 1;
  p.min_requests = 20;
  return p;
}

Tally served(uint64_t requests, uint64_t errors, size_t latency_bucket = 2) {
  Tally t;
  t.requests = requests;
  t.errors = errors;
  t.latency[latency_bucket] = requests;
  return t;
}

TEST(DeploymentDecide, WaitsInsideTheWindowWhenNothingIsWrong) {
  Decision d = decide(policy(), served(900, 0), served(100, 0), milliseconds(5'000));
  EXPECT_EQ(d.verdict, Verdict::kWait);
}

TEST(DeploymentDecide, PromotesWhenTheWindowPassesClean) {
  Decision d = decide(policy(), served(900, 0), served(100, 0), milliseconds(30'000));
  EXPECT_EQ(d.verdict, Verdict::kPromote);
  EXPECT_NE(d.reason.find("window of 30 s passed"), std::string::npos) << d.reason;
}

TEST(DeploymentDecide, HoldsForAnOperatorWithoutAutoPromote) {
  config::Deployment p = policy();
  p.auto_promote = false;
  Decision d = decide(p, served(900, 0), served(100, 0), milliseconds(31'000));
  EXPECT_EQ(d.verdict, Verdict::kHold);
}

TEST(DeploymentDecide, RollsBackAsSoonAsTheCandidateFailsEnoughRequests) {
  // Early: well before the window ends.
  Decision d = decide(policy(), served(900, 0), served(20, 20), milliseconds(1'000));
  EXPECT_EQ(d.verdict, Verdict::kRollback);
  EXPECT_NE(d.reason.find("error rate 100.00% over 20 requests"), std::string::npos) << d.reason;
}

TEST(DeploymentDecide, WaitsForMinRequestsBeforeJudging) {
  Decision d = decide(policy(), served(900, 0), served(19, 19), milliseconds(1'000));
  EXPECT_EQ(d.verdict, Verdict::kWait);
}

TEST(DeploymentDecide, ModuleFailuresCountAsErrors) {
  Tally candidate = served(100, 0);
  candidate.module_failures = 40;
  Decision d = decide(policy(), served(900, 0), candidate, milliseconds(1'000));
  EXPECT_EQ(d.verdict, Verdict::kRollback);
  EXPECT_NE(d.reason.find("40 module failures"), std::string::npos) << d.reason;
}

TEST(DeploymentDecide, ErrorsTheRunningConfigAlsoHasDoNotRollBack) {
  // Both at 10% (a struggling origin pool both use): no worse, promoted.
  Decision d = decide(policy(), served(1000, 100), served(100, 10), milliseconds(30'000));
  EXPECT_EQ(d.verdict, Verdict::kPromote) << d.reason;
}

TEST(DeploymentDecide, SmallNoiseAboveTheRunningRateIsTolerated) {
  // 13% against 10% over 100 requests: within three standard errors (~9 points).
  Decision d = decide(policy(), served(1000, 100), served(100, 13), milliseconds(30'000));
  EXPECT_EQ(d.verdict, Verdict::kPromote) << d.reason;
  // 40% against 10% is not noise.
  d = decide(policy(), served(1000, 100), served(100, 40), milliseconds(2'000));
  EXPECT_EQ(d.verdict, Verdict::kRollback) << d.reason;
}

TEST(DeploymentDecide, LatencyCheckOnlyWhenConfigured) {
  // Running p95 in the 2.5 ms bucket, candidate's in the 250 ms one.
  Tally running = served(900, 0, 2);
  Tally slow = served(100, 0, 8);
  EXPECT_EQ(decide(policy(), running, slow, milliseconds(1'000)).verdict, Verdict::kWait);
  config::Deployment p = policy();
  p.max_latency_increase = milliseconds(100);
  Decision d = decide(p, running, slow, milliseconds(1'000));
  EXPECT_EQ(d.verdict, Verdict::kRollback);
  EXPECT_NE(d.reason.find("p95 latency 250.0 ms"), std::string::npos) << d.reason;
  p.max_latency_increase = milliseconds(300);
  EXPECT_EQ(decide(p, running, slow, milliseconds(30'000)).verdict, Verdict::kPromote);
}

TEST(DeploymentDecide, PromotesAnIdleCandidateSayingItWasNotJudged) {
  Decision d = decide(policy(), served(900, 0), served(3, 0), milliseconds(30'000));
  EXPECT_EQ(d.verdict, Verdict::kPromote);
  EXPECT_NE(d.reason.find("too few to judge"), std::string::npos) << d.reason;
}

TEST(DeploymentCounters, SumsWorkersAndSplitsRampartFromOriginErrors) {
  DeploymentCounters counters(2);
  counters.count(0, 200, false, 0.0001);
  counters.count(1, 502, true, 0.002);
  counters.count(1, 500, false, 0.2);
  counters.count(7, 503, true, 9.0);  // out-of-range worker: still counted
  Tally t = counters.total();
  EXPECT_EQ(t.requests, 4u);
  EXPECT_EQ(t.errors, 2u);
  EXPECT_EQ(t.origin_errors, 1u);
  EXPECT_DOUBLE_EQ(t.error_rate(), 0.5);
  Tally later = counters.total();
  later.requests += 10;
  EXPECT_EQ(later.since(t).requests, 10u);
  EXPECT_EQ(later.since(t).errors, 0u);
}

TEST(SnapshotStoreCanary, CandidateServesItsShareOfKeysAndNoMore) {
  SnapshotStore store;
  auto running = std::make_shared<Snapshot>();
  auto candidate = std::make_shared<Snapshot>();
  store.publish(running);
  SnapshotCache cache(store);
  EXPECT_EQ(cache.get(1234).get(), running.get());
  store.publish_candidate(candidate, 1'000);  // 10%
  size_t on_candidate = 0;
  constexpr int kConnections = 20'000;
  for (int port = 1024; port < 1024 + kConnections; ++port) {
    core::IpAddress peer;
    peer.v4 = true;
    peer.bytes[10] = peer.bytes[11] = 0xff;
    peer.bytes[12] = 127;
    peer.bytes[15] = 1;
    uint32_t key = connection_key(peer, static_cast<uint16_t>(port));
    const Snapshot* chosen = cache.get(key).get();
    EXPECT_EQ(chosen, cache.get(key).get()) << "one connection sees one version";
    on_candidate += chosen == candidate.get();
  }
  EXPECT_GT(on_candidate, kConnections * 8 / 100);
  EXPECT_LT(on_candidate, kConnections * 12 / 100);
  EXPECT_EQ(cache.get().get(), running.get());
  store.publish_candidate(nullptr, 0);  // rolled back
  for (uint32_t key = 0; key < 1000; ++key) EXPECT_EQ(cache.get(key).get(), running.get());
}

}  // namespace
}  // namespace rampart::server
