// cmdLine, normalisePath(Win) and the comment transformations, with ModSecurity v3's
// rules (its path normaliser's treatment of "..", "." and repeated slashes in relative
// and absolute paths; its removeComments truncating at "--" and "#").
#include <cctype>

#include "seclang/transform_impl.h"

namespace rampart::seclang::transform_detail {

bool cmd_line(std::string_view in, std::string& out) {
  ShrinkWriter w(out, in.size());
  bool space = false;  // the last byte written is a collapsed separator
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
      case '\'':
      case '\\':
      case '^':
        break;  // dropped without ending a run of separators
      case ' ':
      case ',':
      case ';':
      case '\t':
      case '\r':
      case '\n':
        if (!space) {
          w.put(' ');
          space = true;
        }
        break;
      case '/':
      case '(':
        if (space) w.unput();
        space = false;
        w.put(c);
        break;
      default:
        w.put(c | (static_cast<unsigned char>(c - 'A') < 26 ? 0x20 : 0));
        space = false;
        break;
    }
  }
  w.finish();
  return differs(in, out);
}

constexpr ByteSet kPathBytes = byte_set("/.");
constexpr ByteSet kPathBytesWin = byte_set("/.\\");

bool normalise_path(std::string_view in, std::string& out, bool windows) {
  out.assign(in);
  if (in.empty()) return false;
  // Without a separator or a dot every byte is copied to where it was (most argument
  // values: the CRS normalises every one of them on several chains).
  if (find_in_set(in, 0, windows ? kPathBytesWin : kPathBytes) == in.size()) return false;
  // Rewritten in place: `dst` never passes `src`, as in ModSecurity's normaliser.
  char* b = out.data();
  const size_t end = in.size() - 1;
  auto is_sep = [&](char c) { return c == '/' || (windows && c == '\\'); };
  const bool relative = !is_sep(b[0]);
  const bool trailing = is_sep(b[end]);
  size_t src = 0;
  size_t dst = 0;
  bool hitroot = false;
  bool done = false;
  while (!done && src <= end && dst <= end) {
    if (windows) {
      if (b[src] == '\\') b[src] = '/';
      if (src < end && b[src + 1] == '\\') b[src + 1] = '/';
    }
    bool segment_end = true;
    if (src == end) {
      done = true;
    } else if (b[src + 1] != '/') {
      segment_end = false;
    }
    bool skip_copy = false;
    if (segment_end && !(src != end && b[src] == '/')) {
      if (b[src] == '.') {
        if (dst > 0 && b[dst - 1] == '.') {
          // A back-reference: drop it and the segment before it, unless a relative path
          // has nothing left to go back over (then it stays as written).
          if (relative && (hitroot || dst <= 2)) {
            hitroot = true;
          } else {
            ptrdiff_t back = static_cast<ptrdiff_t>(dst) - 3;
            while (back > 0 && b[back] != '/') --back;
            if (back <= 0) {
              hitroot = true;
              back = 0;
              if (!relative && src == end) back = 1;  // keep the root slash
            }
            dst = static_cast<size_t>(back);
            if (done) {
              skip_copy = true;
            } else {
              ++src;
            }
          }
        } else if (dst == 0) {
          if (done) {
            skip_copy = true;
          } else {
            ++src;
          }
        } else if (b[dst - 1] == '/') {
          if (done) {
            skip_copy = true;
          } else {
            --dst;
            ++src;
          }
        }
      } else if (dst > 0) {
        hitroot = false;
      }
    }
    if (skip_copy) continue;
    if (b[src] == '/') {
      while (src < end && is_sep(b[src + 1])) ++src;
      if (relative && dst == 0) {
        ++src;
        continue;
      }
    }
    b[dst++] = b[src++];
  }
  if (!trailing && dst > 0 && b[dst - 1] == '/') --dst;
  out.resize(dst);
  return differs(in, out);
}

constexpr ByteSet kRemoveCommentsStart = byte_set("/<-#");

