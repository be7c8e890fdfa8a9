#pragma once
// The `cluster:` section: rate-limit counters and config rollouts shared by a fleet of
// nodes through Redis.

#include <cstdint>
#include <string>

#include "config/basics.h"

namespace rampart::config {

struct ClusterSettings {
  bool enabled = false;  // the section names a redis
  HostPort redis;        // IP literal or DNS name
  std::string password;  // AUTH; also keys the hash of the Redis key names
  std::string key_prefix = "rampart:";
  Millis sync_interval{100};
  Millis timeout{50};           // connect, and each round trip
  Millis log_interval{10'000};  // while redis is down, one log line per interval
  uint32_t max_keys = 16'384;   // keys per rule a node shares
  std::string node;             // this node's name in config rollouts; empty: hostname:admin port
};

}  // namespace rampart::config
