// The connection guard's and overload protection's part of the metrics exposition.

#include <fmt/format.h>

#include <iterator>

#include "server/metrics.h"
#include "server/overload.h"

namespace rampart::server {

void Metrics::render_guard_metrics(std::string& out) const {
  auto it = std::back_inserter(out);
  static constexpr std::string_view kCloseNames[] = {
      "denied",   "accept_rate", "connection_cap", "slow_request_head", "slow_request_body",
      "slow_send"};
  static_assert(std::size(kCloseNames) == static_cast<size_t>(GuardClose::kCount));
  fmt::format_to(it,
                 "# HELP rampart_connections_closed_total Client connections the connection "
                 "guard closed, by reason.\n"
                 "# TYPE rampart_connections_closed_total counter\n");
  for (size_t r = 0; r < std::size(kCloseNames); ++r) {
    uint64_t n = 0;
    for (size_t w = 0; w < worker_count_; ++w) {
      n += workers_[w].guard_closed[r].load(std::memory_order_relaxed);
    }
    fmt::format_to(it, "rampart_connections_closed_total{{reason=\"{}\"}} {}\n", kCloseNames[r], n);
  }
  fmt::format_to(it,
                 "# HELP rampart_overload_shed_total Requests answered 503 because the node "
                 "was overloaded, by the pressure that was highest.\n"
                 "# TYPE rampart_overload_shed_total counter\n");
  for (size_t r = 1; r < kShedReasonCount; ++r) {
    uint64_t n = 0;
    for (size_t w = 0; w < worker_count_; ++w) {
      n += workers_[w].overload_shed[r].load(std::memory_order_relaxed);
    }
    fmt::format_to(it, "rampart_overload_shed_total{{reason=\"{}\"}} {}\n",
                   shed_reason_name(static_cast<ShedReason>(r)), n);
  }
  fmt::format_to(it,
                 "# HELP rampart_event_loop_lag_seconds How late each worker's load probe "
                 "timer fired (a recent peak).\n"
                 "# TYPE rampart_event_loop_lag_seconds gauge\n");
  for (size_t w = 0; w < worker_count_; ++w) {
    double lag = static_cast<double>(workers_[w].event_loop_lag_us.load(std::memory_order_relaxed));
    fmt::format_to(it, "rampart_event_loop_lag_seconds{{worker=\"{}\"}} {:.6f}\n", w, lag / 1e6);
  }
  fmt::format_to(it,
                 "# HELP rampart_resident_memory_bytes Resident memory of the process, as "
                 "overload protection sees it.\n"
                 "# TYPE rampart_resident_memory_bytes gauge\nrampart_resident_memory_bytes {}\n",
                 resident_bytes.load(std::memory_order_relaxed));
}

}  // namespace rampart::server
