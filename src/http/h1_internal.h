#pragma once
// Internals shared by the HTTP/1 head parsers and the chunked decoder: character
// classes, byte scanners, field-line syntax and the framing-header grammars. Not part
// of the public API; only src/http/*.cc and the http unit tests include this.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "http/h1_parser.h"
#include "http/message.h"

// SSE2 is part of x86-64; elsewhere (or with RAMPART_HTTP_NO_SIMD, to test that path)
// the scanners use 8-byte words or single bytes.
#if defined(__SSE2__) && !defined(RAMPART_HTTP_NO_SIMD)
#define RAMPART_HTTP_SSE2 1
#include <emmintrin.h>
#else
#define RAMPART_HTTP_SSE2 0
#endif

namespace rampart::http::detail {

enum CharClass : uint8_t {
  kTchar = 1 << 0,      // RFC 9110 5.6.2 token character
  kVchar = 1 << 1,      // 0x21-0x7E: allowed in a request-target
  kFieldChar = 1 << 2,  // HTAB, SP, VCHAR, obs-text: allowed in field values
  kHexDigit = 1 << 3,   //
  kHostChar = 1 << 4,   // reg-name characters rampart accepts (see valid_authority)
  kQdText = 1 << 5,     // quoted-string text without '"' and '\'
};

constexpr std::array<uint8_t, 256> make_char_classes() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t v = 0;
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    if (alpha || digit) v |= kTchar;
    for (char s : std::string_view("!#$%&'*+-.^_`|~")) {
      if (c == static_cast<unsigned char>(s)) v |= kTchar;
    }
    if (c >= 0x21 && c <= 0x7E) v |= kVchar;
    if (c == '\t' || (c >= 0x20 && c <= 0x7E) || c >= 0x80) v |= kFieldChar;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= kHexDigit;
    // Only unreserved characters: sub-delims and pct-encoding are legal in a reg-name
    // but never needed for a real host name, and a ',' or '%' in Host is how proxies
    // and origins are made to disagree about which site a request is for.
    if (alpha || digit || c == '-' || c == '.' || c == '_' || c == '~') v |= kHostChar;
    if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) ||
        (c >= 0x5D && c <= 0x7E) || c >= 0x80) {
      v |= kQdText;
    }
    t[static_cast<size_t>(c)] = v;
  }
  return t;
}

inline constexpr std::array<uint8_t, 256> kCharClasses = make_char_classes();

constexpr bool has_class(char c, CharClass cls) {
  return (kCharClasses[static_cast<unsigned char>(c)] & cls) != 0;
}
constexpr bool is_tchar(char c) {
  return has_class(c, kTchar);
}
constexpr bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

// `token` equals `lower` (lowercase letters and '-') ignoring case. Setting bit 0x20
// lowercases a letter and maps no other byte onto a letter; only CR maps onto '-', so
// `token` must hold no CR where `lower` has '-' (true of tokens and field values).
constexpr bool token_is(std::string_view token, std::string_view lower) {
  if (token.size() != lower.size()) return false;
  for (size_t i = 0; i < lower.size(); ++i) {
    if ((token[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// ---- scanners ------------------------------------------------------------------------
// Each returns the first byte in [p, end) outside its set, or end. Heads are short lines
// of mostly letters, so 16 bytes per step with one branch beats a branch per byte.

#if RAMPART_HTTP_SSE2
// Bytes of `v` within [lo, hi] (unsigned), as a 16-bit mask.
inline unsigned in_range(__m128i v, uint8_t lo, uint8_t hi) {
  const __m128i above = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(static_cast<char>(lo))), v);
  const __m128i below = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(static_cast<char>(hi))), v);
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(above, below)));
}
inline __m128i load16(const char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
#else
// 8-byte words: each mask has the high bit set in flagged bytes; the lowest flagged byte
// is always a true hit (borrows only run towards higher bytes), higher ones may not be.
inline constexpr uint64_t kOnes = 0x0101010101010101ull;
inline constexpr uint64_t kHigh = 0x8080808080808080ull;
constexpr uint64_t bytes_below(uint64_t w, uint8_t n) {
  return (w - kOnes * n) & ~w & kHigh;
}
constexpr uint64_t bytes_equal(uint64_t w, uint8_t c) {
  const uint64_t x = w ^ (kOnes * c);
  return (x - kOnes) & ~x & kHigh;
}
inline constexpr bool kWordScan = std::endian::native == std::endian::little;
#endif

// Token characters (method, field names).
inline const char* skip_tchars(const char* p, const char* end) {
#if RAMPART_HTTP_SSE2
  // Letters, digits and '-' in bulk; any other byte is looked up on its own.
  while (end - p >= 16) {
    const __m128i v = load16(p);
    const unsigned common =
        in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z') | in_range(v, '0', '9') |
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('-'))));
    if (common == 0xFFFF) {
      p += 16;
      continue;
    }
    p += std::countr_zero(~common);
    if (!is_tchar(*p)) return p;
    ++p;
  }
#endif
  while (p < end && is_tchar(*p)) ++p;
  return p;
}

// HTAB, SP, VCHAR and obs-text: field values and reason phrases.
inline const char* skip_field_value(const char* p, const char* end) {
#if RAMPART_HTTP_SSE2
  while (end - p >= 16) {
    const __m128i v = load16(p);
    const unsigned bad =
        (~in_range(v, 0x20, 0xFF) & 0xFFFFu) |
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F))));
    if (bad == 0) {
      p += 16;
      continue;
    }
    p += std::countr_zero(bad);
    if (*p != '\t') return p;
    ++p;
  }
