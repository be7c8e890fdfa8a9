#pragma once
// The `safety:` section: what makes a bad change visible and cheap to survive — the
// config version on responses and how often one kind of error may be logged.

#include <cstdint>

#include "config/basics.h"

namespace rampart::config {

struct SafetySettings {
  // Adds `X-Rampart-Config: <version>` to every response, so a client (or a probe) sees
  // which config answered it; off by default, since it tells clients a little about us.
  bool config_header = false;
  // Process log lines of one kind (one call site) allowed per interval; past that they
  // are counted and one "suppressed N similar" line is written when the interval ends.
  uint32_t error_log_burst = 5;
  Millis error_log_interval{10'000};
};

}  // namespace rampart::config
