#include "seclang/transform_cache.h"

#include <functional>

namespace rampart::seclang {

void TransformCache::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? kInitialSlots : old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.generation != generation_) continue;
    size_t i = home(s.source, s.size, s.chain);
    while (slots_[i].generation == generation_) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

TransformCacheEntry* TransformCache::add(size_t i, const void* source, size_t size,
                                         uint32_t chain) {
  auto index = static_cast<uint32_t>(used_);
  if (index / kChunk == chunks_.size()) {
    chunks_.push_back(std::make_unique<TransformCacheEntry[]>(kChunk));
  }
  slots_[i] = Slot{source, size, chain, index, generation_};
  ++used_;
  return &chunks_[index / kChunk][index % kChunk];
}

namespace {

// Doubles an open-addressed table of slots with a `generation`, keeping the current ones.
template <typename Slot, typename Home>
void rehash(std::vector<Slot>& table, uint32_t generation, size_t initial, Home home) {
  std::vector<Slot> old = std::move(table);
  table.assign(old.empty() ? initial : old.size() * 2, Slot{});
  const size_t mask = table.size() - 1;
  for (const Slot& s : old) {
    if (s.generation != generation) continue;
    size_t i = home(s) & mask;
    while (table[i].generation == generation) i = (i + 1) & mask;
    table[i] = s;
  }
}

}  // namespace

void TransformCache::intern(TransformCacheEntry& entry) {
  // Values that repeat are short (JSON leaves, flags, ids); hashing a long one costs more
  // than its rare repeat would save.
  if (entry.view.size() > kMaxInternedText) return;
  if ((text_count_ + 1) * 2 > texts_.size()) {
    rehash(texts_, generation_, 256, [](const TextSlot& s) { return s.hash; });
  }
  const size_t mask = texts_.size() - 1;
  const uint64_t hash = std::hash<std::string_view>{}(entry.view);
  size_t i = hash & mask;
  while (texts_[i].generation == generation_) {
    TextSlot& s = texts_[i];
    if (s.hash == hash && s.first->view == entry.view) {
      entry.text_id = s.first->text_id;
      entry.same_text = s.first;
      entry.repeated = true;
      s.first->repeated = true;
      return;
    }
    i = (i + 1) & mask;
  }
  entry.text_id = ++text_count_;
  texts_[i] = TextSlot{hash, &entry, generation_};
}

size_t TransformCache::no_match_home(uint32_t text_id, const void* op) {
  uint64_t x = reinterpret_cast<uintptr_t>(op) ^ (uint64_t{text_id} * 0xFF51AFD7ED558CCDull);
  x *= 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>(x ^ (x >> 29));
}

bool TransformCache::known_no_match(uint32_t text_id, const void* op) const {
  if (no_match_.empty()) return false;
  const size_t mask = no_match_.size() - 1;
  size_t i = no_match_home(text_id, op) & mask;
  while (no_match_[i].generation == generation_) {
    if (no_match_[i].op == op && no_match_[i].text_id == text_id) return true;
    i = (i + 1) & mask;
  }
  return false;
}

void TransformCache::add_no_match(uint32_t text_id, const void* op) {
  if ((no_match_count_ + 1) * 2 > no_match_.size()) {
    rehash(no_match_, generation_, 1024,
           [](const NoMatchSlot& s) { return no_match_home(s.text_id, s.op); });
  }
  const size_t mask = no_match_.size() - 1;
  size_t i = no_match_home(text_id, op) & mask;
  while (no_match_[i].generation == generation_) {
    if (no_match_[i].op == op && no_match_[i].text_id == text_id) return;
    i = (i + 1) & mask;
  }
  no_match_[i] = NoMatchSlot{op, text_id, generation_};
  ++no_match_count_;
}

void TransformCache::reset() {
  // Entries past `used_` were reset when they were last released.
  size_t kept = 0;
  for (size_t i = 0; i < used_; ++i) {
    TransformCacheEntry& entry = chunks_[i / kChunk][i % kChunk];
    entry.reset(kept < kKeptTextTotal ? kKeptText : 0);
    kept += entry.text.capacity();
  }
  if (chunks_.size() > kKeptChunks) chunks_.resize(kKeptChunks);
  used_ = 0;
  text_count_ = 0;
  no_match_count_ = 0;
  if (slots_.size() > kKeptSlots) std::vector<Slot>().swap(slots_);
  if (texts_.size() > kKeptSlots) std::vector<TextSlot>().swap(texts_);
  if (no_match_.size() > kKeptSlots) std::vector<NoMatchSlot>().swap(no_match_);
  // A new generation empties every slot without touching them; when the counter wraps,
  // old slots could look current, so they are cleared once.
  if (++generation_ == 0) {
    slots_.assign(slots_.size(), Slot{});
    texts_.assign(texts_.size(), TextSlot{});
    no_match_.assign(no_match_.size(), NoMatchSlot{});
    generation_ = 1;
  }
}

}  // namespace rampart::seclang
