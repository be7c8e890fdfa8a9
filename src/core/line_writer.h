#pragma once
// Writes lines to a file or stdout from a background thread so a slow disk never
// blocks a worker. The queue is bounded: past the bound, lines are dropped and counted.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace rampart::core {

class LineWriter {
 public:
  static constexpr size_t kMaxQueuedBytes = 64u << 20;

  LineWriter() = default;
  ~LineWriter();
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  // "stdout" or a file path (appended to). Returns false with `error` on failure.
  bool open(const std::string& target, std::string& error);
  // `line` must end with '\n'.
  void write(std::string_view line);
  void flush_and_stop();
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  const std::string& target() const { return target_; }

 private:
  void run();

  std::string target_;
  std::FILE* file_ = nullptr;
  bool owns_file_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string pending_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace rampart::core
