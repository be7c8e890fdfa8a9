#pragma once
// Helpers shared by the client session's origin and body-streaming halves: gather-write
// buffer lists, chunk-size lines and the non-throwing completion token.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <chrono>
#include <initializer_list>
#include <span>

namespace rampart::server::session_io {

namespace asio = boost::asio;

inline constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
inline constexpr size_t kBodyBufSize = 64 * 1024;

inline double millis_between(std::chrono::steady_clock::time_point a,
                             std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// "1a2b\r\n" for a chunk of n bytes, built on the stack.
struct ChunkHeader {
  char text[24];
  size_t size = 0;
  explicit ChunkHeader(size_t n) {
    static constexpr char kHex[] = "0123456789abcdef";
    char tmp[20];
    size_t len = 0;
    do {
      tmp[len++] = kHex[n & 0xf];
      n >>= 4;
    } while (n != 0);
    for (size_t i = 0; i < len; ++i) text[i] = tmp[len - 1 - i];
    text[len] = '\r';
    text[len + 1] = '\n';
    size = len + 2;
  }
};

// Up to five buffers for one gather write, without a heap allocation.
class BufferList {
 public:
  void assign(std::initializer_list<asio::const_buffer> list) {
    size_ = 0;
    for (const auto& b : list) items_[size_++] = b;
  }
  void push_front(asio::const_buffer b) {
    for (size_t i = size_; i > 0; --i) items_[i] = items_[i - 1];
    items_[0] = b;
    ++size_;
  }
  std::span<const asio::const_buffer> view() const { return {items_.data(), size_}; }

 private:
  std::array<asio::const_buffer, 5> items_;
  size_t size_ = 0;
};

}  // namespace rampart::server::session_io