#else
  if constexpr (kWordScan) {
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      const uint64_t hits = bytes_below(w, 0x20) | bytes_equal(w, 0x7F);
      if (hits == 0) {
        p += 8;
        continue;
      }
      p += std::countr_zero(hits) / 8;
      if (*p != '\t') return p;
      ++p;
    }
  }
#endif
  while (p < end && has_class(*p, kFieldChar)) ++p;
  return p;
}

inline bool valid_field_value(const char* p, size_t n) {
  return skip_field_value(p, p + n) == p + n;
}

// 0x21-0x7E: a request-target.
inline const char* skip_vchars(const char* p, const char* end) {
#if RAMPART_HTTP_SSE2
  while (end - p >= 16) {
    const unsigned ok = in_range(load16(p), 0x21, 0x7E);
    if (ok != 0xFFFF) return p + std::countr_zero(~ok);
    p += 16;
  }
#else
  if constexpr (kWordScan) {
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      const uint64_t hits = bytes_below(w, 0x21) | bytes_equal(w, 0x7F) | (w & kHigh);
      if (hits != 0) return p + std::countr_zero(hits) / 8;
      p += 8;
    }
  }
#endif
  while (p < end && has_class(*p, kVchar)) ++p;
  return p;
}

// Next LF in [p, end), or nullptr.
inline const char* find_lf(const char* p, const char* end) {
#if RAMPART_HTTP_SSE2
  const __m128i lf = _mm_set1_epi8('\n');
  while (end - p >= 16) {
    const unsigned hits = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(load16(p), lf)));
    if (hits != 0) return p + std::countr_zero(hits);
    p += 16;
  }
  for (; p < end; ++p) {
    if (*p == '\n') return p;
  }
  return nullptr;
#else
  return static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
#endif
}

// ---- heads -----------------------------------------------------------------------------

enum class LineStatus : uint8_t { kOk, kIncomplete, kError };

// Parses the field line at `p` (p < end; *p is neither CR nor LF) up to `end`, the end
// of the bytes that may belong to the head. On kOk fills `out` and moves `p` to the next
// line; on kError sets `reason` to a static string naming the broken rule.
inline LineStatus parse_field_line(const char*& p, const char* end, Header& out,
                                   const char*& reason) {
  const char* const line = p;
  if (is_ows(*line)) {
    reason = "obsolete line folding";
    return LineStatus::kError;
  }
  const char* c = skip_tchars(line, end);
  if (c == end) return LineStatus::kIncomplete;
  if (*c != ':') {
    if (is_ows(*c)) {
      reason = "whitespace before colon";
    } else if (*c == '\r' || *c == '\n') {
      reason = "header line without colon";
    } else {
      reason = "invalid character in header name";
    }
    return LineStatus::kError;
  }
  if (c == line) {
    reason = "empty header name";
    return LineStatus::kError;
  }
  out.name = std::string_view(line, static_cast<size_t>(c - line));
  ++c;
  while (c < end && is_ows(*c)) ++c;
  const char* const value = c;
  c = skip_field_value(c, end);
  if (c == end) return LineStatus::kIncomplete;
  if (*c != '\r') {
    reason = *c == '\n' ? "bare LF line ending" : "invalid character in header value";
    return LineStatus::kError;
  }
  if (c + 1 == end) return LineStatus::kIncomplete;
  if (c[1] != '\n') {
    reason = "bare CR";
    return LineStatus::kError;
  }
  const char* value_end = c;
  while (value_end > value && is_ows(value_end[-1])) --value_end;
  out.value = std::string_view(value, static_cast<size_t>(value_end - value));
  p = c + 2;
  return LineStatus::kOk;
}

// Where the start line of a head is. Leading empty lines (requests only) are skipped;
// limits are applied even while the line is incomplete, so a slow sender of a huge line
// is refused early.
struct StartLine {
  ParseStatus status = ParseStatus::kIncomplete;
  int error_status = 400;   // 400, 414 or 431 on kError
  const char* reason = "";  // on kError
  size_t begin = 0;         // first byte of the line
  size_t end = 0;           // its CR
};
StartLine find_start_line(std::string_view in, const ParserLimits& limits,
                          size_t max_leading_empty);

// ---- framing fields ----------------------------------------------------------------------

// `1*DIGIT` without sign, spaces or list; false on overflow.
bool parse_decimal(std::string_view s, uint64_t& out);

enum class TransferCoding : uint8_t {
  kChunked,      // exactly one coding: chunked
  kMalformed,    // empty, bad syntax, chunked repeated or not last: framing is ambiguous
  kUnsupported,  // well-formed but names a coding other than chunked
};
TransferCoding classify_transfer_encoding(std::string_view value);

// What the Connection field lines said, accumulated over every line.
struct ConnectionTokens {
  bool close = false;
  bool keep_alive = false;
  bool upgrade = false;
};
// Adds the tokens of one Connection field value; false if it is not a token list.
bool add_connection_tokens(std::string_view value, ConnectionTokens& tokens);

// `host [ ":" port ]` as in Host or an authority: host is a reg-name of unreserved
// characters or an IP-literal in brackets; port is 1-5 digits up to 65535.
bool valid_authority(std::string_view s, bool require_port);

}  // namespace rampart::http::detail
