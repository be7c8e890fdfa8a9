#pragma once
// Rule evaluation over a Transaction's state (private to seclang/): variable
// resolution, transformations with a per-request cache, operators, actions, macros.

#include <string>
#include <vector>

#include "seclang/transaction.h"

namespace rampart::seclang {

class TransactionEval {
 public:
  explicit TransactionEval(Transaction& t) : t_(t) {}

  void run_phase(int phase);

  using Value = Transaction::Value;
  // Every value `selector` names, minus the link's exclusions (null: none).
  void collect(const Selector& selector, const std::vector<Selector>* exclusions,
               std::vector<Value>& out);
  // Appends the expansion of `macro` to `out`.
  void expand(const Macro& macro, const Rule* rule, std::string& out);

 private:
  bool evaluate_rule(const Rule& rule);
  bool evaluate_link(const Rule& rule, const RuleLink& link);
  // Runs the link's operator on one (transformed) value; on a match updates MATCHED_VAR*,
  // captures and runs the link's setvars. `entry`: the value's cache entry, if any (a
  // repeated text's non-match is remembered).
  bool try_match(const Rule& rule, const RuleLink& link, const Value& value, std::string_view input,
                 std::string_view argument, Captures& captures, bool known_no_match = false,
                 const Transaction::CacheEntry* entry = nullptr);
  void after_full_match(const Rule& rule);
  void run_setvar(const SetVarAction& setvar, const Rule& rule);
  // initcol (before the link's setvars) and expirevar (after them).
  void run_collection_actions(const RuleLink& link, const Rule& rule);
  void run_expirevars(const RuleLink& link, const Rule& rule);
  void run_ctl(const CtlAction& ctl);
  bool removed(const Rule& rule) const;
  bool target_removed(const Rule& rule, const Value& value) const;
  // The value after the link's transformations; `entry` is set when the result is in the
  // per-request cache (stable values), for the prefilter.
  // `force_entry`: always set `entry` (values without a stable source get one of their
  // own), as value groups keep them for the prefilter.
  std::string_view transformed(const RuleLink& link, const Value& value,
                               Transaction::CacheEntry** entry, bool force_entry = false);
  // `transforms` from index `skip` on `start`, into `slot` when one changes it; else
  // `start` itself, or a copy of it in `slot` when `copy_unchanged`.
  // `source`: the value's source entry (or null), which learns what each step does to its
  // text.
  std::string_view run_transforms(const std::vector<Transform>& transforms, size_t skip,
                                  std::string_view start, std::string& slot, bool copy_unchanged,
                                  Transaction::CacheEntry* source = nullptr);
  // A stable-sourced value's entry for its untransformed text (TransformCache::kSourceChain),
  // made and interned on first use.
  Transaction::CacheEntry& source_entry(const Value& value);
  // Sets the view (and text id, when it is the source's text) of the new cache entry for
  // `value` after chain `chain`: from its base chain's entry, made first if need be, and
  // without running any transformation `source` is known to be unchanged by.
  void fill_entry(const Value& value, uint32_t chain, Transaction::CacheEntry& entry,
                  Transaction::CacheEntry& source);
  // A stable-sourced value after chain `chain`, through the per-request cache.
  std::string_view chain_text(const Value& value, uint32_t chain, Transaction::CacheEntry& source);
  // False only when the link's byte condition or the chain's prefilter proves the link's
  // @rx cannot match `entry`.
  bool may_match(const RuleLink& link, Transaction::CacheEntry& entry);
  // The prefilter for a value of `size` bytes after the link's chain: Vectorscan on long
  // values once it is built, the literal prefilter otherwise; null when the chain has none.
  const RegexPrefilter* chain_prefilter(const RuleLink& link, size_t size) const;
  // Whether the link's chain has a prefilter for some value length.
  bool chain_filtered(const RuleLink& link) const;
  // Runs the chain's prefilter on `entry` once.
  void scan(const RuleLink& link, Transaction::CacheEntry& entry);
  // The link's values (value_set >= 0), collected once per phase.
  const std::vector<Value>& set_values(const RuleLink& link);
  // The link's transformed values (value_group >= 0), computed once per phase.
  Transaction::ValueGroup& group(const RuleLink& link);
  // The bytes `entry` holds, computed once.
  const ByteSet& value_bytes(Transaction::CacheEntry& entry);
  // False when no value of the group holds the bytes the link's @rx needs.
  bool group_has_bytes(const RuleLink& link, Transaction::ValueGroup& group);
  // False when no value of the group can match the link's @rx (prefilter present).
  bool group_may_match(const RuleLink& link, Transaction::ValueGroup& group);
  bool evaluate_group(const Rule& rule, const RuleLink& link, std::string_view argument);
  std::string_view first_value(Variable variable, const std::string& key, const Rule* rule);
  Transaction::Collection* collection(Variable variable);
  std::string& scratch();

  Transaction& t_;
  std::vector<Value> values_;
  std::string argument_;
  std::string rule_text_;
  std::string multi_current_;  // multiMatch's buffers, their capacity kept for the phase
  std::string multi_next_;
  Captures captures_;  // reused by every link (ten strings are not free to make)
};

}  // namespace rampart::seclang
