// The algorithm against an exact reference: every admitted request is logged and the
// log is checked for the long-run rate and for the most any window admitted.

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <vector>

#include "ratelimit/gcra.h"
#include "ratelimit/key_table.h"

namespace rampart::ratelimit {
namespace {

constexpr Nanos kStart = 1'000 * kSecond;  // clocks need not start at zero

Policy policy(Nanos period, uint64_t limit, Nanos mitigation = 0) {
  auto p = Policy::make(period, limit, mitigation);
  EXPECT_TRUE(p.has_value());
  return *p;
}

// Admitted timestamps; the most of them inside any half-open window [t, t + width).
size_t max_in_window(const std::vector<Nanos>& admitted, Nanos width) {
  size_t best = 0;
  size_t lo = 0;
  for (size_t hi = 0; hi < admitted.size(); ++hi) {
    while (admitted[hi] - admitted[lo] >= width) ++lo;
    best = std::max(best, hi - lo + 1);
  }
  return best;
}

struct Flood {
  std::vector<Nanos> admitted;
  size_t refused = 0;
};

// A client sending `rate_factor` times its allowance, at random (exponential) gaps.
Flood flood(const Policy& p, double rate_factor, int periods, uint32_t seed) {
  Limiter limiter(p, 16);
  std::mt19937_64 rng(seed);
  double mean_gap =
      static_cast<double>(p.period()) / (static_cast<double>(p.limit()) * rate_factor);
  std::exponential_distribution<double> gap(1.0 / mean_gap);
  Flood run;
  Nanos end = kStart + periods * p.period();
  for (Nanos now = kStart; now < end; now += static_cast<Nanos>(gap(rng)) + 1) {
    if (limiter.acquire(42, now).allowed) {
      run.admitted.push_back(now);
    } else {
      ++run.refused;
    }
  }
  return run;
}

struct Case {
  Nanos period;
  uint64_t limit;
};

TEST(Gcra, LongRunRateIsTheLimitWithinOnePercent) {
  for (Case c : {Case{kSecond, 100}, Case{10 * kSecond, 7}, Case{60 * kSecond, 1000},
                 Case{3600 * kSecond, 50}, Case{kSecond, 3}}) {
    const int periods = 200;
    Flood run = flood(policy(c.period, c.limit), 3.0, periods, c.limit);
    // The first period may add one full burst on top of the steady rate.
    double expected = static_cast<double>(c.limit) * periods;
    double got = static_cast<double>(run.admitted.size()) - static_cast<double>(c.limit);
    EXPECT_NEAR(got, expected, expected * 0.01) << c.limit << " per " << c.period;
    EXPECT_GT(run.refused, 0u);
  }
}

TEST(Gcra, NoWindowOfOnePeriodAdmitsTwiceTheLimit) {
  for (Case c : {Case{kSecond, 100}, Case{10 * kSecond, 7}, Case{60 * kSecond, 1000},
                 Case{kSecond, 1}, Case{kSecond, 2}}) {
    for (double factor : {1.5, 4.0, 50.0}) {
      Flood run = flood(policy(c.period, c.limit), factor, 50, static_cast<uint32_t>(factor * 7));
      EXPECT_LT(max_in_window(run.admitted, c.period), 2 * c.limit)
          << c.limit << " per " << c.period << " at x" << factor;
      // A window of a tenth of a period holds at most one burst plus a tenth.
      EXPECT_LE(max_in_window(run.admitted, c.period / 10), c.limit + c.limit / 10 + 1);
    }
  }
}

TEST(Gcra, BurstBoundaryAttackGetsNoDoubleQuota) {
  // The fixed-window attack: a full quota just before a boundary, then again just
  // after. GCRA has no boundary: the second burst finds the quota still spent.
  Policy p = policy(60 * kSecond, 100);
  Limiter limiter(p, 16);
  Nanos t = kStart + 59 * kSecond;
  int first = 0;
  int second = 0;
  for (int i = 0; i < 200; ++i) first += limiter.acquire(7, t).allowed;
  for (int i = 0; i < 200; ++i) second += limiter.acquire(7, t + 2 * kSecond).allowed;
  EXPECT_EQ(first, 100);
  // Two seconds refill 2/60 of the quota: 3 requests, not another 100.
  EXPECT_EQ(second, 3);
}

TEST(Gcra, ClientAtExactlyTheRateIsNeverRefused) {
  Policy p = policy(kSecond, 10);
  Limiter limiter(p, 16);
  for (int i = 0; i < 10'000; ++i) {
    ASSERT_TRUE(limiter.acquire(1, kStart + i * p.interval()).allowed) << i;
  }
}

TEST(Gcra, RetryAfterSaysWhenTheNextRequestPasses) {
  Policy p = policy(10 * kSecond, 5);
  Limiter limiter(p, 16);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter.acquire(1, kStart).allowed);
  Decision d = limiter.acquire(1, kStart);
  ASSERT_FALSE(d.allowed);
  EXPECT_FALSE(d.blocked);
  EXPECT_EQ(d.retry_after, 2 * kSecond);
  EXPECT_EQ(d.reset, 10 * kSecond);
  EXPECT_FALSE(limiter.acquire(1, kStart + d.retry_after - 1).allowed);
  Decision later = limiter.acquire(1, kStart + d.retry_after);
  EXPECT_TRUE(later.allowed);
  EXPECT_EQ(gcra::remaining(p, later), 0u);
  EXPECT_EQ(gcra::remaining(p, d), 0u);
}

TEST(Gcra, RemainingCountsDown) {
  Policy p = policy(kSecond, 4);
  Limiter limiter(p, 16);
  EXPECT_EQ(gcra::remaining(p, limiter.peek(9, kStart)), 4u);
  EXPECT_EQ(gcra::remaining(p, limiter.acquire(9, kStart)), 3u);
  EXPECT_EQ(gcra::remaining(p, limiter.acquire(9, kStart)), 2u);
  EXPECT_EQ(gcra::remaining(p, limiter.peek(9, kStart)), 2u);
}

TEST(Gcra, MitigationTimeoutBlocksThenReleases) {
  Policy p = policy(kSecond, 10, 30 * kSecond);
  Limiter limiter(p, 16);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(limiter.acquire(3, kStart).allowed);
  Decision first = limiter.acquire(3, kStart + 1);
  ASSERT_FALSE(first.allowed);
  EXPECT_TRUE(first.blocked);
  EXPECT_EQ(first.retry_after, 30 * kSecond);
  // Well under the rate, but blocked: and retrying does not extend the block.
  for (int s = 1; s < 30; ++s) {
    Decision d = limiter.acquire(3, kStart + 1 + s * kSecond);
    ASSERT_FALSE(d.allowed) << s;
    EXPECT_EQ(d.retry_after, (30 - s) * kSecond);
  }
  EXPECT_TRUE(limiter.acquire(3, kStart + 1 + 30 * kSecond).allowed);
  // Other keys never noticed.
  EXPECT_TRUE(limiter.acquire(4, kStart + 2).allowed);
}

TEST(Gcra, WithoutTimeoutOnlyTheExcessIsRefused) {
  Policy p = policy(kSecond, 10);
  Limiter limiter(p, 16);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(limiter.acquire(3, kStart).allowed);
  EXPECT_FALSE(limiter.acquire(3, kStart).allowed);
  EXPECT_TRUE(limiter.acquire(3, kStart + p.interval()).allowed);
}

TEST(Gcra, CheckThenAddCountsOnlyWhatTheCallerCounts) {
  // counting_expression: decide on the request, count on the response.
  Policy p = policy(kSecond, 3);
  Limiter limiter(p, 16);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(limiter.check(5, kStart).allowed);
  for (int i = 0; i < 3; ++i) limiter.add(5, kStart);
  EXPECT_FALSE(limiter.check(5, kStart).allowed);
  EXPECT_TRUE(limiter.check(5, kStart + p.interval()).allowed);
}

TEST(Gcra, PolicyRefusesNonsense) {
  EXPECT_FALSE(Policy::make(0, 10, 0));
  EXPECT_FALSE(Policy::make(kSecond, 0, 0));
  EXPECT_FALSE(Policy::make(kSecond, 10, -1));
  EXPECT_FALSE(Policy::make(kSecond, 10'000'000, 0));  // T/N under 1 µs
  EXPECT_TRUE(Policy::make(kSecond, 1'000'000, 0));
}

}  // namespace
}  // namespace rampart::ratelimit
