// The walker's firewall rules: rulesets, rules, and expressions captured with a map
// back to the file so that the rules compiler can point inside them.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/value_parsers.h"
#include "config/walker.h"

namespace rampart::config::detail {
namespace {

const Keys kRulesetKeys = {"rules"};
const Keys kRuleKeys = {"id",      "description", "expression", "action", "action_parameters",
                        "enabled", "logging"};
const Keys kActionNames = {
    "block",    "allow",   "log",  "skip", "challenge", "js_challenge", "managed_challenge",
    "redirect", "rewrite", "route"};
const Keys kDynamicValueKeys = {"expression"};
constexpr size_t kMaxDescriptionBytes = 1024;

std::optional<RuleAction> action_named(std::string_view name) {
  for (RuleAction a :
       {RuleAction::kBlock, RuleAction::kAllow, RuleAction::kLog, RuleAction::kSkip,
        RuleAction::kChallenge, RuleAction::kJsChallenge, RuleAction::kManagedChallenge,
        RuleAction::kRedirect, RuleAction::kRewrite, RuleAction::kRoute}) {
    if (rule_action_name(a) == name) return a;
  }
  return std::nullopt;
}

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// The content lines of a literal block scalar ("|", "|-", "|+") whose header mark is
// at `pos` on 1-based line `header_line`. The block is rebuilt from the source the way
// YAML reads it and compared with `value`; any difference (an indentation indicator,
// tabs, an unusual layout) gives no lines, and positions fall back to the header.
std::vector<SourceText::Line> literal_block_lines(std::string_view text, size_t pos,
                                                  int header_line, const std::string& value) {
  size_t i = pos + 1;
  char chomp = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) chomp = text[i++];
  size_t eol = text.find('\n', i);
  if (eol == std::string_view::npos) return {};
  std::string_view header = text.substr(i, eol - i);
  size_t rest = header.find_first_not_of(" \t\r");
  if (rest != std::string_view::npos && header[rest] != '#') return {};

