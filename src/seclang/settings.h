#pragma once
// Engine-setting directives (SecRuleEngine, SecRequestBodyLimit, ...) → EngineSettings.

#include <string>
#include <vector>

#include "seclang/ast.h"
#include "seclang/rule_set.h"

namespace rampart::seclang {

// Applies one kSetting directive; appends an error (with the directive's location) if the
// directive is unknown, unsupported or its value invalid.
void apply_setting(const Directive& d, EngineSettings& settings, std::vector<LoadError>& errors);

}  // namespace rampart::seclang
