#pragma once
// Evaluates compiled programs against one request. An EvalState lives for one
// request (or one phase of it) and caches every field it computes, so rules that
// read the same field share one computation.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "rules/compiler.h"
#include "rules/program.h"
#include "rules/request.h"
#include "rules/scratch.h"

namespace rampart::rules {

// A field value as read, for `rampart rules test` and debug logs.
struct TraceEntry {
  std::string field;  // with its key: http.request.headers["accept"]
  Value value;
};

// A backstop on top of the static guarantees (RE2, no nested loops): an evaluation
// that somehow takes more steps than this stops with an error instead of spinning.
inline constexpr uint64_t kMaxSteps = 1'000'000;

class EvalState {
 public:
  EvalState(const Request& request, std::span<const Slot> slots,
            const FieldRegistry& fields = FieldRegistry::global());

  const Request& request() const { return request_; }
  Scratch& scratch() { return scratch_; }

  // Records each field the first time it is computed.
  void trace_into(std::vector<TraceEntry>* trace) { trace_ = trace; }

  // The value of a field slot, computed on first use.
  const Value& field(uint32_t slot);

  uint64_t steps = 0;      // nodes evaluated, over every program this state ran
  bool exhausted = false;  // one evaluation hit kMaxSteps; results are not to be trusted

  // The element the running any()/all() is at ([*] reads it). Loops never nest, so
  // one is enough.
  struct Bound {
    std::string_view string;
    int64_t integer = 0;
  };
  Bound bound;

 private:
  const Request& request_;
  std::span<const Slot> slots_;
  const FieldRegistry& fields_;
  Scratch scratch_;
  std::span<Value> values_;
  std::span<uint8_t> computed_;
  std::vector<TraceEntry>* trace_ = nullptr;
};

// The value of the program's root expression.
Value evaluate(const Program& program, EvalState& state);

// A rule condition: true only for a present, true Bool.
inline bool matches(const Program& program, EvalState& state) {
  Value v = evaluate(program, state);
  return !v.missing && v.type == Type::kBool && v.boolean && !state.exhausted;
}

// "shop.example", 42, 192.0.2.1, ["a", "b"], (missing) — as the rules language writes it.
std::string format_value(const Value& value);

}  // namespace rampart::rules
