// The retry budget: retries stay within the configured share of requests over the
// sliding window, the allowance lets a quiet pool retry, and old requests age out.

#include "proxy/retry_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

using rampart::proxy::RetryBudget;
using namespace std::chrono_literals;

int retries_allowed(RetryBudget& budget, int64_t now, int attempts) {
  int allowed = 0;
  for (int i = 0; i < attempts; ++i) allowed += budget.try_retry(now) ? 1 : 0;
  return allowed;
}

TEST(RetryBudget, RetriesAreCappedAtTheShareOfRequests) {
  RetryBudget budget(20, 10s, 0);
  for (int i = 0; i < 1000; ++i) budget.on_request(5'000);
  EXPECT_EQ(retries_allowed(budget, 5'000, 1000), 200);
}

TEST(RetryBudget, NoRequestsMeansOnlyTheMinimum) {
  RetryBudget budget(20, 10s, 3);
  EXPECT_EQ(retries_allowed(budget, 1'000, 10), 3);
  RetryBudget none(20, 10s, 0);
  EXPECT_FALSE(none.try_retry(1'000));
}

TEST(RetryBudget, MinimumAddsToTheShare) {
  RetryBudget budget(10, 10s, 5);
  for (int i = 0; i < 100; ++i) budget.on_request(0);
  EXPECT_EQ(retries_allowed(budget, 0, 100), 15);
}

TEST(RetryBudget, RequestsAgeOutOfTheWindow) {
  RetryBudget budget(50, 10s, 0);
  for (int i = 0; i < 100; ++i) budget.on_request(0);
  EXPECT_EQ(retries_allowed(budget, 0, 100), 50);
  // 11 s later every bucket of the first second is stale: nothing left to spend.
  EXPECT_FALSE(budget.try_retry(11'000));
  for (int i = 0; i < 10; ++i) budget.on_request(11'000);
  EXPECT_EQ(retries_allowed(budget, 11'000, 100), 5);
  auto totals = budget.window_totals(11'000);
  EXPECT_EQ(totals.requests, 10u);
  EXPECT_EQ(totals.retries, 5u);
}

TEST(RetryBudget, SlidingNotFixed) {
  // Requests 5 s ago still count; the window slides bucket by bucket, so a boundary
  // does not hand out a fresh budget.
  RetryBudget budget(20, 10s, 0);
  for (int i = 0; i < 100; ++i) budget.on_request(1'000);
  EXPECT_EQ(retries_allowed(budget, 6'000, 100), 20);
  EXPECT_EQ(retries_allowed(budget, 9'500, 100), 0);
}

TEST(RetryBudget, HoldsUnderConcurrentUse) {
  RetryBudget budget(20, 10s, 0);
  for (int i = 0; i < 10'000; ++i) budget.on_request(500);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2'000; ++i) allowed += budget.try_retry(500) ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  // Racing threads may each pass the check before the others count; the overshoot is
  // at most one per thread.
  EXPECT_GE(allowed.load(), 2'000);
  EXPECT_LE(allowed.load(), 2'004);
}

}  // namespace
