// Steering policies of a pool: weights, health and exclusions, load and latency awareness,
// Maglev stability, and thread safety. Fixed seeds keep the statistical checks repeatable.

#include "proxy/balancer.h"

#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using rampart::proxy::Balancer;
using rampart::proxy::EndpointSpec;
using rampart::proxy::Steering;

constexpr Steering kAllPolicies[] = {Steering::kRoundRobin,       Steering::kRandom,
                                     Steering::kLeastOutstanding, Steering::kPowerOfTwo,
                                     Steering::kLatency,          Steering::kHash};

std::vector<EndpointSpec> endpoints(const std::vector<uint32_t>& weights) {
  std::vector<EndpointSpec> specs;
  for (size_t i = 0; i < weights.size(); ++i) {
    specs.push_back({"10.0.0." + std::to_string(i + 1) + ":8080", weights[i]});
  }
  return specs;
}

std::string key_of(int i) {
  return "session-" + std::to_string(i);
}

// Picks `n` times, finishing each request at once; hash keys vary per pick.
std::vector<int> distribution(Balancer& balancer, int n, uint64_t seed = 42) {
  std::mt19937_64 rng(seed);
  std::vector<int> counts(balancer.size(), 0);
  for (int i = 0; i < n; ++i) {
    auto picked = balancer.pick(key_of(i), {}, rng());
    if (!picked) {
      ADD_FAILURE() << "no endpoint picked";
      break;
    }
    ++counts[*picked];
    balancer.on_start(*picked);
    balancer.on_finish(*picked, std::nullopt);
  }
  return counts;
}

void expect_follows_weights(const std::vector<int>& counts, const std::vector<uint32_t>& weights,
                            double tolerance) {
  double total_weight = 0;
  for (auto w : weights) total_weight += w;
  double total = 0;
  for (auto c : counts) total += c;
  for (size_t i = 0; i < counts.size(); ++i) {
    double expected = total * weights[i] / total_weight;
    EXPECT_NEAR(counts[i], expected, expected * tolerance) << "endpoint " << i;
  }
}

class BalancerPolicyTest : public ::testing::TestWithParam<Steering> {};

TEST_P(BalancerPolicyTest, FollowsWeightsWhenIdle) {
  const std::vector<uint32_t> weights = {1, 2, 3, 4};
  Balancer balancer(GetParam(), endpoints(weights));
  expect_follows_weights(distribution(balancer, 100000), weights, 0.05);
}

TEST_P(BalancerPolicyTest, NeverPicksUnusableOrExcluded) {
  Balancer balancer(GetParam(), endpoints({1, 1, 1, 1, 1}));
  balancer.state(1).healthy = false;
  balancer.state(2).enabled = false;
  const std::vector<size_t> exclude = {3};
  std::mt19937_64 rng(7);
  std::vector<int> counts(5, 0);
  for (int i = 0; i < 20000; ++i) {
    auto picked = balancer.pick(key_of(i), exclude, rng());
    ASSERT_TRUE(picked.has_value());
    ++counts[*picked];
  }
  EXPECT_EQ(counts[1], 0);
  EXPECT_EQ(counts[2], 0);
  EXPECT_EQ(counts[3], 0);
  EXPECT_GT(counts[0], 0);
  EXPECT_GT(counts[4], 0);
  EXPECT_EQ(balancer.usable_count(), 3u);
}

TEST_P(BalancerPolicyTest, NulloptWhenNothingLeft) {
  Balancer balancer(GetParam(), endpoints({1, 2, 3}));
  balancer.state(0).healthy = false;
  balancer.state(1).enabled = false;
  const std::vector<size_t> exclude = {2};
  EXPECT_EQ(balancer.pick("k", exclude, 1), std::nullopt);
  EXPECT_TRUE(balancer.pick("k", {}, 1).has_value());
  balancer.state(2).healthy = false;
  for (uint64_t r = 0; r < 200; ++r) EXPECT_EQ(balancer.pick(key_of(r), {}, r), std::nullopt);
  EXPECT_EQ(balancer.usable_count(), 0u);

  Balancer empty(GetParam(), {});
  EXPECT_EQ(empty.pick("k", {}, 1), std::nullopt);
}

