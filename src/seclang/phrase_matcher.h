#pragma once
// Case-insensitive (ASCII) multi-phrase substring search for @pm / @pmFromFile: an
// Aho-Corasick automaton, one pass over the input whatever the number of phrases.
// Private to the operator files.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::seclang::detail {

class PhraseMatcher {
 public:
  // Empty phrases are ignored. Call build() after the last add().
  void add(std::string_view phrase);
  void build();

  // The index (in add order) of a phrase occurring in `text`, the one whose first
  // occurrence ends earliest; nullopt when none does.
  std::optional<size_t> find(std::string_view text) const;
  const std::string& phrase(size_t index) const { return phrases_[index]; }
  size_t size() const { return phrases_.size(); }
  size_t node_count() const { return fail_.size(); }

 private:
  uint32_t child(uint32_t node, uint8_t c) const;

  std::vector<std::string> phrases_;
  // While adding: each node's (byte, child) edges. After build(): flattened into
  // edge_labels_/edge_targets_, node i's edges at [edge_begin_[i], edge_begin_[i + 1]).
  std::vector<std::vector<std::pair<uint8_t, uint32_t>>> building_;
  std::vector<uint32_t> edge_begin_;
  std::vector<uint8_t> edge_labels_;
  std::vector<uint32_t> edge_targets_;
  std::array<uint32_t, 256> root_next_{};  // the root's edges, dense (0 = stay at root)
  std::vector<uint32_t> fail_;
  std::vector<int32_t> output_;  // phrase ending here or at a suffix node; -1 if none
  std::vector<int32_t> terminal_;
};

}  // namespace rampart::seclang::detail
