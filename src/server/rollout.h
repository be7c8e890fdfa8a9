#pragma once
// Cluster rollout of a config version, node groups one after another: the record each
// version has in Redis (which node of which group is where with it, and whether a node
// rolled it back) and the pure state machine a node runs on what it reads of it. No I/O
// here; rollout_link does the Redis side on its own thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::server {

// Where one node is with one version.
enum class RolloutStage : uint8_t { kWaiting, kCanary, kPromoted, kRolledBack };

const char* rollout_stage_name(RolloutStage stage);
std::optional<RolloutStage> parse_rollout_stage(std::string_view name);

struct RolloutEntry {
  std::string node;
  uint32_t group = 0;
  RolloutStage stage = RolloutStage::kWaiting;
  // Unix time in ms of the node's last write (its heartbeat); 0 when the entry has none
  // (written by an older rampart): such an entry is never judged stale.
  int64_t heartbeat_ms = 0;
};

// One version's rollout record: a Redis hash with a field "node:<name>" = "<group>
// <stage> <heartbeat_ms>" per node that registered it, and "bad" = why the first node that rolled
// it back did so. Anything else in the hash is ignored.
struct RolloutRecord {
  std::vector<RolloutEntry> nodes;
  std::string bad;  // "rolled back on node X: <reason>"; empty while nobody rolled it back
};

std::string rollout_field(std::string_view node);
std::string rollout_value(uint32_t group, RolloutStage stage, int64_t heartbeat_ms = 0);
// Wall-clock ms: heartbeats are compared across machines (NTP-synced clocks assumed).
int64_t rollout_now_ms();
std::string rollout_bad_text(std::string_view node, std::string_view reason);
// From HGETALL's (field, value) pairs; garbled entries are skipped, never trusted.
RolloutRecord parse_rollout_record(const std::vector<std::pair<std::string, std::string>>& hash);

enum class RolloutAction : uint8_t {
  kNone,
  kStartCanary,     // every lower group promoted it: serve the canary share now
  kFallBack,        // Redis unreachable past wait_timeout: run the local canary anyway
  kDrop,            // rolled back elsewhere while this node waited: never serve it
  kRollBack,        // rolled back elsewhere while this node ran its canary
  kLogUnreachable,  // Redis just became unreachable (once per outage)
};

// One node's view of one version's rollout. Group 0 starts in its canary; a higher
// group waits for the lower ones. The caller applies each returned action.
class RolloutTracker {
 public:
  using Clock = std::chrono::steady_clock;

  // `stale_after`: a lower-group node whose heartbeat is older than this is gone and no
  // longer holds this node back (0: never).
  RolloutTracker(std::string node, uint32_t group, std::chrono::milliseconds wait_timeout,
                 std::chrono::milliseconds stale_after = std::chrono::milliseconds(0));

  // After a successful read of the version's record, at wall-clock `now_ms`.
  RolloutAction on_record(const RolloutRecord& record, int64_t now_ms);
  RolloutAction on_record(const RolloutRecord& record) {
    return on_record(record, rollout_now_ms());
  }
  // After a failed read (Redis down, slow or refusing). wait_timeout counts from the
  // first failure of an outage, so a slow earlier group never makes a node give up.
  RolloutAction on_unreachable(Clock::time_point now);
  // The operator decided for this node; nothing more to follow.
  void finish() { phase_ = Phase::kDone; }

  bool waiting() const { return phase_ == Phase::kWaiting; }
  bool in_canary() const { return phase_ == Phase::kCanary; }
  bool redis_reachable() const { return !unreachable_since_; }
  // What a waiting node waits for, e.g. "group 0".
  const std::string& waiting_for() const { return waiting_for_; }
  // Why the version was dropped or rolled back (the record's `bad`).
  const std::string& reason() const { return reason_; }
  const std::string& node() const { return node_; }
  uint32_t group() const { return group_; }
  // Lower-group nodes judged gone, in the order they were, e.g. "a (group 0, silent 31 s)".
  const std::vector<std::string>& gone() const { return gone_; }
  std::chrono::milliseconds stale_after() const { return stale_after_; }

  // Heartbeats are only judged once Redis has answered for this long without a break: the
  // first read after an outage sees every node's entry old until each has written again.
  static constexpr int64_t kStaleGraceMs = 2000;

 private:
  enum class Phase : uint8_t { kWaiting, kCanary, kDone };

  std::string node_;
  uint32_t group_;
  std::chrono::milliseconds wait_timeout_;
  std::chrono::milliseconds stale_after_;
  Phase phase_;
  int64_t reachable_since_ms_ = 0;  // 0: no successful read since the last failure
  std::vector<std::string> gone_;
  // Lower-group nodes as last read: a Redis that restarted empty (or a record evicted)
  // must not make a node in its canary look finished.
  std::vector<RolloutEntry> lower_;
  std::optional<Clock::time_point> unreachable_since_;
  bool logged_unreachable_ = false;
  std::string waiting_for_;
  std::string reason_;
};

}  // namespace rampart::server
