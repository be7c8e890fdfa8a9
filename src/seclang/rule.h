#pragma once
// The compiled form of one SecRule / SecAction (with its chain) or SecMarker: what the
// transaction executes. Built once at load by the compiler, then shared read-only by
// every worker.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "seclang/ast.h"
#include "seclang/byte_filter.h"
#include "seclang/macro.h"
#include "seclang/operator.h"
#include "seclang/transform.h"
#include "seclang/variables.h"

namespace re2 {
class RE2;
}

namespace rampart::seclang {

// One entry of a rule's variable list after compilation.
struct Selector {
  Variable variable = Variable::kArgs;
  std::string key;                            // lower-cased member name; empty: every member
  std::shared_ptr<const re2::RE2> key_regex;  // `:/.../` (case-insensitive), else null
  // A key regex that is a literal (`/__utm/`, `/^header_name_/`, `/paramcounter_.*/`):
  // matched on ASCII keys by comparing bytes, without RE2 (the CRS tests every cookie
  // and TX member against these on every request). kRegex: run `key_regex`.
  enum class KeyMatch : uint8_t { kRegex, kContains, kPrefix, kSuffix, kExact };
  KeyMatch key_match = KeyMatch::kRegex;
  std::string key_literal;  // lower case, for the other kinds
  bool count = false;       // `&VAR`
  std::string written;      // "ARGS:foo" as written (ctl:ruleRemoveTarget*)
};

enum class SetVarOp : uint8_t { kSet, kAdd, kSubtract, kDelete };

struct SetVarAction {
  Variable collection = Variable::kTx;
  Macro name;  // member name, lower-cased literal parts
  SetVarOp op = SetVarOp::kSet;
  Macro value;  // for kSet / kAdd / kSubtract
};

enum class CtlKind : uint8_t {
  kRuleRemoveById,
  kRuleRemoveByTag,
  kRuleRemoveTargetById,
  kRuleRemoveTargetByTag,
  kRuleEngine,
  kRequestBodyProcessor,
  kRequestBodyAccess,
  kForceRequestBodyVariable,
  kAuditSetting,  // ctl:auditEngine / auditLogParts: rampart's access log is its audit log
};

enum class EngineMode : uint8_t { kOn, kDetectionOnly, kOff };

struct CtlAction {
  CtlKind kind = CtlKind::kAuditSetting;
  int64_t first_id = 0;  // id or range (RemoveById, RemoveTargetById)
  int64_t last_id = 0;
  std::string tag;     // RemoveByTag, RemoveTargetByTag
  std::string target;  // RemoveTarget*: "ARGS:foo" as written
  EngineMode engine = EngineMode::kOn;
  std::string value;  // RequestBodyProcessor (upper case), RequestBodyAccess (On/Off)
};

// One SecRule of a chain (the head is links[0]).
struct RuleLink {
  SourceLocation where;
  std::vector<Selector> selectors;
  std::vector<Selector> exclusions;  // `!VAR:key`
  std::unique_ptr<Operator> op;
  std::string op_name;
  bool negated = false;
  bool unconditional = false;  // SecAction: matches once, reads no variable
  bool dynamic_argument = false;
  Macro argument;                     // expanded per evaluation when dynamic
  std::vector<Transform> transforms;  // defaults and t:none already applied
  uint32_t transform_chain = 0;       // interned id of `transforms` (cache key)
  int32_t prefilter_slot = -1;        // index among its chain's static @rx patterns (-1: none)
  // For a static @rx: bytes a value must hold for the regex to match (byte_filter.h).
  ByteCondition byte_condition;
  // Links whose variable lists (selectors and exclusions) are the same and read only
  // request data that cannot change within a phase share a value set: its values are
  // collected once per phase. With the same transformation chain too they share a value
  // group: the transformed values (and the prefilter's verdicts on them) are computed
  // once per phase. -1: collected and transformed on every evaluation.
  int32_t value_set = -1;
  int32_t value_group = -1;
  bool capture = false;
  bool multi_match = false;  // match the value before and after every changing transformation
  std::vector<SetVarAction> setvars;     // run for every matched value
  std::vector<CtlAction> ctls;           // run when the whole chain matched
  std::vector<SetVarAction> initcols;    // `initcol:ip=...` (value = collection key)
  std::vector<SetVarAction> expirevars;  // `expirevar:ip.name=seconds`
};

enum class Disruptive : uint8_t { kNone, kPass, kBlock, kDeny, kDrop, kAllow, kRedirect };
enum class AllowScope : uint8_t { kAll, kPhase, kRequest };

struct Rule {
  int64_t id = 0;  // 0 for markers
  int phase = 2;
  SourceLocation where;
  bool is_marker = false;
  std::string marker;  // SecMarker name

  std::vector<RuleLink> links;
  Disruptive disruptive = Disruptive::kNone;
  Disruptive default_disruptive = Disruptive::kPass;  // what `block` means in this phase
  int status = 0;                                     // `status:`; 0 = the default (403)
  int default_status = 0;
  AllowScope allow_scope = AllowScope::kAll;
  std::optional<Macro> redirect_url;
  bool log = true;
  std::optional<Macro> msg;
  std::optional<Macro> logdata;
  std::vector<std::string> tags;
  int severity = -1;  // 0..7, -1 unset
  std::string ver;
  std::string rev;
  std::string skip_after;
  int skip = 0;
};

}  // namespace rampart::seclang
