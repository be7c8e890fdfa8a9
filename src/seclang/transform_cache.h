#pragma once
// A transaction's cache of transformed values: the same value through the same chain of
// transformations is computed (and prefilter-scanned) once per request. A JSON body or a
// long query string brings hundreds of arguments and the CRS reads each through a dozen
// chains, so a request makes thousands of entries and looks them up tens of thousands of
// times: the index is open-addressed (one probe is one cache line, no node per entry) and
// the entries live in fixed chunks, so their addresses stay valid while more are added.
// A worker reuses one cache from request to request (reset() keeps the chunks, the index
// and the strings' capacity), so a steady stream of requests allocates nothing here.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "seclang/byte_filter.h"

namespace rampart::seclang {

// One bit per pattern of a chain's prefilter. The CRS chains have at most a few hundred
// patterns, most far fewer: up to kInlineWords words live in the entry itself, so
// scanning a value allocates nothing.
class PrefilterBits {
 public:
  static constexpr size_t kInlineWords = 4;

  // `words` words, every bit set (`all`) or clear.
  void assign(size_t words, bool all) {
    if (words > kInlineWords && words > heap_words_) {
      heap_ = std::make_unique<uint64_t[]>(words);
      heap_words_ = words;
    }
    words_ = words;
    uint64_t* w = data();
    for (size_t i = 0; i < words; ++i) w[i] = all ? ~uint64_t{0} : 0;
  }
  void set(uint32_t bit) { data()[bit / 64] |= uint64_t{1} << (bit % 64); }
  bool test(uint32_t bit) const { return (data()[bit / 64] >> (bit % 64)) & 1u; }
  size_t words() const { return words_; }
  const uint64_t* data() const { return words_ > kInlineWords ? heap_.get() : inline_; }
  uint64_t* data() { return words_ > kInlineWords ? heap_.get() : inline_; }

 private:
  uint64_t inline_[kInlineWords] = {};
  std::unique_ptr<uint64_t[]> heap_;
  size_t heap_words_ = 0;
  size_t words_ = 0;
};

struct TransformCacheEntry {
  std::string text;         // the value after the chain, when it had to be made
  std::string_view view;    // the value after the chain (`text` or the source)
  bool scanned = false;     // the chain's prefilter ran on `text`
  PrefilterBits may_match;  // by prefilter slot, once scanned
  bool has_bytes = false;   // `bytes` is set
  ByteSet bytes;            // the bytes `view` holds, for the byte-class prefilter
  // Set by TransformCache::intern: entries whose texts are equal share an id, and are
  // `repeated` once a second one is interned (an operator's result can then be reused).
  uint32_t text_id = 0;
  bool repeated = false;
  // The first entry interned with the same text (null: none, or this is it): its bytes
  // bitmap serves this one too.
  TransformCacheEntry* same_text = nullptr;
  // In a value's source entry (TransformCache::kSourceChain) only: the transformations
  // (bit: Transform) known to leave its text as it is, and known to change it. A chain made
  // only of the former leaves the value as it is, with nothing to run: on benign requests
  // most chains do.
  uint64_t unchanged_by = 0;
  uint64_t changed_by = 0;

  // Ready for reuse; a string grown past `max_text` gives its memory back.
  void reset(size_t max_text) {
    if (text.capacity() > max_text) {
      std::string().swap(text);
    } else {
      text.clear();
    }
    view = {};
    scanned = false;
    has_bytes = false;
    text_id = 0;
    repeated = false;
    same_text = nullptr;
    unchanged_by = 0;
    changed_by = 0;
  }
};

class TransformCache {
 public:
  // The chain id of a value's source entry: its text untransformed (no rule chain uses it).
  static constexpr uint32_t kSourceChain = ~uint32_t{0};