bool remove_comments(std::string_view in, std::string& out) {
  if (find_in_set(in, 0, kRemoveCommentsStart) == in.size()) {
    out.assign(in);
    return false;
  }
  // ModSecurity copies the byte right after a comment's end marker unexamined — the
  // string's terminating NUL when the marker ends the value — and cuts the value at an
  // SQL "--" or a "#" outside comments.
  const size_t n = in.size();
  auto at = [&](size_t k) -> char { return k < n ? in[k] : '\0'; };
  ShrinkWriter w(out, n);
  bool in_comment = false;
  size_t i = 0;
  while (i < n) {
    if (!in_comment) {
      if (in[i] == '/' && at(i + 1) == '*' && i + 1 < n) {
        in_comment = true;
        i += 2;
      } else if (in[i] == '<' && i + 3 < n && in[i + 1] == '!' && in[i + 2] == '-' &&
                 in[i + 3] == '-') {
        in_comment = true;
        i += 4;
      } else if ((in[i] == '-' && i + 1 < n && in[i + 1] == '-') || in[i] == '#') {
        break;
      } else {
        w.put(static_cast<unsigned char>(in[i++]));
      }
    } else if (in[i] == '*' && i + 1 < n && in[i + 1] == '/') {
      in_comment = false;
      i += 2;
      w.put(static_cast<unsigned char>(at(i++)));
    } else if (in[i] == '-' && i + 2 < n && in[i + 1] == '-' && in[i + 2] == '>') {
      in_comment = false;
      i += 3;
      w.put(static_cast<unsigned char>(at(i++)));
    } else {
      ++i;
    }
  }
  if (in_comment) w.put(static_cast<unsigned char>(' '));
  w.finish();
  return differs(in, out);
}

constexpr ByteSet kCommentMarkerStart = byte_set("/*<-#");

bool remove_comments_char(std::string_view in, std::string& out) {
  // Deletes the markers /* */ <!-- --> -- # themselves; after a deletion the scan goes on
  // at the byte that followed the marker, so this is one left-to-right pass.
  const size_t n = in.size();
  size_t i = find_in_set(in, 0, kCommentMarkerStart);
  if (i == n) {
    out.assign(in);
    return false;
  }
  ShrinkWriter w(out, n);
  w.copy(in.substr(0, i));
  while (i < n) {
    size_t next = find_in_set(in, i, kCommentMarkerStart);
    w.copy(in.substr(i, next - i));
    i = next;
    if (i == n) break;
    std::string_view rest = in.substr(i);
    if (rest.starts_with("/*") || rest.starts_with("*/")) {
      i += 2;
    } else if (rest.starts_with("<!--")) {
      i += 4;
    } else if (rest.starts_with("-->")) {
      i += 3;
    } else if (rest.starts_with("--")) {
      i += 2;
    } else if (in[i] == '#') {
      i += 1;
    } else {
      w.put(static_cast<unsigned char>(in[i++]));
    }
  }
  w.finish();
  return out.size() != n;
}

bool replace_comments(std::string_view in, std::string& out) {
  // Each /* ... */ becomes one space; an unterminated one runs to the end.
  const size_t n = in.size();
  if (find_byte(in, 0, '/') == n) {
    out.assign(in);
    return false;
  }
  ShrinkWriter w(out, n);
  bool in_comment = false;
  for (size_t i = 0; i < n;) {
    if (!in_comment) {
      if (in[i] == '/' && i + 1 < n && in[i + 1] == '*') {
        in_comment = true;
        i += 2;
      } else {
        w.put(static_cast<unsigned char>(in[i++]));
      }
    } else if (in[i] == '*' && i + 1 < n && in[i + 1] == '/') {
      in_comment = false;
      i += 2;
      w.put(static_cast<unsigned char>(' '));
    } else {
      ++i;
    }
  }
  if (in_comment) w.put(static_cast<unsigned char>(' '));
  w.finish();
  return differs(in, out);
}

}  // namespace rampart::seclang::transform_detail
