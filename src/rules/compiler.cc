#include "rules/compiler.h"

#include <algorithm>
#include <utility>

#include "rules/parser.h"
#include "rules/program_builder.h"

namespace rampart::rules {

using namespace compile_detail;

namespace {

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
        if (n.op == CompareOp::kMatches) {
          auto re = regex(rn, rn.text, "regular expression");
          if (!re) return std::nullopt;
          node.op = Op::kMatches;
          node.payload = *re;
          break;
        }
        // Wildcards run on the segment matcher (linear, no regex engine), so only the
        // size of the pattern as written is capped.
        if (rn.text.size() > kMaxRegexBytes) {
          return fail(
              rn, "wildcard pattern is longer than " + std::to_string(kMaxRegexBytes) + " bytes");
        }
        node.op = Op::kWildcard;
        node.c = static_cast<uint32_t>(program_->wildcards.size());
        program_->wildcards.push_back(Wildcard::parse(rn.text, n.op == CompareOp::kWildcard));
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
    program_->list_sets.push_back(it->second);
    node.op = Op::kInIps;
    node.c = 1;
    node.payload = static_cast<uint32_t>(program_->list_sets.size() - 1);
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