TEST_P(BalancerPolicyTest, ConcurrentPicksBalanceInFlight) {
  Balancer balancer(GetParam(), endpoints({1, 2, 3, 1}));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(100 + t);
      std::string key;
      for (int i = 0; i < 100000; ++i) {
        key = key_of(i * 4 + t);
        auto picked = balancer.pick(key, {}, rng());
        if (!picked) {
          failures.fetch_add(1);
          continue;
        }
        balancer.on_start(*picked);
        balancer.on_finish(*picked, 100 + rng() % 1000);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  for (size_t i = 0; i < balancer.size(); ++i) {
    EXPECT_EQ(balancer.state(i).in_flight.load(), 0u);
    EXPECT_GT(balancer.state(i).ewma_ttfb_us.load(), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, BalancerPolicyTest, ::testing::ValuesIn(kAllPolicies));

TEST(BalancerTest, InFlightNeverUnderflows) {
  Balancer balancer(Steering::kRandom, endpoints({1, 1}));
  balancer.on_finish(0, std::nullopt);
  EXPECT_EQ(balancer.state(0).in_flight.load(), 0u);
  balancer.on_start(0);
  balancer.on_start(0);
  balancer.on_finish(0, std::nullopt);
  EXPECT_EQ(balancer.state(0).in_flight.load(), 1u);
  // Out-of-range indexes are ignored rather than trusted.
  balancer.on_start(5);
  balancer.on_finish(5, 10);
}

TEST(BalancerTest, RoundRobinIsSmooth) {
  // nginx's documented sequence for weights 5, 1, 1.
  Balancer balancer(Steering::kRoundRobin, endpoints({5, 1, 1}));
  std::vector<size_t> sequence;
  for (int i = 0; i < 7; ++i) sequence.push_back(*balancer.pick("", {}, 0));
  EXPECT_EQ(sequence, (std::vector<size_t>{0, 0, 1, 0, 2, 0, 0}));
}

TEST(BalancerTest, LeastOutstandingPrefersLessLoaded) {
  Balancer balancer(Steering::kLeastOutstanding, endpoints({1, 1, 1}));
  for (int i = 0; i < 5; ++i) balancer.on_start(0);
  for (int i = 0; i < 2; ++i) balancer.on_start(1);
  for (uint64_t r = 0; r < 100; ++r) EXPECT_EQ(balancer.pick("", {}, r), 2u);

  // in_flight / weight: 2 of weight 3 beats 1 of weight 1.
  Balancer weighted(Steering::kLeastOutstanding, endpoints({1, 3}));
  weighted.on_start(0);
  weighted.on_start(1);
  weighted.on_start(1);
  for (uint64_t r = 0; r < 100; ++r) EXPECT_EQ(weighted.pick("", {}, r), 1u);
}

// Requests stay in flight for a while (FIFO, `concurrency` at once), as under real load.
std::vector<int> loaded_distribution(Balancer& balancer, int n, size_t concurrency) {
  std::mt19937_64 rng(9);
  std::vector<int> counts(balancer.size(), 0);
  std::deque<size_t> outstanding;
  for (int i = 0; i < n; ++i) {
    auto picked = balancer.pick("", {}, rng());
    if (!picked) break;
    ++counts[*picked];
    balancer.on_start(*picked);
    outstanding.push_back(*picked);
    if (outstanding.size() > concurrency) {
      balancer.on_finish(outstanding.front(), std::nullopt);
      outstanding.pop_front();
    }
  }
  return counts;
}

TEST(BalancerTest, LeastOutstandingFollowsWeightsUnderLoad) {
  const std::vector<uint32_t> weights = {1, 2, 3};
  Balancer balancer(Steering::kLeastOutstanding, endpoints(weights));
  expect_follows_weights(loaded_distribution(balancer, 60000, 60), weights, 0.05);
}

TEST(BalancerTest, PowerOfTwoPrefersLessLoaded) {
  Balancer balancer(Steering::kPowerOfTwo, endpoints({1, 1, 1}));
  for (int i = 0; i < 10; ++i) balancer.on_start(0);
  std::mt19937_64 rng(3);
  int to_loaded = 0;
  const int n = 30000;
  for (int i = 0; i < n; ++i) to_loaded += balancer.pick("", {}, rng()) == 0u ? 1 : 0;
  // The two candidates are distinct, so the loaded one always loses.
  EXPECT_EQ(to_loaded, 0);
}

TEST(BalancerTest, PowerOfTwoBreaksTiesByLatency) {
  Balancer balancer(Steering::kPowerOfTwo, endpoints({1, 1}));
  balancer.on_finish(0, 5000);
  balancer.on_finish(1, 500);
  std::mt19937_64 rng(4);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(balancer.pick("", {}, rng()), 1u);
}

TEST(BalancerTest, LatencyEwma) {
  Balancer balancer(Steering::kLatency, endpoints({1}));
  balancer.on_finish(0, 1000);
  EXPECT_EQ(balancer.state(0).ewma_ttfb_us.load(), 1000u);
  balancer.on_finish(0, 2000);
  EXPECT_EQ(balancer.state(0).ewma_ttfb_us.load(), 1300u);
  balancer.on_finish(0, std::nullopt);  // no sample, no change
  EXPECT_EQ(balancer.state(0).ewma_ttfb_us.load(), 1300u);
  // A zero sample must not read as "never measured".
  Balancer fast(Steering::kLatency, endpoints({1}));
  fast.on_finish(0, 0);
  EXPECT_EQ(fast.state(0).ewma_ttfb_us.load(), 1u);
}

// Every request is measured: endpoint `slow` answers in `slow_us`, the others in 1ms.
std::vector<int> latency_run(Balancer& balancer, int n, size_t slow, uint64_t slow_us,
                             std::mt19937_64& rng) {
  std::vector<int> counts(balancer.size(), 0);
  for (int i = 0; i < n; ++i) {
    auto picked = balancer.pick("", {}, rng());
    if (!picked) break;
    ++counts[*picked];
    balancer.on_start(*picked);
    balancer.on_finish(*picked, *picked == slow ? slow_us : 1000);
  }
  return counts;
}

TEST(BalancerTest, LatencyShiftsAwayFromSlowButKeepsProbing) {
  Balancer balancer(Steering::kLatency, endpoints({1, 1, 1}));
  std::mt19937_64 rng(5);
  // Everyone healthy and equally fast: traffic is shared.
  auto before = latency_run(balancer, 3000, 0, 1000, rng);
  EXPECT_GT(before[0], 700);
  // Endpoint 0 turns 10x slower: within a few of its own responses it loses its share.
  auto during = latency_run(balancer, 30000, 0, 10000, rng);
  EXPECT_LT(during[0], 30000 * 3 / 100);
  EXPECT_GT(during[0], 30000 / 500);  // the ~2% probes, a third of which land on it
  EXPECT_GT(balancer.state(0).ewma_ttfb_us.load(), 5000u);
  // It recovers: the probes bring its average back down and it gets traffic again.
  auto after = latency_run(balancer, 30000, 0, 1000, rng);
  EXPECT_GT(after[0], 30000 / 5);
}

TEST(BalancerTest, LatencyTriesUnmeasuredEndpointsFirst) {
  Balancer balancer(Steering::kLatency, endpoints({1, 1, 1}));
  balancer.on_finish(0, 100);
  balancer.on_finish(1, 100);
  int to_new = 0;
  for (uint64_t r = 0; r < 1000; ++r) to_new += balancer.pick("", {}, r) == 2u ? 1 : 0;
  EXPECT_GT(to_new, 950);
}

TEST(BalancerTest, HashIsStablePerKey) {
  Balancer a(Steering::kHash, endpoints({1, 1, 1, 1, 1}));
  Balancer b(Steering::kHash, endpoints({1, 1, 1, 1, 1}));
  for (int i = 0; i < 1000; ++i) {
    auto first = a.pick(key_of(i), {}, i);
    for (uint64_t r = 0; r < 3; ++r) EXPECT_EQ(a.pick(key_of(i), {}, r * 7919), first);
    EXPECT_EQ(b.pick(key_of(i), {}, 0), first);  // same specs, same table
  }
}

TEST(BalancerTest, HashSpreadsKeysEvenly) {
  const size_t n = 10;
  Balancer balancer(Steering::kHash, endpoints(std::vector<uint32_t>(n, 1)));
  std::vector<int> counts(n, 0);
  const int keys = 100000;
  for (int i = 0; i < keys; ++i) ++counts[*balancer.pick(key_of(i), {}, 0)];
  for (size_t i = 0; i < n; ++i) EXPECT_NEAR(counts[i], keys / n, keys / n / 10) << i;
}

TEST(BalancerTest, HashMovesOnlyKeysOfADownEndpoint) {
  const size_t n = 10;
  const int keys = 100000;
  Balancer balancer(Steering::kHash, endpoints(std::vector<uint32_t>(n, 1)));
  std::vector<size_t> before(keys);
  for (int i = 0; i < keys; ++i) before[i] = *balancer.pick(key_of(i), {}, 0);

  auto check_moves = [&](std::span<const size_t> exclude) {
    int others = 0, stayed = 0;
    std::vector<int> moved_to(n, 0);
    for (int i = 0; i < keys; ++i) {
      size_t now = *balancer.pick(key_of(i), exclude, 0);
      EXPECT_NE(now, 3u);
      if (before[i] == 3) {
        ++moved_to[now];
      } else {
        ++others;
        stayed += now == before[i] ? 1 : 0;
      }
    }
    EXPECT_GE(stayed, others * 99 / 100);
    // The orphaned keys spread over all the others rather than piling onto one.
    int orphans = keys / static_cast<int>(n);
    for (size_t i = 0; i < n; ++i) {
      if (i == 3) continue;
      EXPECT_GT(moved_to[i], orphans / static_cast<int>(n - 1) / 2) << i;
    }
  };

  balancer.state(3).healthy = false;
  check_moves({});
  balancer.state(3).healthy = true;
  for (int i = 0; i < keys; i += 97) EXPECT_EQ(*balancer.pick(key_of(i), {}, 0), before[i]);
  const std::vector<size_t> exclude = {3};
  check_moves(exclude);
}

TEST(BalancerTest, HashWithoutKeySpreads) {
  Balancer balancer(Steering::kHash, endpoints({1, 1, 1}));
  std::vector<int> counts(3, 0);
  for (uint64_t r = 0; r < 3000; ++r) ++counts[*balancer.pick("", {}, r * 0x9e3779b97f4a7c15ULL)];
  for (int c : counts) EXPECT_GT(c, 800);
}

}  // namespace
