// The decisions' clock: monotonic, never ahead of the precise clock, and behind it by
// a few milliseconds at most (the accuracy bound in README.md depends on it).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "ratelimit/clock.h"

namespace rampart::ratelimit {
namespace {

Nanos precise() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

TEST(DecisionClock, NeverGoesBackAndLagsByAtMostItsResolution) {
  Nanos lag = decision_clock_lag();
  EXPECT_LE(lag, 4'000'000);
  Nanos last = decision_clock();
  int samples = 0;
  int late = 0;
  Nanos start = precise();
  // About 50 ms of readings, across several kernel ticks.
  while (precise() - start < 50'000'000 && samples < 5'000'000) {
    Nanos before = precise();
    Nanos now = decision_clock();
    Nanos after = precise();
    ASSERT_GE(now, last);
    ASSERT_LE(now, after);  // the same timeline as steady_clock, never ahead of it
    // The coarse time is set a little after each tick (about 3 ms after it on the
    // machine this was written on), and a loaded machine runs a tick late now and
    // then: most readings are within the resolution plus that delay.
    if (now < before - lag - 5'000'000) ++late;
    last = now;
    ++samples;
  }
  EXPECT_GT(samples, 100);
  EXPECT_LE(late, samples / 100) << samples;
  // And it does move.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GT(decision_clock(), last);
}

}  // namespace
}  // namespace rampart::ratelimit
