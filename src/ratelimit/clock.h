#pragma once
// The clock rate-limit decisions read. A precise monotonic clock costs ~25 ns here
// (a serialized TSC read in the vDSO), more than the rest of a decision when the key's
// set is cached, and it keeps the CPU from overlapping one decision's table miss with
// the next one's. The coarse monotonic clock (the time of the kernel's last tick) is a
// plain memory read; it lags the precise one by its resolution plus the kernel's delay
// in publishing it (under 7 ms measured with a 4 ms tick), which only delays a key's
// refill by that much (see README.md). It is used when its resolution is 4 ms or
// finer, the precise clock otherwise.

#include <time.h>

#include "ratelimit/gcra.h"

namespace rampart::ratelimit {

namespace detail {
extern const bool kUseCoarseClock;
}

inline Nanos decision_clock() {
  timespec ts;
  clock_gettime(detail::kUseCoarseClock ? CLOCK_MONOTONIC_COARSE : CLOCK_MONOTONIC, &ts);
  return static_cast<Nanos>(ts.tv_sec) * kSecond + ts.tv_nsec;
}

// The resolution of decision_clock() (0: it is the precise clock); it lags by that
// plus a few milliseconds at most.
Nanos decision_clock_lag();

}  // namespace rampart::ratelimit
