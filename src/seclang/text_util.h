#pragma once
// Small ASCII helpers shared by the engine's files (SecLang names and keys are ASCII and
// compared case-insensitively).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rampart::seclang {

inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

inline std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// ModSecurity's integer reading of a string (atoi-like: optional sign, leading digits,
// anything else stops; no digits → 0), clamped to int64.
int64_t to_integer(std::string_view s);

}  // namespace rampart::seclang
