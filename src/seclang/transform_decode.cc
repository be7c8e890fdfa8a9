// The decoders: urlDecode, urlDecodeUni, htmlEntityDecode, jsDecode, cssDecode,
// escapeSeqDecode, hexDecode, sqlHexDecode — byte for byte as ModSecurity v3 decodes,
// including how it treats malformed escapes (the differential test depends on it).
#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>

#include "seclang/transform_impl.h"

namespace rampart::seclang::transform_detail {
namespace {

bool is_fullwidth_prefix(unsigned char a, unsigned char b) {
  return (a == 'f' || a == 'F') && (b == 'f' || b == 'F');
}

// The byte strtol(digits, base) yields once cast to unsigned char: on overflow strtol
// saturates at LONG_MAX, whose low byte is 0xff.
unsigned char strtol_low_byte(std::string_view digits, int base) {
  uint64_t value = 0;
  for (unsigned char c : digits) {
    uint64_t digit = std::isdigit(c) ? c - '0' : (std::tolower(c) - 'a') + 10;
    if (value > (static_cast<uint64_t>(LONG_MAX) - digit) / static_cast<uint64_t>(base)) {
      return 0xff;
    }
    value = value * static_cast<uint64_t>(base) + digit;
  }
  return static_cast<unsigned char>(value);
}

// The octal digits after a backslash at `start`: at most three, and (for jsDecode)
// only two when three would not fit in a byte.
size_t octal_run(std::string_view in, size_t start, bool fit_byte) {
  size_t j = 0;
  while (start + j < in.size() && j < 3 && is_odigit(in[start + j])) ++j;
  if (fit_byte && j == 3 && in[start] > '3') j = 2;
  return j;
}

unsigned char js_escape_char(unsigned char c) {
  switch (c) {
    case 'a':
      return '\a';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'v':
      return '\v';
    default:
      return c;
  }
}

int named_entity(std::string_view name) {
  auto is = [&](std::string_view want) {
    if (name.size() != want.size()) return false;
    for (size_t x = 0; x < want.size(); ++x) {
      if (std::tolower(static_cast<unsigned char>(name[x])) != want[x]) return false;
    }
    return true;
  };
  // The only five names ModSecurity knows; any other stays as written.
  if (is("quot")) return '"';
  if (is("amp")) return '&';
  if (is("lt")) return '<';
  if (is("gt")) return '>';
  if (is("nbsp")) return 0xa0;
  return -1;
}

constexpr ByteSet kUrlSpecial = byte_set("%+");

}  // namespace

bool url_decode(std::string_view in, std::string& out) {
  const size_t n = in.size();
  size_t i = find_in_set(in, 0, kUrlSpecial);
  if (i == n) {
    out.assign(in);
    return false;
  }
  ShrinkWriter w(out, n);
  w.copy(in.substr(0, i));
  bool changed = false;
  while (i < n) {
    size_t next = find_in_set(in, i, kUrlSpecial);
    w.copy(in.substr(i, next - i));
    i = next;
    if (i == n) break;
    if (in[i] == '+') {
      w.put(' ');
      ++i;
      changed = true;
    } else if (i + 2 < n && is_hex(in[i + 1]) && is_hex(in[i + 2])) {
      w.put(x2c(in[i + 1], in[i + 2]));
      i += 3;
      changed = true;
    } else {
      w.put('%');
      ++i;
    }
  }
  w.finish();
  return changed;
}

bool url_decode_uni(std::string_view in, std::string& out) {
  const size_t n = in.size();
  size_t i = find_in_set(in, 0, kUrlSpecial);
  if (i == n) {
    out.assign(in);
    return false;
  }
  ShrinkWriter w(out, n);
  w.copy(in.substr(0, i));
  bool changed = false;
  while (i < n) {
    size_t next = find_in_set(in, i, kUrlSpecial);
    w.copy(in.substr(i, next - i));
    i = next;
    if (i == n) break;
    if (in[i] == '+') {
      w.put(' ');
      ++i;
      changed = true;
    } else if (i + 1 < n && (in[i + 1] == 'u' || in[i + 1] == 'U')) {
      // IIS %uXXXX: mapped to one byte, or left as is (both "%u" bytes) when malformed.
      if (i + 5 < n && is_hex(in[i + 2]) && is_hex(in[i + 3]) && is_hex(in[i + 4]) &&
          is_hex(in[i + 5])) {
        unsigned code = (unsigned{x2c(in[i + 2], in[i + 3])} << 8) | x2c(in[i + 4], in[i + 5]);
        w.put(unicode_best_fit(code));
        i += 6;
        changed = true;
      } else {
        w.copy(in.substr(i, 2));
        i += 2;
      }
    } else if (i + 2 < n && is_hex(in[i + 1]) && is_hex(in[i + 2])) {
      w.put(x2c(in[i + 1], in[i + 2]));
      i += 3;
      changed = true;
    } else {
      w.put('%');
      ++i;
    }
  }
  w.finish();
  return changed;
}

bool html_entity_decode(std::string_view in, std::string& out) {
  const size_t n = in.size();
  size_t i = find_byte(in, 0, '&');
  if (i == n) {
    out.assign(in);
    return false;
  }
  ShrinkWriter w(out, n);
  w.copy(in.substr(0, i));
  bool changed = false;
  // After a decoded entity its terminating ';' is optional and swallowed when present.
  auto finish = [&](unsigned char decoded, size_t j) {
    w.put(decoded);
    i = (j < n && in[j] == ';') ? j + 1 : j;
    changed = true;
  };
  while (i < n) {
    size_t next = find_byte(in, i, '&');
    w.copy(in.substr(i, next - i));
    i = next;
    if (i == n) break;
    if (i + 1 >= n) {
      w.put('&');
      break;
    }
    size_t j = i + 1;
    size_t copy = 1;  // bytes copied verbatim when nothing decodes
    if (in[j] == '#') {
      copy = 2;
      if (j + 1 < n) {
        ++j;
        bool hex = in[j] == 'x' || in[j] == 'X';
        if (hex) {
          copy = 3;
          ++j;
        }
        if (j < n) {
          size_t k = j;
          while (j < n && (hex ? std::isxdigit(static_cast<unsigned char>(in[j]))
                               : std::isdigit(static_cast<unsigned char>(in[j])))) {
            ++j;
          }
          if (j > k) {
            finish(strtol_low_byte(in.substr(k, j - k), hex ? 16 : 10), j);
            continue;
          }
        }
      }
    } else {
      size_t k = j;
      while (j < n && std::isalnum(static_cast<unsigned char>(in[j]))) ++j;
      if (j > k) {
        int decoded = named_entity(in.substr(k, j - k));
        if (decoded >= 0) {
          finish(static_cast<unsigned char>(decoded), j);
          continue;
        }
        copy = j - k + 1;
      }
    }
    w.copy(in.substr(i, copy));
    i += copy;
  }
  w.finish();
  return changed;
}

bool js_decode(std::string_view in, std::string& out) {
  const size_t n = in.size();
  size_t i = find_byte(in, 0, '\\');
  if (i == n) {
    out.assign(in);
    return false;
  }
  ShrinkWriter w(out, n);
  w.copy(in.substr(0, i));
  bool changed = false;
  while (i < n) {
    size_t next = find_byte(in, i, '\\');
    w.copy(in.substr(i, next - i));
    i = next;
    if (i == n) break;
    if (i + 5 < n && in[i + 1] == 'u' && is_hex(in[i + 2]) && is_hex(in[i + 3]) &&
        is_hex(in[i + 4]) && is_hex(in[i + 5])) {
      // \uHHHH keeps the low byte; full-width ASCII (U+FF01..U+FF5E) folds to ASCII.
      unsigned char b = x2c(in[i + 4], in[i + 5]);
      if (b > 0x00 && b < 0x5f && is_fullwidth_prefix(in[i + 2], in[i + 3])) b += 0x20;
      w.put(b);
      i += 6;
    } else if (i + 3 < n && in[i + 1] == 'x' && is_hex(in[i + 2]) && is_hex(in[i + 3])) {
      w.put(x2c(in[i + 2], in[i + 3]));
      i += 4;
    } else if (i + 1 < n && is_odigit(in[i + 1])) {
      size_t j = octal_run(in, i + 1, true);
      w.put(strtol_low_byte(in.substr(i + 1, j), 8));
      i += 1 + j;
    } else if (i + 1 < n) {
      w.put(js_escape_char(in[i + 1]));
      i += 2;
    } else {
      w.put('\\');  // a lone trailing backslash stays
      break;
    }
    changed = true;
  }
  w.finish();
  return changed;
}

bool css_decode(std::string_view in, std::string& out) {
  const size_t n = in.size();
  if (find_byte(in, 0, '\\') == n && find_byte(in, 0, '\0') == n) {
    out.assign(in);
    return false;
  }
  ShrinkWriter w(out, n);
  size_t i = 0;
  while (i < n) {
    size_t next = find_byte(in, i, '\\');
    w.copy(in.substr(i, next - i));
    i = next;
    if (i >= n) break;
    ++i;  // the backslash never survives
    if (i >= n) break;
    size_t j = 0;
    while (j < 6 && i + j < n && is_hex(in[i + j])) ++j;
    if (j == 0) {
      // An escaped newline is a line continuation; any other byte stands for itself.
      if (in[i] != '\n') w.put(in[i]);
      ++i;
      continue;
    }
    // Only the last two hex digits make the byte; a 4-digit escape (or a longer one
    // padded with zeros) in the full-width ASCII block folds to ASCII.
    unsigned char b = j == 1 ? x1c(in[i]) : x2c(in[i + j - 2], in[i + j - 1]);
    bool fullcheck =
        j == 4 || (j == 5 && in[i] == '0') || (j == 6 && in[i] == '0' && in[i + 1] == '0');
    if (fullcheck && b > 0x00 && b < 0x5f && is_fullwidth_prefix(in[i + j - 4], in[i + j - 3])) {
      b += 0x20;
    }
    w.put(b);
    // One whitespace after a hex escape terminates it and is dropped.
    if (i + j < n && std::isspace(static_cast<unsigned char>(in[i + j]))) ++j;
    i += j;
  }
  w.finish();
  // ModSecurity's result ends at the first NUL, whether decoded or in the input.
  if (size_t nul = out.find('\0'); nul != std::string::npos) out.resize(nul);
  return differs(in, out);
}

bool escape_seq_decode(std::string_view in, std::string& out) {
  const size_t n = in.size();
  size_t i = find_byte(in, 0, '\\');
  if (i + 1 >= n) {  // no backslash, or only a trailing one (kept)
    out.assign(in);
    return false;
  }
  ShrinkWriter w(out, n);
  w.copy(in.substr(0, i));
  while (i < n) {
    size_t next = find_byte(in, i, '\\');
    w.copy(in.substr(i, next - i));
    i = next;
    if (i == n) break;
    if (i + 1 >= n) {
      w.put('\\');
      break;
    }
    unsigned char next_byte = in[i + 1];
    int c = -1;
    switch (next_byte) {
      case 'a':
        c = '\a';
        break;
      case 'b':
        c = '\b';
        break;
      case 'f':
        c = '\f';
        break;
      case 'n':
        c = '\n';
        break;
      case 'r':
        c = '\r';
        break;
      case 't':
        c = '\t';
        break;
      case 'v':
        c = '\v';
        break;
      case '\\':
        c = '\\';
        break;
      case '?':
        c = '?';
        break;
      case '\'':
        c = '\'';
        break;
      case '"':
        c = '"';
        break;
      default:
        break;
    }
    if (c != -1) {
      i += 2;
    } else if (next_byte == 'x' || next_byte == 'X') {
      if (i + 3 < n && is_hex(in[i + 2]) && is_hex(in[i + 3])) {
        c = x2c(in[i + 2], in[i + 3]);
        i += 4;
      }
    } else if (is_odigit(next_byte)) {
      size_t j = octal_run(in, i + 1, false);
      c = strtol_low_byte(in.substr(i + 1, j), 8);
      i += 1 + j;
    }
    if (c == -1) {
      // Unknown escape: the backslash goes, the byte after it stays.
      w.put(next_byte);
      i += 2;
    } else {
      w.put(static_cast<unsigned char>(c));
    }
  }
  w.finish();
  return true;
}

bool hex_decode(std::string_view in, std::string& out) {
  // Pairs of bytes, unvalidated; an odd last byte is dropped.
  out.resize(in.size() / 2);
  for (size_t k = 0; k < out.size(); ++k) {
    out[k] = static_cast<char>(x2c(in[2 * k], in[2 * k + 1]));
  }
  return !in.empty();
}

bool sql_hex_decode(std::string_view in, std::string& out) {
  // ModSecurity's loop never looks at the last byte on its own (it is dropped unless a
  // 0x run swallows it), stops at a NUL, and its result ends at the first NUL written —
  // including a NUL one of the 0x pairs decodes to, or the terminator the byte after a
  // run that reaches the end copies.
  const size_t n = in.size();
  auto at = [&](size_t k) -> unsigned char { return k < n ? in[k] : 0; };
  ShrinkWriter w(out, n);
  // Plain bytes are copied in runs: the loop only looks at bytes before the last one and
  // before the first NUL.
  const size_t stop = std::min(n == 0 ? 0 : n - 1, find_byte(in, 0, '\0'));
  size_t p = 0;
  while (p < stop) {
    size_t zero = std::min(find_byte(in, p, '0'), stop);
    w.copy(in.substr(p, zero - p));
    p = zero;
    if (p == stop) break;
    if ((at(p + 1) | 0x20) == 'x' && is_hex(at(p + 2)) && is_hex(at(p + 3))) {
      p += 2;
      while (is_hex(at(p)) && is_hex(at(p + 1))) {
        unsigned char b = x2c(at(p), at(p + 1));
        if (b == 0) {
          w.finish();
          return differs(in, out);
        }
        w.put(b);
        p += 2;
      }
    }
    // The byte after a run is copied unexamined, even the last one; a NUL ends the value.
    if (at(p) == 0) break;
    w.put(at(p));
    ++p;
  }
  w.finish();
  return differs(in, out);
}

}  // namespace rampart::seclang::transform_detail
