#pragma once
// The field-value grammar of RFC 9110 §5.6 that every header parser shares: OWS,
// tokens and comma-separated lists (quoted-strings do not split them).

#include <string_view>

namespace rampart::http {

constexpr bool is_ows(char c) {
  return c == ' ' || c == '\t';
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// tchar from RFC 9110 §5.6.2.
constexpr bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s);
std::string_view trim_ows(std::string_view s);

// Calls f(element) for each non-empty element of a comma-separated list (RFC 9110
// §5.6.1), trimmed of OWS. Commas inside quoted-strings do not split. f returns false
// to stop early; the function then returns false too.
template <typename F>
bool for_each_list_element(std::string_view v, F&& f) {
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i <= v.size(); ++i) {
    if (i < v.size()) {
      const char c = v[i];
      if (quoted) {
        if (c == '\\' && i + 1 < v.size()) {
          ++i;
        } else if (c == '"') {
          quoted = false;
        }
        continue;
      }
      if (c == '"') {
        quoted = true;
        continue;
      }
      if (c != ',') continue;
    }
    const std::string_view element = trim_ows(v.substr(start, i - start));
    start = i + 1;
    if (!element.empty() && !f(element)) return false;
  }
  return true;
}

}  // namespace rampart::http
