// The minimum-rate budget behind the slow-loris and slow-read defences.

#include "core/rate_floor.h"

#include <gtest/gtest.h>

namespace {

using rampart::core::RateFloor;
using namespace std::chrono_literals;

TEST(RateFloor, OffAllowsForever) {
  RateFloor f;
  f.reset(0, 10s);
  EXPECT_FALSE(f.enabled());
  EXPECT_EQ(f.allowance(0), RateFloor::Clock::duration::max());
}

TEST(RateFloor, GraceThenBytesEarnTime) {
  RateFloor f;
  f.reset(100, 2s);
  EXPECT_EQ(f.allowance(0), 2s);
  f.record(50, 1s);  // 50 bytes earn 0.5 s; 1 s was spent
  EXPECT_EQ(f.allowance(0), 1500ms);
  // A write of 300 bytes may take what they earn too.
  EXPECT_EQ(f.allowance(300), 4500ms);
}

TEST(RateFloor, ATrickleBelowTheFloorRunsOut) {
  RateFloor f;
  f.reset(128, 10s);
  // One byte a second: each second costs far more than the byte earns.
  int seconds = 0;
  while (f.allowance(0) > 1s && seconds < 100) {
    f.record(1, 1s);
    ++seconds;
  }
  EXPECT_GE(seconds, 9);
  EXPECT_LE(seconds, 10);
}

TEST(RateFloor, AClientAboveTheFloorNeverRunsOut) {
  RateFloor f;
  f.reset(1000, 1s);
  for (int i = 0; i < 10'000; ++i) f.record(2000, 1s);  // twice the floor, for hours
  EXPECT_GT(f.allowance(0), 1s);
}

TEST(RateFloor, HugeCountsDoNotOverflow) {
  RateFloor f;
  f.reset(1, 1s);
  f.record(uint64_t{1} << 62, 0s);
  EXPECT_GT(f.allowance(uint64_t{1} << 62), 24h);
}

}  // namespace
