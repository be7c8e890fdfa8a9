#include "rules/text.h"

#include <algorithm>
#include <cstring>

#include "core/hex.h"
#include "rules/request.h"

namespace rampart::rules {
namespace {

using core::hex_value;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ---- JSON: a bounded, linear scanner that reads only what a lookup needs ----

class JsonCursor {
 public:
  JsonCursor(std::string_view text, Scratch& scratch) : s_(text), scratch_(scratch) {}

  void space() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\n' || s_[p_] == '\r'))
      ++p_;
  }
  bool eat(char c) {
    space();
    if (p_ < s_.size() && s_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }
  char peek() {
    space();
    return p_ < s_.size() ? s_[p_] : '\0';
  }

  // Reads a string; decodes escapes into the arena only when there are any.
  std::optional<std::string_view> string() {
    if (!eat('"')) return std::nullopt;
    size_t start = p_;
    bool escaped = false;
    while (p_ < s_.size() && s_[p_] != '"') {
      if (static_cast<unsigned char>(s_[p_]) < 0x20) return std::nullopt;
      if (s_[p_] == '\\') {
        escaped = true;
        ++p_;
      }
      ++p_;
    }
    if (p_ >= s_.size()) return std::nullopt;
    std::string_view raw = s_.substr(start, p_ - start);
    ++p_;
    if (!escaped) return raw;
    return unescape(raw);
  }

  // Skips one value of any kind. Nesting is tracked with a counter, not recursion.
  bool skip_value() {
    size_t depth = 0;
    do {
      char c = peek();
      if (c == '"') {
        if (!string()) return false;
      } else if (c == '{' || c == '[') {
        ++p_;
        ++depth;
        if (depth > 512) return false;
        continue;
      } else if (c == '}' || c == ']') {
        if (depth == 0) return false;
        ++p_;
        --depth;
      } else if (c == ',' || c == ':') {
        if (depth == 0) return false;
        ++p_;
        continue;
      } else if (c == '\0') {
        return false;
      } else {
        size_t start = p_;
        while (p_ < s_.size() &&
               std::string_view(",:]} \t\r\n").find(s_[p_]) == std::string_view::npos)
          ++p_;
        if (p_ == start) return false;
      }
    } while (depth > 0);
    return true;
  }

 private:
  std::optional<std::string_view> unescape(std::string_view raw) {
    char* out = scratch_.chars(raw.size());
    size_t n = 0;
    for (size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      if (c != '\\') {
        out[n++] = c;
        continue;
      }
      if (++i >= raw.size()) return std::nullopt;
      switch (raw[i]) {
        case '"':
        case '\\':
        case '/':
          out[n++] = raw[i];
          break;
        case 'b':
          out[n++] = '\b';
          break;
        case 'f':
          out[n++] = '\f';
          break;
        case 'n':
          out[n++] = '\n';
          break;
        case 'r':
          out[n++] = '\r';
          break;
        case 't':
          out[n++] = '\t';
          break;
        case 'u': {
          unsigned cp = 0;
          for (int k = 1; k <= 4; ++k) {
            if (i + k >= raw.size()) return std::nullopt;
            int h = hex_value(raw[i + k]);
            if (h < 0) return std::nullopt;
            cp = cp << 4 | static_cast<unsigned>(h);
          }
          i += 4;
          // UTF-8 of the code unit; a surrogate pair's halves are encoded one by one,
          // which is what a byte comparison of an escaped lookup key needs least.
          // \u escapes never produce more than 3 bytes, within the 6 they took.
          if (cp < 0x80) {
            out[n++] = static_cast<char>(cp);
          } else if (cp < 0x800) {
            out[n++] = static_cast<char>(0xc0 | cp >> 6);
            out[n++] = static_cast<char>(0x80 | (cp & 0x3f));
          } else {
            out[n++] = static_cast<char>(0xe0 | cp >> 12);
            out[n++] = static_cast<char>(0x80 | (cp >> 6 & 0x3f));
            out[n++] = static_cast<char>(0x80 | (cp & 0x3f));
          }
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::string_view(out, n);
  }

  std::string_view s_;
  size_t p_ = 0;
  Scratch& scratch_;
};

}  // namespace

std::string_view to_lower(std::string_view s, Scratch& scratch) {
  auto upper = std::find_if(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (upper == s.end()) return s;
  char* out = scratch.chars(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    out[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  return {out, s.size()};
}

std::string_view to_upper(std::string_view s, Scratch& scratch) {
  auto lower = std::find_if(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  if (lower == s.end()) return s;
  char* out = scratch.chars(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    out[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  }
  return {out, s.size()};
}

std::string_view url_decode(std::string_view s, bool plus_is_space, Scratch& scratch) {
  bool needs = std::any_of(s.begin(), s.end(),
                           [&](char c) { return c == '%' || (plus_is_space && c == '+'); });
  if (!needs) return s;
  char* out = scratch.chars(s.size());
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]);
      int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out[n++] = static_cast<char>(hi << 4 | lo);
        i += 2;
        continue;
      }
    }
    out[n++] = (plus_is_space && c == '+') ? ' ' : c;
  }
  return {out, n};
}

std::span<const NameValue> split_query(std::string_view query, Scratch& scratch) {
  if (query.empty()) return {};
  size_t count = static_cast<size_t>(std::count(query.begin(), query.end(), '&')) + 1;
  std::span<NameValue> out = scratch.array<NameValue>(count);
  size_t n = 0;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    std::string_view part = query.substr(pos, end - pos);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string_view name = part.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : part.substr(eq + 1);
      out[n++] = {url_decode(name, true, scratch), url_decode(value, true, scratch)};
    }
    pos = end + 1;
  }
  return out.first(n);
}

std::span<const NameValue> split_cookies(std::span<const std::string_view> headers,
                                         Scratch& scratch) {
  size_t count = 0;
  for (std::string_view h : headers)
    count += static_cast<size_t>(std::count(h.begin(), h.end(), ';')) + 1;
  if (count == 0) return {};
  std::span<NameValue> out = scratch.array<NameValue>(count);
  size_t n = 0;
  for (std::string_view h : headers) {
    size_t pos = 0;
    while (pos <= h.size()) {
      size_t end = h.find(';', pos);
      if (end == std::string_view::npos) end = h.size();
      std::string_view part = trim(h.substr(pos, end - pos));
      if (!part.empty()) {
        size_t eq = part.find('=');
        std::string_view name = trim(part.substr(0, eq));
        std::string_view value = eq == std::string_view::npos ? "" : trim(part.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
          value = value.substr(1, value.size() - 2);
        }
        out[n++] = {name, value};
      }
      pos = end + 1;
    }
  }
  return out.first(n);
}

std::string wildcard_to_regex(std::string_view pattern, bool fold_ascii_case) {
  std::string out;
  out.reserve(pattern.size() * 2 + 8);
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size() && (pattern[i + 1] == '*' || pattern[i + 1] == '\\')) {
      c = pattern[++i];
      out += '\\';
      out += c;
      continue;
    }
    if (c == '*') {
      out += "(?s:.*)";
      continue;
    }
    bool lower = c >= 'a' && c <= 'z';
    bool upper = c >= 'A' && c <= 'Z';
    if (fold_ascii_case && (lower || upper)) {
      out += '[';
      out += static_cast<char>(lower ? c - 32 : c);
      out += static_cast<char>(lower ? c : c + 32);
      out += ']';
    } else if (lower || upper || (c >= '0' && c <= '9') || static_cast<unsigned char>(c) >= 0x80) {
      out += c;
    } else if (c == '\0') {
      out += "\\x00";
    } else {
      out += '\\';
      out += c;
    }
  }
  return out;
}

