// @validateByteRange, @validateUrlEncoding, @validateUtf8Encoding: each matches when
// the input breaks the rule it checks (an out-of-range byte, a bad %xx, bad UTF-8).

#include <bitset>
#include <memory>

#include "seclang/operator_internal.h"

namespace rampart::seclang::detail {
namespace {

using ByteSet = std::bitset<256>;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_byte(std::string_view text, int& out) {
  text = trim(text);
  if (text.empty() || text.size() > 3) return false;
  out = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return out <= 255;
}

// "9,10,13,32-126". ModSecurity ignores a bad part (and reads past its table on a value
// over 255); here any bad part refuses the rule at load.
bool parse_byte_ranges(std::string_view spec, ByteSet& allowed, std::string& error) {
  allowed.reset();
  if (trim(spec).empty()) {
    error = "@validateByteRange needs a list of bytes or ranges";
    return false;
  }
  while (true) {
    size_t comma = spec.find(',');
    std::string_view part = spec.substr(0, comma);
    size_t dash = part.find('-');
    int lo = 0, hi = 0;
    bool ok = dash == std::string_view::npos
                  ? parse_byte(part, lo) && ((hi = lo), true)
                  : parse_byte(part.substr(0, dash), lo) && parse_byte(part.substr(dash + 1), hi);
    if (!ok || lo > hi) {
      error = "@validateByteRange: invalid range \"" + std::string(trim(part)) + "\"";
      return false;
    }
    for (int b = lo; b <= hi; ++b) allowed.set(static_cast<size_t>(b));
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
  return true;
}

bool has_byte_outside(std::string_view input, const ByteSet& allowed) {
  for (char c : input) {
    if (!allowed.test(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

class ByteRangeOperator final : public Operator {
 public:
  ByteRangeOperator(ByteSet allowed, bool dynamic) : allowed_(allowed), dynamic_(dynamic) {}
  MatchResult match(std::string_view input, std::string_view argument, Captures*) const override {
    if (!dynamic_)
      return has_byte_outside(input, allowed_) ? MatchResult::kMatch : MatchResult::kNoMatch;
    ByteSet allowed;
    std::string error;
    if (!parse_byte_ranges(argument, allowed, error)) return MatchResult::kError;
    return has_byte_outside(input, allowed) ? MatchResult::kMatch : MatchResult::kNoMatch;
  }

 private:
  ByteSet allowed_;
  bool dynamic_;
};

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A '%' must start "%XX" with two hex digits.
bool bad_url_encoding(std::string_view input) {
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i] != '%') continue;
    if (i + 2 >= input.size() || !is_hex(input[i + 1]) || !is_hex(input[i + 2])) return true;
    i += 2;
  }
  return false;
}

// RFC 3629: no stray continuation bytes, no truncated sequences, no overlong forms, no
// surrogates, nothing above U+10FFFF.
bool bad_utf8(std::string_view input) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(input[i]); };
  size_t i = 0;
  while (i < input.size()) {
    unsigned char c = byte(i);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0 && c < 0xF5) {
      len = 4;
      cp = c & 0x07;
    } else {
      return true;
    }
    if (i + len > input.size()) return true;
    for (int k = 1; k < len; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) return true;
      cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return true;
    i += len;
  }
  return false;
}

using Check = bool (*)(std::string_view);

class CheckOperator final : public Operator {
 public:
  explicit CheckOperator(Check check) : check_(check) {}
  MatchResult match(std::string_view input, std::string_view, Captures*) const override {
    return check_(input) ? MatchResult::kMatch : MatchResult::kNoMatch;
  }

 private:
  Check check_;
};

}  // namespace

std::unique_ptr<Operator> make_validate_operator(std::string_view name, const std::string& argument,
                                                 bool dynamic, std::string& error) {
  if (iequals(name, "validateByteRange")) {
    ByteSet allowed;
    if (!dynamic && !parse_byte_ranges(argument, allowed, error)) return nullptr;
    return std::make_unique<ByteRangeOperator>(allowed, dynamic);
  }
  if (iequals(name, "validateUrlEncoding"))
    return std::make_unique<CheckOperator>(bad_url_encoding);
  if (iequals(name, "validateUtf8Encoding")) return std::make_unique<CheckOperator>(bad_utf8);
  return nullptr;
}

}  // namespace rampart::seclang::detail
