// Cluster rollout on the deployment thread: a staged version waits for the lower node
// groups, starts its canary when they promoted it, and follows a rollback anywhere in
// the fleet. Every Redis exchange happens on the RolloutLink's thread; here we only
// take its latest read.

#include <unistd.h>

#include <fmt/format.h>

#include "core/log.h"
#include "server/server.h"

namespace rampart::server {

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(200);
// A lower-group node silent for this many canary windows is gone: a live one writes its
// heartbeat five times a second, and its canary ends within one window.
constexpr int kStaleWindows = 3;

std::string node_name(const config::Config& config) {
  if (!config.cluster.node.empty()) return config.cluster.node;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "localhost";
  return fmt::format("{}:{}", host, config.admin.address.port);
}

}  // namespace

void Server::begin_rollout(const config::Config& running, Trial& trial) {
  if (!running.cluster.enabled) {
    if (rollout_link_) rollout_link_->stop_watching();
    return;
  }
  const config::ClusterSettings& c = running.cluster;
  RolloutLinkOptions options{
      {c.redis.host, c.redis.port, c.password, c.timeout}, c.key_prefix, kPollInterval};
  if (!rollout_link_ || rollout_link_->options().identity() != options.identity()) {
    rollout_link_ = std::make_unique<RolloutLink>(std::move(options));
  }
  trial.rollout.emplace(node_name(running), trial.policy.group, trial.policy.wait_timeout,
                        kStaleWindows * trial.policy.window);
  RolloutStage stage = trial.rollout->waiting() ? RolloutStage::kWaiting : RolloutStage::kCanary;
  rollout_link_->watch(trial.candidate->config->version, trial.rollout->node(),
                       trial.rollout->group(), stage);
  shared_.metrics.set_rollout_stage(trial.candidate->config->version, rollout_stage_name(stage));
}

void Server::start_canary(Trial& trial) {
  trial.started = std::chrono::steady_clock::now();
  trial.running_base = tally_of(*shared_.store.load());
  shared_.store.publish_candidate(trial.candidate,
                                  trial.policy.canary_percent * (SnapshotStore::kShareScale / 100));
}

void Server::report_rollout(RolloutStage stage, const std::string& reason) {
  if (!trial_ || !trial_->rollout || !rollout_link_) return;
  RolloutTracker& r = *trial_->rollout;
  r.finish();
  std::string bad = stage == RolloutStage::kRolledBack && !reason.empty()
                        ? rollout_bad_text(r.node(), reason)
                        : std::string();
  rollout_link_->report(trial_->candidate->config->version, stage, bad);
  shared_.metrics.set_rollout_stage(trial_->candidate->config->version, rollout_stage_name(stage));
  if (stage == RolloutStage::kRolledBack) {
    shared_.metrics.rollout_rollbacks_local.fetch_add(1, std::memory_order_relaxed);
  }
}

bool Server::follow_rollout() {
  Trial& trial = *trial_;
  RolloutTracker& r = *trial.rollout;
  const std::string version = trial.candidate->config->version;
  std::optional<RolloutRead> read = rollout_link_->take(version);
  if (!read) return !r.waiting();
  const std::string redis = fmt::format("{}:{}", rollout_link_->options().redis.host,
                                        rollout_link_->options().redis.port);
  if (read->ok && !r.redis_reachable()) {
    core::log(core::LogLevel::kInfo, "cluster rollout of {}: redis {} reachable again", version,
              redis);
  }
  size_t gone_before = r.gone().size();
  RolloutAction action =
      read->ok ? r.on_record(read->record) : r.on_unreachable(std::chrono::steady_clock::now());
  for (size_t i = gone_before; i < r.gone().size(); ++i) {
    core::log(core::LogLevel::kWarn,
              "cluster rollout of {}: node {} wrote no heartbeat for over {} s; treated as "
              "gone, no longer waited for",
              version, r.gone()[i], r.stale_after().count() / 1000.0);
    shared_.metrics.rollout_nodes_gone.fetch_add(1, std::memory_order_relaxed);
  }
  switch (action) {
    case RolloutAction::kNone:
      break;
    case RolloutAction::kLogUnreachable:
      core::log(core::LogLevel::kWarn, "cluster rollout of {}: redis {} unreachable ({}); {}",
                version, redis, read->error,
                r.waiting()
                    ? fmt::format("still waiting for {}, the running config serves; "
                                  "local canary after wait_timeout {} s",
                                  r.waiting_for(), trial.policy.wait_timeout.count() / 1000.0)
                    : std::string("the local canary goes on"));
      break;
    case RolloutAction::kStartCanary:
      core::log(core::LogLevel::kInfo,
                "cluster rollout of {}: lower groups promoted it; canary starts on node {} "
                "(group {})",
                version, r.node(), r.group());
      start_canary(trial);
      rollout_link_->report(version, RolloutStage::kCanary);
      shared_.metrics.set_rollout_stage(version, rollout_stage_name(RolloutStage::kCanary));
      break;
    case RolloutAction::kFallBack:
      core::log(core::LogLevel::kWarn,
                "cluster rollout of {}: redis {} unreachable for wait_timeout {} s; starting "
                "the local canary on node {}",
                version, redis, trial.policy.wait_timeout.count() / 1000.0, r.node());
      start_canary(trial);
      rollout_link_->report(version, RolloutStage::kCanary);
      shared_.metrics.set_rollout_stage(version, rollout_stage_name(RolloutStage::kCanary));
      break;
    case RolloutAction::kDrop:
    case RolloutAction::kRollBack:
      record_decision("rollback", version, r.reason());
      shared_.store.publish_candidate(nullptr, 0);
      rollout_link_->report(version, RolloutStage::kRolledBack);
      shared_.metrics.set_rollout_stage(version, rollout_stage_name(RolloutStage::kRolledBack));
      shared_.metrics.rollout_rollbacks_fleet.fetch_add(1, std::memory_order_relaxed);
      trial_.reset();
      return false;
  }
  return !r.waiting();
}

}  // namespace rampart::server
