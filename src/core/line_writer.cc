#include "core/line_writer.h"

#include <cerrno>
#include <cstring>

namespace rampart::core {

LineWriter::~LineWriter() {
  flush_and_stop();
}

bool LineWriter::open(const std::string& target, std::string& error) {
  target_ = target;
  if (target == "stdout") {
    file_ = stdout;
  } else {
    file_ = std::fopen(target.c_str(), "a");
    if (file_ == nullptr) {
      error = "cannot open '" + target + "': " + std::strerror(errno);
      return false;
    }
    owns_file_ = true;
  }
  thread_ = std::thread([this] { run(); });
  return true;
}

void LineWriter::write(std::string_view line) {
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() + line.size() > kMaxQueuedBytes) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    bool was_empty = pending_.empty();
    pending_.append(line);
    if (!was_empty) return;
  }
  wake_.notify_one();
}

void LineWriter::run() {
  std::string batch;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty() && stopping_) break;
    batch.swap(pending_);
    lock.unlock();
    std::fwrite(batch.data(), 1, batch.size(), file_);
    std::fflush(file_);
    batch.clear();
    lock.lock();
  }
}

void LineWriter::flush_and_stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (owns_file_ && file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  owns_file_ = false;
}

}  // namespace rampart::core
