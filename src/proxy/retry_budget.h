#pragma once
// The retry budget of a pool: retries may be at most a share of the requests seen over a
// sliding window (plus a small allowance so a quiet pool can still retry). When an origin
// fails completely every request would otherwise be multiplied by max_tries — the retry
// storm that keeps an outage going. Shared by all workers, lock-free.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace rampart::proxy {

class RetryBudget {
 public:
  // `percent`: retries allowed per 100 requests; `min_retries`: allowed per window on top.
  RetryBudget(uint32_t percent, std::chrono::milliseconds window, uint32_t min_retries);

  // A first try (a client request reaching this pool).
  void on_request(int64_t now_ms);
  // True when one more retry fits the budget; the retry is then counted.
  bool try_retry(int64_t now_ms);

  struct Totals {
    uint64_t requests = 0;
    uint64_t retries = 0;
  };
  Totals window_totals(int64_t now_ms) const;

 private:
  static constexpr int kBuckets = 10;
  struct Bucket {
    std::atomic<int64_t> epoch{-1};  // which bucket-width interval the counts belong to
    std::atomic<uint64_t> requests{0};
    std::atomic<uint64_t> retries{0};
  };
  Bucket& current(int64_t now_ms);

  uint32_t percent_;
  int64_t bucket_ms_;
  uint32_t min_retries_;
  std::array<Bucket, kBuckets> buckets_;
};

}  // namespace rampart::proxy
