#pragma once
// The few list-grammar helpers (RFC 9110 §5.6) the compress parsers need. Internal to
// compress/; cache/ has its own (compress/ may not depend on cache/).

#include <string_view>

#include "http/message.h"

namespace rampart::compress::detail {

constexpr bool is_ows(char c) {
  return c == ' ' || c == '\t';
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_token(std::string_view s);
std::string_view trim_ows(std::string_view s);

// The media type of a Content-Type value ("text/html" of "Text/HTML; charset=utf-8"),
// trimmed; case is kept.
std::string_view media_type(std::string_view content_type);

// True if `list` (a comma-separated field value) has an element equal to `name`
// case-insensitively.
bool list_contains(std::string_view list, std::string_view name);

// Calls f(element) for each non-empty, OWS-trimmed element of a comma-separated list.
// Commas inside quoted-strings do not split. f returns false to stop; the function then
// returns false too.
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

}  // namespace rampart::compress::detail
