// Byte-wise transformations: case, whitespace, NULs, trimming and 7-bit parity. Whitespace
// is the C locale's isspace set; removeWhitespace also drops the NBSP bytes 0xa0 and 0xc2
// as ModSecurity v3 does.
#include <bit>
#include <cctype>

#include "seclang/transform_impl.h"

namespace rampart::seclang::transform_detail {
namespace {

bool is_space(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

// Copies `in` mapping each byte through f; returns whether any byte changed. The
// unchanged prefix is copied in one go, so clean values cost one scan and one memcpy.
template <typename F>
bool map_bytes(std::string_view in, std::string& out, F f) {
  size_t i = 0;
  while (i < in.size() &&
         f(static_cast<unsigned char>(in[i])) == static_cast<unsigned char>(in[i])) {
    ++i;
  }
  out.assign(in);
  if (i == in.size()) return false;
  for (; i < in.size(); ++i) out[i] = static_cast<char>(f(static_cast<unsigned char>(in[i])));
  return true;
}

template <typename Drop>
bool drop_bytes(std::string_view in, std::string& out, Drop drop) {
  out.reserve(in.size());
  for (char c : in) {
    if (!drop(static_cast<unsigned char>(c))) out.push_back(c);
  }
  return out.size() != in.size();
}

}  // namespace

bool lowercase(std::string_view in, std::string& out) {
  return map_bytes(in, out, [](unsigned char c) -> unsigned char {
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  });
}

bool uppercase(std::string_view in, std::string& out) {
  return map_bytes(in, out, [](unsigned char c) -> unsigned char {
    return (c >= 'a' && c <= 'z') ? c - 32 : c;
  });
}

bool compress_whitespace(std::string_view in, std::string& out) {
  out.reserve(in.size());
  bool in_space = false;
  for (char c : in) {
    if (is_space(static_cast<unsigned char>(c))) {
      if (!in_space) out.push_back(' ');
      in_space = true;
    } else {
      out.push_back(c);
      in_space = false;
    }
  }
  return differs(in, out);
}

bool remove_whitespace(std::string_view in, std::string& out) {
  return drop_bytes(in, out, [](unsigned char c) { return is_space(c) || c == 0xa0 || c == 0xc2; });
}

bool remove_nulls(std::string_view in, std::string& out) {
  size_t i = find_byte(in, 0, '\0');
  if (i == in.size()) {
    out.assign(in);
    return false;
  }
  ShrinkWriter w(out, in.size());
  for (i = 0; i < in.size();) {
    size_t nul = find_byte(in, i, '\0');
    w.copy(in.substr(i, nul - i));
    i = nul + 1;
  }
  w.finish();
  return true;
}

bool replace_nulls(std::string_view in, std::string& out) {
  return map_bytes(in, out, [](unsigned char c) -> unsigned char { return c == 0 ? ' ' : c; });
}

bool trim(std::string_view in, std::string& out, bool left, bool right) {
  size_t begin = 0;
  size_t end = in.size();
  if (left) {
    while (begin < end && is_space(static_cast<unsigned char>(in[begin]))) ++begin;
  }
  if (right) {
    while (end > begin && is_space(static_cast<unsigned char>(in[end - 1]))) --end;
  }
  out.assign(in.substr(begin, end - begin));
  return out.size() != in.size();
}

// ModSecurity counts the bits of the whole byte, its bit 7 included, before setting bit 7.
bool parity_even(std::string_view in, std::string& out) {
  return map_bytes(in, out, [](unsigned char c) -> unsigned char {
    return (std::popcount(c) & 1) ? (c | 0x80) : (c & 0x7f);
  });
}

bool parity_odd(std::string_view in, std::string& out) {
  return map_bytes(in, out, [](unsigned char c) -> unsigned char {
    return (std::popcount(c) & 1) ? (c & 0x7f) : (c | 0x80);
  });
}

bool parity_zero(std::string_view in, std::string& out) {
  return map_bytes(in, out, [](unsigned char c) -> unsigned char { return c & 0x7f; });
}

}  // namespace rampart::seclang::transform_detail
