#pragma once
// The compiler's working state for one expression (internal to rules/: compiler.cc
// compiles operators, fields and sets, compiler_calls.cc compiles function calls).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/ast.h"
#include "rules/compiler.h"
#include "rules/program.h"

namespace rampart::rules {
namespace compile_detail {

inline constexpr int kNotLifted = -1;

// "a String", "an Int", "an IP address", "an Array<String>".
inline std::string a_type(Type t) {
  std::string_view name = type_name(t);
  bool vowel = name.front() == 'A' || name.front() == 'I';
  return (vowel ? "an " : "a ") + std::string(name);
}

inline std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  out.append(s);
  out.push_back('"');
  return out;
}

inline std::string_view availability_name(Availability a) {
  switch (a) {
    case Availability::kRequest:
      return "request";
    case Availability::kBody:
      return "request body";
    case Availability::kResponse:
      return "response";
  }
  return "?";
}

// Builds one Program from one Ast, reporting the first error.
class ProgramBuilder {
 public:
  ProgramBuilder(Compiler& compiler, const Ast& ast, std::string_view text)
      : c_(compiler), ast_(ast), text_(text), program_(std::make_shared<Program>()) {}

  struct Typed {
    uint32_t node = 0;
    Type type = Type::kBool;
    int binding = kNotLifted;  // set: the value is per element of any()/all()'s array
    bool is_const = false;
  };

  CompileResult build(Type result) {
    CompileResult out;
    auto root = compile(ast_.root);
    if (root) {
      const AstNode& n = ast_.nodes[ast_.root];
      if (root->binding != kNotLifted) {
        fail(*binding_where_[static_cast<size_t>(root->binding)],
             "[*] is only allowed inside any() or all()");
      } else if (root->type != result) {
        if (result == Type::kBool) {
          fail(n, "this is " + a_type(root->type) +
                      ", but a rule needs a condition; compare it, e.g. " +
                      std::string(text_.substr(n.offset, n.length)) + " eq ...");
        } else {
          fail(n, "the expression must give " + a_type(result) + ", not " + a_type(root->type));
        }
      } else {
        program_->root = root->node;
      }
    }
    if (error_) {
      out.error = std::move(error_);
      return out;
    }
    out.program = std::move(program_);
    return out;
  }

 private:
  using Result = std::optional<Typed>;

  Result fail(size_t offset, size_t length, std::string message) {
    if (!error_) error_ = CompileError{offset, std::max<size_t>(length, 1), std::move(message)};
    return std::nullopt;
  }
  Result fail(const AstNode& n, std::string message) {
    return fail(n.offset, n.length, std::move(message));
  }

  std::string written(const AstNode& n) const {
    return std::string(text_.substr(n.offset, std::min<size_t>(n.length, 80)));
  }

  uint32_t emit(Node node) {
    program_->nodes.push_back(node);
    return static_cast<uint32_t>(program_->nodes.size() - 1);
  }

  Typed constant(Value v) {
    program_->constants.push_back(v);
    Node n;
    n.op = Op::kConst;
    n.type = v.type;
    n.payload = static_cast<uint32_t>(program_->constants.size() - 1);
    return Typed{emit(n), v.type, kNotLifted, true};
  }

  std::string_view keep(std::string s) { return program_->strings.emplace_back(std::move(s)); }

  // A part of an any()/all() condition that does not depend on the element, under a
  // node that does (lower(http.host) in any(x[*] eq lower(http.host))), is computed
  // once per evaluation instead of once per element: the cost of a loop stays the
  // array's length times the per-element work, not times the whole request's.
  void hoist(const Typed& part, int parent_binding) {
    if (parent_binding == kNotLifted || part.binding != kNotLifted) return;
    Node& node = program_->nodes[part.node];
    if (node.op == Op::kConst || node.op == Op::kField || node.memo != 0) return;
    node.memo = ++program_->memos;
  }

  // Both operands' bindings must agree: one [*] source per any()/all().
  std::optional<int> join(const AstNode& where, int a, int b) {
    if (a != kNotLifted && b != kNotLifted && a != b) {
      fail(*binding_where_[static_cast<size_t>(b)],
           "one condition can use only one [*] array; split it into two any()");
      return std::nullopt;
    }
    return a != kNotLifted ? a : b;
  }

