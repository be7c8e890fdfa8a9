#pragma once
// Expression text -> Ast. Precedence, loosest first: or, xor, and, not, comparison.

#include <optional>
#include <string_view>
#include <variant>

#include "rules/ast.h"
#include "rules/error.h"

namespace rampart::rules {

// Caps that keep a hostile expression from costing more than a normal one to load.
inline constexpr size_t kMaxAstNodes = 4096;
inline constexpr size_t kMaxNesting = 64;

struct ParseResult {
  Ast ast;
  std::optional<CompileError> error;
};

ParseResult parse(std::string_view text);

}  // namespace rampart::rules
