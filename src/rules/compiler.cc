#include "rules/compiler.h"

#include <algorithm>
#include <utility>

#include "rules/parser.h"

namespace rampart::rules {
namespace {

constexpr int kNotLifted = -1;

// "a String", "an Int", "an IP address", "an Array<String>".
std::string a_type(Type t) {
  std::string_view name = type_name(t);
  bool vowel = name.front() == 'A' || name.front() == 'I';
  return (vowel ? "an " : "a ") + std::string(name);
}

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  out.append(s);
  out.push_back('"');
  return out;
}

std::string_view availability_name(Availability a) {
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

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest_name(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (std::string_view c : candidates) {
    if (word.size() > 64 || c.size() > 64) continue;
    size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best;
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
    if (lhs->type != Type::kBool) {
      return fail(ln, "\"" + written(n) + "\" joins conditions, but this is " + a_type(lhs->type));
    }
    if (rhs->type != Type::kBool) {
      return fail(rn, "\"" + written(n) + "\" joins conditions, but this is " + a_type(rhs->type));
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

std::optional<uint32_t> ProgramBuilder::regex(const AstNode& literal, const std::string& pattern,
                                              std::string_view what) {
  // The pattern as written (a wildcard grows when it becomes a regex).
  if (literal.text.size() > kMaxRegexBytes) {
    fail(literal,
         std::string(what) + " is longer than " + std::to_string(kMaxRegexBytes) + " bytes");
    return std::nullopt;
  }
  RE2::Options options;
  options.set_log_errors(false);
  // Bytes, not UTF-8: "." must match any byte, or an invalid UTF-8 byte in a request
  // would slip past a pattern.
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_case_sensitive(true);  // (?i) in a pattern still folds
  options.set_dot_nl(false);
  options.set_max_mem(8 << 20);
  auto re = std::make_unique<RE2>(pattern, options);
  if (!re->ok()) {
    fail(literal, "invalid " + std::string(what) + ": " + re->error());
    return std::nullopt;
  }
  if (re->ProgramSize() > kMaxRegexProgramSize) {
    fail(literal, std::string(what) + " compiles to a program too large to run per request (" +
                      std::to_string(re->ProgramSize()) + " instructions, the limit is " +
                      std::to_string(kMaxRegexProgramSize) + ")");
    return std::nullopt;
  }
  program_->regexes.push_back(std::move(re));
  return static_cast<uint32_t>(program_->regexes.size() - 1);
}

ProgramBuilder::Result ProgramBuilder::comparison(const AstNode& n) {
  const AstNode& ln = ast_.nodes[n.children[0]];
  const AstNode& rn = ast_.nodes[n.children[1]];
  auto lhs = compile(n.children[0]);
  if (!lhs) return lhs;
  // An array compared as a whole means "any element": headers["x"] contains "a".
  bool implicit_any = false;
  if (is_array(lhs->type) && lhs->binding == kNotLifted) {
    if (quantifier_depth_ > 0) {
      return fail(ln, "an array comparison inside any() or all() would nest two loops; use [*]");
    }
    auto bound = bind(lhs->node, lhs->type, ln);
    if (!bound) return bound;
    lhs = bound;
    implicit_any = true;
  }
  if (is_array(lhs->type)) {
    return fail(ln, "cannot compare an array element that is itself an array");
  }
  std::string op_text(text_.substr(n.op_offset, n.op_length));
  Result result;
  if (n.op == CompareOp::kIn) {
    result = in_set(n, *lhs);
  } else {
    auto rhs = compile(n.children[1]);
    if (!rhs) return rhs;
    if (is_array(rhs->type)) {
      return fail(rn, "the right side of \"" + op_text + "\" must be a single value, not " +
                          a_type(rhs->type));
    }
    auto binding = join(n, lhs->binding, rhs->binding);
    if (!binding) return std::nullopt;
    hoist(*lhs, *binding);
    hoist(*rhs, *binding);
    auto mismatch = [&](std::string_view needs) {
      return fail(n.op_offset, n.op_length,
                  "\"" + op_text + "\" compares " + std::string(needs) + ", but the left side is " +
                      a_type(lhs->type) + " and the right side is " + a_type(rhs->type));
    };
    Node node;
    node.a = lhs->node;
    node.b = rhs->node;
    switch (n.op) {
      case CompareOp::kEq:
      case CompareOp::kNe:
        if (lhs->type != rhs->type) return mismatch("two values of the same type");
        // A whole array "ne" a value means no element equals it (compiled as
        // not any(eq)), which is what `headers["x"] ne "a"` reads as.
        node.op = n.op == CompareOp::kEq || implicit_any ? Op::kEq : Op::kNe;
        break;
      case CompareOp::kLt:
      case CompareOp::kLe:
      case CompareOp::kGt:
      case CompareOp::kGe:
        if (lhs->type != rhs->type || (lhs->type != Type::kInt && lhs->type != Type::kString)) {
          return mismatch("two numbers or two strings");
        }
        node.op = n.op == CompareOp::kLt   ? Op::kLt
                  : n.op == CompareOp::kLe ? Op::kLe
                  : n.op == CompareOp::kGt ? Op::kGt
                                           : Op::kGe;
        break;
      case CompareOp::kContains:
        if (lhs->type != Type::kString || rhs->type != Type::kString) {
          return mismatch("strings");
        }
        node.op = Op::kContains;
        break;
      case CompareOp::kMatches:
      case CompareOp::kWildcard:
      case CompareOp::kStrictWildcard: {
        if (lhs->type != Type::kString) return mismatch("strings");
        if (rn.kind != AstKind::kString) {
          return fail(rn, "the pattern after \"" + op_text + "\" must be a string literal");
        }
        std::optional<uint32_t> re;
        if (n.op == CompareOp::kMatches) {
          re = regex(rn, rn.text, "regular expression");
          node.op = Op::kMatches;
        } else {
          // Case folded here, ASCII letters only; RE2 itself stays case-sensitive.
          re = regex(rn, wildcard_to_regex(rn.text, n.op == CompareOp::kWildcard),
                     "wildcard pattern");
          node.op = Op::kWildcard;
          // The literal text before the first "*", for the rule index.
          node.c = static_cast<uint32_t>(program_->wildcard_prefixes.size());
          node.integer = n.op == CompareOp::kWildcard ? 1 : 0;
          program_->wildcard_prefixes.push_back(wildcard_literal_prefix(rn.text));
        }
        if (!re) return std::nullopt;
        node.payload = *re;
        break;
      }
      case CompareOp::kIn:
        break;
    }
    result = Typed{emit(node), Type::kBool, *binding};
  }
  if (!result || !implicit_any) return result;
  auto any = quantifier(Op::kAny, *result, ln);
  if (!any || n.op != CompareOp::kNe) return any;
  Node negated;
  negated.op = Op::kNot;
  negated.a = any->node;
  return Typed{emit(negated), Type::kBool};
}

ProgramBuilder::Result ProgramBuilder::in_set(const AstNode& n, const Typed& lhs) {
  const AstNode& rn = ast_.nodes[n.children[1]];
  Node node;
  node.a = lhs.node;
  if (rn.kind == AstKind::kList) {
    if (lhs.type != Type::kIp) {
      return fail(rn, "$" + rn.text + " is an IP list, but the left side is " + a_type(lhs.type));
    }
    const IpLists* lists = c_.options_.ip_lists;
    auto it = lists ? lists->find(rn.text) : IpLists::const_iterator{};
    if (!lists || it == lists->end()) {
      std::vector<std::string_view> names;
      if (lists) {
        for (const auto& [name, list] : *lists) names.push_back(name);
      }
      std::string hint = closest_name(rn.text, names);
      return fail(rn, "no list is named " + quoted(rn.text) +
                          (hint.empty() ? "" : " (did you mean $" + hint + "?)") +
                          "; lists are defined under lists: in the config");
    }
    program_->ip_sets.push_back(it->second);
    node.op = Op::kInIps;
    node.payload = static_cast<uint32_t>(program_->ip_sets.size() - 1);
    return Typed{emit(node), Type::kBool, lhs.binding};
  }
  if (rn.children.size() > kMaxSetItems) {
    return fail(rn, "the set has more than " + std::to_string(kMaxSetItems) +
                        " items; use a list (lists: in the config)");
  }
  auto wrong_item = [&](const AstNode& item, std::string_view needs) {
    return fail(item, "the left side is " + a_type(lhs.type) +
                          ", so every item of the set must be " + std::string(needs));
  };
  switch (lhs.type) {
    case Type::kString: {
      std::vector<std::string_view> items;
      for (uint32_t child : rn.children) {
        const AstNode& item = ast_.nodes[child];
        if (item.kind != AstKind::kString) return wrong_item(item, "a string");
        items.push_back(keep(item.text));
      }
      std::sort(items.begin(), items.end());
      items.erase(std::unique(items.begin(), items.end()), items.end());
      program_->string_sets.push_back(std::move(items));
      node.op = Op::kInStrings;
      node.payload = static_cast<uint32_t>(program_->string_sets.size() - 1);
      break;
    }
    case Type::kInt: {
      std::vector<int64_t> items;
      for (uint32_t child : rn.children) {
        const AstNode& item = ast_.nodes[child];
        if (item.kind != AstKind::kInt) return wrong_item(item, "a number");
        items.push_back(item.integer);
      }
      std::sort(items.begin(), items.end());
      program_->int_sets.push_back(std::move(items));
      node.op = Op::kInInts;
      node.payload = static_cast<uint32_t>(program_->int_sets.size() - 1);
      break;
    }
    case Type::kIp: {
      core::IpRangeSet::Builder builder;
      for (uint32_t child : rn.children) {
        const AstNode& item = ast_.nodes[child];
        if (item.kind != AstKind::kIp) return wrong_item(item, "an IP address or prefix");
        auto cidr = core::Cidr::parse(item.text);
        if (!cidr) return fail(item, quoted(item.text) + " is not an IP address or prefix");
        builder.add(*cidr);
      }
      program_->ip_sets.push_back(
          std::make_shared<const core::IpRangeSet>(std::move(builder).build()));
      node.op = Op::kInIps;
      node.payload = static_cast<uint32_t>(program_->ip_sets.size() - 1);
      break;
    }
    default:
      return fail(
          n.op_offset, n.op_length,
          "\"in\" needs a string, number or IP address on its left, not " + a_type(lhs.type));
  }
  return Typed{emit(node), Type::kBool, lhs.binding};
}

ProgramBuilder::Result ProgramBuilder::call(const AstNode& n) {
  auto f = find_function(n.text);
  if (!f) {
    if (c_.fields_.find(n.text)) return fail(n, n.text + " is a field, not a function");
    std::vector<std::string_view> names;
    for (const auto& fn : kFunctions) names.push_back(fn.name);
    std::string hint = closest_name(n.text, names);
    return fail(n, "unknown function " + quoted(n.text) +
                       (hint.empty() ? "" : " (did you mean " + hint + "()?)"));
  }
  bool quantifier_call = *f == Function::kAny || *f == Function::kAll;
  if (quantifier_call) {
    if (quantifier_depth_ > 0) {
      return fail(n, n.text +
                         "() cannot be nested inside another any() or all(): the cost would "
                         "grow with the product of the arrays' lengths");
    }
    ++quantifier_depth_;
    quantifier_first_binding_ = program_->bindings;
  }
  std::vector<Typed> args;
  int binding = kNotLifted;
  for (uint32_t child : n.children) {
    auto arg = compile(child);
    if (!arg) return arg;
    auto joined = join(ast_.nodes[child], binding, arg->binding);
    if (!joined) return std::nullopt;
    binding = *joined;
    args.push_back(*arg);
  }
  if (quantifier_call) --quantifier_depth_;
  return call_typed(n, *f, args, binding);
}

ProgramBuilder::Result ProgramBuilder::call_typed(const AstNode& n, Function f,
                                                  std::vector<Typed>& args, int binding) {
  const std::string& name = n.text;
  auto arity = [&](size_t min, size_t max, std::string_view usage) -> bool {
    if (args.size() < min || args.size() > max) {
      fail(n, name + "() takes " + std::string(usage) + ", got " + std::to_string(args.size()) +
                  " argument" + (args.size() == 1 ? "" : "s"));
      return false;
    }
    return true;
  };
  auto arg_node = [&](size_t i) -> const AstNode& { return ast_.nodes[n.children[i]]; };
  auto expect = [&](size_t i, Type t) -> bool {
    if (args[i].type != t) {
      fail(arg_node(i), "argument " + std::to_string(i + 1) + " of " + name + "() must be " +
                            a_type(t) + ", not " + a_type(args[i].type));
      return false;
    }
    return true;
  };
  auto literal_string = [&](size_t i) -> const std::string* {
    const AstNode& a = arg_node(i);
    if (a.kind != AstKind::kString) {
      fail(a, "argument " + std::to_string(i + 1) + " of " + name + "() must be a string literal");
      return nullptr;
    }
    return &a.text;
  };
  auto literal_int = [&](size_t i, int64_t min, int64_t max) -> std::optional<int64_t> {
    const AstNode& a = arg_node(i);
    if (a.kind != AstKind::kInt || a.integer < min || a.integer > max) {
      fail(a, "argument " + std::to_string(i + 1) + " of " + name + "() must be a number from " +
                  std::to_string(min) + " to " + std::to_string(max));
      return std::nullopt;
    }
    return a.integer;
  };

  Node node;
  node.op = Op::kCall;
  node.function = f;
  Type result = Type::kString;
  switch (f) {
    case Function::kLower:
    case Function::kUpper:
    case Function::kUrlDecode:
      if (!arity(1, 1, "one string") || !expect(0, Type::kString)) return std::nullopt;
      break;
    case Function::kLen:
      if (!arity(1, 1, "one string or array")) return std::nullopt;
      if (args[0].type != Type::kString && !is_array(args[0].type)) {
        return fail(arg_node(0),
                    "len() measures a string or an array, not " + a_type(args[0].type));
      }
      result = Type::kInt;
      break;
    case Function::kStartsWith:
    case Function::kEndsWith:
      if (!arity(2, 2, "two strings") || !expect(0, Type::kString) || !expect(1, Type::kString)) {
        return std::nullopt;
      }
      result = Type::kBool;
      break;
    case Function::kConcat:
      if (!arity(2, 16, "2 to 16 strings")) return std::nullopt;
      for (size_t i = 0; i < args.size(); ++i) {
        if (!expect(i, Type::kString)) return std::nullopt;
      }
      break;
    case Function::kAny:
    case Function::kAll: {
      if (!arity(1, 1, "one condition over an array's elements")) return std::nullopt;
      if (args[0].type != Type::kBool || args[0].binding == kNotLifted) {
        return fail(arg_node(0), name + "() needs a condition over [*], e.g. " + name +
                                     "(http.request.headers[\"accept\"][*] contains \"json\")");
      }
      return quantifier(f == Function::kAny ? Op::kAny : Op::kAll, args[0], n);
    }
    case Function::kRegexReplace: {
      if (!arity(3, 3, "a string, a regular expression and a replacement") ||
          !expect(0, Type::kString)) {
        return std::nullopt;
      }
      const std::string* pattern = literal_string(1);
      const std::string* replacement = pattern ? literal_string(2) : nullptr;
      if (!replacement) return std::nullopt;
      auto re = regex(arg_node(1), *pattern, "regular expression");
      if (!re) return std::nullopt;
      // ${1} in the replacement names a capture group; RE2 writes it \1.
      std::string rewrite;
      for (size_t i = 0; i < replacement->size(); ++i) {
        char ch = (*replacement)[i];
        if (ch == '\\') {
          rewrite += "\\\\";
        } else if (ch == '$' && i + 1 < replacement->size() && (*replacement)[i + 1] == '{') {
          size_t close = replacement->find('}', i);
          std::string digits =
              close == std::string::npos ? "" : replacement->substr(i + 2, close - i - 2);
          if (digits.size() != 1 || digits[0] < '0' || digits[0] > '9') {
            return fail(arg_node(2), "use ${1} to ${9} to insert a captured group");
          }
          rewrite += '\\';
          rewrite += digits;
          i = close;
        } else {
          rewrite += ch;
        }
      }
      std::string why;
      if (!program_->regexes[*re]->CheckRewriteString(rewrite, &why)) {
        return fail(arg_node(2), "invalid replacement: " + why);
      }
      program_->rewrites.push_back(std::move(rewrite));
      node.payload = *re;
      node.integer = static_cast<int64_t>(program_->rewrites.size() - 1);
      args.resize(1);
      break;
    }
    case Function::kSubstring:
      if (!arity(2, 3, "a string, a start and an optional end") || !expect(0, Type::kString) ||
          !expect(1, Type::kInt) || (args.size() == 3 && !expect(2, Type::kInt))) {
        return std::nullopt;
      }
      break;
    case Function::kLookupJsonString: {
      if (!arity(2, 17, "a JSON string and 1 to 16 keys") || !expect(0, Type::kString)) {
        return std::nullopt;
      }
      std::vector<JsonStep> path;
      for (size_t i = 1; i < args.size(); ++i) {
        const AstNode& a = arg_node(i);
        if (a.kind == AstKind::kString) {
          path.push_back(JsonStep{keep(a.text), -1});
        } else if (a.kind == AstKind::kInt && a.integer >= 0) {
          path.push_back(JsonStep{{}, a.integer});
        } else {
          return fail(a, "JSON keys must be string literals or array positions (0, 1, ...)");
        }
      }
      program_->json_paths.push_back(std::move(path));
      node.payload = static_cast<uint32_t>(program_->json_paths.size() - 1);
      args.resize(1);
      break;
    }
    case Function::kCidr: {
      if (!arity(3, 3, "an IP address, IPv4 bits and IPv6 bits") || !expect(0, Type::kIp)) {
        return std::nullopt;
      }
      auto v4 = literal_int(1, 1, 32);
      auto v6 = v4 ? literal_int(2, 1, 128) : std::nullopt;
      if (!v6) return std::nullopt;
      node.integer = *v4 << 8 | *v6;
      args.resize(1);
      result = Type::kIp;
      break;
    }
  }
  node.type = result;
  node.a = static_cast<uint32_t>(program_->args.size());
  node.b = static_cast<uint32_t>(args.size());
  for (const Typed& t : args) {
    hoist(t, binding);
    program_->args.push_back(t.node);
  }
  return Typed{emit(node), result, binding};
}

Compiler::Compiler(CompileOptions options, const FieldRegistry& fields)
    : options_(options), fields_(fields) {}

Compiler::~Compiler() = default;

uint32_t Compiler::slot_for(FieldId field, std::string_view key) {
  auto id = std::make_pair(field, std::string(key));
  auto it = slot_index_.find(id);
  if (it != slot_index_.end()) return it->second;
  uint32_t slot = static_cast<uint32_t>(slots_.size());
  slots_.push_back(Slot{field, std::string(key)});
  slot_index_.emplace(std::move(id), slot);
  return slot;
}

CompileResult Compiler::compile(std::string_view text, Type result) {
  ParseResult parsed = parse(text);
  if (parsed.error) {
    CompileResult out;
    out.error = parsed.error;
    return out;
  }
  return ProgramBuilder(*this, parsed.ast, text).build(result);
}

}  // namespace rampart::rules
