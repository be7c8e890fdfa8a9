#include "cache/field_text.h"

namespace rampart::cache::detail {

std::string lower_copy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

std::optional<int64_t> parse_delta_seconds(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    // Keep scanning after saturating: a non-digit later still makes the value invalid.
    if (v < kDeltaMax) v = v * 10 + (c - '0');
  }
  return v > kDeltaMax ? kDeltaMax : v;
}

const http::Header* find_field(std::span<const http::Header> headers, std::string_view name) {
  for (const http::Header& h : headers) {
    if (http::iequals(h.name, name)) return &h;
  }
  return nullptr;
}

std::optional<std::string> unquote(std::string_view q) {
  if (q.size() < 2 || q.front() != '"' || q.back() != '"') return std::nullopt;
  std::string out;
  out.reserve(q.size() - 2);
  for (size_t i = 1; i + 1 < q.size(); ++i) {
    char c = q[i];
    if (c == '"') return std::nullopt;
    if (c == '\\') {
      if (i + 2 >= q.size()) return std::nullopt;  // escape of the closing quote
      c = q[++i];
    }
    const auto u = static_cast<unsigned char>(c);
    // qdtext / quoted-pair: HTAB, SP, VCHAR, obs-text; never other controls.
    if ((u < 0x20 && c != '\t') || u == 0x7f) return std::nullopt;
    out.push_back(c);
  }
  return out;
}

}  // namespace rampart::cache::detail
