#pragma once
// A transaction's cache of transformed values: the same value through the same chain of
// transformations is computed (and prefilter-scanned) once per request. A JSON body or a
// long query string brings hundreds of arguments and the CRS reads each through a dozen
// chains, so a request makes thousands of entries and looks them up tens of thousands of
// times: the index is open-addressed (one probe is one cache line, no node per entry) and
// the entries live in fixed chunks, so their addresses stay valid while more are added.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::seclang {

struct TransformCacheEntry {
  std::string text;                 // the value after the chain, when it had to be made
  std::string_view view;            // the value after the chain (`text` or the source)
  bool scanned = false;             // the chain's prefilter ran on `text`
  std::vector<uint64_t> may_match;  // by prefilter slot, once scanned
};

class TransformCache {
 public:
  // The entry for `source` (a value's first byte; never null) of `size` bytes through the
  // interned chain `chain`, and whether it was made by this call.
  std::pair<TransformCacheEntry*, bool> find_or_add(const void* source, size_t size,
                                                    uint32_t chain);

 private:
  struct Slot {
    const void* source = nullptr;  // null: empty
    size_t size = 0;
    uint32_t chain = 0;
    uint32_t entry = 0;
  };
  static constexpr size_t kChunk = 128;

  void grow();
  size_t home(const void* source, size_t size, uint32_t chain) const;

  std::vector<Slot> slots_;  // a power of two in size, at most half full
  size_t used_ = 0;
  std::vector<std::unique_ptr<TransformCacheEntry[]>> chunks_;
};

}  // namespace rampart::seclang
