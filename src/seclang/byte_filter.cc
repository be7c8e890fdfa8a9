// A small conservative reader of PCRE patterns: it only has to know which bytes every
// match must contain, so anything it does not follow (recursion, conditionals,
// backreferences, verbs, extended mode, Unicode properties) makes it give up and the
// pattern is never skipped. Sets may be wider than the truth, never narrower.

#include "seclang/byte_filter.h"

#include <algorithm>
#include <array>

namespace rampart::seclang {
namespace {

constexpr int kMaxDepth = 200;  // nested groups; deeper patterns get no condition

ByteSet range(int lo, int hi) {
  ByteSet s;
  for (int b = lo; b <= hi; ++b) s.add(static_cast<uint8_t>(b));
  return s;
}

ByteSet of(std::string_view bytes) {
  ByteSet s;
  for (char c : bytes) s.add(static_cast<uint8_t>(c));
  return s;
}

ByteSet complement(const ByteSet& s) {
  ByteSet out;
  for (int i = 0; i < 4; ++i) out.w[i] = ~s.w[i];
  return out;
}

bool is_full(const ByteSet& s) {
  return (s.w[0] & s.w[1] & s.w[2] & s.w[3]) == ~uint64_t{0};
}

bool is_empty(const ByteSet& s) {
  return (s.w[0] | s.w[1] | s.w[2] | s.w[3]) == 0;
}

bool subset(const ByteSet& a, const ByteSet& b) {
  for (int i = 0; i < 4; ++i) {
    if ((a.w[i] & ~b.w[i]) != 0) return false;
  }
  return true;
}

// Both cases of ASCII letters and of Latin-1 letters (RE2 in Latin-1 mode folds those;
// PCRE folds ASCII only, a subset).
// Both cases of ASCII letters only, as PCRE folds (it runs the caseless patterns that hold
// bytes past ASCII).
ByteSet fold_ascii(const ByteSet& s) {
  ByteSet out = s;
  for (int b = 'a'; b <= 'z'; ++b) {
    if (s.has(static_cast<uint8_t>(b)) || s.has(static_cast<uint8_t>(b - 32))) {
      out.add(static_cast<uint8_t>(b));
      out.add(static_cast<uint8_t>(b - 32));
    }
  }
  return out;
}

ByteSet fold(const ByteSet& s) {
  ByteSet out = s;
  for (int b = 0; b < 256; ++b) {
    if (!s.has(static_cast<uint8_t>(b))) continue;
    if (b >= 'a' && b <= 'z') out.add(static_cast<uint8_t>(b - 32));
    if (b >= 'A' && b <= 'Z') out.add(static_cast<uint8_t>(b + 32));
    if (b >= 0xC0 && b <= 0xDE && b != 0xD7) out.add(static_cast<uint8_t>(b + 32));
    if (b >= 0xE0 && b <= 0xFE && b != 0xF7) out.add(static_cast<uint8_t>(b - 32));
  }
  return out;
}

// How often a byte turns up in ordinary request values (paths, query strings, headers,
// form fields): rough weights, only their order matters.
const std::array<double, 256>& byte_weights() {
  static const std::array<double, 256> weights = [] {
    std::array<double, 256> w{};
    for (int b = 0; b < 256; ++b) w[b] = b >= 0x80 ? 0.2 : b < 0x20 ? 0.05 : 0.1;
    for (int b = 'a'; b <= 'z'; ++b) w[b] = 4;
    for (char c : std::string_view("etaoinsr")) w[static_cast<uint8_t>(c)] = 8;
    for (int b = 'A'; b <= 'Z'; ++b) w[b] = 1.5;
    for (int b = '0'; b <= '9'; ++b) w[b] = 3;
    w[' '] = 4;
    w['/'] = w['.'] = 3;
    w['-'] = w['='] = 2;
    w['_'] = w['&'] = w['%'] = w[','] = w[';'] = w[':'] = 1.5;
    w['+'] = 1;
    w['*'] = w['('] = w[')'] = w['?'] = 0.5;
    w['@'] = w['#'] = w['~'] = w['!'] = 0.3;
    w['\t'] = w['\r'] = w['\n'] = 0.2;
    return w;
  }();
  return weights;
}

double weight(const ByteSet& s) {
  double total = 0;
  for (int b = 0; b < 256; ++b) {
    if (s.has(static_cast<uint8_t>(b))) total += byte_weights()[b];
  }
  return total;
}

// Letters and digits: the bytes most ordinary values are made of.
const ByteSet& alphanumeric() {
  static const ByteSet a = [] {
    ByteSet s = range('0', '9');
    s.merge(range('a', 'z'));
    s.merge(range('A', 'Z'));
    return s;
  }();
  return a;
}

// The rarest set, or with `symbols_only` the rarest without letters or digits (null if
// there is none).
const ByteSet* best_of(const std::vector<ByteSet>& sets, bool symbols_only = false) {
  const ByteSet* best = nullptr;
  double best_weight = 0;
  for (const ByteSet& s : sets) {
    if (symbols_only && s.intersects(alphanumeric())) continue;
    double w = weight(s);
    if (best == nullptr || w < best_weight) {
      best = &s;
      best_weight = w;
    }
  }
  return best;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether some inline option group names `letter`: (?i), (?si:, (?-x) ...
bool names_option(std::string_view p, char letter) {
  for (size_t i = 0; i + 1 < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
      continue;
    }
    if (p[i] != '(' || p[i + 1] != '?') continue;
    for (size_t j = i + 2; j < p.size(); ++j) {
      char c = p[j];
      if (c == letter) return true;
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '^')) break;
    }
  }
  return false;
}

class Analyser {
 public:
  // `caseless`: some part of the pattern may be caseless; `whole`: all of it is.
  Analyser(std::string_view p, bool caseless, bool whole)
      : p_(p), caseless_(caseless), caseless_whole_(whole) {}

