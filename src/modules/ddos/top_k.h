#pragma once
// Memory-bounded summaries of one attribute of a site's traffic (client prefix, user
// agent, path, method, JA4): `TopK` counts the heavy hitters of one window with the
// Space-Saving algorithm (fixed capacity; a value's count is over-estimated by at most
// its `error`), and `ShareTable` keeps the baseline: the long-run share of the values
// that were heavy hitters, as exponentially weighted averages, also of fixed size.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace rampart::modules::ddos {

// Values longer than this are kept as their prefix (the rule then uses starts_with).
inline constexpr size_t kMaxValueBytes = 160;

uint64_t hash_value(std::string_view value);

// One heavy hitter as read out of a TopK (views into it).
struct TopKItem {
  uint64_t hash = 0;
  uint32_t count = 0;
  uint32_t error = 0;  // count may exceed the true count by this much
  std::string_view value;
  bool truncated = false;
  uint32_t guaranteed() const { return count - error; }
};

// Hashes and counts sit in their own arrays, so the per-request lookup reads a few
// cache lines, not every stored value.
template <size_t Capacity>
class TopK {
 public:
  void add(std::string_view value, uint64_t hash, uint32_t count = 1, uint32_t error = 0,
           bool truncated = false);
  void add_item(const TopKItem& e) { add(e.value, e.hash, e.count, e.error, e.truncated); }
  void clear() { size_ = 0; }
  size_t size() const { return size_; }
  TopKItem operator[](size_t i) const {
    const Stored& v = values_[i];
    return {hashes_[i], counts_[i], v.error, {v.text.data(), v.length}, v.truncated};
  }
  // The item with the largest guaranteed count, if any.
  std::optional<TopKItem> top() const;

 private:
  struct Stored {
    uint32_t error = 0;
    uint16_t length = 0;
    bool truncated = false;
    std::array<char, kMaxValueBytes> text{};
  };
  std::array<uint64_t, Capacity> hashes_{};
  std::array<uint32_t, Capacity> counts_{};
  std::array<Stored, Capacity> values_{};
  size_t size_ = 0;
};

class ShareTable {
 public:
  static constexpr size_t kCapacity = 64;
  // Moves every share toward this window's: share = (1-alpha)*share + alpha*observed.
  // `window` holds the window's heavy hitters and `total` its request count.
  template <size_t N>
  void learn(const TopK<N>& window, uint64_t total, double alpha);
  // The baseline share of a value (0 when it was never a heavy hitter).
  double share(uint64_t hash) const;
  size_t size() const { return size_; }

 private:
  struct Entry {
    uint64_t hash = 0;
    double share = 0;
  };
  std::array<Entry, kCapacity> entries_{};
  size_t size_ = 0;
};

}  // namespace rampart::modules::ddos
