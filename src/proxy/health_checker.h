#pragma once
// Active health checks: one thread with its own event loop probes every endpoint of every
// pool that has a `health_check:` (HTTP or TCP), on the pool's interval with jitter, and
// marks endpoints up or down after the configured number of consecutive results. The
// same loop ends outlier ejections when their time is up.

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "config/config.h"
#include "proxy/origin_set.h"

namespace rampart::proxy {

// True when `status` falls in one of the ranges.
bool status_expected(int status, std::span<const config::StatusRange> ranges);

// The outcome of one probe: ok, or why not ("connect: Connection refused", "status 503").
struct CheckResult {
  bool ok = false;
  std::string reason;
};

class HealthChecker {
 public:
  HealthChecker();
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Starts checking the pools of `origins` instead of the previous set's (thread-safe).
  void update(std::shared_ptr<const OriginSet> origins);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::proxy
