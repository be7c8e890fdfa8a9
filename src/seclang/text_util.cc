#include "seclang/text_util.h"

#include <limits>

namespace rampart::seclang {

int64_t to_integer(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
  int64_t value = 0;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 10 - 10;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (value < kMax) value = value * 10 + (s[i] - '0');
  }
  return negative ? -value : value;
}

}  // namespace rampart::seclang
