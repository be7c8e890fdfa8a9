#pragma once
// Internal to the transformations (transform*.cc): one function per transformation,
// grouped by family, and the byte helpers they share. Each function writes t(in) into
// `out` (already cleared) and returns whether the result differs from `in`.
//
// ModSecurity's hex helpers do arithmetic on any byte, not only hex digits (hexDecode
// never validates its input), so x2c/x1c below reproduce that arithmetic exactly.

#include <array>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

#include "core/hex.h"

namespace rampart::seclang::transform_detail {

inline bool is_hex(unsigned char c) {
  return core::hex_value(static_cast<char>(c)) >= 0;
}
inline bool is_odigit(unsigned char c) {
  return c >= '0' && c <= '7';
}

// One "hex digit" value the way ModSecurity computes it: letters fold to upper case
// and count from 10, everything below 'A' counts from '0' (so non-digits wrap).
inline unsigned char x1c(unsigned char c) {
  return static_cast<unsigned char>(c >= 'A' ? ((c & 0xdf) - 'A') + 10 : c - '0');
}
inline unsigned char x2c(unsigned char hi, unsigned char lo) {
  return static_cast<unsigned char>(x1c(hi) * 16 + x1c(lo));
}

inline bool differs(std::string_view in, const std::string& out) {
  return std::string_view(out) != in;
}

using ByteSet = std::array<bool, 256>;

constexpr ByteSet byte_set(std::string_view bytes) {
  ByteSet set{};
  for (char c : bytes) set[static_cast<unsigned char>(c)] = true;
  return set;
}

// Position of the first byte at or after `from` in `set`, or in.size().
inline size_t find_in_set(std::string_view in, size_t from, const ByteSet& set) {
  while (from < in.size() && !set[static_cast<unsigned char>(in[from])]) ++from;
  return from;
}

// Position of the first `c` at or after `from`, or in.size() (memchr: SIMD in glibc).
inline size_t find_byte(std::string_view in, size_t from, char c) {
  if (from >= in.size()) return in.size();
  const void* hit = std::memchr(in.data() + from, c, in.size() - from);
  return hit == nullptr ? in.size()
                        : static_cast<size_t>(static_cast<const char*>(hit) - in.data());
}

// Output cursor for the transformations whose result is never longer than their input:
// `out` is sized to the input once, written through a raw pointer (no per-byte capacity
// checks) and cut to length by finish().
class ShrinkWriter {
 public:
  ShrinkWriter(std::string& out, size_t capacity) : out_(out) {
    out_.resize(capacity);
    d_ = out_.data();
  }
  void put(unsigned char c) { *d_++ = static_cast<char>(c); }
  void copy(std::string_view s) {
    if (!s.empty()) std::memcpy(d_, s.data(), s.size());
    d_ += s.size();
  }
  void unput() { --d_; }
  void finish() { out_.resize(static_cast<size_t>(d_ - out_.data())); }

 private:
  std::string& out_;
  char* d_;
};

// transform_decode.cc
bool url_decode(std::string_view in, std::string& out);
bool url_decode_uni(std::string_view in, std::string& out);
bool html_entity_decode(std::string_view in, std::string& out);
bool js_decode(std::string_view in, std::string& out);
bool css_decode(std::string_view in, std::string& out);
bool escape_seq_decode(std::string_view in, std::string& out);
bool hex_decode(std::string_view in, std::string& out);
bool sql_hex_decode(std::string_view in, std::string& out);

// transform_encode.cc
bool base64_decode(std::string_view in, std::string& out);
bool base64_decode_ext(std::string_view in, std::string& out);
bool base64_encode(std::string_view in, std::string& out);
bool hex_encode(std::string_view in, std::string& out);
bool url_encode(std::string_view in, std::string& out);
bool utf8_to_unicode(std::string_view in, std::string& out);
bool length(std::string_view in, std::string& out);
bool md5(std::string_view in, std::string& out);
bool sha1(std::string_view in, std::string& out);

// transform_normalise.cc
bool cmd_line(std::string_view in, std::string& out);
bool normalise_path(std::string_view in, std::string& out, bool windows);
bool remove_comments(std::string_view in, std::string& out);
bool remove_comments_char(std::string_view in, std::string& out);
bool replace_comments(std::string_view in, std::string& out);

// transform_text.cc
bool lowercase(std::string_view in, std::string& out);
bool uppercase(std::string_view in, std::string& out);
bool compress_whitespace(std::string_view in, std::string& out);
bool remove_whitespace(std::string_view in, std::string& out);
bool remove_nulls(std::string_view in, std::string& out);
bool replace_nulls(std::string_view in, std::string& out);
bool trim(std::string_view in, std::string& out, bool left, bool right);
bool parity_even(std::string_view in, std::string& out);
bool parity_odd(std::string_view in, std::string& out);
bool parity_zero(std::string_view in, std::string& out);

// transform_unicode_map.cc: the byte ModSecurity maps %uXXXX to with the unicode.mapping
// code page 20127 (US-ASCII best fit) that the CRS deployment loads.
unsigned char unicode_best_fit(unsigned code);

}  // namespace rampart::seclang::transform_detail