  Result compile(uint32_t index) {
    const AstNode& n = ast_.nodes[index];
    switch (n.kind) {
      case AstKind::kOr:
      case AstKind::kAnd:
      case AstKind::kXor:
        return logical(n);
      case AstKind::kNot: {
        auto operand = compile(n.children[0]);
        if (!operand) return operand;
        if (operand->type != Type::kBool) {
          return fail(n, "\"" + written(n) + "\" needs a condition, but its operand is " +
                             a_type(operand->type));
        }
        Node node;
        node.op = Op::kNot;
        node.a = operand->node;
        return Typed{emit(node), Type::kBool, operand->binding};
      }
      case AstKind::kCompare:
        return comparison(n);
      case AstKind::kField:
        return field(n, nullptr);
      case AstKind::kIndex:
        return index_node(n);
      case AstKind::kEach:
        return each(n);
      case AstKind::kCall:
        return call(n);
      case AstKind::kString:
        return constant(Value::of_string(keep(n.text)));
      case AstKind::kInt:
        return constant(Value::of_int(n.integer));
      case AstKind::kBool:
        return constant(Value::of_bool(n.boolean));
      case AstKind::kIp: {
        auto cidr = core::Cidr::parse(n.text);
        if (!cidr) return fail(n, quoted(n.text) + " is not an IP address");
        int full = cidr->base.v4 ? 32 : 128;
        if (cidr->prefix_len != full) {
          return fail(n, "a prefix like " + n.text + " can only be used in a set: ip.src in {" +
                             n.text + "}");
        }
        return constant(Value::of_ip(cidr->base));
      }
      case AstKind::kSet:
      case AstKind::kList:
        return fail(n, "a set or list can only follow \"in\"");
    }
    return fail(n, "unexpected expression");
  }

  Result logical(const AstNode& n) {
    auto lhs = compile(n.children[0]);
    if (!lhs) return lhs;
    auto rhs = compile(n.children[1]);
    if (!rhs) return rhs;
    const AstNode& ln = ast_.nodes[n.children[0]];
    const AstNode& rn = ast_.nodes[n.children[1]];
    if (lhs->type != Type::kBool || rhs->type != Type::kBool) {
      bool left = lhs->type != Type::kBool;
      std::string message = quoted(written(n));
      message += " joins conditions, but this is ";
      message += a_type(left ? lhs->type : rhs->type);
      return fail(left ? ln : rn, std::move(message));
    }
    auto binding = join(n, lhs->binding, rhs->binding);
    if (!binding) return std::nullopt;
    hoist(*lhs, *binding);
    hoist(*rhs, *binding);
    Node node;
    node.op = n.kind == AstKind::kOr ? Op::kOr : n.kind == AstKind::kAnd ? Op::kAnd : Op::kXor;
    node.a = lhs->node;
    node.b = rhs->node;
    return Typed{emit(node), Type::kBool, *binding};
  }

  Result field(const AstNode& n, const AstNode* key) {
    const FieldDef* def = c_.fields_.find(n.text);
    if (!def) {
      if (find_function(n.text))
        return fail(n, n.text + " is a function: write " + n.text + "(...)");
      std::string hint = closest_name(n.text, c_.fields_.names());
      return fail(n, "unknown field " + quoted(n.text) +
                         (hint.empty() ? "" : " (did you mean " + quoted(hint) + "?)"));
    }
    if (static_cast<int>(def->availability) > static_cast<int>(c_.options_.phase)) {
      return fail(n, def->name + " is only known in the " +
                         std::string(availability_name(def->availability)) +
                         " phase, and this rule runs in the " +
                         std::string(c_.options_.phase_name) + " phase");
    }
    std::string key_text;
    if (def->keyed) {
      if (!key) {
        return fail(n, def->name + " needs a key, e.g. " + def->name +
                           (def->lowercase_key ? "[\"user-agent\"]" : "[\"name\"]"));
      }
      if (key->kind != AstKind::kString) {
        return fail(*key, def->name + " is looked up by name: use a string key like [\"name\"]");
      }
      key_text = key->text;
      if (def->lowercase_key) {
        for (char& ch : key_text) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch;
      }
    } else if (key && key->kind == AstKind::kString) {
      return fail(*key, def->name + " is not a map; it cannot be looked up by name");
    }
    Node node;
    node.op = Op::kField;
    node.type = def->type;
    node.payload = c_.slot_for(def->id, key_text);
    return Typed{emit(node), def->type};
  }

