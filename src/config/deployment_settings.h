#pragma once
// `deployment:`: how a reloaded config takes over (staged activation). Without the
// section a config that passed every check replaces the running one at once.

#include <cstdint>

#include "config/basics.h"

namespace rampart::config {

struct Deployment {
  bool enabled = false;  // the section is present
  // Share of connections the candidate serves while it is on trial.
  uint32_t canary_percent = 10;
  Millis window{30'000};
  // Percentage points by which the candidate's rate of rampart-answered 5xx (and module
  // failures) may exceed the running config's before it is rolled back.
  uint32_t max_error_rate_increase = 1;
  // How much slower the candidate's p95 may be; 0 switches the latency check off.
  Millis max_latency_increase{0};
  // Requests the candidate must have served before its rates are compared.
  uint32_t min_requests = 20;
  bool auto_promote = true;  // false: after the window it waits for an operator
  // Cluster rollout (with a `cluster:` section): a node of group g starts its canary
  // only once every node of a lower group that registered the version promoted it.
  uint32_t group = 0;
  // How long a waiting node goes without reaching Redis before it runs its own canary.
  Millis wait_timeout{600'000};
};

}  // namespace rampart::config
