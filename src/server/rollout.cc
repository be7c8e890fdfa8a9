#include "server/rollout.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>

namespace rampart::server {

namespace {

constexpr std::string_view kNodePrefix = "node:";

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

std::string rollout_value(uint32_t group, RolloutStage stage) {
  return fmt::format("{} {}", group, rollout_stage_name(stage));
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
    auto stage = parse_rollout_stage(std::string_view(value).substr(space + 1));
    if (!stage) continue;
    record.nodes.push_back({field.substr(kNodePrefix.size()), group, *stage});
  }
  return record;
}

RolloutTracker::RolloutTracker(std::string node, uint32_t group,
                               std::chrono::milliseconds wait_timeout)
    : node_(std::move(node)),
      group_(group),
      wait_timeout_(wait_timeout),
      phase_(group == 0 ? Phase::kCanary : Phase::kWaiting),
      waiting_for_(group == 0 ? "" : "the rollout record in Redis") {}

RolloutAction RolloutTracker::on_record(const RolloutRecord& record) {
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
  for (const RolloutEntry& e : record.nodes) {
    if (e.node == node_ || e.group >= group_) continue;
    if (e.stage != RolloutStage::kPromoted && e.group < blocking) blocking = e.group;
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
