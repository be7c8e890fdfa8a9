#pragma once
// A minimum average transfer rate for one peer, counted only over the time spent waiting
// on that peer: a slow-loris client that trickles a request head, or a slow-read client
// that drains a response a few bytes at a time, runs out of time; a client stalled by a
// slow origin does not, because that wait is not counted.
//
// Every byte earns 1/rate seconds of waiting; `grace` is granted up front. The budget of
// the next wait is what is left, so a peer below the floor on average once the grace is
// spent has its wait cut short.

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace rampart::core {

class RateFloor {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts over (a new request head, body or response); rate 0 switches the floor off.
  void reset(uint32_t min_bytes_per_second, Clock::duration grace) {
    rate_ = min_bytes_per_second;
    grace_ = grace;
    bytes_ = 0;
    waited_ = Clock::duration::zero();
  }
  bool enabled() const { return rate_ != 0; }

  // How long the next wait may last. `pending`: bytes that wait must move in full
  // (a write's size); 0 for a read, which completes on any byte.
  Clock::duration allowance(uint64_t pending) const {
    if (rate_ == 0) return Clock::duration::max();
    uint64_t bytes = bytes_ + pending;
    // Whole seconds and the remainder apart, so no product overflows.
    auto earned = std::chrono::seconds(std::min<uint64_t>(bytes / rate_, kMaxSeconds)) +
                  std::chrono::nanoseconds((bytes % rate_) * 1'000'000'000ull / rate_);
    auto left = grace_ + std::chrono::duration_cast<Clock::duration>(earned) - waited_;
    return std::max(left, Clock::duration::zero());
  }

  void record(uint64_t bytes, Clock::duration waited) {
    bytes_ += bytes;
    waited_ += waited;
  }

 private:
  static constexpr uint64_t kMaxSeconds = 365ull * 24 * 3600;
  uint32_t rate_ = 0;
  Clock::duration grace_{};
  uint64_t bytes_ = 0;
  Clock::duration waited_{};
};

}  // namespace rampart::core
