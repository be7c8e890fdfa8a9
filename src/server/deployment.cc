#include "server/deployment.h"

#include <fmt/format.h>

#include <cmath>

namespace rampart::server {

Tally Tally::since(const Tally& earlier) const {
  Tally d;
  auto minus = [](uint64_t a, uint64_t b) { return a >= b ? a - b : 0; };
  d.requests = minus(requests, earlier.requests);
  d.errors = minus(errors, earlier.errors);
  d.origin_errors = minus(origin_errors, earlier.origin_errors);
  d.module_failures = minus(module_failures, earlier.module_failures);
  for (size_t i = 0; i < latency.size(); ++i) d.latency[i] = minus(latency[i], earlier.latency[i]);
  return d;
}

double Tally::error_rate() const {
  if (requests == 0) return 0;
  // A failing module may fail many times in one request; a request fails at most once.
  uint64_t failed = std::min(requests, errors + module_failures);
  return static_cast<double>(failed) / static_cast<double>(requests);
}

double Tally::p95_seconds() const {
  uint64_t n = 0;
  for (uint64_t c : latency) n += c;
  if (n == 0) return 0;
  uint64_t rank = (n * 95 + 99) / 100;
  uint64_t seen = 0;
  for (size_t i = 0; i < latency.size(); ++i) {
    seen += latency[i];
    if (seen >= rank) {
      // The +Inf bucket has no upper bound: report twice the last finite one.
      return i < kLatencyBuckets.size() ? kLatencyBuckets[i] : 2 * kLatencyBuckets.back();
    }
  }
  return 2 * kLatencyBuckets.back();
}

DeploymentCounters::DeploymentCounters(unsigned workers)
    : slots_(std::make_unique<Slot[]>(workers == 0 ? 1 : workers)),
      workers_(workers == 0 ? 1 : workers) {}

void DeploymentCounters::count(unsigned worker, int status, bool by_rampart, double seconds) {
  Slot& s = slots_[worker < workers_ ? worker : 0];
  s.requests.fetch_add(1, std::memory_order_relaxed);
  if (status >= 500) {
    (by_rampart ? s.errors : s.origin_errors).fetch_add(1, std::memory_order_relaxed);
  }
  size_t bucket = 0;
  while (bucket < kLatencyBuckets.size() && seconds > kLatencyBuckets[bucket]) ++bucket;
  s.latency[bucket].fetch_add(1, std::memory_order_relaxed);
}

Tally DeploymentCounters::total() const {
  Tally t;
  for (unsigned w = 0; w < workers_; ++w) {
    const Slot& s = slots_[w];
    t.requests += s.requests.load(std::memory_order_relaxed);
    t.errors += s.errors.load(std::memory_order_relaxed);
    t.origin_errors += s.origin_errors.load(std::memory_order_relaxed);
    for (size_t i = 0; i < t.latency.size(); ++i) {
      t.latency[i] += s.latency[i].load(std::memory_order_relaxed);
    }
  }
  return t;
}

Decision decide(const config::Deployment& policy, const Tally& running, const Tally& candidate,
                std::chrono::milliseconds elapsed) {
  Decision d;
  bool window_over = elapsed >= policy.window;
  if (candidate.requests >= policy.min_requests) {
    double base = running.requests > 0 ? running.error_rate() : 0.0;
    double rate = candidate.error_rate();
    double n = static_cast<double>(candidate.requests);
    double noise = 3 * std::sqrt(base * (1 - base) / n);
    double allowed = policy.max_error_rate_increase / 100.0;
    if (rate - base > allowed + noise) {
      d.verdict = Verdict::kRollback;
      d.reason = fmt::format(
          "error rate {:.2f}% over {} requests ({} rampart 5xx, {} module failures) against "
          "{:.2f}% on the running config; at most +{}% allowed",
          rate * 100, candidate.requests, candidate.errors, candidate.module_failures, base * 100,
          policy.max_error_rate_increase);
      return d;
    }
    if (policy.max_latency_increase.count() > 0 && running.requests >= policy.min_requests) {
      double slower = candidate.p95_seconds() - running.p95_seconds();
      if (slower * 1000 > static_cast<double>(policy.max_latency_increase.count())) {
        d.verdict = Verdict::kRollback;
        d.reason = fmt::format(
            "p95 latency {:.1f} ms against {:.1f} ms on the running config; at "
            "most +{} ms allowed",
            candidate.p95_seconds() * 1000, running.p95_seconds() * 1000,
            policy.max_latency_increase.count());
        return d;
      }
    }
  }
  if (!window_over) return d;
  d.verdict = policy.auto_promote ? Verdict::kPromote : Verdict::kHold;
  d.reason = fmt::format(
      "window of {} s passed: error rate {:.2f}% over {} requests against {:.2f}% on the "
      "running config",
      policy.window.count() / 1000.0, candidate.error_rate() * 100, candidate.requests,
      running.error_rate() * 100);
  if (candidate.requests < policy.min_requests) {
    d.reason += fmt::format(" (fewer than min_requests {}: too few to judge)", policy.min_requests);
  }
  if (!policy.auto_promote) d.reason += "; waiting for an operator (auto_promote is off)";
  return d;
}

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kWait:
      return "wait";
    case Verdict::kPromote:
      return "promote";
    case Verdict::kHold:
      return "hold";
    case Verdict::kRollback:
      return "rollback";
  }
  return "wait";
}

}  // namespace rampart::server
