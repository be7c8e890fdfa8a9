#pragma once
// Narrows an ordered list of rule conditions to those that can match one request, so
// a thousand rules cost a few field reads and lookups instead of a thousand
// evaluations.
//
// A rule is indexed by a guard: a test on a plain (not per-element) field that must
// hold for the whole condition to hold, i.e. one reached from the root through `and`
// only:
//   exact     field eq "x", field in {"x" "y"} (strings or ints)  -> hash lookup
//             headers["h"] eq "x", any(f[*] eq "x" / in {...})     -> one per element
//   prefix    starts_with(field, "x"), field wildcard "x*..."       -> one lookup per
//                                                                      prefix length
//   contains  field contains "x", lower(field) contains "x"         -> one multi-literal
//                                                                      scan of the field
//   ip        ip.src in {...}, ip.src in $list                      -> one lookup in the
//                                                                      union of the sets
// Rules without a guard are always candidates. Candidates come out in rule order, so
// "first match wins" is unchanged; a candidate is then evaluated in full.

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/ip_range_set.h"
#include "rules/evaluator.h"
#include "rules/literal_search.h"
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
  struct ExactGroup {
    uint32_t slot = 0;
    bool integer = false;
    bool array = false;  // an Array<String> field: each element is looked up
    std::unordered_map<std::string_view, std::vector<uint32_t>> by_string;
    std::unordered_map<int64_t, std::vector<uint32_t>> by_int;
  };
  struct PrefixGroup {
    uint32_t slot = 0;
    bool fold_case = false;  // keys are lowercase; the value is lowercased to look up
    std::unordered_map<std::string_view, std::vector<uint32_t>> by_prefix;
    std::vector<size_t> lengths;  // distinct prefix lengths, ascending
  };
  struct ContainsGroup {
    uint32_t slot = 0;
    bool fold_case = false;
    std::vector<std::string> literals;
    std::vector<std::vector<uint32_t>> rules;  // by literal
    LiteralSearch search;
  };
  struct IpGroup {
    uint32_t slot = 0;
    core::IpRangeSet::Builder builder;               // until the index is built
    std::shared_ptr<const core::IpRangeSet> any_of;  // the union of every rule's set
    std::vector<uint32_t> rules;
  };

  void add(const Guard& guard, uint32_t rule);

  std::vector<ExactGroup> exact_;
  std::vector<PrefixGroup> prefix_;
  std::vector<ContainsGroup> contains_;
  std::vector<IpGroup> ip_;
  std::deque<std::string> keys_;  // owns the prefix keys
  std::vector<uint32_t> always_;  // rules without a guard
  size_t rule_count_ = 0;
  size_t indexed_ = 0;
};

}  // namespace rampart::rules
