#include "seclang/phrase_matcher.h"

#include <algorithm>

namespace rampart::seclang::detail {
namespace {

// ModSecurity's matcher folds with tolower() in the C locale: ASCII letters only.
constexpr uint8_t fold(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

}  // namespace

void PhraseMatcher::add(std::string_view phrase) {
  if (phrase.empty()) return;
  if (building_.empty()) {
    building_.emplace_back();
    terminal_.push_back(-1);
  }
  uint32_t node = 0;
  for (char ch : phrase) {
    uint8_t c = fold(static_cast<uint8_t>(ch));
    auto& edges = building_[node];
    auto it = std::find_if(edges.begin(), edges.end(), [c](auto& e) { return e.first == c; });
    if (it != edges.end()) {
      node = it->second;
      continue;
    }
    auto next = static_cast<uint32_t>(building_.size());
    building_[node].emplace_back(c, next);
    building_.emplace_back();
    terminal_.push_back(-1);
    node = next;
  }
  if (terminal_[node] < 0) terminal_[node] = static_cast<int32_t>(phrases_.size());
  phrases_.emplace_back(phrase);
}

void PhraseMatcher::build() {
  if (building_.empty()) {
    building_.emplace_back();
    terminal_.push_back(-1);
  }
  size_t n = building_.size();
  edge_begin_.assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    auto& edges = building_[i];
    std::sort(edges.begin(), edges.end());
    edge_begin_[i + 1] = edge_begin_[i] + static_cast<uint32_t>(edges.size());
    for (auto& [label, target] : edges) {
      edge_labels_.push_back(label);
      edge_targets_.push_back(target);
    }
  }
  root_next_.fill(0);
  for (auto& [label, target] : building_[0]) root_next_[label] = target;

  // Breadth-first, so a node's fail target (shallower) is final before the node's.
  fail_.assign(n, 0);
  output_.assign(n, -1);
  std::vector<uint32_t> queue;
  queue.reserve(n);
  for (auto& [label, target] : building_[0]) {
    queue.push_back(target);
    output_[target] = terminal_[target];
  }
  for (size_t head = 0; head < queue.size(); ++head) {
    uint32_t node = queue[head];
    for (auto& [label, target] : building_[node]) {
      uint32_t f = fail_[node];
      uint32_t next = 0;
      while (true) {
        next = f == 0 ? root_next_[label] : child(f, label);
        if (next != 0 || f == 0) break;
        f = fail_[f];
      }
      fail_[target] = next;
      output_[target] = terminal_[target] >= 0 ? terminal_[target] : output_[next];
      queue.push_back(target);
    }
  }
  building_.clear();
  building_.shrink_to_fit();
}

uint32_t PhraseMatcher::child(uint32_t node, uint8_t c) const {
  auto first = edge_labels_.begin() + edge_begin_[node];
  auto last = edge_labels_.begin() + edge_begin_[node + 1];
  if (last - first <= 8) {
    for (auto it = first; it != last; ++it) {
      if (*it == c) return edge_targets_[it - edge_labels_.begin()];
    }
    return 0;
  }
  auto it = std::lower_bound(first, last, c);
  if (it == last || *it != c) return 0;
  return edge_targets_[it - edge_labels_.begin()];
}

std::optional<size_t> PhraseMatcher::find(std::string_view text) const {
  if (phrases_.empty()) return std::nullopt;
  uint32_t state = 0;
  for (char ch : text) {
    uint8_t c = fold(static_cast<uint8_t>(ch));
    while (true) {
      if (state == 0) {
        state = root_next_[c];
        break;
      }
      uint32_t next = child(state, c);
      if (next != 0) {
        state = next;
        break;
      }
      state = fail_[state];
    }
    if (output_[state] >= 0) return static_cast<size_t>(output_[state]);
  }
  return std::nullopt;
}

}  // namespace rampart::seclang::detail
