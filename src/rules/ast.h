#pragma once
// The parsed, not yet type-checked, form of an expression.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rampart::rules {

enum class AstKind : uint8_t {
  kOr,
  kAnd,
  kXor,
  kNot,
  kCompare,  // children: lhs, rhs
  kField,    // text: the field name
  kIndex,    // children: base, key (a string or int literal)
  kEach,     // children: base (written base[*])
  kCall,     // text: the function name; children: arguments
  kString,
  kInt,
  kIp,    // text: an address or CIDR as written
  kBool,  // true / false
  kSet,   // children: literal items
  kList,  // text: the list name
};

enum class CompareOp : uint8_t {
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kContains,
  kMatches,
  kWildcard,
  kStrictWildcard,
  kIn,
};

struct AstNode {
  AstKind kind = AstKind::kBool;
  CompareOp op = CompareOp::kEq;
  size_t offset = 0;  // the span errors about this node point at
  size_t length = 1;
  size_t op_offset = 0;  // kCompare: where the operator is
  size_t op_length = 1;
  std::string text;
  int64_t integer = 0;
  bool boolean = false;
  std::vector<uint32_t> children;
};

struct Ast {
  std::vector<AstNode> nodes;
  uint32_t root = 0;
};

}  // namespace rampart::rules
