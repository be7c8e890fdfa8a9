#pragma once
// The runtime kill switches: one bit per module name, process-wide, so that a module
// switched off through the admin API is skipped at once by every worker and stays off
// across reloads until it is switched on again. Also counts every skip of a module
// (rampart_module_skipped_total{module,reason}).

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

namespace rampart::pipeline {

// Why a module did not run for a request.
enum class SkipReason : uint8_t {
  kAdmin,   // switched off at runtime (POST /modules/<name>/disable)
  kConfig,  // `modules: <name>: {enabled: false}`
  kRule,    // a rule skipped its phase (allow, skip)
};
inline constexpr std::array<std::string_view, 3> kSkipReasonNames = {"admin", "config", "rule"};

class KillSwitches {
 public:
  static constexpr size_t kMaxModules = 32;

  // The slot of a module name, made on first use (names are static strings: a module
  // descriptor's). nullopt only past kMaxModules names.
  std::optional<uint32_t> slot(std::string_view name);
  std::optional<uint32_t> find(std::string_view name) const;

  // Whether the module in `slot` is switched off at runtime: one relaxed load.
  bool off(uint32_t slot) const { return (off_.load(std::memory_order_relaxed) >> slot) & 1u; }
  // Returns false for a name never registered. `changed` tells whether it flipped.
  bool set_off(std::string_view name, bool off, bool* changed = nullptr);

  void count_skip(uint32_t slot, SkipReason reason) {
    skips_[slot][static_cast<size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t skips(uint32_t slot, SkipReason reason) const {
    return skips_[slot][static_cast<size_t>(reason)].load(std::memory_order_relaxed);
  }

  // Every registered name, in registration order.
  std::vector<std::string_view> names() const;
  // Switches every module back on (tests).
  void reset();

 private:
  mutable std::mutex mutex_;  // guards names_ (writes; slots never move)
  std::array<std::string_view, kMaxModules> names_{};
  std::atomic<uint32_t> count_{0};
  std::atomic<uint32_t> off_{0};
  std::array<std::array<std::atomic<uint64_t>, kSkipReasonNames.size()>, kMaxModules> skips_{};
};

// The process's switches, shared by every snapshot's pipeline.
KillSwitches& kill_switches();

}  // namespace rampart::pipeline
