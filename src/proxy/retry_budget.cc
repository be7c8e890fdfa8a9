#include "proxy/retry_budget.h"

#include <algorithm>

namespace rampart::proxy {

RetryBudget::RetryBudget(uint32_t percent, std::chrono::milliseconds window, uint32_t min_retries)
    : percent_(percent),
      bucket_ms_(std::max<int64_t>(1, window.count() / kBuckets)),
      min_retries_(min_retries) {}

// A bucket whose epoch is stale is reset by the first thread to notice. Two threads
// racing on the reset may lose an increment or two; the budget is a rate, not a ledger.
RetryBudget::Bucket& RetryBudget::current(int64_t now_ms) {
  int64_t epoch = now_ms / bucket_ms_;
  Bucket& b = buckets_[static_cast<size_t>(epoch % kBuckets)];
  int64_t seen = b.epoch.load(std::memory_order_acquire);
  if (seen != epoch && b.epoch.compare_exchange_strong(seen, epoch, std::memory_order_acq_rel)) {
    b.requests.store(0, std::memory_order_relaxed);
    b.retries.store(0, std::memory_order_relaxed);
  }
  return b;
}

void RetryBudget::on_request(int64_t now_ms) {
  current(now_ms).requests.fetch_add(1, std::memory_order_relaxed);
}

RetryBudget::Totals RetryBudget::window_totals(int64_t now_ms) const {
  int64_t epoch = now_ms / bucket_ms_;
  Totals t;
  for (const Bucket& b : buckets_) {
    int64_t e = b.epoch.load(std::memory_order_acquire);
    if (e > epoch - kBuckets && e <= epoch) {
      t.requests += b.requests.load(std::memory_order_relaxed);
      t.retries += b.retries.load(std::memory_order_relaxed);
    }
  }
  return t;
}

bool RetryBudget::try_retry(int64_t now_ms) {
  Bucket& b = current(now_ms);
  Totals t = window_totals(now_ms);
  // retries + 1 <= requests * percent / 100 + min_retries, without division.
  if ((t.retries + 1) * 100 > t.requests * percent_ + uint64_t{min_retries_} * 100) return false;
  b.retries.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace rampart::proxy
