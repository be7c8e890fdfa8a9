#pragma once
// A growable byte buffer for socket reads: data is appended at the end and consumed
// from the front. Memory is released while a connection sits idle, so ten thousand
// idle keep-alive connections cost sockets, not buffers.

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace rampart::core {

class ReadBuffer {
 public:
  explicit ReadBuffer(size_t initial = 4096, size_t max = 65536) : initial_(initial), max_(max) {}

  std::string_view readable() const { return {data_.get() + begin_, end_ - begin_}; }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  size_t capacity() const { return capacity_; }
  size_t max_size() const { return max_; }
  void set_max(size_t max) { max_ = max; }

  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }

  // Space to read into: at least `min_free` bytes unless the buffer is at its maximum.
  // May move data (invalidating views into readable()). Returns an empty span when full.
  std::pair<char*, size_t> prepare(size_t min_free = 1024);
  void commit(size_t n) { end_ += n; }

  void append(std::string_view bytes);
  void release_if_empty() {
    if (empty()) {
      data_.reset();
      capacity_ = 0;
      begin_ = end_ = 0;
    }
  }
  bool full() const { return size() >= max_; }

 private:
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  size_t initial_;
  size_t max_;
};

}  // namespace rampart::core
