#pragma once
// Ast -> Program: resolves fields, functions and lists, checks every type, compiles
// regexes and sets. Programs compiled by one Compiler share field slots, so an
// evaluation over all of them computes each field once.

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_range_set.h"
#include "rules/error.h"
#include "rules/fields.h"
#include "rules/program.h"
#include "rules/types.h"

namespace rampart::rules {

// Named lists by name. A list read from a file is live: its entries may change while
// the compiled programs serve.
using IpLists = std::map<std::string, std::shared_ptr<const core::LiveIpSet>, std::less<>>;

struct CompileOptions {
  const IpLists* ip_lists = nullptr;  // what $name may refer to
  // The latest point in a request's life the expressions run at; fields available
  // only later are refused.
  Availability phase = Availability::kRequest;
  std::string_view phase_name = "request";
};

// Caps per expression, on top of the parser's.
inline constexpr size_t kMaxRegexBytes = 4096;
inline constexpr int64_t kMaxRegexProgramSize = 20000;  // RE2 program instructions
inline constexpr size_t kMaxSetItems = 100'000;

struct Slot {
  FieldId field = 0;
  std::string key;  // for keyed fields
};

struct CompileResult {
  std::shared_ptr<const Program> program;  // null on error
  std::optional<CompileError> error;
};

namespace compile_detail {
class ProgramBuilder;
}

class Compiler {
 public:
  explicit Compiler(CompileOptions options, const FieldRegistry& fields = FieldRegistry::global());
  ~Compiler();

  // `result` is the type the expression must have: kBool for rule conditions,
  // kString for computed values (redirect targets).
  CompileResult compile(std::string_view text, Type result = Type::kBool);

  // The field slots every program compiled so far uses; an EvalState needs them.
  const std::vector<Slot>& slots() const { return slots_; }
  const FieldRegistry& fields() const { return fields_; }

 private:
  friend class compile_detail::ProgramBuilder;
  uint32_t slot_for(FieldId field, std::string_view key);

  CompileOptions options_;
  const FieldRegistry& fields_;
  std::vector<Slot> slots_;
  std::map<std::pair<FieldId, std::string>, uint32_t> slot_index_;
};

// "did you mean": the closest candidate within a small edit distance, or "".
std::string closest_name(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace rampart::rules
