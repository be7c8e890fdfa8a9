// The accept-rate table and the overload shedding decision.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/ip.h"
#include "server/accept_guard.h"
#include "server/overload.h"

namespace {

using namespace std::chrono_literals;
using rampart::core::IpAddress;
using rampart::server::AcceptRateTable;
using Clock = std::chrono::steady_clock;

IpAddress ip(const std::string& text) {
  auto parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(IpAddress{});
}

int allowed(AcceptRateTable& t, const IpAddress& a, int tries, Clock::time_point now) {
  int n = 0;
  for (int i = 0; i < tries; ++i) n += t.allow(a, 5, 10, now) ? 1 : 0;
  return n;
}

TEST(AcceptRateTable, BurstThenRatePerAddress) {
  AcceptRateTable t;
  auto now = Clock::now();
  IpAddress a = ip("192.0.2.1");
  EXPECT_EQ(allowed(t, a, 50, now), 10);
  EXPECT_EQ(allowed(t, ip("192.0.2.2"), 3, now), 3);  // its own bucket
  EXPECT_EQ(allowed(t, a, 50, now + 1s), 5);
  EXPECT_EQ(allowed(t, a, 50, now + 1s + 400ms), 2);
  EXPECT_EQ(allowed(t, a, 50, now + 1h), 10);  // refills to the burst, no further
}

TEST(AcceptRateTable, ZeroRateIsOff) {
  AcceptRateTable t;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(t.allow(ip("192.0.2.1"), 0, 0, Clock::now()));
}

TEST(AcceptRateTable, AFloodOfAddressesCannotEvictAHotOne) {
  AcceptRateTable t;
  auto now = Clock::now();
  IpAddress hot = ip("198.51.100.1");
  EXPECT_EQ(allowed(t, hot, 10, now), 10);  // its bucket is empty
  // Four times the table's size in distinct addresses, each one connection.
  for (uint32_t i = 0; i < 4 * AcceptRateTable::kSlots; ++i) {
    IpAddress a;
    a.v4 = true;
    a.bytes[10] = a.bytes[11] = 0xff;
    a.bytes[12] = 10;
    a.bytes[13] = static_cast<uint8_t>(i >> 16);
    a.bytes[14] = static_cast<uint8_t>(i >> 8);
    a.bytes[15] = static_cast<uint8_t>(i);
    t.allow(a, 5, 10, now);
  }
  // Still throttled: the cold one-connection entries were evicted, not it.
  EXPECT_FALSE(t.allow(hot, 5, 10, now));
}

TEST(Overload, PressureIsTheHighestRatio) {
  rampart::config::Overload o;
  o.max_connections = 100;
  o.max_memory = 1000 << 20;
  o.max_event_loop_lag = 100ms;
  rampart::server::LoadSample load{50'000, 80, 900u << 20};
  auto p = rampart::server::overload_pressure(o, load);
  EXPECT_EQ(p.percent, 90u);
  EXPECT_EQ(p.reason, rampart::server::ShedReason::kMemory);
  load.event_loop_lag_us = 250'000;
  p = rampart::server::overload_pressure(o, load);
  EXPECT_EQ(p.percent, 250u);
  EXPECT_EQ(p.reason, rampart::server::ShedReason::kEventLoopLag);
  o = {};
  EXPECT_EQ(rampart::server::overload_pressure(o, load).percent, 0u);  // nothing watched
}

TEST(Overload, AllowListedAndClearedClientsAreShedLast) {
  using rampart::server::ShedReason;
  rampart::config::Overload o;
  o.allow_headroom_percent = 50;
  rampart::server::Pressure p{120, ShedReason::kConnections};
  rampart::server::ShedClient plain, listed{true, false}, cleared{false, true};
  EXPECT_EQ(rampart::server::shed_decision(o, p, plain), ShedReason::kConnections);
  EXPECT_EQ(rampart::server::shed_decision(o, p, listed), ShedReason::kNone);
  EXPECT_EQ(rampart::server::shed_decision(o, p, cleared), ShedReason::kNone);
  p.percent = 150;
  EXPECT_EQ(rampart::server::shed_decision(o, p, listed), ShedReason::kConnections);
  p.percent = 99;
  EXPECT_EQ(rampart::server::shed_decision(o, p, plain), ShedReason::kNone);
}

TEST(Overload, ResidentMemoryIsRead) {
  EXPECT_GT(rampart::server::read_resident_bytes(), 1u << 20);
}

}  // namespace
