#pragma once
// The three small languages inside a SecRule, parsed on their own so that the
// compiler can reuse them (ctl:ruleRemoveTargetById=ID;VARS, SecRuleUpdateTargetBy*):
// the variable list, the operator and the action list. Each returns an empty string
// on success, else a message (without file:line) saying what is wrong.

#include <string>
#include <string_view>
#include <vector>

#include "seclang/ast.h"

namespace rampart::seclang {

// `ARGS|!ARGS:foo|&TX:/^a|b$/|REQUEST_HEADERS:'User-Agent'`; as in ModSecurity v3 a
// blank outside a quoted or regex selector is an error. A selector in single quotes loses its
// quotes (ModSecurity 3.0.9 keeps them as part of the name); a `/.../` inside is still a regex.
// `/.../` is a regex only when the closing slash ends the entry, so XPath selectors such as
// `XML:/*` and `XML://@*` stay plain.
std::string parse_variables(std::string_view text, std::vector<VariableRef>& out);

// `@name argument`, `!@name argument`, `@name` or a bare pattern (meaning `@rx`).
std::string parse_operator(std::string_view text, OperatorSpec& out);

// `id:1,phase:2,t:none,msg:'a, b',chain`: commas split actions except inside single
// quotes; `\'` inside a quoted value does not end it and is kept, backslash included.
std::string parse_actions(std::string_view text, std::vector<Action>& out);

// `123` or `100-200` (a range whose ends are in order), as SecRuleRemoveById takes them.
bool is_rule_id_or_range(std::string_view text);

}  // namespace rampart::seclang