  std::optional<std::vector<ByteSet>> run() {
    std::vector<ByteSet> sets;
    if (!alternation(sets, 0) || pos_ != p_.size()) return std::nullopt;
    return sets;
  }

 private:
  bool at_end() const { return pos_ >= p_.size(); }
  char peek(size_t ahead = 0) const { return pos_ + ahead < p_.size() ? p_[pos_ + ahead] : '\0'; }

  // A single-byte item: the set it matches, folded when caseless.
  ByteSet item(ByteSet s) const { return caseless_ ? fold(s) : s; }

  bool alternation(std::vector<ByteSet>& out, int depth) {
    if (depth > kMaxDepth) return false;
    std::vector<ByteSet> first;
    if (!concatenation(first, depth)) return false;
    if (at_end() || peek() != '|') {
      out.insert(out.end(), first.begin(), first.end());
      return true;
    }
    // Every branch must bring a set; the union of one set of each branch is required.
    // Two such unions: of each branch's rarest set, and of each branch's rarest set
    // without letters and digits (when every branch has one), which a value made of
    // words and numbers never holds even when the first union is all letters.
    bool all_have = true;
    bool all_symbols = true;
    ByteSet joined;
    ByteSet symbols;
    auto add_branch = [&](const std::vector<ByteSet>& branch) {
      if (branch.empty()) {
        all_have = false;
        return;
      }
      joined.merge(*best_of(branch));
      const ByteSet* s = best_of(branch, true);
      if (s == nullptr) {
        all_symbols = false;
      } else {
        symbols.merge(*s);
      }
    };
    add_branch(first);
    while (!at_end() && peek() == '|') {
      ++pos_;
      std::vector<ByteSet> branch;
      if (!concatenation(branch, depth)) return false;
      add_branch(branch);
    }
    if (!all_have) return true;
    if (!is_full(joined)) out.push_back(joined);
    if (all_symbols && !(symbols == joined)) out.push_back(symbols);
    return true;
  }

  bool concatenation(std::vector<ByteSet>& out, int depth) {
    while (!at_end() && peek() != '|' && peek() != ')') {
      std::vector<ByteSet> atom_sets;
      transparent_ = false;
      if (!atom(atom_sets, depth)) return false;
      // A quantifier after an item that is not there (\E, (?i)) repeats the item before
      // it, which has already been counted as required.
      if (transparent_ && quantifier_follows()) return false;
      // Quantifiers: any with a minimum of 0 makes the atom optional.
      bool optional = false;
      for (;;) {
        int min = quantifier();
        if (min == -2) return false;
        if (min == -1) break;
        if (min == 0) optional = true;
        if (peek() == '?' || peek() == '+') ++pos_;  // lazy, possessive
      }
      if (!optional) out.insert(out.end(), atom_sets.begin(), atom_sets.end());
    }
    return true;
  }

