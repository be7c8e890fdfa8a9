// Passive health (outlier detection), the operator's switches, affinity tokens and the
// failover plan over pools — all on real OriginPools built from config structs.

#include "proxy/origin_pool.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/origin_set.h"

namespace {

using rampart::config::Pool;
using rampart::config::PoolEndpoint;
using rampart::proxy::AdminState;
using rampart::proxy::FailoverPlan;
using rampart::proxy::OriginEndpoint;
using rampart::proxy::OriginPool;
using rampart::proxy::OriginSet;
using rampart::proxy::OriginStateStore;
using rampart::proxy::TryOutcome;
using namespace std::chrono_literals;

Pool pool_config(const std::string& name, size_t n) {
  Pool p;
  p.name = name;
  for (size_t i = 0; i < n; ++i) {
    PoolEndpoint e;
    e.address.host = "127.0.0.1";
    e.address.port = static_cast<uint16_t>(9000 + i);
    p.endpoints.push_back(e);
  }
  p.outlier_detection.consecutive_failures = 3;
  p.outlier_detection.base_ejection = 1000ms;
  p.outlier_detection.max_ejection = 5000ms;
  p.outlier_detection.max_ejected_percent = 50;
  return p;
}

std::vector<OriginEndpoint> endpoints_of(const Pool& p) {
  std::vector<OriginEndpoint> out;
  for (const PoolEndpoint& pe : p.endpoints) {
    OriginEndpoint e;
    e.name = pe.address.to_string();
    e.address = {boost::asio::ip::make_address("127.0.0.1"), pe.address.port};
    e.configured_enabled = pe.enabled;
    out.push_back(e);
  }
  return out;
}

void fail(OriginPool& pool, size_t i, int times, int64_t now, TryOutcome why = TryOutcome::k5xx) {
  for (int k = 0; k < times; ++k) pool.record(i, why, now);
}

TEST(OutlierDetection, EjectsAfterConsecutiveFailuresOnly) {
  OriginStateStore store;
  Pool cfg = pool_config("web", 4);
  OriginPool pool(cfg, endpoints_of(cfg), store);
  fail(pool, 0, 2, 0);
  pool.record(0, TryOutcome::kSuccess, 0);  // a success breaks the run
  fail(pool, 0, 2, 0);
  EXPECT_FALSE(pool.state(0).ejected.load());
  fail(pool, 0, 1, 0);
  EXPECT_TRUE(pool.state(0).ejected.load());
  EXPECT_FALSE(pool.state(0).usable());
  EXPECT_EQ(pool.state(0).ejections.load(), 1u);
  EXPECT_EQ(pool.usable_count(), 3u);
}

TEST(OutlierDetection, EjectionEndsAndBackoffGrowsWhileFailing) {
  OriginStateStore store;
  Pool cfg = pool_config("web", 4);
  OriginPool pool(cfg, endpoints_of(cfg), store);
  fail(pool, 1, 3, 0);
  EXPECT_EQ(pool.state(1).ejected_until_ms.load(), 1000);
  pool.end_ejections(999);
  EXPECT_TRUE(pool.state(1).ejected.load());
  pool.end_ejections(1000);
  EXPECT_FALSE(pool.state(1).ejected.load());
  // Still failing: ejected again for twice as long, then four times, capped at max.
  fail(pool, 1, 3, 1000);
  EXPECT_EQ(pool.state(1).ejected_until_ms.load(), 1000 + 2000);
  pool.end_ejections(3000);
  fail(pool, 1, 3, 3000);
  EXPECT_EQ(pool.state(1).ejected_until_ms.load(), 3000 + 4000);
  pool.end_ejections(7000);
  fail(pool, 1, 3, 7000);
  EXPECT_EQ(pool.state(1).ejected_until_ms.load(), 7000 + 5000);
  // A success after the ejection ends resets the streak.
  pool.end_ejections(12000);
  pool.record(1, TryOutcome::kSuccess, 12000);
  fail(pool, 1, 3, 12000);
  EXPECT_EQ(pool.state(1).ejected_until_ms.load(), 12000 + 1000);
}

TEST(OutlierDetection, CapOnTheEjectedShare) {
  OriginStateStore store;
  Pool cfg = pool_config("web", 4);  // 50% of 4: two at most
  OriginPool pool(cfg, endpoints_of(cfg), store);
  for (size_t i = 0; i < 4; ++i) fail(pool, i, 3, 0, TryOutcome::kConnectFailure);
  size_t ejected = 0;
  for (size_t i = 0; i < 4; ++i) ejected += pool.state(i).ejected.load() ? 1 : 0;
  EXPECT_EQ(ejected, 2u);
  EXPECT_EQ(pool.usable_count(), 2u);
}

TEST(OutlierDetection, FiveHundredsCanBeIgnored) {
  OriginStateStore store;
  Pool cfg = pool_config("web", 2);
  cfg.outlier_detection.count_5xx = false;
  OriginPool pool(cfg, endpoints_of(cfg), store);
  fail(pool, 0, 10, 0, TryOutcome::k5xx);
  EXPECT_FALSE(pool.state(0).ejected.load());
  EXPECT_EQ(pool.state(0).failures.load(), 10u);
  fail(pool, 0, 3, 0, TryOutcome::kTimeout);
  EXPECT_TRUE(pool.state(0).ejected.load());
}

TEST(OutlierDetection, DisabledNeverEjects) {
  OriginStateStore store;
  Pool cfg = pool_config("web", 2);
  cfg.outlier_detection.enabled = false;
  OriginPool pool(cfg, endpoints_of(cfg), store);
  fail(pool, 0, 50, 0, TryOutcome::kConnectFailure);
  EXPECT_FALSE(pool.state(0).ejected.load());
}

TEST(OriginPool, StateSurvivesARebuildOfThePool) {
  OriginStateStore store;
  Pool cfg = pool_config("web", 3);
  auto first = std::make_unique<OriginPool>(cfg, endpoints_of(cfg), store);
  first->set_admin(2, AdminState::kDraining);
  first->set_healthy(1, false, "test");
  auto second = std::make_unique<OriginPool>(cfg, endpoints_of(cfg), store);
  first.reset();
  EXPECT_EQ(second->state(2).admin(), AdminState::kDraining);
  EXPECT_FALSE(second->state(2).usable());
  // Without active checks nothing could bring an endpoint back, so a pool without a
  // health check starts every endpoint healthy.
  EXPECT_TRUE(second->state(1).healthy.load());
  cfg.health_check.enabled = true;
  second->set_healthy(1, false, "test");
  OriginPool third(cfg, endpoints_of(cfg), store);
  EXPECT_FALSE(third.state(1).healthy.load());
}

TEST(OriginPool, ConfigDisabledEndpointComesBackWhenTheConfigEnablesIt) {
  OriginStateStore store;
  Pool cfg = pool_config("web", 2);
  cfg.endpoints[1].enabled = false;
  OriginPool off(cfg, endpoints_of(cfg), store);
  EXPECT_EQ(off.state(1).admin(), AdminState::kDisabled);
  EXPECT_EQ(off.usable_count(), 1u);
  cfg.endpoints[1].enabled = true;
  OriginPool on(cfg, endpoints_of(cfg), store);
  EXPECT_EQ(on.state(1).admin(), AdminState::kEnabled);
  EXPECT_EQ(on.usable_count(), 2u);
}

TEST(OriginPool, AffinityTokensAreStableOpaqueAndDistinct) {
  OriginStateStore store;
  Pool cfg = pool_config("web", 3);
  OriginPool a(cfg, endpoints_of(cfg), store);
  OriginPool b(cfg, endpoints_of(cfg), store);
  for (size_t i = 0; i < 3; ++i) {
    const std::string& token = a.endpoint(i).affinity_token;
    EXPECT_EQ(token.size(), 16u);
    EXPECT_EQ(token, b.endpoint(i).affinity_token);
    EXPECT_EQ(token.find("127.0.0.1"), std::string::npos);
    EXPECT_EQ(a.find_by_token(token), i);
  }
  EXPECT_NE(a.endpoint(0).affinity_token, a.endpoint(1).affinity_token);
  EXPECT_FALSE(a.find_by_token("0000000000000000").has_value());
  EXPECT_FALSE(a.find_by_token("short").has_value());
}

TEST(Failover, FirstPoolWithEnoughHealthyEndpoints) {
  OriginStateStore store;
  Pool pc = pool_config("primary", 2);
  pc.min_healthy = 2;
  Pool sc = pool_config("secondary", 2);
  Pool fc = pool_config("backup", 1);
  OriginPool primary(pc, endpoints_of(pc), store);
  OriginPool secondary(sc, endpoints_of(sc), store);
  OriginPool backup(fc, endpoints_of(fc), store);
  FailoverPlan plan{{&primary, &secondary}, &backup};
  EXPECT_EQ(OriginSet::choose(plan), &primary);
  primary.set_admin(0, AdminState::kDisabled);  // 1 usable < min_healthy 2
  EXPECT_EQ(OriginSet::choose(plan), &secondary);
  secondary.set_admin(0, AdminState::kDisabled);
  secondary.set_admin(1, AdminState::kDisabled);
  EXPECT_EQ(OriginSet::choose(plan), &backup);
  backup.set_admin(0, AdminState::kDisabled);
  // Nothing meets its minimum and the fallback is down: any usable endpoint beats a 503.
  EXPECT_EQ(OriginSet::choose(plan), &primary);
  primary.set_admin(1, AdminState::kDisabled);
  EXPECT_EQ(OriginSet::choose(plan), nullptr);
  // Failback: the primary recovers and takes the traffic again.
  primary.set_admin(0, AdminState::kEnabled);
  primary.set_admin(1, AdminState::kEnabled);
  EXPECT_EQ(OriginSet::choose(plan), &primary);
}

}  // namespace
