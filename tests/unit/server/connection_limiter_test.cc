// Connection caps in total and per client IP.

#include "server/connection_limiter.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "core/ip.h"

namespace {

using rampart::core::IpAddress;
using rampart::server::ConnectionLimiter;

IpAddress ip(std::string_view text) {
  auto parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(IpAddress{});
}

TEST(ConnectionLimiter, PerIpCap) {
  ConnectionLimiter limiter;
  limiter.set_limits(100, 2);
  IpAddress a = ip("192.0.2.1");
  IpAddress b = ip("192.0.2.2");
  EXPECT_TRUE(limiter.try_acquire(a));
  EXPECT_TRUE(limiter.try_acquire(a));
  EXPECT_FALSE(limiter.try_acquire(a));
  EXPECT_FALSE(limiter.try_acquire(a));
  // Refusals do not hold a slot; another address is unaffected.
  EXPECT_EQ(limiter.total(), 2u);
  EXPECT_TRUE(limiter.try_acquire(b));
  EXPECT_TRUE(limiter.try_acquire(b));
  EXPECT_FALSE(limiter.try_acquire(b));
  EXPECT_EQ(limiter.total(), 4u);
}

TEST(ConnectionLimiter, TotalCap) {
  ConnectionLimiter limiter;
  limiter.set_limits(3, 10);
  EXPECT_TRUE(limiter.try_acquire(ip("10.0.0.1")));
  EXPECT_TRUE(limiter.try_acquire(ip("10.0.0.2")));
  EXPECT_TRUE(limiter.try_acquire(ip("10.0.0.3")));
  EXPECT_FALSE(limiter.try_acquire(ip("10.0.0.4")));
  EXPECT_FALSE(limiter.try_acquire(ip("10.0.0.1")));
  EXPECT_EQ(limiter.total(), 3u);
}

TEST(ConnectionLimiter, ReleaseFreesASlot) {
  ConnectionLimiter limiter;
  limiter.set_limits(2, 1);
  IpAddress a = ip("198.51.100.9");
  IpAddress b = ip("198.51.100.10");
  IpAddress c = ip("198.51.100.11");
  ASSERT_TRUE(limiter.try_acquire(a));
  EXPECT_FALSE(limiter.try_acquire(a));  // per-IP
  limiter.release(a);
  EXPECT_EQ(limiter.total(), 0u);
  EXPECT_TRUE(limiter.try_acquire(a));

  ASSERT_TRUE(limiter.try_acquire(b));
  EXPECT_FALSE(limiter.try_acquire(c));  // total
  limiter.release(b);
  EXPECT_TRUE(limiter.try_acquire(c));
  EXPECT_EQ(limiter.total(), 2u);
  limiter.release(a);
  limiter.release(c);
  EXPECT_EQ(limiter.total(), 0u);
}

TEST(ConnectionLimiter, RefusedByTotalDoesNotLeakAPerIpSlot) {
  ConnectionLimiter limiter;
  limiter.set_limits(1, 1);
  IpAddress a = ip("192.0.2.1");
  IpAddress b = ip("192.0.2.2");
  ASSERT_TRUE(limiter.try_acquire(a));
  EXPECT_FALSE(limiter.try_acquire(b));
  EXPECT_FALSE(limiter.try_acquire(b));
  limiter.release(a);
  EXPECT_TRUE(limiter.try_acquire(b));  // b's refused attempts left no count behind
}

TEST(ConnectionLimiter, Ipv4AndIpv6KeysAreDistinct) {
  ConnectionLimiter limiter;
  limiter.set_limits(100, 1);
  IpAddress v4 = ip("0.0.0.1");
  IpAddress v6 = ip("::1");
  IpAddress v6b = ip("2001:db8::1");
  ASSERT_NE(v4, v6);
  EXPECT_TRUE(limiter.try_acquire(v4));
  EXPECT_TRUE(limiter.try_acquire(v6));
  EXPECT_TRUE(limiter.try_acquire(v6b));
  EXPECT_FALSE(limiter.try_acquire(v4));
  EXPECT_FALSE(limiter.try_acquire(v6));
  EXPECT_FALSE(limiter.try_acquire(ip("2001:db8:0::1")));  // same address, other spelling
  limiter.release(v6);
  EXPECT_TRUE(limiter.try_acquire(ip("0:0:0:0:0:0:0:1")));
  EXPECT_FALSE(limiter.try_acquire(v4));
}

TEST(ConnectionLimiter, ZeroCapsRefuseEverything) {
  ConnectionLimiter limiter;
  limiter.set_limits(0, 10);
  EXPECT_FALSE(limiter.try_acquire(ip("192.0.2.1")));
  limiter.set_limits(10, 0);
  EXPECT_FALSE(limiter.try_acquire(ip("192.0.2.1")));
  EXPECT_EQ(limiter.total(), 0u);
}

TEST(ConnectionLimiter, LoweredLimitsApplyToNewConnections) {
  ConnectionLimiter limiter;
  limiter.set_limits(10, 3);
  IpAddress a = ip("192.0.2.1");
  ASSERT_TRUE(limiter.try_acquire(a));
  ASSERT_TRUE(limiter.try_acquire(a));
  limiter.set_limits(10, 1);  // a reload lowered the cap
  EXPECT_FALSE(limiter.try_acquire(a));
  limiter.release(a);
  EXPECT_FALSE(limiter.try_acquire(a));
  limiter.release(a);
  EXPECT_TRUE(limiter.try_acquire(a));
}

TEST(ConnectionLimiter, ManyAddressesAcrossShards) {
  ConnectionLimiter limiter;
  limiter.set_limits(1000, 1);
  for (int i = 0; i < 200; ++i) {
    IpAddress a = ip("10.0." + std::to_string(i / 100) + "." + std::to_string(i % 100 + 1));
    ASSERT_TRUE(limiter.try_acquire(a)) << i;
    ASSERT_FALSE(limiter.try_acquire(a)) << i;
  }
  EXPECT_EQ(limiter.total(), 200u);
}

}  // namespace