  bool quantifier_follows() {
    size_t saved = pos_;
    bool found = quantifier() != -1;
    pos_ = saved;
    return found;
  }

  // Reads a quantifier at pos_: its minimum, -1 if none is there, -2 if unreadable.
  int quantifier() {
    char c = peek();
    if (at_end()) return -1;
    if (c == '*' || c == '?') {
      ++pos_;
      return 0;
    }
    if (c == '+') {
      ++pos_;
      return 1;
    }
    if (c != '{') return -1;
    // {n}, {n,}, {n,m}, and {,m} (a quantifier in newer PCRE2; read with minimum 0,
    // which also covers the older reading as literal text).
    size_t i = pos_ + 1;
    long min = 0;
    size_t digits = 0;
    while (i < p_.size() && p_[i] >= '0' && p_[i] <= '9') {
      if (min < 100000) min = min * 10 + (p_[i] - '0');
      ++i;
      ++digits;
    }
    bool comma = i < p_.size() && p_[i] == ',';
    if (comma) {
      ++i;
      while (i < p_.size() && p_[i] >= '0' && p_[i] <= '9') ++i;
    }
    if (i >= p_.size() || p_[i] != '}' || (digits == 0 && !comma)) return -1;  // literal '{'
    if (digits == 0 && i == pos_ + 2) return -1;  // "{,}" is literal text
    pos_ = i + 1;
    return digits == 0 ? 0 : static_cast<int>(std::min<long>(min, 1));
  }

  bool atom(std::vector<ByteSet>& out, int depth) {
    char c = p_[pos_];
    switch (c) {
      case '(':
        return group(out, depth);
      case '[': {
        ByteSet s;
        if (!char_class(s)) return false;
        if (!is_full(s)) out.push_back(s);
        return true;
      }
      case '.':
      case '^':
      case '$':
        ++pos_;
        return true;
      case '\\':
        return escape(out);
      case '*':
      case '+':
      case '?':
        return false;  // a quantifier with nothing to repeat
      default:
        ++pos_;
        out.push_back(item(of(std::string_view(&p_[pos_ - 1], 1))));
        return true;
    }
  }

  bool group(std::vector<ByteSet>& out, int depth) {
    ++pos_;  // '('
    bool capture_sets = true;
    if (peek() == '*') return false;  // verbs: (*UTF), (*SKIP) ...
    if (peek() == '?') {
      char k = peek(1);
      if (k == ':' || k == '|' || k == '>') {
        pos_ += 2;
      } else if (k == '=' || k == '!') {
        pos_ += 2;
        capture_sets = false;
      } else if (k == '<' && (peek(2) == '=' || peek(2) == '!')) {
        pos_ += 3;
        capture_sets = false;
      } else if (k == '<' || k == '\'' || (k == 'P' && peek(2) == '<')) {
        char close = k == '\'' ? '\'' : '>';
        size_t end = p_.find(close, pos_ + 2);
        if (end == std::string_view::npos) return false;
        pos_ = end + 1;
      } else {
        // Option letters: (?i) or (?i:...). Anything else ((?#, (?(, (?R, (?P=, (?1 ...)
        // is left to the regex engine.
        size_t i = pos_ + 1;
        while (i < p_.size() &&
               std::string_view("imsxnUJa-^").find(p_[i]) != std::string_view::npos) {
          ++i;
        }
        if (i == pos_ + 1 || i >= p_.size()) return false;
        if (p_[i] == ')') {
          pos_ = i + 1;
          transparent_ = true;  // options for the rest of the group, matches nothing
          return true;
        }
        if (p_[i] != ':') return false;
        pos_ = i + 1;
      }
    }
    std::vector<ByteSet> inner;
    if (!alternation(inner, depth + 1)) return false;
    if (at_end() || peek() != ')') return false;
    ++pos_;
    if (capture_sets) out.insert(out.end(), inner.begin(), inner.end());
    return true;
  }

