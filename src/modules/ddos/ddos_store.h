#pragma once
// The process-wide home of the sites' DDoS state: one SiteDetector per site name,
// created the first time a config names the site and kept across reloads, so a reload
// neither forgets the baseline nor drops an active mitigation; forgotten once no live
// config snapshot has the site. A timer thread advances
// every detector once a second, so mitigations are withdrawn even when traffic stops.
// Also serves the admin API routes under /ddos/.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "modules/ddos/detector.h"
#include "pipeline/extensions.h"

namespace rampart::modules::ddos {

class DdosStore {
 public:
  static DdosStore& instance();
  ~DdosStore();

  // The site's detector, created (and the timer started) on first use.
  std::shared_ptr<SiteDetector> detector(const std::string& site);
  std::shared_ptr<SiteDetector> find(const std::string& site) const;

  // GET /ddos/mitigations, POST /ddos/under_attack?site=S&enabled=true|false|config.
  std::optional<pipeline::AdminReply> handle_admin(const pipeline::AdminCall& call);

  static int64_t now_ms();

 private:
  DdosStore() = default;
  void run_timer();

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<SiteDetector>, std::less<>> sites_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread timer_;
};

// Registers the /ddos/ admin routes (once per process).
void register_ddos_admin_routes();

}  // namespace rampart::modules::ddos
