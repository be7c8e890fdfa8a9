// The process log: the config version on every line, and the per-kind rate limit with
// its "suppressed N similar" summary, written even when no later message passes.

#include "core/log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace {

using rampart::core::LogLevel;
using rampart::core::LogRateLimiter;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rampart::core::set_log_level(LogLevel::kInfo);
    rampart::core::set_log_rate(3, std::chrono::milliseconds(1000));
  }
  void TearDown() override {
    rampart::core::set_log_config_version("");
    rampart::core::set_log_rate(5, std::chrono::milliseconds(10'000));
  }
};

TEST_F(LogTest, EveryLineCarriesTheConfigVersion) {
  rampart::core::set_log_config_version("v-42");
  testing::internal::CaptureStderr();
  rampart::core::log(LogLevel::kError, "origin {} failed", "a");
  rampart::core::log(LogLevel::kInfo, "something else");
  rampart::core::set_log_config_version("v-43");
  rampart::core::log(LogLevel::kWarn, "after a reload");
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find(" error config=v-42 origin a failed\n"), std::string::npos) << out;
  EXPECT_NE(out.find(" info config=v-42 something else\n"), std::string::npos) << out;
  EXPECT_NE(out.find(" warn config=v-43 after a reload\n"), std::string::npos) << out;
}

TEST_F(LogTest, FirstBurstPassesThenTheRestIsCountedAndReportedOnce) {
  LogRateLimiter limiter("origin connect failed");
  int64_t t = 1'000'000;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.admit_at(t + i), 0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.admit_at(t + 10 + i), -1);
  // Still inside the interval: nothing to report yet.
  EXPECT_EQ(limiter.take_expired(t + 500), 0);
  testing::internal::CaptureStderr();
  rampart::core::flush_suppressed_logs(t + 1'001);
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("suppressed 100 similar log lines: origin connect failed"), std::string::npos)
      << out;
  // Reported once only.
  testing::internal::CaptureStderr();
  rampart::core::flush_suppressed_logs(t + 5'000);
  EXPECT_EQ(testing::internal::GetCapturedStderr().find("origin connect failed"),
            std::string::npos);
}

TEST_F(LogTest, ANewIntervalLetsAFreshBurstThroughAndMentionsTheCountOnce) {
  LogRateLimiter limiter("k");
  int64_t t = 5'000'000;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.admit_at(t), 0);
  EXPECT_EQ(limiter.admit_at(t), -1);
  EXPECT_EQ(limiter.admit_at(t), -1);
  // The first message of the next interval carries the count; flushing then has none.
  EXPECT_EQ(limiter.admit_at(t + 1'000), 2);
  EXPECT_EQ(limiter.take_expired(t + 3'000), 0);
  EXPECT_EQ(limiter.admit_at(t + 1'001), 0);
}

TEST_F(LogTest, AnOwnBurstOverridesTheConfiguredOne) {
  LogRateLimiter limiter("disk", 1);
  EXPECT_EQ(limiter.admit_at(10), 0);
  EXPECT_EQ(limiter.admit_at(11), -1);
}

TEST_F(LogTest, AStormCostsNoWrites) {
  // 100k suppressed messages write nothing until the flush: the request path only
  // counts.
  LogRateLimiter limiter("storm");
  testing::internal::CaptureStderr();
  int passed = 0;
  for (int i = 0; i < 100'000; ++i) {
    if (limiter.admit_at(42) >= 0) {
      ++passed;
      rampart::core::log(LogLevel::kError, "storm {}", i);
    }
  }
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(passed, 3);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
}

}  // namespace
