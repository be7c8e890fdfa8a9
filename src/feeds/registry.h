#pragma once
// The process-wide set of data feeds. Modules ask for their feeds when a config
// snapshot is built (`use`), which also re-reads them (a config reload re-reads every
// feed); a background thread looks at each live feed's file once a second (a stat, and
// a read only when it changed). Feeds live as long as a snapshot's module holds them, so
// a reload that keeps a feed keeps its running version (the base of the change-ratio
// check).

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "feeds/feed.h"

namespace rampart::feeds {

class Registry {
 public:
  static Registry& instance();
  ~Registry();

  // The feed called `name`, re-read now. An existing live feed with the same name and
  // path is reused (with the new limits); otherwise a new one is made. `compiler` must
  // not change meaning for a name (the feed's kind is part of its name).
  std::shared_ptr<Feed> use(const std::string& name, const std::string& path, const Limits& limits,
                            Compiler compiler);
  std::vector<std::shared_ptr<Feed>> live();

  // Looks at every live feed once (what the poll thread does each interval).
  void poll_once();

  // Admin API and metrics.
  std::string to_json();
  void render_metrics(std::string& out);
  // 200 with the feed's state, 404 without such a feed, 409 when nothing is held back.
  int accept(std::string_view name, std::string& body);

 private:
  Registry() = default;
  void start_thread_locked();

  std::mutex mu_;
  std::map<std::string, std::weak_ptr<Feed>, std::less<>> feeds_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace rampart::feeds
