#pragma once
// A regex with ModSecurity's @rx semantics (PCRE compiled with DOTALL and MULTILINE,
// bytes rather than UTF-8): RE2 when it can express the pattern the way PCRE reads it,
// PCRE2 (JIT, with a match limit) for the rest (lookaround, backreferences, possessive
// quantifiers, \Z, ...). Private to the operator files.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "seclang/operator.h"

namespace re2 {
class RE2;
}

namespace rampart::seclang::detail {

class PcreCompatRegex {
 public:
  // nullptr and `error` set when neither RE2 nor PCRE2 accepts the pattern.
  static std::unique_ptr<PcreCompatRegex> compile(const std::string& pattern, size_t match_limit,
                                                  std::string& error);
  ~PcreCompatRegex();

  // `captures` (may be null) receives group 0 and up to 9 groups on a match.
  MatchResult match(std::string_view input, Captures* captures) const;
  // PCRE2 for every input (RE2 may still have a PCRE2 twin for inputs ending in '\n').
  bool uses_pcre2() const { return re2_ == nullptr; }
  const std::string& pattern() const { return pattern_; }

 private:
  PcreCompatRegex() = default;
  MatchResult match_re2(std::string_view input, Captures* captures) const;
  MatchResult match_pcre2(std::string_view input, Captures* captures) const;

  std::string pattern_;
  std::unique_ptr<re2::RE2> re2_;
  void* pcre_ = nullptr;  // pcre2_code_8*, kept out of this header
  size_t match_limit_ = 0;
  int groups_ = 0;  // capturing groups in the pattern
};

// The pattern rewritten for RE2 so that it means what PCRE reads: `\s` also matches
// the vertical tab and `\S` does not (PCRE2's \s includes VT, RE2's does not); `\S`
// inside a class is left as RE2 reads it. Exposed for tests.
std::string rewrite_for_re2(std::string_view pattern);

// True when RE2 would read the pattern differently from PCRE in a way the rewrite
// cannot fix: case-insensitive matching of bytes >= 0x80 (RE2 in Latin-1 mode folds
// À/à, PCRE without UTF folds only ASCII).
bool needs_pcre_semantics(std::string_view pattern);

// Whether the pattern holds a `^` line-start anchor (outside classes and \Q..\E).
bool has_line_start_anchor(std::string_view pattern);

}  // namespace rampart::seclang::detail
