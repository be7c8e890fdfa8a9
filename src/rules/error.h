#pragma once
// A compile error inside an expression: what is wrong and which bytes of the
// expression text it is about, so a caller can print a caret under them.

#include <cstddef>
#include <string>
#include <string_view>

namespace rampart::rules {

struct CompileError {
  size_t offset = 0;  // into the expression text
  size_t length = 1;  // at least 1, so a caret always shows
  std::string message;
};

// The expression line holding `offset`, and under it a caret line marking
// [offset, offset + length): "    http.hots eq 1\n    ^~~~~~~~~".
std::string caret_snippet(std::string_view text, size_t offset, size_t length);

}  // namespace rampart::rules
