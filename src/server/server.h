#pragma once
// The running server: workers with their listeners, the current snapshot, reloads and
// the graceful drain. Control operations (reload, drain) are called from the control
// thread; workers only read what they publish.

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "core/line_writer.h"
#include "core/workers.h"
#include "pipeline/pipeline.h"
#include "proxy/health_checker.h"
#include "server/rollout_link.h"
#include "server/worker_context.h"

namespace rampart::server {

struct ReloadOutcome {
  bool ok = false;
  std::string config_version;
  std::vector<std::string> errors;  // "file:line:col: error: message"
  bool staged = false;              // on trial as a canary rather than running everywhere
};

// The state of staged activation, for GET /config.
struct DeploymentState {
  std::string current_version;
  std::string candidate_version;  // empty: no trial
  // "stable", "canary", "hold" (waiting for an operator), "waiting" (for lower node groups)
  std::string state = "stable";
  uint32_t canary_percent = 0;
  double elapsed_s = 0;
  double window_s = 0;
  Tally running;            // since the trial began
  Tally candidate;          // likewise
  std::string last_action;  // "promote", "rollback", "force" or empty
  std::string last_reason;
  std::string last_version;
  std::string last_at;  // UTC, ISO 8601
  // Cluster rollout of the candidate (rollout_node empty when the trial is local).
  std::string rollout_node;
  uint32_t rollout_group = 0;
  std::string waiting_for;  // e.g. "group 0" while state is "waiting"
  bool redis_reachable = true;
  std::vector<std::string> gone;  // lower-group nodes whose heartbeat went stale
};

class Server {
 public:
  Server(std::shared_ptr<const config::Config> config, const pipeline::ModuleRegistry& registry);
  ~Server();

  // Builds the first snapshot and opens listeners; false with `errors` when it cannot.
  bool start(std::vector<std::string>& errors);
  // Loads `path` (or the embedded demo config when the server runs on it), checks and
  // builds it; only a fully valid config replaces the running one.
  // With a `deployment:` section in the running config the new snapshot first serves a
  // share of connections and is promoted or rolled back by the deployment thread;
  // `force` (or no section) swaps it in at once.
  ReloadOutcome reload(bool force = false);
  // Operator decisions on the candidate on trial; false with `message` when none is.
  bool promote(std::string& message);
  bool rollback(std::string& message);
  DeploymentState deployment_state();
  // Stops accepting, closes idle connections, waits for requests in flight up to the
  // grace period, then stops the workers. Returns true when everything finished.
  bool drain_and_stop();

  std::shared_ptr<const Snapshot> snapshot() const { return shared_.store.load(); }
  Metrics& metrics() { return shared_.metrics; }
  cache::TieredStore& cache() { return *shared_.cache; }
  unsigned worker_count() const { return static_cast<unsigned>(workers_.size()); }
  std::chrono::steady_clock::time_point started_at() const { return started_at_; }
  const std::vector<std::string>& last_reload_errors() const { return last_reload_errors_; }

 private:
  bool open_listeners(const config::Config& config, std::vector<std::string>& errors);
  void apply_runtime_settings(const config::Config& config);
  void start_housekeeping(WorkerContext& worker);
  bool open_access_log(const config::Config& config, std::string& error);
  void close_worker_sockets();
  // Makes `snapshot` the one every connection uses (ends any trial).
  void activate(const std::shared_ptr<const Snapshot>& snapshot);
  // The deployment thread: judges the candidate a few times a second.
  void watch_deployments();
  void stop_deployment_thread();
  void judge_trial();  // called with reload_mutex_ held
  void record_decision(std::string_view action, const std::string& version,
                       const std::string& reason);
  Tally tally_of(const Snapshot& snapshot) const;
  // Cluster rollout (server_rollout.cc), all with reload_mutex_ held.
  struct Trial;
  void begin_rollout(const config::Config& running, Trial& trial);
  bool follow_rollout();  // false when the trial ended or still waits for lower groups
  void start_canary(Trial& trial);
  void report_rollout(RolloutStage stage, const std::string& reason = "");

  struct Trial {
    std::shared_ptr<const Snapshot> candidate;
    config::Deployment policy;
    std::chrono::steady_clock::time_point started;
    Tally running_base;  // what the running snapshot had served when the trial began
    bool holding = false;
    std::optional<RolloutTracker> rollout;  // in cluster mode
  };

  const pipeline::ModuleRegistry& registry_;
  std::shared_ptr<const config::Config> initial_config_;
  // Declaration order is destruction order in reverse: the event loops (and with them
  // any session still alive) go before the per-worker and shared state they point to.
  ServerShared shared_;
  std::vector<std::unique_ptr<WorkerContext>> contexts_;
  core::WorkerGroup workers_;
  std::vector<std::vector<std::unique_ptr<core::Acceptor>>> acceptors_;
  std::vector<std::unique_ptr<core::LineWriter>> access_logs_;  // old writers stay alive
  std::string access_log_target_;
  std::mutex reload_mutex_;
  std::vector<std::string> last_reload_errors_;
  std::chrono::steady_clock::time_point started_at_;
  bool stopped_ = false;
  std::optional<Trial> trial_;     // guarded by reload_mutex_
  DeploymentState last_decision_;  // only its last_* fields; guarded by reload_mutex_
  std::condition_variable_any deployment_wake_;
  bool deployment_stop_ = false;  // guarded by reload_mutex_
  std::thread deployment_thread_;
  std::unique_ptr<RolloutLink> rollout_link_;  // guarded by reload_mutex_
  // Last: stopped (its thread joined) before anything the pools it checks point to.
  proxy::HealthChecker health_;
};

}  // namespace rampart::server
