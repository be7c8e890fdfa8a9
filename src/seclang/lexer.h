#pragma once
// SecLang text → directives as lists of words, before any meaning is given to them.
//
// The rules follow ModSecurity v3 (which keeps Apache's configuration syntax):
// - one directive per line; a line whose last non-blank character is `\` goes on
//   the next line (the backslash and the line break are removed, nothing else);
// - a line whose first non-blank character is `#` is a comment; unlike Apache, and
//   like ModSecurity v3, a backslash at its end does not pull the next line in;
// - words are separated by blanks; a word that starts with `"` or `'` runs to the
//   matching quote. A backslash right before that quote keeps it from closing the word,
//   and stays in the text: ModSecurity v3 passes `"@streq a\"b"` to the operator as
//   `a\"b` and `"@rx ['\"]"` to the regex engine as `['\"]`. A quote preceded by two
//   backslashes closes the word (`"a\\"` is the word `a\\`);
// - in an unquoted word a single-quoted part is kept whole, quotes included, so that
//   `ARGS:'a b'` stays one word.

#include <string>
#include <string_view>
#include <vector>

namespace rampart::seclang {

struct LexWord {
  std::string text;     // surrounding quotes removed; backslashes kept
  bool quoted = false;  // the whole word was in double or single quotes
};

struct LexDirective {
  int line = 0;  // 1-based line where the directive starts
  std::vector<LexWord> words;
};

struct LexError {
  int line = 0;
  std::string message;
};

struct LexResult {
  std::vector<LexDirective> directives;
  std::vector<LexError> errors;  // a directive with an error is left out of `directives`
};

LexResult lex(std::string_view text);

}  // namespace rampart::seclang
