#pragma once
// The live state of one origin endpoint, shared by every worker and the health checker
// through relaxed atomics. It outlives snapshots: a reload that keeps an endpoint (same
// pool, same address) keeps its state, so health, ejections and the operator's drain
// survive a config change.

#include <atomic>
#include <cstdint>
#include <string_view>

namespace rampart::proxy {

// The operator's switch, from the admin API or `enabled: false` in the config.
enum class AdminState : uint8_t {
  kEnabled,
  kDraining,  // no new requests; requests in flight finish; still health-checked
  kDisabled,  // no new requests and no health checks
};

std::string_view admin_state_name(AdminState state);

struct EndpointState {
  // Steering inputs.
  std::atomic<uint32_t> in_flight{0};
  std::atomic<uint64_t> ewma_ttfb_us{0};  // 0 = no sample yet

  // Usable = healthy, not ejected, and enabled by the operator; the three are kept apart
  // so each source can flip its own without overwriting another's verdict.
  std::atomic<bool> healthy{true};   // active health checks
  std::atomic<bool> ejected{false};  // passive outlier detection
  std::atomic<bool> enabled{true};   // admin_state == kEnabled
  std::atomic<uint8_t> admin_state{static_cast<uint8_t>(AdminState::kEnabled)};
  std::atomic<bool> disabled_by_config{false};  // `enabled: false` rather than the admin API

  // Active checks (written only by the health-check thread).
  std::atomic<uint32_t> check_passes{0};    // consecutive
  std::atomic<uint32_t> check_failures{0};  // consecutive
  std::atomic<bool> check_running{false};   // the last check had no result yet

  // Passive checks.
  std::atomic<uint32_t> consecutive_failures{0};
  std::atomic<uint32_t> ejection_streak{0};  // ejections in a row without a success
  std::atomic<int64_t> ejected_until_ms{0};  // steady clock, milliseconds

  // Counters for /metrics and /origins.
  std::atomic<uint64_t> requests{0};  // tries sent to this endpoint
  std::atomic<uint64_t> failures{0};  // tries that failed (connect, reset, timeout, 5xx)
  std::atomic<uint64_t> ejections{0};

  bool usable() const {
    return healthy.load(std::memory_order_relaxed) && !ejected.load(std::memory_order_relaxed) &&
           enabled.load(std::memory_order_relaxed);
  }
  AdminState admin() const {
    return static_cast<AdminState>(admin_state.load(std::memory_order_relaxed));
  }
  void set_admin(AdminState state) {
    admin_state.store(static_cast<uint8_t>(state), std::memory_order_relaxed);
    enabled.store(state == AdminState::kEnabled, std::memory_order_relaxed);
  }
};

}  // namespace rampart::proxy