  // An escape outside a class.
  bool escape(std::vector<ByteSet>& out) {
    if (pos_ + 1 >= p_.size()) return false;
    char e = p_[pos_ + 1];
    switch (e) {
      case 'b':
      case 'B':
      case 'A':
      case 'z':
      case 'Z':
      case 'G':
      case 'K':
        pos_ += 2;
        return true;
      case 'E':
        pos_ += 2;
        transparent_ = true;
        return true;
      case 'N':  // any byte but a newline
        pos_ += 2;
        return true;
      case 'R':  // a newline sequence
        pos_ += 2;
        out.push_back(of("\n\v\f\r\x85"));
        return true;
      case 'Q': {
        // Literal text: each byte an atom, a quantifier after \E applies to the last.
        size_t end = p_.find("\\E", pos_ + 2);
        size_t stop = end == std::string_view::npos ? p_.size() : end;
        std::string_view text = p_.substr(pos_ + 2, stop - pos_ - 2);
        pos_ = end == std::string_view::npos ? p_.size() : end + 2;
        if (text.empty()) {
          transparent_ = true;
          return true;
        }
        for (size_t i = 0; i + 1 < text.size(); ++i) out.push_back(item(of(text.substr(i, 1))));
        // The last byte is the one a following quantifier repeats.
        std::vector<ByteSet> last{item(of(text.substr(text.size() - 1)))};
        bool optional = false;
        for (;;) {
          int min = quantifier();
          if (min == -2) return false;
          if (min == -1) break;
          if (min == 0) optional = true;
          if (peek() == '?' || peek() == '+') ++pos_;
        }
        if (!optional) out.push_back(last[0]);
        return true;
      }
      default: {
        ByteSet s;
        if (!escape_set(s, false)) return false;
        if (!is_full(s)) out.push_back(item(s));
        return true;
      }
    }
  }

  // An escape naming a byte or a class of bytes, at pos_ ('\\'); moves past it. Inside
  // a class `\b` is the backspace. Where PCRE and RE2 (or locales) read a class escape
  // differently, `narrow` asks for the bytes every reading matches (for a negated class,
  // whose complement must stay wide), otherwise for the bytes any reading matches.
  bool escape_set(ByteSet& s, bool in_class, bool narrow = false) {
    if (pos_ + 1 >= p_.size()) return false;
    char e = p_[pos_ + 1];
    pos_ += 2;
    static const ByteSet kDigit = range('0', '9');
    static const ByteSet kWord = [] {
      ByteSet w = range('0', '9');
      w.merge(range('a', 'z'));
      w.merge(range('A', 'Z'));
      w.add('_');
      return w;
    }();
    // Widest and narrowest readings of \s (PCRE, RE2 after the VT rewrite, C locale).
    static const ByteSet kSpaceWide = of(" \t\n\v\f\r\x85\xa0");
    static const ByteSet kSpaceNarrow = of(" \t\n\f\r");
    switch (e) {
      case 'd':
        s = kDigit;
        return true;
      case 'D':
        s = complement(kDigit);
        return true;
      case 'w':
        s = kWord;
        return true;
      case 'W':
        s = complement(kWord);
        return true;
      case 's':
        s = narrow ? kSpaceNarrow : kSpaceWide;
        return true;
      case 'S':
        s = complement(narrow ? kSpaceWide : kSpaceNarrow);
        return true;
      case 'h':
        s = narrow ? of("\t ") : of("\t \xa0");
        return true;
      case 'H':
        s = complement(narrow ? of("\t \xa0") : of("\t "));
        return true;
      case 'v':  // PCRE: vertical space; RE2: the vertical tab
        s = narrow ? of("\v") : of("\n\v\f\r\x85");
        return true;
      case 'V':
        s = complement(narrow ? of("\n\v\f\r\x85") : of("\v"));
        return true;
      case 'n':
        s = of("\n");
        return true;
      case 'r':
        s = of("\r");
        return true;
      case 't':
        s = of("\t");
        return true;
      case 'f':
        s = of("\f");
        return true;
      case 'e':
        s = of("\x1b");
        return true;
      case 'a':
        s = of("\x07");
        return true;
      case 'b':
        if (!in_class) return false;
        s = of("\b");
        return true;
      case '0': {
        int v = 0;
        for (int n = 0; n < 2 && peek() >= '0' && peek() <= '7'; ++n)
          v = v * 8 + (p_[pos_++] - '0');
        s.add(static_cast<uint8_t>(v));
        return true;
      }
      case 'x': {
        int v = 0;
        if (peek() == '{') {
          size_t end = p_.find('}', pos_);
          if (end == std::string_view::npos || end == pos_ + 1) return false;
          for (size_t i = pos_ + 1; i < end; ++i) {
            int h = hex_value(p_[i]);
            if (h < 0) return false;
            v = v * 16 + h;
            if (v > 0xff) return false;
          }
          pos_ = end + 1;
        } else {
          for (int n = 0; n < 2 && hex_value(peek()) >= 0; ++n) v = v * 16 + hex_value(p_[pos_++]);
        }
        s.add(static_cast<uint8_t>(v));
        return true;
      }
      default:
        // Any other letter or digit escape (\1, \p, \c, \o, \g, \k, \X ...) is not followed.
        if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9'))
          return false;
        s.add(static_cast<uint8_t>(e));  // an escaped punctuation or other byte
        return true;
    }
  }

