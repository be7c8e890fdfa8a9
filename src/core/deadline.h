#pragma once
// One timer per connection that fires when the current I/O step overruns its budget.
// Moving the deadline is a plain store; the timer re-arms lazily when it wakes early,
// so a request pays no timer syscalls per read or write.

#include "core/net_types.h"

#include <chrono>
#include <functional>

namespace rampart::core {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  // `on_expire` runs on the timer's executor when the deadline passes; it typically
  // cancels the sockets whose operations are pending.
  Deadline(Executor executor, std::function<void()> on_expire);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  void expire_after(Clock::duration budget);
  void disarm() { deadline_ = Clock::time_point::max(); }
  // Disarms and releases the pending timer wait (for long idle periods).
  void stop();
  bool expired() const { return expired_; }
  void reset_expired() { expired_ = false; }

 private:
  void arm(Clock::time_point at);

  Timer timer_;
  std::function<void()> on_expire_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point armed_at_ = Clock::time_point::max();
  bool waiting_ = false;
  bool expired_ = false;
  std::shared_ptr<bool> alive_;
};

}  // namespace rampart::core
