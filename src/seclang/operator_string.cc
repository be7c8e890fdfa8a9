// String comparisons (@beginsWith, @endsWith, @contains, @containsWord, @streq,
// @strmatch, @within) and phrase lists (@pm, @pmFromFile / @pmf), with ModSecurity v3's
// edge cases: @within and @containsWord match an empty argument, @within an empty input.

#include <memory>
#include <utility>

#include "seclang/operator_internal.h"
#include "seclang/phrase_matcher.h"

namespace rampart::seclang::detail {
namespace {

using Compare = bool (*)(std::string_view input, std::string_view argument);

bool begins_with(std::string_view input, std::string_view arg) {
  return input.starts_with(arg);
}
bool ends_with(std::string_view input, std::string_view arg) {
  return input.ends_with(arg);
}
bool contains(std::string_view input, std::string_view arg) {
  return input.find(arg) != std::string_view::npos;
}
bool str_eq(std::string_view input, std::string_view arg) {
  return input == arg;
}
// The argument is the list, e.g. `@within |GET|HEAD|`; the input any substring of it.
bool within(std::string_view input, std::string_view arg) {
  return input.empty() || arg.find(input) != std::string_view::npos;
}

// ModSecurity counts only ASCII letters as word characters here: digits, '_' and bytes
// >= 0x80 are boundaries.
bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool contains_word(std::string_view input, std::string_view word) {
  if (word.empty()) return true;
  for (size_t pos = input.find(word); pos != std::string_view::npos;
       pos = input.find(word, pos + 1)) {
    bool left = pos == 0 || !is_letter(input[pos - 1]);
    size_t end = pos + word.size();
    bool right = end == input.size() || !is_letter(input[end]);
    if (left && right) return true;
  }
  return false;
}

class CompareOperator final : public Operator {
 public:
  CompareOperator(Compare compare, std::string argument, bool dynamic)
      : compare_(compare), argument_(std::move(argument)), dynamic_(dynamic) {}
  MatchResult match(std::string_view input, std::string_view argument, Captures*) const override {
    return compare_(input, dynamic_ ? argument : std::string_view(argument_))
               ? MatchResult::kMatch
               : MatchResult::kNoMatch;
  }

 private:
  Compare compare_;
  std::string argument_;
  bool dynamic_;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The content syntax @pm shares with Snort-style rules: an optional pair of enclosing
// double quotes, `|48 54|` hex bytes, and `\:` `\;` `\\` `\"` escapes. Returns false
// for an escape outside that set; ModSecurity then uses the argument as written.
bool decode_pm_content(std::string_view arg, std::string& out) {
  while (!arg.empty() && (arg.front() == ' ' || arg.front() == '\t')) arg.remove_prefix(1);
  if (arg.size() >= 2 && arg.front() == '"' && arg.back() == '"')
    arg = arg.substr(1, arg.size() - 2);
  if (arg.empty()) return false;
  bool bin = false, esc = false;
  int pending = -1;  // first hex digit of a byte in progress
  for (char c : arg) {
    if (c == '|' && !esc) {
      bin = !bin;
      pending = -1;
    } else if (bin) {
      int h = hex_digit(c);
      if (h < 0) continue;  // spaces separate hex bytes
      if (pending < 0) {
        pending = h;
      } else {
        out += static_cast<char>(pending * 16 + h);
        pending = -1;
      }
    } else if (esc) {
      if (c != ':' && c != ';' && c != '\\' && c != '"') return false;
      out += c;
      esc = false;
    } else if (c == '\\') {
      esc = true;
    } else {
      out += c;
    }
  }
  return true;
}

std::vector<std::string> split_phrases(std::string_view text) {
  std::vector<std::string> phrases;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) phrases.emplace_back(text.substr(start, i - start));
  }
  return phrases;
}

std::vector<std::string> pm_phrases(std::string_view argument) {
  std::string decoded;
  if (!decode_pm_content(argument, decoded)) return split_phrases(argument);
  return split_phrases(decoded);
}

class PhraseOperator final : public Operator {
 public:
  explicit PhraseOperator(PhraseMatcher matcher) : matcher_(std::move(matcher)) {}
  MatchResult match(std::string_view input, std::string_view, Captures* captures) const override {
    auto found = matcher_.find(input);
    if (!found) return MatchResult::kNoMatch;
    if (captures != nullptr) {
      captures->groups[0] = matcher_.phrase(*found);
      captures->count = 1;
    }
    return MatchResult::kMatch;
  }

 private:
  PhraseMatcher matcher_;
};

// @pm with a macro argument: the phrase list changes per request, so it is searched
// directly instead of through an automaton.
class DynamicPhraseOperator final : public Operator {
 public:
  MatchResult match(std::string_view input, std::string_view argument,
                    Captures* captures) const override {
    PhraseMatcher matcher;
    for (const std::string& phrase : pm_phrases(argument)) matcher.add(phrase);
    matcher.build();
    return PhraseOperator(std::move(matcher)).match(input, argument, captures);
  }
};

// ModSecurity skips a line as a comment when it is empty or its first non-blank
// character is '#'. Blank lines are skipped too (ModSecurity would add "  " as a
// phrase, which can only be a mistake in a data file).
bool is_comment_or_blank(std::string_view line) {
  for (char c : line) {
    if (c == '#') return true;
    if (!is_space(c)) return false;
  }
  return true;
}

std::unique_ptr<Operator> make_pm_from_file(const std::string& argument,
                                            const OperatorLoadContext& context,
                                            std::string& error) {
  std::vector<std::string> paths = split_phrases(argument);
  if (paths.empty()) {
    error = "@pmFromFile needs a file name";
    return nullptr;
  }
  PhraseMatcher matcher;
  // ModSecurity v2 accepts several files separated by spaces; v3 reads one. Both work.
  for (const std::string& name : paths) {
    if (name.starts_with("https://") || name.starts_with("http://")) {
      error = "@pmFromFile: remote data files are not supported: " + name;
      return nullptr;
    }
    std::string path = resolve_data_path(name, context);
    auto content = read_data_file(path, context.max_data_file_bytes, error);
    if (!content) return nullptr;
    std::string_view rest = *content;
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!is_comment_or_blank(line)) matcher.add(line);
    }
  }
  matcher.build();
  return std::make_unique<PhraseOperator>(std::move(matcher));
}

}  // namespace

std::unique_ptr<Operator> make_string_operator(std::string_view name, const std::string& argument,
                                               bool dynamic, const OperatorLoadContext& context,
                                               std::string& error) {
  struct Entry {
    std::string_view name;
    Compare compare;
  };
  static constexpr Entry kCompares[] = {
      {"beginsWith", begins_with}, {"endsWith", ends_with},
      {"contains", contains},      {"containsWord", contains_word},
      {"streq", str_eq},           {"strmatch", contains},
      {"within", within},
  };
  for (const Entry& e : kCompares) {
    if (iequals(name, e.name))
      return std::make_unique<CompareOperator>(e.compare, argument, dynamic);
  }
  if (iequals(name, "pm")) {
    if (dynamic) return std::make_unique<DynamicPhraseOperator>();
    PhraseMatcher matcher;
    for (const std::string& phrase : pm_phrases(argument)) matcher.add(phrase);
    matcher.build();
    return std::make_unique<PhraseOperator>(std::move(matcher));
  }
  if (iequals(name, "pmFromFile") || iequals(name, "pmf")) {
    if (dynamic) {
      error = file_name_macro_error(name);
      return nullptr;
    }
    return make_pm_from_file(argument, context, error);
  }
  return nullptr;
}

}  // namespace rampart::seclang::detail
