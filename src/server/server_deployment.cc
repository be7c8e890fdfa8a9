// Staged activation on one node: the candidate snapshot on trial, the thread that
// judges it, and the operator's promote and rollback.

#include <fmt/format.h>

#include <ctime>

#include "core/log.h"
#include "server/server.h"

namespace rampart::server {

namespace {

constexpr auto kJudgeEvery = std::chrono::milliseconds(200);

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char out[32];
  std::strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

}  // namespace

Tally Server::tally_of(const Snapshot& snapshot) const {
  Tally t = snapshot.served->total();
  for (const pipeline::ModuleStats& m : snapshot.pipeline->stats()) t.module_failures += m.failures;
  return t;
}

void Server::activate(const std::shared_ptr<const Snapshot>& snapshot) {
  apply_runtime_settings(*snapshot->config);
  shared_.store.publish(snapshot);
  health_.update(snapshot->origins);
  shared_.origin_states.prune();
  trial_.reset();
}

void Server::record_decision(std::string_view action, const std::string& version,
                             const std::string& reason) {
  last_decision_.last_action = action;
  last_decision_.last_version = version;
  last_decision_.last_reason = reason;
  last_decision_.last_at = utc_now();
  auto level = action == "rollback" ? core::LogLevel::kWarn : core::LogLevel::kInfo;
  core::log(level, "config {}: {} ({})", version, action, reason);
}

void Server::judge_trial() {
  if (!trial_) return;  // a trial on hold is still rolled back when it fails
  if (trial_->rollout && rollout_link_ && !follow_rollout()) return;
  auto current = shared_.store.load();
  Tally running = tally_of(*current).since(trial_->running_base);
  Tally candidate = tally_of(*trial_->candidate);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - trial_->started);
  Decision d = decide(trial_->policy, running, candidate, elapsed);
  switch (d.verdict) {
    case Verdict::kWait:
      return;
    case Verdict::kHold:
      if (trial_->holding) return;
      trial_->holding = true;
      record_decision("hold", trial_->candidate->config->version, d.reason);
      return;
    case Verdict::kRollback:
      record_decision("rollback", trial_->candidate->config->version, d.reason);
      report_rollout(RolloutStage::kRolledBack, d.reason);
      shared_.store.publish_candidate(nullptr, 0);
      trial_.reset();
      return;
    case Verdict::kPromote: {
      auto candidate_snapshot = trial_->candidate;
      std::string log_error;
      if (!open_access_log(*candidate_snapshot->config, log_error)) {
        // Nothing else is wrong with it: serve it, keeping the access log it had.
        core::log(core::LogLevel::kError, "access_log: {} (the previous log stays)", log_error);
      }
      record_decision("promote", candidate_snapshot->config->version, d.reason);
      report_rollout(RolloutStage::kPromoted);
      activate(candidate_snapshot);
      return;
    }
  }
}

void Server::watch_deployments() {
  std::unique_lock lock(reload_mutex_);
  while (!deployment_stop_) {
    if (trial_) {
      deployment_wake_.wait_for(lock, kJudgeEvery);
    } else {
      deployment_wake_.wait(lock);
    }
    if (deployment_stop_) break;
    judge_trial();
  }
}

void Server::stop_deployment_thread() {
  {
    std::lock_guard lock(reload_mutex_);
    deployment_stop_ = true;
  }
  deployment_wake_.notify_all();
  if (deployment_thread_.joinable()) deployment_thread_.join();
}

bool Server::promote(std::string& message) {
  std::lock_guard lock(reload_mutex_);
  if (!trial_) {
    message = "no config is on trial";
    return false;
  }
  auto candidate = trial_->candidate;
  std::string log_error;
  if (!open_access_log(*candidate->config, log_error)) {
    core::log(core::LogLevel::kError, "access_log: {} (the previous log stays)", log_error);
  }
  record_decision("promote", candidate->config->version, "promoted by an operator");
  report_rollout(RolloutStage::kPromoted);
  activate(candidate);
  message = candidate->config->version;
  return true;
}

bool Server::rollback(std::string& message) {
  std::lock_guard lock(reload_mutex_);
  if (!trial_) {
    message = "no config is on trial";
    return false;
  }
  message = trial_->candidate->config->version;
  record_decision("rollback", message, "rolled back by an operator");
  report_rollout(RolloutStage::kRolledBack, "rolled back by an operator");
  shared_.store.publish_candidate(nullptr, 0);
  trial_.reset();
  return true;
}

DeploymentState Server::deployment_state() {
  std::lock_guard lock(reload_mutex_);
  DeploymentState s = last_decision_;
  auto current = shared_.store.load();
  s.current_version = current->config->version;
  if (trial_) {
    s.candidate_version = trial_->candidate->config->version;
    bool waiting = trial_->rollout && trial_->rollout->waiting();
    s.state = waiting ? "waiting" : trial_->holding ? "hold" : "canary";
    if (trial_->rollout) {
      s.rollout_node = trial_->rollout->node();
      s.rollout_group = trial_->rollout->group();
      s.waiting_for = trial_->rollout->waiting_for();
      s.redis_reachable = trial_->rollout->redis_reachable();
      s.gone = trial_->rollout->gone();
    }
    s.canary_percent = trial_->policy.canary_percent;
    s.elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - trial_->started).count();
    s.window_s = trial_->policy.window.count() / 1000.0;
    s.running = tally_of(*current).since(trial_->running_base);
    s.candidate = tally_of(*trial_->candidate);
  } else {
    s.state = "stable";
    s.window_s = current->config->deployment.window.count() / 1000.0;
    s.canary_percent = 0;
  }
  return s;
}

}  // namespace rampart::server
