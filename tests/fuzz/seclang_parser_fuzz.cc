// libFuzzer target for the SecLang parser: any text must give directives and errors,
// never a crash, a hang or an exception; every location must point inside the text and
// every limit must hold. Includes are refused by the limits (depth 0) so that the
// input cannot make the fuzzer read files.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "seclang/ast.h"
#include "seclang/parser.h"
#include "seclang/parser_syntax.h"

namespace {

using namespace rampart::seclang;

constexpr char kName[] = "fuzz.conf";

void check_rule(const RuleDecl& rule, int last_line, bool in_chain) {
  FUZZ_CHECK(rule.where.file == kName);
  FUZZ_CHECK(rule.where.line >= 1 && rule.where.line <= last_line);
  FUZZ_CHECK(!rule.op.name.empty());
  if (rule.is_action) {
    FUZZ_CHECK(rule.variables.empty());
    FUZZ_CHECK(rule.op.name == "unconditionalMatch");
  } else {
    FUZZ_CHECK(!rule.variables.empty());
  }
  for (const VariableRef& v : rule.variables) {
    FUZZ_CHECK(!v.collection.empty());
    FUZZ_CHECK(!(v.count && v.exclude));
    if (v.selector_is_regex) FUZZ_CHECK(!v.selector.empty());
  }
  for (const Action& a : rule.actions) {
    FUZZ_CHECK(!a.name.empty());
    if (!a.has_value) FUZZ_CHECK(a.value.empty());
  }
  if (in_chain) FUZZ_CHECK(rule.chained.empty());
  int previous = rule.where.line;
  for (const RuleDecl& link : rule.chained) {
    // Links follow their head in the text.
    FUZZ_CHECK(link.where.line > previous);
    previous = link.where.line;
    check_rule(link, last_line, true);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseLimits limits;
  limits.max_include_depth = 0;
  limits.max_directives = 500;
  limits.max_chain_length = 6;
  ParsedFiles out;
  parse_text(text, kName, "/nonexistent", limits, out);

  const int last_line = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  FUZZ_CHECK(out.files.empty());
  FUZZ_CHECK(out.directives.size() <= limits.max_directives);
  int previous = 0;
  for (const Directive& d : out.directives) {
    FUZZ_CHECK(d.where.file == kName);
    FUZZ_CHECK(d.where.line > previous && d.where.line <= last_line);
    previous = d.where.line;
    FUZZ_CHECK(!d.name.empty());
    if (d.kind == DirectiveKind::kRule) {
      FUZZ_CHECK(d.rule.where.line == d.where.line);
      FUZZ_CHECK(d.rule.chained.size() < limits.max_chain_length);
      check_rule(d.rule, last_line, false);
    }
    if (d.kind == DirectiveKind::kMarker || d.kind == DirectiveKind::kComponentSignature ||
        d.kind == DirectiveKind::kRemoveByTag || d.kind == DirectiveKind::kRemoveByMsg) {
      FUZZ_CHECK(d.args.size() == 1);
    }
    if (d.kind == DirectiveKind::kRemoveById) {
      FUZZ_CHECK(!d.args.empty());
      for (const std::string& id : d.args) FUZZ_CHECK(is_rule_id_or_range(id));
    }
  }
  for (const ParseError& e : out.errors) {
    FUZZ_CHECK(e.where.file == kName);
    FUZZ_CHECK(e.where.line >= 1 && e.where.line <= last_line);
    FUZZ_CHECK(!e.message.empty());
  }

  // The rule sub-languages on their own, on the whole input.
  std::vector<VariableRef> variables;
  if (parse_variables(text, variables).empty()) {
    FUZZ_CHECK(!variables.empty());
    for (const VariableRef& v : variables) FUZZ_CHECK(!v.collection.empty());
  }
  std::vector<Action> actions;
  if (parse_actions(text, actions).empty()) {
    for (const Action& a : actions) FUZZ_CHECK(!a.name.empty());
  }
  OperatorSpec op;
  if (parse_operator(text, op).empty()) FUZZ_CHECK(!op.name.empty());
  return 0;
}
