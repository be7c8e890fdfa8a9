// Byte-wise transformations: case, whitespace, NULs, trimming and 7-bit parity. Whitespace
// is the C locale's isspace set; removeWhitespace also drops the NBSP bytes 0xa0 and 0xc2
// as ModSecurity v3 does.
#include <array>
#include <bit>
#include <cctype>

#include "seclang/transform_impl.h"

namespace rampart::seclang::transform_detail {
namespace {

bool is_space(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

// Writes f(byte) for every byte of `in`; returns whether any byte changed. Branch-free
// per byte so the compiler can vectorise the loop.
template <typename F>
bool map_bytes(std::string_view in, std::string& out, F f) {
  out.resize(in.size());
  auto* d = reinterpret_cast<unsigned char*>(out.data());
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  unsigned char diff = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    d[i] = f(s[i]);
    diff |= static_cast<unsigned char>(d[i] ^ s[i]);
  }
  return diff != 0;
}

template <typename Drop>
bool drop_bytes(std::string_view in, std::string& out, Drop drop) {
  ShrinkWriter w(out, in.size());
  for (char c : in) {
    if (!drop(static_cast<unsigned char>(c))) w.put(static_cast<unsigned char>(c));
  }
  w.finish();
  return out.size() != in.size();
}

}  // namespace

bool lowercase(std::string_view in, std::string& out) {
  return map_bytes(in, out, [](unsigned char c) -> unsigned char {
    return c | (static_cast<unsigned char>(c - 'A') < 26 ? 0x20 : 0);
  });
}

bool uppercase(std::string_view in, std::string& out) {
  return map_bytes(in, out, [](unsigned char c) -> unsigned char {
    return c & (static_cast<unsigned char>(c - 'a') < 26 ? 0xdf : 0xff);
  });
}

bool compress_whitespace(std::string_view in, std::string& out) {
  ShrinkWriter w(out, in.size());
  bool in_space = false;
  bool changed = false;
  for (char c : in) {
    if (is_space(static_cast<unsigned char>(c))) {
      changed |= in_space || c != ' ';
      if (!in_space) w.put(' ');
      in_space = true;
    } else {
      w.put(static_cast<unsigned char>(c));
      in_space = false;
    }
  }
  w.finish();
  return changed;
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
// Tables, as a per-byte popcount does not vectorise.
template <bool kOdd>
constexpr std::array<unsigned char, 256> kParityTable = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    bool odd_bits = (std::popcount(static_cast<unsigned>(c)) & 1) != 0;
    bool set_high = kOdd ? !odd_bits : odd_bits;
    t[c] = static_cast<unsigned char>(set_high ? (c | 0x80) : (c & 0x7f));
  }
  return t;
}();

bool parity_even(std::string_view in, std::string& out) {
  return map_bytes(in, out, [](unsigned char c) { return kParityTable<false>[c]; });
}

bool parity_odd(std::string_view in, std::string& out) {
  return map_bytes(in, out, [](unsigned char c) { return kParityTable<true>[c]; });
}

bool parity_zero(std::string_view in, std::string& out) {
  return map_bytes(in, out, [](unsigned char c) -> unsigned char { return c & 0x7f; });
}

}  // namespace rampart::seclang::transform_detail
