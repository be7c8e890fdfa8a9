#pragma once
// Narrows an ordered list of rule conditions to those that can match one request, so
// a thousand rules that each test `http.request.uri.path eq "..."` cost one field read
// and one hash lookup instead of a thousand comparisons.
//
// A rule is indexed by a guard: a test on a plain (not per-element) field that must
// hold for the whole condition to hold, i.e. one reached from the root through `and`
// only. Guards are `field eq constant`, `field in {set}` (looked up by the field's
// value) and `starts_with(field, "x")` or `field wildcard "x*..."` (looked up by each
// length of prefix some guard uses). Rules without a guard are always candidates.
// Candidates come out in rule order, so "first match wins" is unchanged.

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rules/evaluator.h"
#include "rules/program.h"

namespace rampart::rules {

class RuleIndex {
 public:
  struct Guard;  // what one rule was indexed by (rule_index.cc)

  RuleIndex() = default;
  // `programs[i]` is rule i's condition; they must outlive the index.
  explicit RuleIndex(std::span<const Program* const> programs);

  // Fills `out` with the indexes of the rules that may match, ascending.
  void candidates(EvalState& state, std::vector<uint32_t>& out) const;

  size_t rule_count() const { return rule_count_; }
  size_t indexed_count() const { return indexed_; }

 private:
  struct Group {
    uint32_t slot = 0;
    bool integer = false;
    std::unordered_map<std::string_view, std::vector<uint32_t>> by_string;
    std::unordered_map<int64_t, std::vector<uint32_t>> by_int;
  };
  void add_prefix_guard(const Guard& guard, uint32_t rule);

  struct PrefixGroup {
    uint32_t slot = 0;
    bool fold_case = false;  // keys are lowercase; the value is lowercased to look up
    std::unordered_map<std::string_view, std::vector<uint32_t>> by_prefix;
    std::vector<size_t> lengths;  // distinct prefix lengths, ascending
  };
  std::vector<Group> groups_;
  std::vector<PrefixGroup> prefix_groups_;
  std::deque<std::string> keys_;  // owns the prefix keys
  std::vector<uint32_t> always_;  // rules without a guard
  size_t rule_count_ = 0;
  size_t indexed_ = 0;
};

}  // namespace rampart::rules
