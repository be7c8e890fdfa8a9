#pragma once
// Finds which of many literal strings occur in a text, in one pass over the text
// (Aho-Corasick as a byte-class DFA). The rule index uses it so that a hundred
// `http.user_agent contains "..."` rules cost one scan of the user agent, not a
// hundred.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::rules {

class LiteralSearch {
 public:
  LiteralSearch() = default;
  // Empty literals are ignored (they occur everywhere; callers handle them).
  // `fold_case`: ASCII letters match either case.
  LiteralSearch(std::span<const std::string> literals, bool fold_case);

  // Calls found(i) for every literal i that occurs in `text`, once per occurrence end
  // position (so possibly more than once per literal).
  template <typename F>
  void search(std::string_view text, F&& found) const {
    if (transitions_.empty()) return;
    uint32_t state = 0;
    for (char ch : text) {
      state = transitions_[state * classes_ + byte_class_[static_cast<uint8_t>(ch)]];
      if (output_begin_[state] != output_begin_[state + 1]) {
        for (uint32_t k = output_begin_[state]; k < output_begin_[state + 1]; ++k)
          found(outputs_[k]);
      }
    }
  }

  size_t state_count() const { return output_begin_.empty() ? 0 : output_begin_.size() - 1; }
  size_t memory_bytes() const;

 private:
  uint8_t byte_class_[256] = {};
  uint32_t classes_ = 0;
  std::vector<uint32_t> transitions_;   // state * classes_ + class -> state
  std::vector<uint32_t> output_begin_;  // state -> first index in outputs_ (size states + 1)
  std::vector<uint32_t> outputs_;       // literal indexes each state reports
};

}  // namespace rampart::rules
