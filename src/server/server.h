#pragma once
// The running server: workers with their listeners, the current snapshot, reloads and
// the graceful drain. Control operations (reload, drain) are called from the control
// thread; workers only read what they publish.

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/line_writer.h"
#include "core/workers.h"
#include "pipeline/pipeline.h"
#include "proxy/health_checker.h"
#include "server/worker_context.h"

namespace rampart::server {

struct ReloadOutcome {
  bool ok = false;
  std::string config_version;
  std::vector<std::string> errors;  // "file:line:col: error: message"
};

class Server {
 public:
  Server(std::shared_ptr<const config::Config> config, const pipeline::ModuleRegistry& registry);
  ~Server();

  // Builds the first snapshot and opens listeners; false with `errors` when it cannot.
  bool start(std::vector<std::string>& errors);
  // Loads `path` (or the embedded demo config when the server runs on it), checks and
  // builds it; only a fully valid config replaces the running one.
  ReloadOutcome reload();
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
  // Last: stopped (its thread joined) before anything the pools it checks point to.
  proxy::HealthChecker health_;
};

}  // namespace rampart::server