  // [...] at pos_; `s` gets the bytes it matches (folded when caseless).
  bool char_class(ByteSet& s) {
    ++pos_;  // '['
    bool negated = false;
    if (peek() == '^') {
      negated = true;
      ++pos_;
    }
    ByteSet members;
    bool first = true;
    while (true) {
      if (at_end()) return false;
      char c = p_[pos_];
      if (c == ']' && !first) {
        ++pos_;
        break;
      }
      first = false;
      if (c == '[' && peek(1) == ':') {
        size_t end = p_.find(":]", pos_ + 2);
        if (end == std::string_view::npos) return false;
        ByteSet posix;
        if (!posix_class(p_.substr(pos_ + 2, end - pos_ - 2), negated, posix)) return false;
        members.merge(posix);
        pos_ = end + 2;
        continue;
      }
      if (c == '[' && (peek(1) == '.' || peek(1) == '=')) return false;  // collating elements
      // One element: a byte (which may start a range) or a class escape.
      int lo = -1;
      if (c == '\\') {
        if (peek(1) == 'Q' || peek(1) == 'E') return false;
        ByteSet e;
        if (!escape_set(e, true, negated)) return false;
        int count = 0;
        for (int b = 0; b < 256 && count < 2; ++b) {
          if (e.has(static_cast<uint8_t>(b))) {
            lo = b;
            ++count;
          }
        }
        if (count != 1) {
          // A class escape: a following '-' is then literal in PCRE (an error in RE2).
          members.merge(e);
          continue;
        }
      } else {
        lo = static_cast<uint8_t>(c);
        ++pos_;
      }
      if (peek() == '-' && pos_ + 1 < p_.size() && p_[pos_ + 1] != ']') {
        ++pos_;  // '-'
        int hi;
        if (peek() == '\\') {
          ByteSet e;
          if (!escape_set(e, true)) return false;
          int count = 0;
          hi = -1;
          for (int b = 0; b < 256; ++b) {
            if (e.has(static_cast<uint8_t>(b))) {
              hi = b;
              ++count;
            }
          }
          if (count != 1) return false;
        } else if (peek() == '[') {
          return false;  // a POSIX class as a range end
        } else {
          hi = static_cast<uint8_t>(p_[pos_++]);
        }
        if (hi < lo) return false;
        members.merge(range(lo, hi));
      } else {
        members.add(static_cast<uint8_t>(lo));
      }
    }
    if (!negated) {
      s = caseless_ ? fold(members) : members;
      return true;
    }
    // A negated class matches fewer bytes caseless than not, so folding its members is
    // right only where the whole pattern is caseless; there, PCRE's ASCII-only folding
    // leaves more bytes outside than RE2's Latin-1 folding: the wider of the two.
    s = complement(caseless_whole_ ? fold_ascii(members) : members);
    return true;
  }

