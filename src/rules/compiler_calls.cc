// Function calls: arity, argument types and the literal arguments some functions
// need at compile time (regexes, JSON paths, prefix lengths).

#include <string>

#include "rules/program_builder.h"

namespace rampart::rules {

using namespace compile_detail;

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

}  // namespace rampart::rules
