#include <re2/re2.h>

#include <string_view>
#include <vector>

#include "seclang/compile_internal.h"
#include "seclang/text_util.h"

namespace rampart::seclang {

namespace {

bool literal_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == ' ' || c == '=' || c == ',' || c == ';' || c == ':' || c == '@' ||
         c == '%' || c == '&' || c == '~' || c == '#' || c == '\'' || c == '"' || c == '<' ||
         c == '>' || c == '!' || c == '/';
}

// What a key regex amounts to when it is a literal (punctuation may be escaped, as in the
// CRS's `/LEAKAGE\\\/ERRORS/`), optionally anchored with ^ and $, optionally ending in
// `.*` or `<byte>*` (which change nothing in an unanchored search). The literal is
// lower-cased: RE2 matches it case-insensitively, and on an ASCII key that is ASCII case
// folding (key_selected falls back to RE2 on other keys, where RE2 also folds e.g. the
// Kelvin sign with 'k').
void classify_key_regex(std::string_view pattern, Selector& selector) {
  struct Token {
    char c;
    bool escaped;
  };
  std::vector<Token> tokens;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c != '\\') {
      tokens.push_back({c, false});
      continue;
    }
    if (i + 1 == pattern.size()) return;
    char next = pattern[++i];
    // An escaped punctuation byte is that byte; `\d`, `\b`, `\x41`... are not literals.
    bool punct = next >= 0x21 && next <= 0x7e && !(next >= 'a' && next <= 'z') &&
                 !(next >= 'A' && next <= 'Z') && !(next >= '0' && next <= '9') && next != '_';
    if (!punct) return;
    tokens.push_back({next, true});
  }
  auto is = [](const Token& t, char c) { return !t.escaped && t.c == c; };
  auto literal = [](const Token& t) { return t.escaped || literal_byte(t.c); };
  bool prefix = false;
  bool suffix = false;
  size_t first = 0;
  size_t last = tokens.size();
  if (first < last && is(tokens[first], '^')) {
    prefix = true;
    ++first;
  }
  if (last > first && is(tokens[last - 1], '$')) {
    suffix = true;
    --last;
  } else if (last >= first + 2 && is(tokens[last - 1], '*') &&
             (is(tokens[last - 2], '.') || literal(tokens[last - 2]))) {
    last -= 2;  // `.*` / `x*` at the end may match nothing
  }
  if (first == last) return;
  std::string text;
  for (size_t i = first; i < last; ++i) {
    if (!literal(tokens[i])) return;
    text.push_back(ascii_lower(tokens[i].c));
  }
  selector.key_literal = std::move(text);
  selector.key_match = prefix && suffix ? Selector::KeyMatch::kExact
                       : prefix         ? Selector::KeyMatch::kPrefix
                       : suffix         ? Selector::KeyMatch::kSuffix
                                        : Selector::KeyMatch::kContains;
}

}  // namespace

uint32_t CompileContext::intern_chain(const std::vector<Transform>& transforms) {
  auto [it, inserted] = chains.emplace(transforms, static_cast<uint32_t>(chains.size()));
  return it->second;
}

bool compile_variables(const std::vector<VariableRef>& refs, const SourceLocation& where,
                       CompileContext& cx, std::vector<Selector>& selectors,
                       std::vector<Selector>& exclusions) {
  bool ok = true;
  for (const auto& ref : refs) {
    auto variable = variable_by_name(ref.collection);
    if (!variable) {
      cx.error(where, "unknown variable '" + ref.collection + "'");
      ok = false;
      continue;
    }
    const auto& info = variable_info(*variable);
    Selector selector;
    selector.variable = *variable;
    selector.count = ref.count;
    selector.written = std::string(info.name);
    if (!ref.selector.empty()) {
      selector.written += ":" + (ref.selector_is_regex ? "/" + ref.selector + "/" : ref.selector);
      if (!info.collection) {
        cx.error(where, "variable '" + std::string(info.name) +
                            "' is not a collection: it takes no ':" + ref.selector + "'");
        ok = false;
        continue;
      }
      if (*variable == Variable::kXml &&
          (ref.selector_is_regex || (ref.selector != "/*" && ref.selector != "//@*"))) {
        cx.error(where, "XML:" + ref.selector + ": only the XPaths '/*' and '//@*' are supported");
        ok = false;
        continue;
      }
      if (ref.selector_is_regex) {
        RE2::Options options;
        options.set_case_sensitive(false);
        options.set_log_errors(false);
        auto regex = std::make_shared<re2::RE2>(ref.selector, options);
        if (!regex->ok()) {
          cx.error(where, "bad key regex /" + ref.selector + "/: " + regex->error());
          ok = false;
          continue;
        }
        selector.key_regex = std::move(regex);
        classify_key_regex(ref.selector, selector);
      } else {
        selector.key = to_lower(ref.selector);
      }
    }
    if (ref.exclude) {
      exclusions.push_back(std::move(selector));
    } else {
      selectors.push_back(std::move(selector));
    }
  }
  return ok;
}

}  // namespace rampart::seclang
