#include "seclang/parser_syntax.h"

#include <cstddef>
#include <cstdint>

namespace rampart::seclang {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool ends_entry(std::string_view s, size_t i) {
  return i >= s.size() || s[i] == '|' || is_blank(s[i]);
}
void skip_blanks(std::string_view s, size_t& i) {
  while (i < s.size() && is_blank(s[i])) ++i;
}

// Reads a single-quoted text starting at s[i] == '\''. As in ModSecurity v3, `\'`
// does not close it and is kept as written (a message `'it\'s'` logs `it\'s`).
bool read_single_quoted(std::string_view s, size_t& i, std::string& out) {
  const size_t start = ++i;
  while (i < s.size()) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '\'' && (i == start || s[i - 1] != '\\')) {
      out.append(s.substr(i, 2));
      i += 2;
      continue;
    }
    if (s[i] == '\'') {
      ++i;
      return true;
    }
    out += s[i++];
  }
  return false;
}

// The position of the slash closing a regex that opens at s[open], or npos when the
// text is not a regex (no closing slash, or one that does not end the entry).
size_t regex_close(std::string_view s, size_t open) {
  for (size_t j = open + 1; j < s.size(); ++j) {
    if (s[j] == '\\' && j + 1 < s.size()) {
      ++j;
      continue;
    }
    if (s[j] == '/') return ends_entry(s, j + 1) ? j : std::string_view::npos;
  }
  return std::string_view::npos;
}

std::string read_selector(std::string_view s, size_t& i, VariableRef& var) {
  if (i < s.size() && s[i] == '\'') {
    std::string quoted;
    if (!read_single_quoted(s, i, quoted)) return "missing closing single quote in a selector";
    if (quoted.size() >= 2 && quoted.front() == '/' && quoted.back() == '/') {
      var.selector = quoted.substr(1, quoted.size() - 2);
      var.selector_is_regex = true;
    } else {
      var.selector = std::move(quoted);
    }
  } else if (i < s.size() && s[i] == '/' && regex_close(s, i) != std::string_view::npos) {
    const size_t close = regex_close(s, i);
    var.selector = std::string(s.substr(i + 1, close - i - 1));
    var.selector_is_regex = true;
    i = close + 1;
  } else {
    const size_t start = i;
    while (!ends_entry(s, i)) ++i;
    var.selector = std::string(s.substr(start, i - start));
  }
  if (var.selector.empty()) {
    return var.selector_is_regex
               ? "empty regular expression in the selector of '" + var.collection + "'"
               : "empty selector after '" + var.collection + ":'";
  }
  return {};
}

bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 18) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

}  // namespace

std::string parse_variables(std::string_view s, std::vector<VariableRef>& out) {
  size_t i = 0;
  if (s.empty()) return "empty variable list";
  while (true) {
    VariableRef var;
    while (i < s.size() && (s[i] == '!' || s[i] == '&')) {
      bool& flag = s[i] == '!' ? var.exclude : var.count;
      if (flag) return std::string("repeated '") + s[i] + "' in the variable list";
      flag = true;
      ++i;
    }
    if (var.exclude && var.count)
      return "a variable cannot be both excluded ('!') and counted ('&')";
    const size_t name_start = i;
    while (i < s.size() && is_name_char(s[i])) ++i;
    if (i == name_start) {
      if (i == s.size()) return "variable name missing at the end of the variable list";
      return std::string("expected a variable name, found '") + s[i] + "'";
    }
    var.collection = std::string(s.substr(name_start, i - name_start));
    if (i < s.size() && s[i] == ':') {
      ++i;
      std::string error = read_selector(s, i, var);
      if (!error.empty()) return error;
    }
    out.push_back(std::move(var));
    if (i == s.size()) return {};
    if (is_blank(s[i])) {
      // ModSecurity v3 rejects blanks anywhere in a variable list but inside quotes.
      return "blank in the variable list (write VAR1|VAR2 without spaces)";
    }
    if (s[i] != '|') {
      return std::string("expected '|' between variables, found '") + s[i] + "'";
    }
    ++i;
  }
}

std::string parse_operator(std::string_view s, OperatorSpec& out) {
  size_t i = 0;
  // ModSecurity v3 accepts `" @rx x"`; a bare pattern keeps its blanks.
  size_t lead = 0;
  while (lead < s.size() && (s[lead] == ' ' || s[lead] == '\t')) ++lead;
  if (lead < s.size() &&
      (s[lead] == '@' || (s[lead] == '!' && lead + 1 < s.size() && s[lead + 1] == '@'))) {
    i = lead;
  }
  if (i < s.size() && s[i] == '!') {
    out.negated = true;
    ++i;
  }
  if (i < s.size() && s[i] == '@') {
    ++i;
    const size_t start = i;
    while (i < s.size() && is_name_char(s[i])) ++i;
    if (i == start) return "operator name missing after '@'";
    out.name = std::string(s.substr(start, i - start));
    if (i == s.size()) return {};
    if (s[i] != ' ' && s[i] != '\t') {
      return "unexpected '" + std::string(1, s[i]) + "' after operator @" + out.name;
    }
    out.argument = std::string(s.substr(i + 1));
    return {};
  }
  out.name = "rx";
  out.argument = std::string(s.substr(i));
  return {};
}

std::string parse_actions(std::string_view s, std::vector<Action>& out) {
  size_t i = 0;
  skip_blanks(s, i);
  if (i == s.size()) return {};
  while (true) {
    skip_blanks(s, i);
    const size_t start = i;
    while (i < s.size() && is_name_char(s[i])) ++i;
    if (i == start) {
      if (i == s.size()) return "action missing after ','";
      return std::string("expected an action name, found '") + s[i] + "'";
    }
    Action action;
    action.name = std::string(s.substr(start, i - start));
    skip_blanks(s, i);
    if (i < s.size() && s[i] == ':') {
      ++i;
      skip_blanks(s, i);
      action.has_value = true;
      if (i < s.size() && s[i] == '\'') {
        if (!read_single_quoted(s, i, action.value)) {
          return "missing closing single quote in the value of '" + action.name + "'";
        }
        skip_blanks(s, i);
        if (i < s.size() && s[i] != ',') {
          return "unexpected text after the quoted value of '" + action.name + "'";
        }
      } else {
        const size_t value_start = i;
        while (i < s.size() && s[i] != ',') ++i;
        size_t end = i;
        while (end > value_start && is_blank(s[end - 1])) --end;
        action.value = std::string(s.substr(value_start, end - value_start));
      }
    }
    out.push_back(std::move(action));
    if (i == s.size()) return {};
    if (s[i] != ',') {
      return "expected ',' after action '" + out.back().name + "', found '" + s[i] + "'";
    }
    ++i;
  }
}

bool is_rule_id_or_range(std::string_view text) {
  const size_t dash = text.find('-');
  uint64_t first = 0;
  uint64_t last = 0;
  if (dash == std::string_view::npos) return parse_u64(text, first);
  return parse_u64(text.substr(0, dash), first) && parse_u64(text.substr(dash + 1), last) &&
         first <= last;
}

}  // namespace rampart::seclang