  // `narrow`: as for escape_set.
  static bool posix_class(std::string_view name, bool narrow, ByteSet& s) {
    bool negated = !name.empty() && name[0] == '^';
    if (negated) narrow = !narrow;
    if (negated) name.remove_prefix(1);
    ByteSet r;
    if (name == "alpha") {
      r = range('a', 'z');
      r.merge(range('A', 'Z'));
    } else if (name == "digit") {
      r = range('0', '9');
    } else if (name == "alnum") {
      r = range('a', 'z');
      r.merge(range('A', 'Z'));
      r.merge(range('0', '9'));
    } else if (name == "word") {
      r = range('a', 'z');
      r.merge(range('A', 'Z'));
      r.merge(range('0', '9'));
      r.add('_');
    } else if (name == "space") {
      r = narrow ? of(" \t\n\f\r") : of(" \t\n\v\f\r\x85\xa0");
    } else if (name == "blank") {
      r = narrow ? of(" \t") : of(" \t\xa0");
    } else if (name == "upper") {
      r = range('A', 'Z');
    } else if (name == "lower") {
      r = range('a', 'z');
    } else if (name == "xdigit") {
      r = range('0', '9');
      r.merge(range('a', 'f'));
      r.merge(range('A', 'F'));
    } else if (name == "punct") {
      r = range('!', '/');
      r.merge(range(':', '@'));
      r.merge(range('[', '`'));
      r.merge(range('{', '~'));
    } else if (name == "cntrl") {
      r = range(0, 31);
      r.add(127);
    } else if (name == "graph") {
      r = range('!', '~');
    } else if (name == "print") {
      r = range(' ', '~');
    } else if (name == "ascii") {
      r = range(0, 127);
    } else {
      return false;
    }
    if (name == "upper" || name == "lower") {
      // Caseless matching reads either as all letters.
      if (!narrow) r = fold(r);
    }
    if (negated) r = complement(r);
    s = r;
    return true;
  }

  std::string_view p_;
  size_t pos_ = 0;
  bool caseless_;
  bool caseless_whole_;
  bool transparent_ = false;  // the last item read matches nothing and is not repeatable
};

}  // namespace

ByteSet bytes_present(std::string_view text) {
  ByteSet s;
  for (char c : text) s.add(static_cast<uint8_t>(c));
  return s;
}

std::optional<std::vector<ByteSet>> required_byte_sets(std::string_view pattern) {
  // Extended mode (whitespace and comments ignored) is not followed.
  if (names_option(pattern, 'x') || names_option(pattern, 'X')) return std::nullopt;
  // Caseless throughout only when it says so first and no group turns options off.
  const bool caseless_whole =
      pattern.starts_with("(?i)") && !names_option(pattern, '-') && !names_option(pattern, '^');
  Analyser analyser(pattern, names_option(pattern, 'i'), caseless_whole);
  auto sets = analyser.run();
  if (!sets) return std::nullopt;
  // Folding a negated POSIX class or a complement may make a set full: it says nothing.
  sets->erase(
      std::remove_if(sets->begin(), sets->end(), [](const ByteSet& s) { return is_full(s); }),
      sets->end());
  for (const ByteSet& s : *sets) {
    if (is_empty(s)) return std::nullopt;  // a class that matches nothing: leave it to the regex
  }
  return sets;
}

ByteCondition byte_condition_for(std::string_view pattern) {
  ByteCondition condition;
  auto sets = required_byte_sets(pattern);
  if (!sets) return condition;
  // Sets so common in ordinary text that nearly every value passes cost a test each and
  // spare little: past the rarest one (which still settles empty and short values),
  // only rare sets and sets without letters and digits are kept.
  constexpr double kMaxWeight = 6;
  std::vector<std::pair<double, ByteSet>> ranked;
  for (const ByteSet& s : *sets) ranked.emplace_back(weight(s), s);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<ByteSet> kept;
  for (const auto& entry : ranked) {
    const ByteSet& s = entry.second;
    if (!kept.empty() && entry.first > kMaxWeight && s.intersects(alphanumeric())) continue;
    // A set holding a kept one adds nothing: that one already requires one of its bytes.
    bool implied =
        std::any_of(kept.begin(), kept.end(), [&](const ByteSet& k) { return subset(k, s); });
    if (implied) continue;
    kept.push_back(s);
    condition.push(s);
    if (kept.size() == ByteCondition::kMaxSets) break;
  }
  return condition;
}

}  // namespace rampart::seclang
