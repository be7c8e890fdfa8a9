#pragma once
// Compiling rules-language expressions written in the config: the bridge between a
// config::SourceText (text plus where it was written) and rules::Compiler, turning
// compile errors into config diagnostics that point at the offending token.

#include <memory>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "rules/compiler.h"
#include "rules/program.h"

namespace rampart::pipeline {

// Null on error, after appending a diagnostic (file:line:col, message, caret line).
// `what` names the expression in the message, e.g. `rule "block-admin"`.
std::shared_ptr<const rules::Program> compile_expression(rules::Compiler& compiler,
                                                         const config::SourceText& source,
                                                         rules::Type type, std::string_view file,
                                                         std::string_view what,
                                                         std::vector<config::Diagnostic>& errors);

// The config's named IP lists, as the compiler resolves `$name`.
rules::IpLists ip_lists_of(const config::Config& config);

}  // namespace rampart::pipeline
