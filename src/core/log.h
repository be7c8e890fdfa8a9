#pragma once
// Process log (stderr): leveled, rate-limited per call site so an error storm on the
// request path costs a counter increment, not a write per request.

#include <fmt/format.h>

#include <atomic>
#include <cstdint>
#include <string_view>

namespace rampart::core {

enum class LogLevel : uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kOff };

LogLevel parse_log_level(std::string_view name);  // unknown names give kInfo
void set_log_level(LogLevel level);
LogLevel log_level();
void write_log(LogLevel level, std::string_view message);

template <typename... Args>
void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (level < log_level()) return;
  write_log(level, fmt::format(format, std::forward<Args>(args)...));
}

// Lets at most `per_second` messages through per second; counts the rest and reports
// how many were suppressed with the next message that passes.
class LogRateLimiter {
 public:
  explicit LogRateLimiter(uint32_t per_second = 5) : per_second_(per_second) {}
  // Returns the number of suppressed messages to mention (>= 0) or -1 to drop this one.
  int64_t admit();

 private:
  uint32_t per_second_;
  std::atomic<int64_t> window_{0};
  std::atomic<uint32_t> in_window_{0};
  std::atomic<int64_t> suppressed_{0};
};

}  // namespace rampart::core
