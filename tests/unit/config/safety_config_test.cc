// The `safety:` section: defaults, every key read, every mistake reported where it is.

#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using testing::all_errors;
using testing::has_error_at;
using testing::load_body;

TEST(SafetyConfigTest, DefaultsWithoutTheSection) {
  auto r = load_body("");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_FALSE(r.config->safety.config_header);
  EXPECT_EQ(r.config->safety.error_log_burst, 5u);
  EXPECT_EQ(r.config->safety.error_log_interval, Millis(10'000));
}

TEST(SafetyConfigTest, ReadsEveryKey) {
  auto r = load_body(R"(
safety:
  config_header: true
  error_log_burst: 2
  error_log_interval: 500ms
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_TRUE(r.config->safety.config_header);
  EXPECT_EQ(r.config->safety.error_log_burst, 2u);
  EXPECT_EQ(r.config->safety.error_log_interval, Millis(500));
}

TEST(SafetyConfigTest, MistakesAreErrorsAtTheirValue) {
  auto r = load_body(R"(
safety:
  config_header: sometimes
  error_log_burst: 0
  error_log_interval: 10ms
  eror_log_burst: 3
)");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 4, 18, "sometimes")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 5, 20, "")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 6, 23, "")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 7, 3, "eror_log_burst")) << all_errors(r);
}

}  // namespace
}  // namespace rampart::config