  // The entry for `source` (a value's first byte; never null) of `size` bytes through the
  // interned chain `chain`, and whether it was made by this call.
  // Inline: the lookups of value groups run hundreds of times per request and mostly hit.
  std::pair<TransformCacheEntry*, bool> find_or_add(const void* source, size_t size,
                                                    uint32_t chain) {
    if ((used_ + 1) * 2 > slots_.size()) grow();
    const size_t mask = slots_.size() - 1;
    size_t i = home(source, size, chain);
    while (slots_[i].generation == generation_) {
      const Slot& s = slots_[i];
      if (s.source == source && s.size == size && s.chain == chain) {
        return {&chunks_[s.entry / kChunk][s.entry % kChunk], false};
      }
      i = (i + 1) & mask;
    }
    return {add(i, source, size, chain), true};
  }

  // Gives `entry` (its view final, at most kMaxInternedText bytes) the id of its text. Within a
  // request the id stands for the text: an operator that did not match one entry does not match
  // another with the same id (a JSON body repeats about half its values).
  void intern(TransformCacheEntry& entry);
  // What intern would give `entry`, whose view is the text of `source` (interned), without
  // hashing that text again.
  static void alias(TransformCacheEntry& entry, TransformCacheEntry& source) {
    TransformCacheEntry* first = source.same_text != nullptr ? source.same_text : &source;
    entry.same_text = first;  // the bytes bitmap is shared whatever the length
    if (source.text_id == 0) return;
    entry.text_id = source.text_id;
    entry.repeated = true;
    first->repeated = true;
  }
  // Whether `op` (an operator with a fixed argument) is known not to match text `text_id`.
  bool known_no_match(uint32_t text_id, const void* op) const;
  void add_no_match(uint32_t text_id, const void* op);

  // Empties the cache for the next request. What one large request made beyond sixteen
  // thousand entries (or strings beyond 4 KB each, 1 MB in all) is freed rather than kept
  // for all.
  void reset();

 private:
  struct Slot {
    const void* source = nullptr;
    size_t size = 0;
    uint32_t chain = 0;
    uint32_t entry = 0;
    uint32_t generation = 0;  // the slot is empty unless this is the cache's generation
  };
  static constexpr size_t kChunk = 128;
  static constexpr size_t kInitialSlots = 1024;
  // A 4 KB JSON body makes ~10,000 entries at PL1 and ~15,000 at PL4: keeping them all
  // (~120 bytes each) spares the next such request remaking them and their strings.
  static constexpr size_t kKeptChunks = 128;         // 16384 entries
  static constexpr size_t kKeptSlots = 65536;        // 2 MB: a 4 KB JSON body needs 32768
  static constexpr size_t kKeptText = 4096;          // per string
  static constexpr size_t kKeptTextTotal = 1 << 20;  // over all the entries' strings
  static constexpr size_t kMaxInternedText = 256;

  struct TextSlot {
    uint64_t hash = 0;
    TransformCacheEntry* first = nullptr;  // the first entry with this text
    uint32_t generation = 0;
  };
  struct NoMatchSlot {
    const void* op = nullptr;
    uint32_t text_id = 0;
    uint32_t generation = 0;
  };
  static size_t no_match_home(uint32_t text_id, const void* op);

  void grow();
  // A new entry in the empty slot `i`.
  TransformCacheEntry* add(size_t i, const void* source, size_t size, uint32_t chain);
  size_t home(const void* source, size_t size, uint32_t chain) const {
    uint64_t x = reinterpret_cast<uintptr_t>(source) ^ (uint64_t{size} << 40) ^
                 (uint64_t{chain} * 0xFF51AFD7ED558CCDull);
    x *= 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    return static_cast<size_t>(x) & (slots_.size() - 1);
  }

  std::vector<Slot> slots_;  // a power of two in size, at most half full
  uint32_t generation_ = 1;
  size_t used_ = 0;
  std::vector<std::unique_ptr<TransformCacheEntry[]>> chunks_;
  std::vector<TextSlot> texts_;  // by hash of the text; power of two, at most half full
  uint32_t text_count_ = 0;
  std::vector<NoMatchSlot> no_match_;  // power of two, at most half full
  size_t no_match_count_ = 0;
};

}  // namespace rampart::seclang
