#include "rules/error.h"

#include <algorithm>

namespace rampart::rules {

std::string caret_snippet(std::string_view text, size_t offset, size_t length) {
  if (offset > text.size()) offset = text.size();
  size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  line_start = (line_start == std::string_view::npos || offset == 0) ? 0 : line_start + 1;
  size_t line_end = text.find('\n', line_start);
  if (line_end == std::string_view::npos) line_end = text.size();
  std::string_view line = text.substr(line_start, line_end - line_start);
  // Very long expressions: show a window around the error.
  size_t col = offset - line_start;
  size_t from = col > 60 ? col - 60 : 0;
  std::string_view shown = line.substr(from, 120);
  std::string out = "    ";
  if (from > 0) out += "...";
  for (char c : shown) out.push_back(c == '\t' || c == '\r' ? ' ' : c);
  out += "\n    ";
  if (from > 0) out += "   ";
  out.append(col - from, ' ');
  out.push_back('^');
  size_t visible = length == 0 ? 0 : length - 1;
  size_t room = shown.size() > col - from + 1 ? shown.size() - (col - from) - 1 : 0;
  out.append(std::min(visible, room), '~');
  return out;
}

}  // namespace rampart::rules
