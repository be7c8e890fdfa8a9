#include "server/overload.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "server/worker_context.h"

namespace rampart::server {

namespace {

constexpr std::chrono::milliseconds kProbeInterval{50};
constexpr unsigned kMemoryEveryProbes = 4;  // memory every 200 ms: one small file read

void raise(Pressure& p, uint64_t value, uint64_t limit, ShedReason reason) {
  if (limit == 0) return;
  uint64_t percent = value * 100 / limit;
  if (percent > p.percent) p = {percent, reason};
}

}  // namespace

std::string_view shed_reason_name(ShedReason reason) {
  switch (reason) {
    case ShedReason::kEventLoopLag:
      return "event_loop_lag";
    case ShedReason::kConnections:
      return "connections";
    case ShedReason::kMemory:
      return "memory";
    case ShedReason::kNone:
      break;
  }
  return "none";
}

Pressure overload_pressure(const config::Overload& settings, const LoadSample& load) {
  Pressure p;
  uint64_t lag_limit_us = static_cast<uint64_t>(settings.max_event_loop_lag.count()) * 1000;
  raise(p, load.event_loop_lag_us, lag_limit_us, ShedReason::kEventLoopLag);
  raise(p, load.connections, settings.max_connections, ShedReason::kConnections);
  raise(p, load.resident_bytes / 1024, settings.max_memory / 1024, ShedReason::kMemory);
  return p;
}

ShedReason shed_decision(const config::Overload& settings, const Pressure& pressure,
                         const ShedClient& client) {
  if (pressure.percent < 100) return ShedReason::kNone;
  if ((client.allow_listed || client.has_clearance) &&
      pressure.percent < 100 + uint64_t{settings.allow_headroom_percent}) {
    return ShedReason::kNone;
  }
  return pressure.reason;
}

uint64_t read_resident_bytes() {
  int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  // "size resident shared ...", in pages.
  char* end = nullptr;
  std::strtoull(buf, &end, 10);
  uint64_t pages = std::strtoull(end, nullptr, 10);
  return pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

boost::asio::awaitable<void> probe_load(WorkerContext& worker) {
  namespace asio = boost::asio;
  asio::steady_timer timer(worker.io);
  unsigned probes = 0;
  while (!worker.shared.draining.load(std::memory_order_relaxed)) {
    auto due = std::chrono::steady_clock::now() + kProbeInterval;
    timer.expires_at(due);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    auto late = std::chrono::steady_clock::now() - due;
    uint64_t sample = static_cast<uint64_t>(
        std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(late).count()));
    // A peak that decays by a quarter a probe: one stall is remembered for a few
    // hundred milliseconds, long enough for the requests queued behind it to see it.
    uint64_t previous = worker.metrics.event_loop_lag_us.load(std::memory_order_relaxed);
    worker.metrics.event_loop_lag_us.store(std::max(sample, previous - previous / 4),
                                           std::memory_order_relaxed);
    if (worker.index == 0 && probes++ % kMemoryEveryProbes == 0) {
      worker.shared.metrics.resident_bytes.store(read_resident_bytes(), std::memory_order_relaxed);
    }
  }
}

}  // namespace rampart::server