  auto line_at = [&](size_t start) {
    size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? end : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  // The block's indentation is that of its first line with content.
  size_t indent = 0;
  for (size_t p = eol + 1; p < text.size();) {
    std::string_view line = line_at(p);
    size_t spaces = line.find_first_not_of(' ');
    if (spaces != std::string_view::npos) {
      indent = spaces;
      break;
    }
    size_t next = text.find('\n', p);
    if (next == std::string_view::npos) break;
    p = next + 1;
  }
  if (indent == 0) return {};

  std::vector<SourceText::Line> lines;
  std::string rebuilt;
  int line_no = header_line + 1;
  for (size_t p = eol + 1; p < text.size(); ++line_no) {
    std::string_view line = line_at(p);
    size_t spaces = line.find_first_not_of(' ');
    if (spaces != std::string_view::npos && spaces < indent) break;  // the block ended
    lines.push_back(SourceText::Line{rebuilt.size(), line_no, static_cast<int>(indent) + 1});
    if (line.size() > indent) rebuilt.append(line.substr(indent));
    rebuilt += '\n';
    size_t next = text.find('\n', p);
    if (next == std::string_view::npos) break;
    p = next + 1;
  }
  size_t body = rebuilt.find_last_not_of('\n');
  body = body == std::string::npos ? 0 : body + 1;
  if (chomp == '-') {
    rebuilt.resize(body);
  } else if (chomp == 0 && body > 0) {
    rebuilt.resize(body + 1);
  } else if (chomp == 0) {
    rebuilt.clear();
  }
  if (rebuilt != value) return {};
  // Trailing blank lines that chomping dropped hold nothing to point at.
  while (lines.size() > 1 && lines.back().offset >= value.size()) lines.pop_back();
  return lines;
}

}  // namespace

void Walker::ruleset(const At& at, Ruleset& out, std::vector<RuleSource>& sources) {
  fields(at, kRulesetKeys, "", [&](std::string_view, const At& v) {
    items(v, kMaxRulesPerRuleset, "rules",
          [&](const At& item, size_t) { rule(item, out, sources); });
  });
}

void Walker::rule(const At& at, Ruleset& out, std::vector<RuleSource>& sources) {
  if (!at.node.IsMap()) {
    wrong_type(at, "a rule map with id, expression and action");
    return;
  }
  Rule r;
  RuleHead head = rule_head(at, r);
  RuleSource& src = head.source;
  bool has_action = false;
  std::optional<RuleAction> action;
  std::optional<At> params_at;
  fields(at, kRuleKeys, "", [&](std::string_view key, const At& v) {
    if (rule_head_key(key, v, r, head)) return;
    if (key == "action") {
      has_action = true;
      if (auto name = one_of(v, kActionNames)) action = action_named(*name);
    } else if (key == "action_parameters") {
      params_at = v;  // its keys depend on the action, which may come later in the map
    } else if (key == "logging") {
      if (auto b = boolean(v)) r.logging = *b;
    }
  });
  if (diags_.stopped()) return;
  missing_rule_head(at, head, "");
  if (!has_action) missing(at.pos, at.path, "action", "");
  if (action) {
    r.action = *action;
    At params =
        params_at.value_or(At{YAML::Node(), at.pos, key_path(at.path, "action_parameters")});
    action_parameters(params, *action, r.parameters, src);
  }
  // Kept even with errors, in step with `sources`, so the checker still finds the
  // duplicate ids and skip targets among the valid rules.
  out.rules.push_back(std::move(r));
  sources.push_back(std::move(src));
}

void Walker::missing_rule_head(const At& at, const RuleHead& head,
                               std::string_view expression_hint) {
  if (!head.has_id) missing(at.pos, at.path, "id", "");
  if (!head.has_expression) missing(at.pos, at.path, "expression", expression_hint);
}

std::optional<SourceText> Walker::expression(const At& at) {
  auto s = string(at);
  if (!s) return std::nullopt;
  if (is_blank(*s)) {
    error(at, "the expression is empty");
    return std::nullopt;
  }
  if (s->size() > kMaxExpressionBytes) {
    error(at, "the expression is " + std::to_string(s->size()) + " bytes; the limit is " +
                  format_size(kMaxExpressionBytes));
    return std::nullopt;
  }
  return source_text(at, *s);
}

SourceText Walker::source_text(const At& at, const std::string& value) const {
  SourceText st;
  st.text = value;
  st.line = at.pos.line;
  st.column = at.pos.column;
  const YAML::Mark mark = at.node.Mark();
  if (mark.is_null() || mark.pos < 0 || static_cast<size_t>(mark.pos) >= text_.size()) return st;
  const size_t pos = static_cast<size_t>(mark.pos);
  const char first = text_[pos];
  if (first == '|') {
    st.lines = literal_block_lines(text_, pos, mark.line + 1, value);
    return st;
  }
  // Anything else that spans lines was folded by YAML: its text is not in the file.
  if (value.find('\n') != std::string::npos) return st;
  if (first == '\'' || first == '"') {
    // Without a quote or backslash in the value there was no escape, so the text
    // between the quotes is the value byte for byte.
    if (value.find_first_of(first == '"' ? "\\\"" : "'") != std::string::npos) return st;
    size_t end = pos + 1 + value.size();
    if (end < text_.size() && text_[end] == first && text_.substr(pos + 1, value.size()) == value) {
      st.lines.push_back(SourceText::Line{0, mark.line + 1, mark.column + 2});
    }
    return st;
  }
  // A plain scalar on one line; an anchor or tag in front of it leaves the mark there
  // and simply does not match.
  if (text_.substr(pos, value.size()) == value) {
    st.lines.push_back(SourceText::Line{0, mark.line + 1, mark.column + 1});
  }
  return st;
}

std::optional<DynamicValue> Walker::dynamic_value(const At& at, std::string_view expected,
                                                  LiteralCheck check) {
  DynamicValue value;
  if (at.node.IsMap()) {
    bool has_expression = false;
    bool is_map = fields(at, kDynamicValueKeys, "", [&](std::string_view, const At& v) {
      has_expression = true;
      value.expression = expression(v);
    });
    if (!is_map) return std::nullopt;
    if (!has_expression) missing(at.pos, at.path, "expression", "");
    if (!value.expression) return std::nullopt;
    return value;
  }
  if (!at.node.IsScalar()) {
    wrong_type(at, expected);
    return std::nullopt;
  }
  value.literal = at.node.Scalar();
  if (!(this->*check)(at, value.literal)) return std::nullopt;
  return value;
}

void Walker::rule_id(const At& at, std::string& id, Pos& id_pos) {
  auto text = string(at);
  if (text && !is_label(*text)) {
    error(at, quote(*text) + " is not a valid rule id: use 1-64 characters of A-Z a-z 0-9 . _ -");
  } else if (text) {
    id = *text;
    id_pos = at.pos;
  }
}

void Walker::rule_description(const At& at, std::string& out) {
  auto text = string(at);
  if (text && text->size() > kMaxDescriptionBytes) {
    error(at, "the description is " + std::to_string(text->size()) + " bytes; the limit is " +
                  std::to_string(kMaxDescriptionBytes));
  } else if (text) {
    out = *text;
  }
}

}  // namespace rampart::config::detail
