#pragma once
// A loaded SecLang rule set: the rules of every phase in order, the engine settings the
// files set (SecRuleEngine, body access and limits, ...), ready to be shared read-only
// by every worker. Loading runs parse → compile → check and reports every error with
// file:line; a rule set is only built when there are none.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "seclang/ast.h"
#include "seclang/operator.h"
#include "seclang/parser.h"
#include "seclang/rule.h"

namespace rampart::seclang {

enum class BodyLimitAction : uint8_t { kReject, kProcessPartial };

struct EngineSettings {
  EngineMode mode = EngineMode::kDetectionOnly;  // ModSecurity's default
  bool request_body_access = false;
  size_t request_body_limit = 13107200;
  size_t request_body_no_files_limit = 131072;
  BodyLimitAction request_body_limit_action = BodyLimitAction::kReject;
  size_t json_depth_limit = 512;
  size_t arguments_limit = 1000;
  size_t pcre_match_limit = 1000;
  bool response_body_access = false;
  std::vector<std::string> response_body_mime_types{"text/plain", "text/html"};
  size_t response_body_limit = 524288;
  BodyLimitAction response_body_limit_action = BodyLimitAction::kProcessPartial;
  char argument_separator = '&';
  std::string component_signature;
};

struct LoadOptions {
  ParseLimits parse;
  // Applied after every file's directives: settings the embedding program decides
  // (rampart's YAML `waf:` section overrides SecRuleEngine and body access).
  std::function<void(EngineSettings&)> adjust_settings;
  size_t max_rules = 5000;
  size_t max_pattern_bytes = 64 * 1024;  // one operator argument
};

// The Vectorscan prefilters of a rule set, one per transformation chain: every static
// @rx pattern applied after that chain, matched together in one pass per value group.
// Shared with other rule sets holding the same patterns (a reload of the same rules
// compiles nothing).
struct PrefilterSet {
  std::vector<std::shared_ptr<const RegexPrefilter>> by_chain;  // null: none for that chain
};

struct LoadError {
  SourceLocation where;
  std::string message;
};

class RuleSet {
 public:
  // Loads the files in order (each may Include others) followed by `inline_text` (rules
  // written in the YAML config; may be empty). Returns null if anything failed, with
  // every problem in `errors`.
  static std::shared_ptr<const RuleSet> load(const std::vector<std::string>& files,
                                             const std::string& inline_text,
                                             const LoadOptions& options,
                                             std::vector<LoadError>& errors);

  const EngineSettings& settings() const { return settings_; }
  // Rules and markers of phase 1..5, in file order.
  const std::vector<const Rule*>& phase(int phase) const { return phases_[phase]; }
  size_t rule_count() const { return rules_.size(); }
  const Rule* find(int64_t id) const;
  uint32_t transform_chain_count() const { return chain_count_; }
  // A transformation chain's transformations, and its base: the chain of its longest
  // proper prefix that has an id (-1: none), whose result it can start from.
  // The transformations of chain `chain` as bits (bit: Transform).
  uint64_t chain_mask(uint32_t chain) const { return chain_masks_[chain]; }
  // transforms_without_effect (transform.h) over the transformations the chains use.
  uint64_t transforms_without_effect(const ByteSet& present) const {
    uint64_t mask = 0;
    for (const auto& [bit, bytes] : effect_rows_) {
      if (!bytes.intersects(present)) mask |= bit;
    }
    return mask;
  }
  const std::vector<Transform>& chain_transforms(uint32_t chain) const {
    return chain_transforms_[chain];
  }
  int32_t chain_base(uint32_t chain) const { return chain_base_[chain]; }
  const std::vector<std::string>& files() const { return files_; }

  // Compiles the prefilters (seconds of CPU for the whole CRS: callers run it off the
  // request path, e.g. on a thread of its own, and rules work without it meanwhile).
  // Safe to call once, from any thread, while transactions run.
  void build_prefilters() const;
  // Null until build_prefilters() has finished.
  const PrefilterSet* prefilters() const {
    return prefilters_ready_.load(std::memory_order_acquire);
  }
  size_t prefilter_pattern_count() const;
  // The literal prefilter of a chain, built at load; null when it could filter none of the
  // chain's patterns.
  const RegexPrefilter* literal_prefilter(uint32_t chain) const {
    return literal_prefilters_[chain].get();
  }
  size_t prefilter_chain_size(uint32_t chain) const { return chain_patterns_[chain].size(); }
  // How many distinct RuleLink::value_set / value_group ids the links use.
  uint32_t value_set_count() const { return value_set_count_; }
  uint32_t value_group_count() const { return value_group_count_; }

 private:
  friend class RuleSetBuilder;
  EngineSettings settings_;
  std::vector<std::unique_ptr<Rule>> rules_;
  std::vector<const Rule*> phases_[6];
  std::unordered_map<int64_t, const Rule*> by_id_;
  uint32_t chain_count_ = 0;
  std::vector<std::vector<Transform>> chain_transforms_;   // by chain
  std::vector<uint64_t> chain_masks_;                      // by chain
  std::vector<std::pair<uint64_t, ByteSet>> effect_rows_;  // transformation bit, effect_bytes
  std::vector<int32_t> chain_base_;                        // by chain
  std::vector<std::string> files_;
  std::vector<std::vector<std::string>> chain_patterns_;  // by transformation chain
  uint32_t value_set_count_ = 0;
  uint32_t value_group_count_ = 0;
  std::vector<std::unique_ptr<const RegexPrefilter>> literal_prefilters_;  // by chain
  mutable std::unique_ptr<PrefilterSet> prefilters_;
  mutable std::atomic<const PrefilterSet*> prefilters_ready_{nullptr};
};

}  // namespace rampart::seclang
