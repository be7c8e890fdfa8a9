#pragma once
// Shared by the rule-set compiler's files (rule_set.cc, compile_*.cc); not a public API.

#include <map>
#include <string>
#include <vector>

#include "seclang/ast.h"
#include "seclang/rule.h"
#include "seclang/rule_set.h"

namespace rampart::seclang {

// SecDefaultAction of one phase, already split by kind.
struct PhaseDefaults {
  bool set = false;
  std::vector<Transform> transforms;
  Disruptive disruptive = Disruptive::kPass;
  int status = 0;
  int log = -1;  // -1 unset, 0 nolog, 1 log
  std::vector<std::string> tags;
};

struct CompileContext {
  const LoadOptions& options;
  std::vector<LoadError>& errors;
  PhaseDefaults defaults[6];
  std::map<std::vector<Transform>, uint32_t> chains;
  size_t pcre_match_limit = 1000;

  void error(const SourceLocation& where, std::string message) {
    errors.push_back({where, std::move(message)});
  }
  uint32_t intern_chain(const std::vector<Transform>& transforms);
};

// Variables of one rule (or of an UpdateTarget directive) → selectors / exclusions.
bool compile_variables(const std::vector<VariableRef>& refs, const SourceLocation& where,
                       CompileContext& cx, std::vector<Selector>& selectors,
                       std::vector<Selector>& exclusions);

// One rule (head or chained link) from its declaration; appends errors to cx.
void compile_rule(const RuleDecl& decl, CompileContext& cx, Rule& rule);

// Applies SecDefaultAction to cx.defaults; errors to cx.
void compile_default_action(const Directive& d, CompileContext& cx);

// SecRuleUpdateActionById: merges `actions` into an existing rule.
void update_rule_actions(const std::vector<Action>& actions, const SourceLocation& where,
                         CompileContext& cx, Rule& rule);

// `2`, `"CRITICAL"` → 0..7, -1 if invalid.
int parse_severity(std::string_view text);
// `1`..`5`, `request`, `response`, `logging` → phase, 0 if invalid.
int parse_phase(std::string_view text);

}  // namespace rampart::seclang
