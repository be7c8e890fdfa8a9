#pragma once
// Overload protection: when the node is saturated it sheds new requests with a 503
// (and Retry-After) instead of slowing every client down. Pressure is the largest of
// three ratios to their `overload:` thresholds: this worker's event-loop lag (measured
// by a periodic timer that notes how late it wakes), open client connections on the
// node, and the process's resident memory. At 100% ordinary clients are shed; clients
// in `overload.allow` — and, once bot management exists (issue 9), clients holding a
// valid clearance token — only past 100% + allow_headroom.

#include <boost/asio/awaitable.hpp>

#include <cstdint>

#include "config/config.h"

namespace rampart::server {

struct WorkerContext;

enum class ShedReason : uint8_t { kNone, kEventLoopLag, kConnections, kMemory };
inline constexpr size_t kShedReasonCount = 4;
std::string_view shed_reason_name(ShedReason reason);

struct Pressure {
  uint64_t percent = 0;  // of the nearest threshold
  ShedReason reason = ShedReason::kNone;
};

struct LoadSample {
  uint64_t event_loop_lag_us = 0;
  uint64_t connections = 0;
  uint64_t resident_bytes = 0;
};

Pressure overload_pressure(const config::Overload& settings, const LoadSample& load);

// Who is asking. `has_clearance`: the request carries a valid bot-clearance cookie
// (pipeline::has_valid_clearance, answered by the bot modules).
struct ShedClient {
  bool allow_listed = false;
  bool has_clearance = false;
};

// kNone: serve the request; otherwise why it is shed.
ShedReason shed_decision(const config::Overload& settings, const Pressure& pressure,
                         const ShedClient& client);

// The worker's load probe: every kProbeInterval it notes how late its timer fired
// (WorkerSlot::event_loop_lag_us, a peak that decays over a few probes) and, on worker 0,
// the process's resident memory (Metrics::resident_bytes). Runs until the drain.
boost::asio::awaitable<void> probe_load(WorkerContext& worker);

// The resident set size of this process, from /proc/self/statm; 0 if unreadable.
uint64_t read_resident_bytes();

}  // namespace rampart::server
