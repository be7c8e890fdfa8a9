#pragma once
// The byte-class prefilter of @rx: many CRS patterns cannot match without some byte of a
// small set (a quote, a parenthesis, '<', ';', '|', '`', '$', '\\' ...) that ordinary
// values rarely hold. At load each static pattern is reduced to a few such sets; per
// request a value's "bytes present" bitmap is made once, and a pattern none of whose
// matches could fit in the value is skipped with a few AND instructions, before the
// literal prefilter and RE2.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace rampart::seclang {

// A set of byte values, one bit each.
struct ByteSet {
  uint64_t w[4] = {0, 0, 0, 0};

  void add(uint8_t b) { w[b >> 6] |= uint64_t{1} << (b & 63); }
  bool has(uint8_t b) const { return (w[b >> 6] >> (b & 63)) & 1u; }
  void merge(const ByteSet& o) {
    for (int i = 0; i < 4; ++i) w[i] |= o.w[i];
  }
  bool intersects(const ByteSet& o) const {
    return ((w[0] & o.w[0]) | (w[1] & o.w[1]) | (w[2] & o.w[2]) | (w[3] & o.w[3])) != 0;
  }
  bool operator==(const ByteSet& o) const = default;
};

// The bytes `text` holds.
ByteSet bytes_present(std::string_view text);

// Sets of bytes a pattern cannot match without: every match holds a byte of each.
class ByteCondition {
 public:
  static constexpr size_t kMaxSets = 4;

  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  const ByteSet& set(size_t i) const { return sets_[i]; }
  void push(const ByteSet& s) {
    if (count_ < kMaxSets) sets_[count_++] = s;
  }
  // False only when a value holding exactly `present` cannot match the pattern.
  bool passes(const ByteSet& present) const {
    for (size_t i = 0; i < count_; ++i) {
      if (!sets_[i].intersects(present)) return false;
    }
    return true;
  }

 private:
  uint8_t count_ = 0;
  ByteSet sets_[kMaxSets];
};

// Every set the analyser finds required by `pattern`, read as @rx reads it (PCRE syntax,
// DOTALL and MULTILINE, bytes; an inline `i` anywhere folds ASCII and Latin-1 letters
// throughout, except in negated classes: folded only in a pattern caseless from its start). Nullopt
// when the pattern uses syntax the analyser does not follow; an empty list when it requires
// nothing. Exposed for tests.
std::optional<std::vector<ByteSet>> required_byte_sets(std::string_view pattern);

// The few most selective of those sets (rarest bytes in ordinary request text first);
// empty when the pattern gives no useful condition.
ByteCondition byte_condition_for(std::string_view pattern);

}  // namespace rampart::seclang
