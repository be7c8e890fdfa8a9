#pragma once
// Small grammar helpers shared by the cache's field parsers (RFC 9110 §5.6). Internal to
// cache/: the public headers expose only parsed results.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/message.h"

namespace rampart::cache::detail {

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
std::string lower_copy(std::string_view s);

// delta-seconds (RFC 9111 §1.2.2): digits only; a value too large to represent becomes
// 2^31. nullopt for anything that is not 1*DIGIT.
constexpr int64_t kDeltaMax = int64_t{1} << 31;
std::optional<int64_t> parse_delta_seconds(std::string_view s);

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

// Calls f(value) for each line of `name` in order.
template <typename F>
void for_each_field(std::span<const http::Header> headers, std::string_view name, F&& f) {
  for (const http::Header& h : headers) {
    if (http::iequals(h.name, name)) f(h.value);
  }
}

const http::Header* find_field(std::span<const http::Header> headers, std::string_view name);

// Unquotes a quoted-string (RFC 9110 §5.6.4) including its quotes; nullopt if malformed.
std::optional<std::string> unquote(std::string_view quoted);

}  // namespace rampart::cache::detail
