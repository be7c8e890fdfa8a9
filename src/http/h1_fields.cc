// Grammar pieces shared by the request and response head parsers: head boundaries,
// field lines and the values of the fields that decide framing.

#include <algorithm>
#include <cstring>
#include <limits>

#include "http/h1_internal.h"

namespace rampart::http::detail {

StartLine find_start_line(std::string_view in, const ParserLimits& limits,
                          size_t max_leading_empty) {
  const char* b = in.data();
  const size_t n = in.size();
  StartLine r;
  const auto error = [&r](int status, const char* reason) {
    r.status = ParseStatus::kError;
    r.error_status = status;
    r.reason = reason;
    return r;
  };

  size_t pos = 0;
  for (size_t empties = 0; pos < n && (b[pos] == '\r' || b[pos] == '\n');) {
    if (b[pos] == '\n') return error(400, "bare LF line ending");
    if (pos + 1 == n) return r;
    if (b[pos + 1] != '\n') return error(400, "bare CR");
    if (++empties > max_leading_empty) return error(400, "empty line before start line");
    pos += 2;
  }
  if (pos == n) return r;

  // Looked for only as far as the limit allows, so a huge line without LF is refused
  // without scanning all of it.
  const size_t line_max = limits.max_request_line;
  const size_t window = n - pos <= line_max ? n - pos : std::min(n - pos, line_max + 2);
  const char* nl = find_lf(b + pos, b + pos + window);
  if (nl == nullptr) {
    size_t avail = n - pos;
    if (b[n - 1] == '\r') --avail;  // may be the first half of the CRLF
    if (avail > line_max) return error(414, "request line too long");
    if (n > limits.max_header_bytes) return error(431, "header section too large");
    return r;
  }
  const size_t e = static_cast<size_t>(nl - b);
  if (e == pos || b[e - 1] != '\r') return error(400, "bare LF line ending");
  if (e - 1 - pos > line_max) return error(414, "request line too long");
  r.status = ParseStatus::kComplete;
  r.begin = pos;
  r.end = e - 1;
  return r;
}

bool parse_decimal(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

TransferCoding classify_transfer_encoding(std::string_view value) {
  if (value.empty()) return TransferCoding::kMalformed;
  int chunked = 0;
  int others = 0;
  bool chunked_last = false;
  size_t pos = 0;
  for (;;) {
    const size_t comma = value.find(',', pos);
    const std::string_view elem =
        trim_ows(value.substr(pos, comma == std::string_view::npos ? comma : comma - pos));
    // An empty list element is legal but never sent by a real client; refusing it
    // keeps "chunked," and ",chunked" from meaning different things to different hops.
    if (elem.empty()) return TransferCoding::kMalformed;
    size_t i = 0;
    while (i < elem.size() && is_tchar(elem[i])) ++i;
    if (i == 0) return TransferCoding::kMalformed;
    const std::string_view params = trim_ows(elem.substr(i));
    if (!params.empty() && params.front() != ';') return TransferCoding::kMalformed;
    const bool is_chunked = token_is(elem.substr(0, i), "chunked");
    if (is_chunked) {
      if (!params.empty()) return TransferCoding::kMalformed;  // chunked takes none
      ++chunked;
    } else {
      ++others;
    }
    chunked_last = is_chunked;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  if (chunked > 1 || (chunked == 1 && !chunked_last)) return TransferCoding::kMalformed;
  if (others > 0) return TransferCoding::kUnsupported;
  return TransferCoding::kChunked;
}

bool add_connection_tokens(std::string_view value, ConnectionTokens& tokens) {
  size_t pos = 0;
  for (;;) {
    const size_t comma = value.find(',', pos);
    const std::string_view elem =
        trim_ows(value.substr(pos, comma == std::string_view::npos ? comma : comma - pos));
    if (!elem.empty()) {
      for (char c : elem) {
        if (!is_tchar(c)) return false;
      }
      if (token_is(elem, "close")) {
        tokens.close = true;
      } else if (token_is(elem, "keep-alive")) {
        tokens.keep_alive = true;
      } else if (token_is(elem, "upgrade")) {
        tokens.upgrade = true;
      }
    }
    if (comma == std::string_view::npos) return true;
    pos = comma + 1;
  }
}

bool valid_authority(std::string_view s, bool require_port) {
  const size_t n = s.size();
  if (n == 0) return false;
  size_t i = 0;
  if (s[0] == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    bool colon = false;
    for (size_t j = 1; j < close; ++j) {
      const char c = s[j];
      if (c == ':') {
        colon = true;
      } else if (c != '.' && !has_class(c, kHexDigit)) {
        return false;  // also refuses IPvFuture and zone ids
      }
    }
    if (!colon) return false;
    i = close + 1;
  } else {
    while (i < n && has_class(s[i], kHostChar)) ++i;
    if (i == 0) return false;
  }
  if (i == n) return !require_port;
  if (s[i] != ':') return false;
  const std::string_view port = s.substr(i + 1);
  if (port.empty() || port.size() > 5) return false;
  uint64_t value = 0;
  return parse_decimal(port, value) && value <= 65535;
}

}  // namespace rampart::http::detail
