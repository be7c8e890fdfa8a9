#pragma once
// Helpers shared by the operator tests: compile an operator from its name and argument
// as a rule would write them, and run it the way the engine does.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "seclang/operator.h"

namespace rampart::seclang::testing {

struct Compiled {
  std::unique_ptr<Operator> op;
  std::string argument;
  std::string error;

  // Static operators get their load-time argument back, as the engine passes it.
  MatchResult run(std::string_view input, Captures* captures = nullptr) const {
    return op->match(input, argument, captures);
  }
  bool matches(std::string_view input) const { return run(input) == MatchResult::kMatch; }
  // Dynamic operators: `expanded` is the argument after macro expansion.
  bool matches_with(std::string_view input, std::string_view expanded) const {
    return op->match(input, expanded, nullptr) == MatchResult::kMatch;
  }
};

inline Compiled compile(const std::string& name, const std::string& argument, bool dynamic = false,
                        const OperatorLoadContext& context = {}) {
  Compiled c;
  c.argument = argument;
  OperatorSpec spec{name, argument, false};
  c.op = compile_operator(spec, dynamic, context, c.error);
  EXPECT_TRUE(c.op != nullptr) << "@" << name << " " << argument << ": " << c.error;
  return c;
}

inline std::string compile_error(const std::string& name, const std::string& argument,
                                 const OperatorLoadContext& context = {}) {
  std::string error;
  OperatorSpec spec{name, argument, false};
  auto op = compile_operator(spec, false, context, error);
  EXPECT_EQ(op, nullptr) << "@" << name << " " << argument << " compiled";
  EXPECT_FALSE(error.empty());
  return error;
}

}  // namespace rampart::seclang::testing
