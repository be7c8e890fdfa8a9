#pragma once
// Process log (stderr): leveled, rate-limited per call site so an error storm on the
// request path costs a counter increment, not a write per request. Every line carries
// the running config version, so a flapping version shows in the log at once.

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace rampart::core {

enum class LogLevel : uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kOff };

LogLevel parse_log_level(std::string_view name);  // unknown names give kInfo
void set_log_level(LogLevel level);
LogLevel log_level();
// The config version written on every line (`config=<version>`); empty: none.
void set_log_config_version(std::string_view version);
void write_log(LogLevel level, std::string_view message);

template <typename... Args>
void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (level < log_level()) return;
  write_log(level, fmt::format(format, std::forward<Args>(args)...));
}

// How many lines of one kind pass per interval (the config's `safety:` section); every
// LogRateLimiter built without its own burst follows it.
void set_log_rate(uint32_t burst, std::chrono::milliseconds interval);

// Lets at most `burst` messages of one kind through per interval; counts the rest. The
// count is reported with the next message that passes, or, if none does, by
// flush_suppressed_logs() as one "suppressed N similar" line once the interval is over.
// Instances are meant to be function-local statics: each registers itself, for good.
class LogRateLimiter {
 public:
  // `key` names the kind of message in the suppressed line (a static string); burst 0
  // follows set_log_rate().
  explicit LogRateLimiter(std::string_view key = "", uint32_t burst = 0);
  explicit LogRateLimiter(uint32_t burst) : LogRateLimiter("", burst) {}
  LogRateLimiter(const LogRateLimiter&) = delete;
  LogRateLimiter& operator=(const LogRateLimiter&) = delete;
  ~LogRateLimiter();

  // Returns the number of suppressed messages to mention (>= 0) or -1 to drop this one.
  int64_t admit() { return admit_at(now_ms()); }
  int64_t admit_at(int64_t now_ms);
  // The count to report now that the interval holding it is over (0: nothing).
  int64_t take_expired(int64_t now_ms);
  std::string_view key() const { return key_; }

  static int64_t now_ms();

 private:
  friend void flush_suppressed_logs(int64_t now_ms);
  std::string_view key_;
  uint32_t burst_;
  std::atomic<int64_t> window_{0};  // start of the current interval, ms
  std::atomic<uint32_t> in_window_{0};
  std::atomic<int64_t> suppressed_{0};
  LogRateLimiter* next_ = nullptr;  // the registry of every limiter
};

// Writes one "suppressed N similar" line per limiter whose interval ended with messages
// held back. Called once a second off the request path (the control loop).
void flush_suppressed_logs(int64_t now_ms = LogRateLimiter::now_ms());

}  // namespace rampart::core
