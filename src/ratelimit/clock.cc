#include "ratelimit/clock.h"

namespace rampart::ratelimit {
namespace {

constexpr Nanos kMostCoarseLag = 4'000'000;

Nanos coarse_resolution() {
  timespec res{};
  if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) != 0) return 0;
  return static_cast<Nanos>(res.tv_sec) * kSecond + res.tv_nsec;
}

}  // namespace

namespace detail {
const bool kUseCoarseClock = [] {
  Nanos r = coarse_resolution();
  return r > 0 && r <= kMostCoarseLag;
}();
}  // namespace detail

Nanos decision_clock_lag() {
  return detail::kUseCoarseClock ? coarse_resolution() : 0;
}

}  // namespace rampart::ratelimit
