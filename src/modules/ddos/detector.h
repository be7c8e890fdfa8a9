#pragma once
// One site's traffic baseline, attack detection and mitigations (see README.md).
//
// Workers call observe() and match() concurrently; both are cheap: observe() updates
// the Space-Saving summaries of the worker's own shard under that shard's mutex (never
// contended by another worker), match() reads the published mitigations through
// atomics. advance() runs the analysis once per second (a timer thread in the store,
// or a test with its own clock): it merges the shards' window, learns the baseline
// when traffic is calm, detects a rate far above baseline concentrated on a fingerprint,
// synthesizes and compiles the rule, and withdraws mitigations whose attack subsided.

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "modules/ddos/top_k.h"
#include "rules/compiler.h"
#include "rules/program.h"
#include "rules/request.h"

namespace rampart::modules::ddos {

// ~60 KiB per site: shards x attributes x capacity x (value bytes + 24).
inline constexpr size_t kShardCapacity = 16;   // heavy hitters per attribute per shard
inline constexpr size_t kMergedCapacity = 32;  // after merging the shards
inline constexpr size_t kShards = 4;
inline constexpr size_t kMaxActive = 8;  // mitigations at once per site

// The attributes a fingerprint is made of, in the order a rule names them.
enum class Dim : uint8_t { kUserAgent, kPath, kMethod, kJa4, kPrefix };
inline constexpr size_t kDims = 5;

// One request's attributes; views valid for the call. An empty view is not recorded
// (no User-Agent, JA4 of a plaintext request).
struct Sample {
  std::array<std::string_view, kDims> values;
};

// The client's /24 (IPv4) or /64 (IPv6) as CIDR text, into `buf`.
std::string_view client_prefix(const core::IpAddress& ip, std::array<char, 48>& buf);

struct Settings {
  config::DdosSensitivity sensitivity = config::DdosSensitivity::kMedium;
  config::RuleAction action = config::RuleAction::kChallenge;
  bool block_high_confidence = true;
  bool under_attack = false;
  double min_rate = 50;
  int64_t learning_period_ms = 60'000;
  int64_t baseline_window_ms = 600'000;
  int64_t withdraw_after_ms = 60'000;
};
Settings settings_of(const config::SiteDdos& ddos);
// How many times the baseline rate counts as an attack (0: never).
double rate_factor(config::DdosSensitivity sensitivity);

struct FingerprintPart {
  Dim dim;
  std::string value;
  bool truncated = false;  // `value` is a prefix of the real one
  double baseline_share = 0;
};

struct Mitigation {
  std::string id;  // "ddos-<site>-<n>"
  std::string rule;
  std::vector<FingerprintPart> fingerprint;
  config::RuleAction action = config::RuleAction::kChallenge;
  bool high_confidence = false;
  std::shared_ptr<const rules::Program> program;
  std::vector<rules::Slot> slots;
  int64_t started_ms = 0;    // the detector's clock
  int64_t started_unix = 0;  // wall clock, seconds
  double trigger_rate = 0;
  double baseline_rate = 0;
  std::atomic<uint64_t> matched{0};
  // Withdrawal bookkeeping, touched by advance() only.
  uint64_t seen_matched = 0;
  double peak_rate = 0;
  int64_t calm_ms = 0;
};

class SiteDetector {
 public:
  explicit SiteDetector(std::string site);
  ~SiteDetector();
  SiteDetector(const SiteDetector&) = delete;
  SiteDetector& operator=(const SiteDetector&) = delete;

  const std::string& site() const { return site_; }
  void configure(const Settings& settings);
  // configure() on behalf of a config snapshot's module: the newest generation wins,
  // and a snapshot that never serves (a failed reload) never changes the settings.
  void adopt(uint64_t generation, const Settings& settings) {
    if (generation > generation_.load(std::memory_order_acquire)) adopt_slow(generation, settings);
  }
  Settings settings() const;

  // Request path.
  void observe(const Sample& sample);
  // The first active mitigation whose rule matches, or null.
  Mitigation* match(const rules::Request& facts) const;
  bool has_mitigations() const { return active_count_.load(std::memory_order_acquire) != 0; }
  bool under_attack() const;
  void count_mitigated() { mitigated_.fetch_add(1, std::memory_order_relaxed); }

  // The operator's under-attack switch (admin API): -1 follows the config, 0 off, 1 on.
  void set_under_attack_override(int value) { under_attack_override_.store(value); }
  int under_attack_override() const { return under_attack_override_.load(); }

  // The analysis: call about once per second with a monotonic clock in milliseconds.
  void advance(int64_t now_ms);

  // Figures for the admin API, metrics and tests.
  std::string to_json(int64_t now_ms) const;
  uint64_t mitigations_started() const { return started_.load(std::memory_order_relaxed); }
  uint64_t requests_mitigated() const { return mitigated_.load(std::memory_order_relaxed); }
  size_t active_count() const { return active_count_.load(std::memory_order_acquire); }
  // Rule texts of the active mitigations.
  std::vector<std::string> active_rules() const;
  double baseline_rate() const;

 private:
  struct alignas(64) Shard {
    std::mutex mutex;
    uint64_t total = 0;
    std::array<TopK<kShardCapacity>, kDims> dims;
  };
  struct Window {
    uint64_t total = 0;
    std::array<TopK<kMergedCapacity>, kDims> dims;
  };

  void adopt_slow(uint64_t generation, const Settings& settings);
  void collect(Window& window);
  std::vector<FingerprintPart> fingerprint(const Window& window, double seconds, double rate) const;
  void start_mitigation(std::vector<FingerprintPart> parts, double rate, int64_t now_ms);
  void review_mitigations(double seconds, int64_t now_ms);
  void withdraw(size_t slot, int64_t now_ms);

  const std::string site_;
  std::array<Shard, kShards> shards_;
  std::array<std::atomic<Mitigation*>, kMaxActive> slots_{};
  std::atomic<size_t> active_count_{0};
  std::atomic<uint64_t> started_{0};
  std::atomic<uint64_t> mitigated_{0};
  std::atomic<int> under_attack_override_{-1};
  std::atomic<bool> under_attack_config_{false};
  std::atomic<uint64_t> generation_{0};

  // Analysis state, under mutex_.
  mutable std::mutex mutex_;
  Settings settings_;
  int64_t last_tick_ms_ = -1;
  double baseline_rate_ = 0;
  double current_rate_ = 0;
  int64_t learned_ms_ = 0;
  std::array<ShareTable, kDims> shares_;
  std::vector<std::unique_ptr<Mitigation>> owned_;  // active, by slot
  // Withdrawn mitigations stay allocated for a while, since a worker may still be
  // evaluating one it loaded just before (time-based reclamation).
  std::deque<std::pair<int64_t, std::unique_ptr<Mitigation>>> retired_;
  std::deque<std::string> history_;  // JSON of the last withdrawn mitigations
  uint64_t next_id_ = 1;
  int64_t last_unmatched_log_ms_ = -1'000'000;
};

}  // namespace rampart::modules::ddos
