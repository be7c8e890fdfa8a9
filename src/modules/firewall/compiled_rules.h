#pragma once
// The firewall's rules after compilation: what the runtime reads per request.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "pipeline/phase.h"
#include "pipeline/request_context.h"
#include "rules/compiler.h"
#include "rules/program.h"
#include "rules/rule_index.h"

namespace rampart::modules::firewall {

// A literal string or an expression computing one per request.
struct CompiledValue {
  std::string literal;
  std::shared_ptr<const rules::Program> program;  // set: evaluated per request
};

// Where a rule sits in evaluation order: the config-wide ruleset, or a site's.
struct RulePosition {
  int site = -1;  // -1: the config-wide ruleset
  uint32_t index = 0;
};

struct CompiledRule {
  std::string id;
  std::shared_ptr<const rules::Program> condition;
  config::RuleAction action = config::RuleAction::kLog;
  bool enabled = true;
  bool logging = true;
  // block
  int status = 403;
  std::string content_type;
  std::string content;
  // skip / allow
  uint32_t skip_phase_mask = 0;  // bits by pipeline::Phase
  std::vector<RulePosition> skip_rules;
  bool skip_remaining = false;
  std::vector<std::pair<int64_t, int64_t>> skip_waf_rules;
  // redirect
  std::optional<CompiledValue> target_url;
  int redirect_status = 302;
  bool preserve_query = false;
  // rewrite
  std::optional<CompiledValue> rewrite_path;
  std::optional<CompiledValue> rewrite_query;
  // route
  std::vector<std::string> route_pools;
  std::string route_fallback;
  // Shared with the same rule id in earlier and later snapshots, so a reload does
  // not reset what /metrics shows.
  std::shared_ptr<std::atomic<uint64_t>> matches;
};

// Rules in order, with an index that picks the ones a request can match.
struct CompiledRuleset {
  std::vector<CompiledRule> rules;
  rules::RuleIndex index;
  // Below this many rules a straight scan is cheaper than consulting the index.
  static constexpr size_t kIndexFrom = 16;
  bool use_index() const { return rules.size() >= kIndexFrom; }
  void build_index(const std::string& label);
};

struct CompiledRulesets {
  CompiledRuleset global;
  std::vector<CompiledRuleset> sites;  // by site index
  std::vector<rules::Slot> slots;      // field slots all the programs share
  size_t rule_count() const;
};

// Compiles every ruleset of the config; appends one diagnostic per bad expression.
std::unique_ptr<CompiledRulesets> compile_rulesets(const config::Config& config,
                                                   std::vector<config::Diagnostic>& errors);

}  // namespace rampart::modules::firewall
