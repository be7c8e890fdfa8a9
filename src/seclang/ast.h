#pragma once
// The parsed form of SecLang files: directives in file order, exactly as written
// (names are kept as text; the compiler maps them onto implementations and reports
// every name it cannot run at the directive's file:line).

#include <cstdint>
#include <string>
#include <vector>

namespace rampart::seclang {

struct SourceLocation {
  std::string file;  // path as opened (Include paths resolved against the including file)
  int line = 0;      // 1-based line where the directive starts
};
// "file:line", the prefix of every load error.
std::string describe(const SourceLocation& where);

// One entry of a rule's variable list, e.g. `!REQUEST_COOKIES:/__utm/` or `&ARGS`.
struct VariableRef {
  std::string collection;          // as written, e.g. "ARGS", "REQUEST_HEADERS", "TX", "XML"
  std::string selector;            // text after ':' (regex body without the slashes); empty = all
  bool selector_is_regex = false;  // `:/.../`
  bool count = false;              // leading '&'
  bool exclude = false;            // leading '!'
};

// `"@rx foo"`, `"!@within %{tx.allowed_methods}"`; a bare pattern means `@rx`.
struct OperatorSpec {
  std::string name;      // without '@', as written, e.g. "rx", "pmFromFile", "detectSQLi"
  std::string argument;  // raw text after the name and one space; macros not expanded
  bool negated = false;  // leading '!'
};

// One action of a rule's action list, e.g. `t:lowercase`, `setvar:'tx.a=+%{tx.b}'`,
// `ctl:ruleRemoveTargetById=942100;ARGS:password`. Surrounding single quotes are
// removed from the value; the value is otherwise raw (macros not expanded).
struct Action {
  std::string name;   // e.g. "id", "t", "setvar", "ctl", "msg", "chain"
  std::string value;  // empty for flag actions such as "chain", "block", "nolog"
  bool has_value = false;
};

// SecRule (variables + operator) or SecAction (no variables; the operator is
// `unconditionalMatch`). A rule carrying the `chain` action owns the rules chained
// after it in `chained` (flattened: rule 1's chain holds rules 2..n in order).
struct RuleDecl {
  SourceLocation where;
  bool is_action = false;  // written as SecAction
  std::vector<VariableRef> variables;
  OperatorSpec op;
  std::vector<Action> actions;
  std::vector<RuleDecl> chained;
};

enum class DirectiveKind : uint8_t {
  kRule,                // SecRule / SecAction → rule
  kMarker,              // SecMarker NAME → args[0]
  kDefaultAction,       // SecDefaultAction "..." → actions
  kComponentSignature,  // SecComponentSignature "..." → args[0]
  kRemoveById,          // SecRuleRemoveById 1 2 3-7 → args (each an id or a range)
  kRemoveByTag,         // SecRuleRemoveByTag REGEX → args[0]
  kRemoveByMsg,         // SecRuleRemoveByMsg REGEX → args[0]
  kUpdateTargetById,    // SecRuleUpdateTargetById ID "VARS" ["REPLACED"] → args[0], variables
  kUpdateTargetByTag,   // SecRuleUpdateTargetByTag TAG "VARS" → args[0], variables
  kUpdateTargetByMsg,   // SecRuleUpdateTargetByMsg MSG "VARS" → args[0], variables
  kUpdateActionById,    // SecRuleUpdateActionById ID[:offset] "ACTIONS" → args[0], actions
  kSetting,             // any other Sec* directive: name + args, e.g. SecRuleEngine On
};

struct Directive {
  DirectiveKind kind = DirectiveKind::kSetting;
  SourceLocation where;
  std::string name;                    // directive name as written, e.g. "SecRuleEngine"
  std::vector<std::string> args;       // unquoted arguments (kind-specific, see above)
  RuleDecl rule;                       // kRule
  std::vector<VariableRef> variables;  // kUpdateTarget*
  std::vector<Action> actions;         // kDefaultAction, kUpdateActionById
};

struct ParseError {
  SourceLocation where;
  std::string message;
};

struct ParsedFiles {
  std::vector<Directive> directives;  // every file, Includes expanded in place, in order
  std::vector<std::string> files;     // every file read, in order
  std::vector<ParseError> errors;     // all of them, not just the first
};

}  // namespace rampart::seclang
