#pragma once
// Internals shared by the HTTP/1 head parsers and the chunked decoder: character
// classes, field-line syntax and the framing-header grammars. Not part of the public
// API; only src/http/*.cc and the http unit tests include this.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "http/h1_parser.h"
#include "http/message.h"

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

// True if every byte of [p, p+n) may appear in a field value. Eight bytes at a time:
// values (cookies, user agents) are the bulk of a head.
inline bool valid_field_value(const char* p, size_t n) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    // Exact "some byte < 0x20" and "some byte == 0x7F" tests (no false negatives);
    // a hit is rechecked byte by byte because HTAB is allowed.
    const uint64_t ctl = (w - kOnes * 0x20) & ~w & kHigh;
    const uint64_t del_x = w ^ (kOnes * 0x7F);
    const uint64_t del = (del_x - kOnes) & ~del_x & kHigh;
    if ((ctl | del) != 0) {
      for (size_t j = i; j < i + 8; ++j) {
        if (!has_class(p[j], kFieldChar)) return false;
      }
    }
  }
  for (; i < n; ++i) {
    if (!has_class(p[i], kFieldChar)) return false;
  }
  return true;
}

// Parses one field line (without its CRLF) into `out`. Returns nullptr on success or a
// static reason naming the broken rule.
const char* parse_field_line(std::string_view line, Header& out);

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

// Where a message head is in the input, found with one memchr per line. Validates only
// line endings and size limits, so that a slow sender learns about those early and an
// incomplete head costs little to re-check.
struct HeadScan {
  ParseStatus status = ParseStatus::kIncomplete;
  int error_status = 400;   // 400, 414 or 431
  const char* reason = "";  // on kError
  size_t start = 0;         // first byte of the start line (after tolerated empty lines)
  size_t start_line_end = std::string_view::npos;  // CR ending the start line, if seen
  size_t end = 0;                                  // one past the head's final LF
};
HeadScan scan_head(std::string_view in, const ParserLimits& limits, size_t max_leading_empty);

}  // namespace rampart::http::detail
