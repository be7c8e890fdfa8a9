#include "seclang/lexer.h"

#include <cstddef>

namespace rampart::seclang {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

// Splits one logical line (continuations already joined) into words; false with
// `error` set when a quote is left open or a closing quote is glued to more text.
bool split_words(std::string_view s, std::vector<LexWord>& words, std::string& error) {
  size_t i = 0;
  const size_t n = s.size();
  while (true) {
    while (i < n && is_blank(s[i])) ++i;
    if (i == n) return true;
    LexWord word;
    if (s[i] == '"' || s[i] == '\'') {
      const char quote = s[i];
      const size_t start = ++i;
      bool closed = false;
      while (i < n) {
        const char c = s[i];
        if (c == '\\' && i + 1 < n && s[i + 1] == quote && (i == start || s[i - 1] != '\\')) {
          word.text += s.substr(i, 2);
          i += 2;
          continue;
        }
        if (c == quote) {
          closed = true;
          ++i;
          break;
        }
        word.text += c;
        ++i;
      }
      if (!closed) {
        error = std::string("missing closing ") + (quote == '"' ? "double" : "single") + " quote";
        return false;
      }
      if (i < n && !is_blank(s[i])) {
        error = "text right after a closing quote (a blank must separate words)";
        return false;
      }
      word.quoted = true;
    } else {
      while (i < n && !is_blank(s[i])) {
        if (s[i] == '\'') {
          const size_t close = s.find('\'', i + 1);
          if (close == std::string_view::npos) {
            error = "missing closing single quote";
            return false;
          }
          word.text.append(s.substr(i, close + 1 - i));
          i = close + 1;
          continue;
        }
        word.text += s[i++];
      }
    }
    words.push_back(std::move(word));
  }
}

}  // namespace

LexResult lex(std::string_view text) {
  LexResult result;
  size_t pos = 0;
  int line = 1;
  while (pos < text.size()) {
    const int start_line = line;
    std::string logical;
    while (true) {
      const size_t eol = text.find('\n', pos);
      std::string_view segment =
          text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
      pos = eol == std::string_view::npos ? text.size() : eol + 1;
      if (eol != std::string_view::npos) ++line;
      const size_t lead = segment.find_first_not_of(" \t\r\f\v");
      if (lead != std::string_view::npos && segment[lead] == '#' &&
          logical.find_first_not_of(" \t\r\f\v") == std::string::npos) {
        // A comment ends with its line even after a backslash, as in ModSecurity v3.
        logical.clear();
        break;
      }
      size_t end = segment.size();
      while (end > 0 && is_blank(segment[end - 1])) --end;
      if (end > 0 && segment[end - 1] == '\\') {
        logical.append(segment.substr(0, end - 1));
        if (pos < text.size()) continue;
        break;
      }
      logical.append(segment);
      break;
    }
    size_t first = 0;
    while (first < logical.size() && is_blank(logical[first])) ++first;
    if (first == logical.size() || logical[first] == '#') continue;
    LexDirective directive;
    directive.line = start_line;
    std::string error;
    if (!split_words(std::string_view(logical).substr(first), directive.words, error)) {
      result.errors.push_back({start_line, std::move(error)});
      continue;
    }
    result.directives.push_back(std::move(directive));
  }
  return result;
}

}  // namespace rampart::seclang
