#include "core/read_buffer.h"

#include <algorithm>

namespace rampart::core {

std::pair<char*, size_t> ReadBuffer::prepare(size_t min_free) {
  if (capacity_ - end_ >= min_free) return {data_.get() + end_, capacity_ - end_};
  size_t used = size();
  if (begin_ > 0 && capacity_ - used >= min_free) {
    std::memmove(data_.get(), data_.get() + begin_, used);
    begin_ = 0;
    end_ = used;
    return {data_.get() + end_, capacity_ - end_};
  }
  size_t wanted = std::max({initial_, capacity_ * 2, used + min_free});
  wanted = std::min(wanted, std::max(max_, used));
  if (wanted <= used) return {nullptr, 0};
  if (wanted <= capacity_) {
    // At the maximum: compact and hand out whatever room is left.
    if (begin_ > 0) std::memmove(data_.get(), data_.get() + begin_, used);
    begin_ = 0;
    end_ = used;
    return {data_.get() + end_, capacity_ - end_};
  }
  auto grown = std::make_unique_for_overwrite<char[]>(wanted);
  if (used > 0) std::memcpy(grown.get(), data_.get() + begin_, used);
  data_ = std::move(grown);
  capacity_ = wanted;
  begin_ = 0;
  end_ = used;
  return {data_.get() + end_, capacity_ - end_};
}

void ReadBuffer::append(std::string_view bytes) {
  if (bytes.empty()) return;
  size_t saved_max = max_;
  max_ = std::max(max_, size() + bytes.size());
  auto [ptr, n] = prepare(bytes.size());
  max_ = saved_max;
  std::memcpy(ptr, bytes.data(), bytes.size());
  commit(bytes.size());
}

}  // namespace rampart::core
