#include "http/structured_field.h"

#include <cstdio>

#include "http/field_grammar.h"

namespace rampart::http::sf {
namespace {

// Digits and tchar come from field_grammar.h (RFC 9110 §5.6.2).
bool is_lcalpha(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_alpha(char c) {
  return is_lcalpha(c) || (c >= 'A' && c <= 'Z');
}
int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (is_digit(c)) return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  std::optional<Dictionary> dictionary() {
    Dictionary dict;
    skip_sp();
    if (at_end()) return dict;  // an empty field is an empty dictionary
    while (true) {
      Member m;
      if (!key(m.key)) return std::nullopt;
      if (peek() == '=') {
        ++pos_;
        if (peek() == '(') {
          m.is_inner_list = true;
          if (!inner_list(m.inner, m.params)) return std::nullopt;
        } else {
          if (!item(m.item)) return std::nullopt;
        }
      } else {
        m.item.value.kind = Kind::kBoolean;
        m.item.value.integer = 1;
        if (!params(m.item.params)) return std::nullopt;
      }
      bool replaced = false;
      for (Member& existing : dict) {
        if (existing.key == m.key) {
          existing = std::move(m);
          replaced = true;
          break;
        }
      }
      if (!replaced) {
        if (dict.size() >= kMaxMembers) return std::nullopt;
        dict.push_back(std::move(m));
      }
      skip_ows();
      if (at_end()) return dict;
      if (peek() != ',') return std::nullopt;
      ++pos_;
      skip_ows();
      if (at_end()) return std::nullopt;  // trailing comma
    }
  }

 private:
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  void skip_sp() {
    while (peek() == ' ') ++pos_;
  }
  void skip_ows() {
    while (peek() == ' ' || peek() == '\t') ++pos_;
  }

  bool key(std::string& out) {
    char c = peek();
    if (!is_lcalpha(c) && c != '*') return false;
    while (!at_end()) {
      c = peek();
      if (!is_lcalpha(c) && !is_digit(c) && c != '_' && c != '-' && c != '.' && c != '*') break;
      out.push_back(c);
      ++pos_;
    }
    return out.size() <= 256;
  }

  bool params(Parameters& out) {
    while (peek() == ';') {
      ++pos_;
      skip_sp();
      std::string k;
      if (!key(k)) return false;
      BareItem v;
      v.kind = Kind::kBoolean;
      v.integer = 1;
      if (peek() == '=') {
        ++pos_;
        if (!bare_item(v)) return false;
      }
      bool replaced = false;
      for (auto& p : out) {
        if (p.first == k) {
          p.second = std::move(v);
          replaced = true;
          break;
        }
      }
      if (!replaced) {
        if (out.size() >= kMaxParams) return false;
        out.emplace_back(std::move(k), std::move(v));
      }
    }
    return true;
  }

  bool item(Item& out) { return bare_item(out.value) && params(out.params); }

  bool inner_list(std::vector<Item>& items, Parameters& list_params) {
    ++pos_;  // '('
    while (!at_end()) {
      skip_sp();
      if (peek() == ')') {
        ++pos_;
        return params(list_params);
      }
      if (items.size() >= kMaxInnerItems) return false;
      Item it;
      if (!item(it)) return false;
      items.push_back(std::move(it));
      char c = peek();
      if (c != ' ' && c != ')') return false;
    }
    return false;
  }

  bool bare_item(BareItem& out) {
    char c = peek();
    if (c == '-' || is_digit(c)) return number(out);
    if (c == '"') return string(out);
    if (c == ':') return bytes(out);
    if (c == '?') return boolean(out);
    if (is_alpha(c) || c == '*') return token(out);
    return false;
  }

  bool number(BareItem& out) {
    bool negative = false;
    if (peek() == '-') {
      negative = true;
      ++pos_;
    }
    if (!is_digit(peek())) return false;
    int64_t whole = 0;
    int digits = 0;
    while (is_digit(peek())) {
      if (++digits > 15) return false;
      whole = whole * 10 + (peek() - '0');
      ++pos_;
    }
    if (peek() != '.') {
      out.kind = Kind::kInteger;
      out.integer = negative ? -whole : whole;
      return true;
    }
    if (digits > 12) return false;
    ++pos_;
    int frac_digits = 0;
    int64_t frac = 0;
    while (is_digit(peek())) {
      if (++frac_digits > 3) return false;
      frac = frac * 10 + (peek() - '0');
      ++pos_;
    }
    if (frac_digits == 0) return false;
    for (int i = frac_digits; i < 3; ++i) frac *= 10;
    out.kind = Kind::kDecimal;
    out.integer = (negative ? -1 : 1) * (whole * 1000 + frac);
    return true;
  }

  bool string(BareItem& out) {
    ++pos_;
    out.kind = Kind::kString;
    while (!at_end()) {
      char c = s_[pos_++];
      if (c == '\\') {
        if (at_end()) return false;
        char n = s_[pos_++];
        if (n != '"' && n != '\\') return false;
        out.text.push_back(n);
      } else if (c == '"') {
        return true;
      } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
        return false;
      } else {
        out.text.push_back(c);
      }
    }
    return false;
  }

