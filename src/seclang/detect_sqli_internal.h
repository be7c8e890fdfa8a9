#pragma once
// Internals of @detectSQLi shared by its files (not part of the engine's contract):
// the SQL tokenizer (detect_sqli_lexer.cc), the word classes (detect_sqli_words.cc),
// the folding of the token stream into a fingerprint and the attack shapes it is
// matched against (detect_sqli.cc). Nothing here allocates.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rampart::seclang::sqli {

// Token types, named by the character each one prints as in a fingerprint.
inline constexpr char kString = 's';
inline constexpr char kNumber = '1';
inline constexpr char kBareword = 'n';
inline constexpr char kVariable = 'v';
inline constexpr char kKeyword = 'k';
inline constexpr char kUnion = 'U';
inline constexpr char kStatement = 'E';  // starts a statement: select, insert, drop...
inline constexpr char kClause = 'B';     // order by, group by, having, limit
inline constexpr char kTsql = 'T';       // exec, declare, waitfor...
inline constexpr char kFunction = 'f';   // a call of a known SQL function
inline constexpr char kOperator = 'o';
inline constexpr char kLogic = '&';
inline constexpr char kComment = 'c';
inline constexpr char kEvil = 'X';  // MySQL's executable /*! comment
inline constexpr char kUnknown = '?';

struct Token {
  char type = 0;
  bool spaced = false;          // whitespace or a comment separates it from the previous token
  bool known_function = false;  // a bareword naming a SQL function
  bool opens_call = false;      // a bareword followed by '(': the name of a call
  bool closed = true;           // a string literal with its closing quote
  std::string_view text;        // the token's bytes (a string's without its quotes)
};

// One pass over the input as SQL. `quote` is 0 to read the input as-is, or the quote
// character the input is assumed to start inside of (the value was pasted into a
// quoted literal), in which case the first token is the rest of that literal.
class Lexer {
 public:
  Lexer(std::string_view input, char quote) : in_(input), quote_(quote) {}
  // Fills `out` with the next token; false at the end of the input.
  bool next(Token& out);

 private:
  size_t string_end(size_t from, char delim, bool& closed) const;
  void word(Token& out, size_t start);
  void number(Token& out, size_t start);
  void symbol(Token& out, size_t start);
  // Where the next `quote_` at or after `from` is (the input's size if none).
  size_t next_quote(size_t from);

  std::string_view in_;
  char quote_;
  size_t pos_ = 0;
  bool started_ = false;
  size_t quote_at_ = 0;
  bool quote_at_known_ = false;
};

// What a word is as SQL: one of the token types above (kBareword for an ordinary name);
// `known_function` tells whether a bareword names a function.
char classify_word(std::string_view word, bool& known_function);

// The fingerprint of one reading of `input` (see Lexer for `quote`), whether or not
// it is an attack shape: for tests and for explaining a verdict.
std::string fingerprint(std::string_view input, char quote);

// Case-insensitive equality of a token's text with a lower-case word.
bool word_is(std::string_view text, std::string_view lower);

}  // namespace rampart::seclang::sqli
