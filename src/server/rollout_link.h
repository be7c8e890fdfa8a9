#pragma once
// The Redis side of a cluster rollout, on its own thread: it writes this node's stage
// with the version it watches and reads the version's record back, a few times a
// second, so the deployment thread (and never a request) only picks up the latest
// read. It shares redis/'s connection and thread with the rate limiter's cluster sync,
// not the rate-limit library itself.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "redis/connection.h"
#include "redis/link_thread.h"
#include "server/rollout.h"

namespace rampart::server {

struct RolloutLinkOptions {
  redis::Endpoint redis;
  std::string key_prefix = "rampart:";
  std::chrono::milliseconds poll_interval{200};

  std::string identity() const;
};

struct RolloutRead {
  bool ok = false;
  RolloutRecord record;  // when ok
  std::string error;     // when not
};

class RolloutLink {
 public:
  explicit RolloutLink(RolloutLinkOptions options);
  ~RolloutLink();  // stops and joins the thread
  RolloutLink(const RolloutLink&) = delete;
  RolloutLink& operator=(const RolloutLink&) = delete;

  // Follows `version` from now on (replacing any other), registering `node` in `group`.
  void watch(const std::string& version, const std::string& node, uint32_t group,
             RolloutStage stage);
  // This node's new stage for the watched version; with `bad`, marks the version bad
  // fleet-wide (the first node's reason is kept). A final stage is written until Redis
  // took it, then the link goes quiet.
  void report(const std::string& version, RolloutStage stage, const std::string& bad = "");
  void stop_watching();
  // The newest read of `version`'s record not taken yet.
  std::optional<RolloutRead> take(const std::string& version);

  const RolloutLinkOptions& options() const { return options_; }

 private:
  struct Target {
    std::string version;
    std::string node;
    uint32_t group = 0;
    RolloutStage stage = RolloutStage::kWaiting;
    std::string bad;
    uint64_t revision = 0;  // bumped by every change
  };

  void run();
  // One pipelined round trip: write the stage (and `bad`), read the record.
  RolloutRead exchange(const Target& target);

  RolloutLinkOptions options_;
  redis::Connection redis_;  // only touched by the thread
  // Guarded by thread_'s mutex.
  std::optional<Target> target_;
  uint64_t revisions_ = 0;
  std::optional<RolloutRead> latest_;
  std::string latest_version_;
  redis::LinkThread thread_;
};

}  // namespace rampart::server
