// The connection guard's config: accept-rate, deny and rate-floor keys of `limits`, the
// `overload` section, and list references resolved after every list is known.

#include <gtest/gtest.h>

#include <string_view>

#include "config/config.h"
#include "config_test_util.h"
#include "core/ip.h"

namespace rampart::config {
namespace {

using testing::all_errors;
using testing::has_error_at;
using testing::load_body;

bool matches(const IpMatch& m, std::string_view ip) {
  auto addr = core::IpAddress::parse(ip);
  EXPECT_TRUE(addr) << ip;
  return addr && m.contains(*addr);
}

TEST(GuardConfig, DefaultsLeaveAcceptGuardOffAndFloorsOn) {
  LoadResult r = load_body("");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config->limits.accept_rate_per_ip, 0u);
  EXPECT_EQ(r.config->limits.deny.set, nullptr);
  EXPECT_EQ(r.config->limits.min_request_rate, 128u);
  EXPECT_EQ(r.config->limits.min_send_rate, 128u);
  EXPECT_FALSE(r.config->overload.enabled());
}

TEST(GuardConfig, DenyMergesInlinePrefixesWithListsDefinedLater) {
  LoadResult r = load_body(R"(
limits:
  deny: [$bad, 192.0.2.7, "2001:db8::/32"]
  accept_rate_per_ip: 20
  accept_burst_per_ip: 50
  min_request_rate: 0
  min_send_rate: 1000
  min_rate_window: 3s
lists:
  bad:
    items: [198.51.100.0/24]
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const Limits& l = r.config->limits;
  EXPECT_TRUE(matches(l.deny, "198.51.100.9"));
  EXPECT_TRUE(matches(l.deny, "192.0.2.7"));
  EXPECT_TRUE(matches(l.deny, "2001:db8::1"));
  EXPECT_FALSE(matches(l.deny, "192.0.2.8"));
  EXPECT_EQ(l.deny.lists, std::vector<std::string>{"bad"});
  EXPECT_EQ(l.accept_rate_per_ip, 20u);
  EXPECT_EQ(l.accept_burst_per_ip, 50u);
  EXPECT_EQ(l.min_request_rate, 0u);
  EXPECT_EQ(l.min_send_rate, 1000u);
  EXPECT_EQ(l.min_rate_window, std::chrono::seconds(3));
}

TEST(GuardConfig, UnknownListAndBadEntriesAreErrorsAtTheirPositions) {
  LoadResult r = load_body(R"(
limits:
  deny: [$blockd, 10.0.0.300, $]
lists:
  blocked: {items: [10.0.0.0/8]}
)");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 4, 10, "no list named \"blockd\""));
  EXPECT_TRUE(has_error_at(r, 4, 10, "did you mean \"blocked\""));
  EXPECT_TRUE(has_error_at(r, 4, 19, "is not an IP address"));
  EXPECT_TRUE(has_error_at(r, 4, 31, "is not a list reference"));
}

TEST(GuardConfig, OverloadSection) {
  LoadResult r = load_body(R"(
overload:
  max_event_loop_lag: 200ms
  max_connections: 5000
  max_memory: 2GiB
  allow: [$office, 10.1.0.0/16]
  allow_headroom: 25%
  retry_after: 30s
lists:
  office: {items: [203.0.113.5]}
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const Overload& o = r.config->overload;
  EXPECT_TRUE(o.enabled());
  EXPECT_EQ(o.max_event_loop_lag, std::chrono::milliseconds(200));
  EXPECT_EQ(o.max_connections, 5000u);
  EXPECT_EQ(o.max_memory, uint64_t{2} << 30);
  EXPECT_TRUE(matches(o.allow, "203.0.113.5"));
  EXPECT_TRUE(matches(o.allow, "10.1.2.3"));
  EXPECT_FALSE(matches(o.allow, "10.2.0.1"));
  EXPECT_EQ(o.allow_headroom_percent, 25u);
  EXPECT_EQ(o.retry_after, std::chrono::seconds(30));
}

TEST(GuardConfig, OutOfRangeValuesAreRefused) {
  LoadResult r = load_body(R"(
overload:
  max_memory: 64KiB
  retry_after: 500ms
  max_event_loop_lag: 2m
  shed: yes
limits:
  min_rate_window: 10ms
  accept_burst_per_ip: 0
)");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 4, 15, "1MiB to 1TiB"));
  EXPECT_TRUE(has_error_at(r, 5, 16, "out of range"));
  EXPECT_TRUE(has_error_at(r, 6, 23, "out of range"));
  EXPECT_TRUE(has_error_at(r, 7, 3, "shed"));
  EXPECT_TRUE(has_error_at(r, 9, 20, "out of range"));
  EXPECT_TRUE(has_error_at(r, 10, 24, "out of range"));
}

TEST(GuardConfig, OverloadHighWaterMustBeBelowTheConnectionCap) {
  LoadResult r = load_body(R"(
limits:
  max_connections: 1000
overload:
  max_connections: 1000
)");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 6, 20, "must be below limits.max_connections (1000)"));
  EXPECT_TRUE(load_body("overload: {max_connections: 19999}\n").ok());
  EXPECT_FALSE(load_body("overload: {max_connections: 20000}\n").ok());
}

}  // namespace
}  // namespace rampart::config
