#pragma once
// A compiled, type-checked expression: a flat array of nodes (children by index)
// plus the constants, regexes and sets they use. Immutable once built and shared by
// all workers.

#include <re2/re2.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/ip_range_set.h"
#include "core/live_ip_set.h"
#include "rules/fields.h"
#include "rules/functions.h"
#include "rules/text.h"
#include "rules/types.h"
#include "rules/value.h"

namespace rampart::rules {

enum class Op : uint8_t {
  kConst,  // constants[payload]
  kField,  // slot `payload`
  kEach,   // the element the enclosing any()/all() is at
  kIndex,  // element `integer` of array node a (missing when out of range)
  kNot,
  kAnd,
  kOr,
  kXor,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kContains,   // a contains b
  kMatches,    // a against regexes[payload], unanchored
  kWildcard,   // a against wildcards[c]
  kInStrings,  // a in string_sets[payload]
  kInInts,     // a in int_sets[payload]
  kInIps,      // a in ip_sets[payload]
  kCall,       // function `function`; arguments args[a .. a + b)
  kAny,        // predicate a over the elements of array node c
  kAll,
};

struct Node {
  Op op = Op::kConst;
  Type type = Type::kBool;
  Function function = Function::kLower;
  uint32_t a = 0;
  uint32_t b = 0;
  uint32_t c = 0;
  uint32_t payload = 0;
  // > 0: a part of an any()/all() condition that does not depend on the element; its
  // value is kept in memo slot `memo - 1` and computed once per evaluation.
  uint32_t memo = 0;
  int64_t integer = 0;
};

struct Program {
  std::vector<Node> nodes;
  uint32_t root = 0;
  std::vector<uint32_t> args;
  std::vector<Value> constants;
  std::deque<std::string> strings;  // backing store for string constants (stable addresses)
  std::vector<std::unique_ptr<RE2>> regexes;
  std::vector<std::string> rewrites;  // regex_replace replacements, in RE2's \1 syntax
  std::vector<std::vector<std::string_view>> string_sets;         // sorted
  std::vector<std::vector<int64_t>> int_sets;                     // sorted
  std::vector<std::shared_ptr<const core::IpRangeSet>> ip_sets;   // kInIps, c == 0: inline sets
  std::vector<std::shared_ptr<const core::LiveIpSet>> list_sets;  // kInIps, c == 1: $lists
  std::vector<std::vector<JsonStep>> json_paths;
  std::vector<Wildcard> wildcards;  // kWildcard: wildcards[node.c]
  uint32_t bindings = 0;            // any()/all() loops, written or implicit
  uint32_t memos = 0;               // memo slots (Node::memo)
};

}  // namespace rampart::rules
