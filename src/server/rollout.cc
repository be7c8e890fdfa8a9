#include "server/rollout.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace rampart::server {

namespace {

constexpr std::string_view kNodePrefix = "node:";
constexpr size_t kMaxLowerNodes = 4096;  // as many as a record's read holds

}  // namespace

const char* rollout_stage_name(RolloutStage stage) {
  switch (stage) {
    case RolloutStage::kWaiting:
      return "waiting";
    case RolloutStage::kCanary:
      return "canary";
    case RolloutStage::kPromoted:
      return "promoted";
    case RolloutStage::kRolledBack:
      return "rolled_back";
  }
  return "waiting";
}

std::optional<RolloutStage> parse_rollout_stage(std::string_view name) {
  for (auto s : {RolloutStage::kWaiting, RolloutStage::kCanary, RolloutStage::kPromoted,
                 RolloutStage::kRolledBack}) {
    if (name == rollout_stage_name(s)) return s;
  }
  return std::nullopt;
}

std::string rollout_field(std::string_view node) {
  return fmt::format("{}{}", kNodePrefix, node);
}

std::string rollout_value(uint32_t group, RolloutStage stage, int64_t heartbeat_ms) {
  if (heartbeat_ms <= 0) return fmt::format("{} {}", group, rollout_stage_name(stage));
  return fmt::format("{} {} {}", group, rollout_stage_name(stage), heartbeat_ms);
}

int64_t rollout_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rollout_bad_text(std::string_view node, std::string_view reason) {
  return fmt::format("rolled back on node {}: {}", node, reason);
}

RolloutRecord parse_rollout_record(const std::vector<std::pair<std::string, std::string>>& hash) {
  RolloutRecord record;
  for (const auto& [field, value] : hash) {
    if (field == "bad") {
      // Bounded: it ends up in logs and GET /config.
      record.bad = value.substr(0, 1024);
      if (record.bad.empty()) record.bad = "rolled back on another node";
      continue;
    }
    if (!field.starts_with(kNodePrefix) || field.size() == kNodePrefix.size()) continue;
    size_t space = value.find(' ');
    if (space == std::string::npos) continue;
    uint32_t group = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + space, group);
    if (ec != std::errc() || end != value.data() + space) continue;
    std::string_view rest = std::string_view(value).substr(space + 1);
    int64_t heartbeat_ms = 0;
    if (size_t sp = rest.find(' '); sp != std::string_view::npos) {
      std::string_view hb = rest.substr(sp + 1);
      auto [hb_end, hb_ec] = std::from_chars(hb.data(), hb.data() + hb.size(), heartbeat_ms);
      if (hb_ec != std::errc() || hb_end != hb.data() + hb.size() || heartbeat_ms < 0) continue;
      rest = rest.substr(0, sp);
    }
    auto stage = parse_rollout_stage(rest);
    if (!stage) continue;
    record.nodes.push_back({field.substr(kNodePrefix.size()), group, *stage, heartbeat_ms});
  }
  return record;
}

RolloutTracker::RolloutTracker(std::string node, uint32_t group,
                               std::chrono::milliseconds wait_timeout,
                               std::chrono::milliseconds stale_after)
    : node_(std::move(node)),
      group_(group),
      wait_timeout_(wait_timeout),
      stale_after_(stale_after),
      phase_(group == 0 ? Phase::kCanary : Phase::kWaiting),
      waiting_for_(group == 0 ? "" : "the rollout record in Redis") {}

RolloutAction RolloutTracker::on_record(const RolloutRecord& record, int64_t now_ms) {
  if (unreachable_since_ || reachable_since_ms_ == 0) reachable_since_ms_ = now_ms;
  unreachable_since_.reset();
  logged_unreachable_ = false;
  if (phase_ == Phase::kDone) return RolloutAction::kNone;
  if (!record.bad.empty()) {
    // A node's own rollback is already applied where it happened.
    if (record.bad.starts_with(rollout_bad_text(node_, ""))) return RolloutAction::kNone;
    reason_ = record.bad;
    bool was_waiting = phase_ == Phase::kWaiting;
    phase_ = Phase::kDone;
    return was_waiting ? RolloutAction::kDrop : RolloutAction::kRollBack;
  }
  if (phase_ != Phase::kWaiting) return RolloutAction::kNone;
  // The lowest group below ours still holding the version back.
  uint32_t blocking = std::numeric_limits<uint32_t>::max();
  bool judge_heartbeats = stale_after_.count() > 0 && now_ms - reachable_since_ms_ >= kStaleGraceMs;
  for (const RolloutEntry& e : record.nodes) {
    if (e.node == node_ || e.group >= group_) continue;
    auto known = std::find_if(lower_.begin(), lower_.end(),
                              [&](const RolloutEntry& k) { return k.node == e.node; });
    if (known != lower_.end()) {
      *known = e;
    } else if (lower_.size() < kMaxLowerNodes) {
      lower_.push_back(e);
    }
  }
  for (const RolloutEntry& e : lower_) {
    if (e.stage == RolloutStage::kPromoted) continue;
    // A node that died during its canary (or while it waited) would hold every group
    // above it forever: past the bound without a heartbeat, it is gone.
    if (judge_heartbeats && e.heartbeat_ms > 0 && now_ms - e.heartbeat_ms > stale_after_.count()) {
      std::string prefix = e.node + " (";
      bool known = false;
      for (const std::string& g : gone_) known = known || g.starts_with(prefix);
      if (!known) {
        gone_.push_back(fmt::format("{} (group {}, {}, silent {} s)", e.node, e.group,
                                    rollout_stage_name(e.stage), (now_ms - e.heartbeat_ms) / 1000));
      }
      continue;
    }
    if (e.group < blocking) blocking = e.group;
  }
  if (blocking == std::numeric_limits<uint32_t>::max()) {
    phase_ = Phase::kCanary;
    waiting_for_.clear();
    return RolloutAction::kStartCanary;
  }
  waiting_for_ = fmt::format("group {}", blocking);
  return RolloutAction::kNone;
}

RolloutAction RolloutTracker::on_unreachable(Clock::time_point now) {
  if (!unreachable_since_) unreachable_since_ = now;
  reachable_since_ms_ = 0;
  if (phase_ == Phase::kWaiting && now - *unreachable_since_ >= wait_timeout_) {
    phase_ = Phase::kCanary;
    waiting_for_.clear();
    return RolloutAction::kFallBack;
  }
  if (phase_ == Phase::kDone || logged_unreachable_) return RolloutAction::kNone;
  logged_unreachable_ = true;
  return RolloutAction::kLogUnreachable;
}

}  // namespace rampart::server
