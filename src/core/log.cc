#include "core/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace rampart::core {

namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::atomic<uint32_t> g_burst{5};
std::atomic<int64_t> g_interval_ms{10'000};
std::mutex g_write_mutex;
std::string g_config_version;  // under g_write_mutex

// Every limiter ever built; statics only, so the list is appended to and never shrinks
// in a running server (the destructor unlinks for tests that build their own).
std::mutex g_registry_mutex;
LogRateLimiter* g_registry = nullptr;

constexpr std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      return "off";
  }
  return "info";
}
}  // namespace

LogLevel parse_log_level(std::string_view name) {
  for (auto level : {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn,
                     LogLevel::kError, LogLevel::kOff}) {
    if (name == level_name(level)) return level;
  }
  return LogLevel::kInfo;
}

void set_log_level(LogLevel level) {
  g_level.store(level, std::memory_order_relaxed);
}
LogLevel log_level() {
  return g_level.load(std::memory_order_relaxed);
}

void set_log_config_version(std::string_view version) {
  std::lock_guard lock(g_write_mutex);
  g_config_version.assign(version);
}

void set_log_rate(uint32_t burst, std::chrono::milliseconds interval) {
  g_burst.store(burst == 0 ? 1 : burst, std::memory_order_relaxed);
  g_interval_ms.store(interval.count() <= 0 ? 1 : interval.count(), std::memory_order_relaxed);
}

void write_log(LogLevel level, std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t secs = system_clock::to_time_t(now);
  auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::string line = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {} ",
                                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                 tm.tm_min, tm.tm_sec, millis, level_name(level));
  std::lock_guard lock(g_write_mutex);
  if (!g_config_version.empty()) {
    line.append("config=").append(g_config_version).push_back(' ');
  }
  line.append(message).push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

LogRateLimiter::LogRateLimiter(std::string_view key, uint32_t burst) : key_(key), burst_(burst) {
  std::lock_guard lock(g_registry_mutex);
  next_ = g_registry;
  g_registry = this;
}

LogRateLimiter::~LogRateLimiter() {
  std::lock_guard lock(g_registry_mutex);
  for (LogRateLimiter** p = &g_registry; *p != nullptr; p = &(*p)->next_) {
    if (*p == this) {
      *p = next_;
      break;
    }
  }
}

int64_t LogRateLimiter::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t LogRateLimiter::admit_at(int64_t now) {
  int64_t interval = g_interval_ms.load(std::memory_order_relaxed);
  uint32_t burst = burst_ != 0 ? burst_ : g_burst.load(std::memory_order_relaxed);
  int64_t window = window_.load(std::memory_order_relaxed);
  if (now - window >= interval && window_.compare_exchange_strong(window, now)) {
    in_window_.store(0, std::memory_order_relaxed);
  }
  if (in_window_.fetch_add(1, std::memory_order_relaxed) >= burst) {
    suppressed_.fetch_add(1, std::memory_order_relaxed);
    return -1;
  }
  return suppressed_.exchange(0, std::memory_order_relaxed);
}

int64_t LogRateLimiter::take_expired(int64_t now) {
  if (suppressed_.load(std::memory_order_relaxed) == 0) return 0;
  int64_t interval = g_interval_ms.load(std::memory_order_relaxed);
  if (now - window_.load(std::memory_order_relaxed) < interval) return 0;
  return suppressed_.exchange(0, std::memory_order_relaxed);
}

void flush_suppressed_logs(int64_t now) {
  std::lock_guard lock(g_registry_mutex);
  for (LogRateLimiter* l = g_registry; l != nullptr; l = l->next_) {
    if (int64_t n = l->take_expired(now); n > 0) {
      write_log(LogLevel::kWarn, fmt::format("suppressed {} similar log lines{}{}", n,
                                             l->key_.empty() ? "" : ": ", l->key_));
    }
  }
}

}  // namespace rampart::core
