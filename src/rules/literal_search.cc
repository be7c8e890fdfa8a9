#include "rules/literal_search.h"

#include <algorithm>
#include <deque>

namespace rampart::rules {
namespace {

uint8_t fold(uint8_t c, bool fold_case) {
  return (fold_case && c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c;
}

}  // namespace

LiteralSearch::LiteralSearch(std::span<const std::string> literals, bool fold_case) {
  // Byte classes: every byte that appears in a literal (after folding) gets its own
  // class; all other bytes share class 0, which only ever leads back to the root's
  // failure chain.
  bool used[256] = {};
  for (const std::string& lit : literals) {
    for (char c : lit) used[fold(static_cast<uint8_t>(c), fold_case)] = true;
  }
  uint8_t class_of_folded[256] = {};
  classes_ = 1;
  for (int b = 0; b < 256; ++b) {
    if (used[b]) class_of_folded[b] = static_cast<uint8_t>(classes_++);
  }
  if (classes_ > 255) classes_ = 255;  // cannot happen: at most 256 distinct bytes
  for (int b = 0; b < 256; ++b) {
    byte_class_[b] = class_of_folded[fold(static_cast<uint8_t>(b), fold_case)];
  }

  // The trie; 0 in `next` means "no edge" (the root is never an edge target).
  std::vector<std::vector<uint32_t>> out(1);
  std::vector<uint32_t> next(classes_, 0);
  auto add_state = [&] {
    next.resize(next.size() + classes_, 0);
    out.emplace_back();
    return static_cast<uint32_t>(out.size() - 1);
  };
  bool any = false;
  for (uint32_t i = 0; i < literals.size(); ++i) {
    const std::string& lit = literals[i];
    if (lit.empty()) continue;
    any = true;
    uint32_t state = 0;
    for (char c : lit) {
      uint32_t cls = byte_class_[static_cast<uint8_t>(c)];
      uint32_t& edge = next[state * classes_ + cls];
      if (edge == 0) {
        uint32_t created = add_state();
        next[state * classes_ + cls] = created;  // `edge` may dangle after resize
        state = created;
      } else {
        state = edge;
      }
    }
    out[state].push_back(i);
  }
  if (!any) return;

  // Breadth-first: failure links, and missing edges filled in from the failure state,
  // which turns the trie into a DFA.
  size_t states = out.size();
  std::vector<uint32_t> failure(states, 0);
  std::deque<uint32_t> queue;
  for (uint32_t cls = 0; cls < classes_; ++cls) {
    uint32_t s = next[cls];
    if (s != 0) queue.push_back(s);
  }
  while (!queue.empty()) {
    uint32_t state = queue.front();
    queue.pop_front();
    const std::vector<uint32_t>& inherited = out[failure[state]];
    out[state].insert(out[state].end(), inherited.begin(), inherited.end());
    for (uint32_t cls = 0; cls < classes_; ++cls) {
      uint32_t target = next[state * classes_ + cls];
      uint32_t via_failure = next[failure[state] * classes_ + cls];
      if (target != 0) {
        failure[target] = via_failure;
        queue.push_back(target);
      } else {
        next[state * classes_ + cls] = via_failure;
      }
    }
  }
  transitions_ = std::move(next);
  output_begin_.reserve(states + 1);
  for (size_t s = 0; s < states; ++s) {
    output_begin_.push_back(static_cast<uint32_t>(outputs_.size()));
    std::sort(out[s].begin(), out[s].end());
    out[s].erase(std::unique(out[s].begin(), out[s].end()), out[s].end());
    outputs_.insert(outputs_.end(), out[s].begin(), out[s].end());
  }
  output_begin_.push_back(static_cast<uint32_t>(outputs_.size()));
}

size_t LiteralSearch::memory_bytes() const {
  return (transitions_.capacity() + output_begin_.capacity() + outputs_.capacity()) *
         sizeof(uint32_t);
}

}  // namespace rampart::rules