Wildcard Wildcard::parse(std::string_view pattern, bool fold_case) {
  Wildcard w;
  w.fold_case = fold_case;
  w.segments.emplace_back();
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '*') {
      w.has_star = true;
      w.segments.emplace_back();
      continue;
    }
    if (c == '\\' && i + 1 < pattern.size() && (pattern[i + 1] == '*' || pattern[i + 1] == '\\')) {
      c = pattern[++i];
    }
    if (fold_case && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    w.segments.back() += c;
  }
  return w;
}

bool Wildcard::matches(std::string_view text, Scratch& scratch) const {
  if (fold_case) text = to_lower(text, scratch);
  const std::string& first = segments.front();
  if (!has_star) return text == first;
  const std::string& last = segments.back();
  if (text.size() < first.size() + last.size()) return false;
  if (!text.starts_with(first) || !text.ends_with(last)) return false;
  size_t pos = first.size();
  size_t end = text.size() - last.size();
  for (size_t i = 1; i + 1 < segments.size(); ++i) {
    const std::string& seg = segments[i];
    if (seg.empty()) continue;
    if (end - pos < seg.size()) return false;  // also keeps a null data pointer from memmem
    const void* found = memmem(text.data() + pos, end - pos, seg.data(), seg.size());
    if (found == nullptr) return false;
    pos = static_cast<size_t>(static_cast<const char*>(found) - text.data()) + seg.size();
  }
  return true;
}

std::optional<std::string_view> json_lookup_string(std::string_view json,
                                                   std::span<const JsonStep> path,
                                                   Scratch& scratch) {
  JsonCursor cur(json, scratch);
  for (const JsonStep& step : path) {
    if (step.index < 0) {
      if (!cur.eat('{')) return std::nullopt;
      bool found = false;
      if (cur.peek() == '}') return std::nullopt;
      while (true) {
        auto key = cur.string();
        if (!key || !cur.eat(':')) return std::nullopt;
        if (*key == step.key) {
          found = true;
          break;
        }
        if (!cur.skip_value()) return std::nullopt;
        if (cur.eat(',')) continue;
        return std::nullopt;  // '}' or malformed: the key is not there
      }
      if (!found) return std::nullopt;
    } else {
      if (!cur.eat('[')) return std::nullopt;
      if (cur.peek() == ']') return std::nullopt;
      for (int64_t i = 0; i < step.index; ++i) {
        if (!cur.skip_value() || !cur.eat(',')) return std::nullopt;
      }
    }
  }
  if (cur.peek() != '"') return std::nullopt;
  return cur.string();
}

}  // namespace rampart::rules