  bool token(BareItem& out) {
    out.kind = Kind::kToken;
    while (!at_end()) {
      char c = peek();
      if (!is_tchar(c) && c != ':' && c != '/') break;
      out.text.push_back(c);
      ++pos_;
    }
    return true;
  }

  bool bytes(BareItem& out) {
    ++pos_;
    size_t end = s_.find(':', pos_);
    if (end == std::string_view::npos) return false;
    std::string_view b64 = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    out.kind = Kind::kBytes;
    if (b64.size() % 4 != 0) return false;
    uint32_t acc = 0;
    int bits = 0;
    size_t pad = 0;
    for (size_t i = 0; i < b64.size(); ++i) {
      char c = b64[i];
      if (c == '=') {
        if (i + 2 < b64.size()) return false;
        ++pad;
        continue;
      }
      if (pad > 0) return false;
      int v = b64_value(c);
      if (v < 0) return false;
      acc = (acc << 6) | static_cast<uint32_t>(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.text.push_back(static_cast<char>((acc >> bits) & 0xff));
      }
    }
    return true;
  }

  bool boolean(BareItem& out) {
    ++pos_;
    out.kind = Kind::kBoolean;
    if (peek() == '1' || peek() == '0') {
      out.integer = peek() == '1';
      ++pos_;
      return true;
    }
    return false;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<Dictionary> parse_dictionary(std::string_view text) {
  // Leading and trailing spaces are the field's OWS, not part of the value.
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  while (!text.empty() && text.front() == '\t') text.remove_prefix(1);
  return Parser(text).dictionary();
}

const BareItem* find_param(const Parameters& params, std::string_view key) {
  for (const auto& p : params) {
    if (p.first == key) return &p.second;
  }
  return nullptr;
}

const Member* find_member(const Dictionary& dict, std::string_view key) {
  for (const Member& m : dict) {
    if (m.key == key) return &m;
  }
  return nullptr;
}

void serialize_bare_item(const BareItem& item, std::string& out) {
  switch (item.kind) {
    case Kind::kInteger:
      out += std::to_string(item.integer);
      break;
    case Kind::kDecimal: {
      int64_t v = item.integer;
      if (v < 0) {
        out.push_back('-');
        v = -v;
      }
      out += std::to_string(v / 1000);
      out.push_back('.');
      std::string frac = std::to_string(v % 1000);
      frac.insert(0, 3 - frac.size(), '0');
      while (frac.size() > 1 && frac.back() == '0') frac.pop_back();
      out += frac;
      break;
    }
    case Kind::kString:
      out.push_back('"');
      for (char c : item.text) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
      }
      out.push_back('"');
      break;
    case Kind::kToken:
      out += item.text;
      break;
    case Kind::kBytes: {
      out.push_back(':');
      static constexpr char kAlphabet[] =
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      const auto* p = reinterpret_cast<const unsigned char*>(item.text.data());
      size_t n = item.text.size();
      for (size_t i = 0; i < n; i += 3) {
        uint32_t v = uint32_t{p[i]} << 16;
        if (i + 1 < n) v |= uint32_t{p[i + 1]} << 8;
        if (i + 2 < n) v |= p[i + 2];
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
        out.push_back(i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=');
        out.push_back(i + 2 < n ? kAlphabet[v & 63] : '=');
      }
      out.push_back(':');
      break;
    }
    case Kind::kBoolean:
      out += item.integer ? "?1" : "?0";
      break;
  }
}

void serialize_params(const Parameters& params, std::string& out) {
  for (const auto& [k, v] : params) {
    out.push_back(';');
    out += k;
    if (v.kind == Kind::kBoolean && v.integer == 1) continue;
    out.push_back('=');
    serialize_bare_item(v, out);
  }
}

void serialize_item(const Item& item, std::string& out) {
  serialize_bare_item(item.value, out);
  serialize_params(item.params, out);
}

void serialize_inner_list(const std::vector<Item>& items, const Parameters& params,
                          std::string& out) {
  out.push_back('(');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(' ');
    serialize_item(items[i], out);
  }
  out.push_back(')');
  serialize_params(params, out);
}

}  // namespace rampart::http::sf