  Result index_node(const AstNode& n) {
    const AstNode& base = ast_.nodes[n.children[0]];
    const AstNode& key = ast_.nodes[n.children[1]];
    if (base.kind == AstKind::kField) {
      const FieldDef* def = c_.fields_.find(base.text);
      if (def && def->keyed) return field(base, &key);
    }
    auto array = compile(n.children[0]);
    if (!array) return array;
    if (!is_array(array->type)) {
      return fail(n, written(base) + " is " + a_type(array->type) + ", which cannot be indexed");
    }
    if (key.kind != AstKind::kInt) {
      return fail(key, "an array is indexed by position: [0] is the first element");
    }
    if (key.integer < 0) return fail(key, "array positions start at 0");
    Node node;
    node.op = Op::kIndex;
    node.type = element_type(array->type);
    node.a = array->node;
    node.integer = key.integer;
    return Typed{emit(node), node.type, array->binding};
  }

  Result each(const AstNode& n) {
    auto array = compile(n.children[0]);
    if (!array) return array;
    if (!is_array(array->type)) {
      return fail(n, written(ast_.nodes[n.children[0]]) + " is " + a_type(array->type) +
                         "; [*] needs an array");
    }
    if (array->binding != kNotLifted) return fail(n, "[*] cannot be used twice in one path");
    // The same array again inside one any()/all() reads the same element:
    // any(x[*] eq "a" or x[*] eq "b").
    const Node& source = program_->nodes[array->node];
    for (uint32_t b = quantifier_first_binding_; quantifier_depth_ > 0 && b < program_->bindings;
         ++b) {
      const Node& other = program_->nodes[binding_sources_[b]];
      if (source.op == Op::kField && other.op == Op::kField && source.payload == other.payload) {
        Node node;
        node.op = Op::kEach;
        node.type = element_type(array->type);
        return Typed{emit(node), node.type, static_cast<int>(b)};
      }
    }
    return bind(array->node, array->type, n);
  }

  // Starts iterating an array: the Each node reads the element any()/all() binds.
  // Bindings are told apart at compile time only (to refuse two arrays in one
  // condition); since loops never nest, at run time they all share one slot.
  Result bind(uint32_t array_node, Type array_type, const AstNode& where) {
    uint32_t binding = program_->bindings++;
    binding_sources_.push_back(array_node);
    binding_where_.push_back(&where);
    Node node;
    node.op = Op::kEach;
    node.type = element_type(array_type);
    return Typed{emit(node), node.type, static_cast<int>(binding)};
  }

  // any()/all() over the array bound to `binding`. Nesting is refused: an any()
  // inside another would cost the product of two arrays' lengths.
  Result quantifier(Op op, const Typed& predicate, const AstNode& where) {
    if (quantifier_depth_ > 0) {
      return fail(where,
                  "any()/all() and array comparisons cannot be nested inside another any() or "
                  "all(): the cost would grow with the product of the arrays' lengths");
    }
    Node node;
    node.op = op;
    node.a = predicate.node;
    node.c = binding_sources_[static_cast<size_t>(predicate.binding)];
    return Typed{emit(node), Type::kBool};
  }

  Result comparison(const AstNode& n);
  Result in_set(const AstNode& n, const Typed& lhs);
  Result call(const AstNode& n);
  Result call_typed(const AstNode& n, Function f, std::vector<Typed>& args, int binding);
  std::optional<uint32_t> regex(const AstNode& literal, const std::string& pattern,
                                std::string_view what);

  Compiler& c_;
  const Ast& ast_;
  std::string_view text_;
  std::shared_ptr<Program> program_;
  std::optional<CompileError> error_;
  std::vector<uint32_t> binding_sources_;      // by binding: the array node it iterates
  std::vector<const AstNode*> binding_where_;  // by binding: the [*] or array written
  int quantifier_depth_ = 0;
  uint32_t quantifier_first_binding_ = 0;  // the first binding of the any()/all() being compiled
};

}  // namespace compile_detail
}  // namespace rampart::rules
