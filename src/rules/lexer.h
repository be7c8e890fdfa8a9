#pragma once
// Splits an expression into tokens. Keywords (eq, and, in, ...) come out as words;
// the parser decides what a word means where it stands.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/error.h"

namespace rampart::rules {

enum class TokenKind : uint8_t {
  kWord,    // field, function or keyword: http.request.uri.path, lower, eq
  kString,  // "..." or r"..." / r#"..."#; `text` holds the unescaped bytes
  kInt,     // 42, -7
  kIp,      // 192.0.2.1, 10.0.0.0/8, 2001:db8::/32 (validated by the parser)
  kList,    // $name; `text` holds the name
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kLBracket,
  kRBracket,
  kComma,
  kStar,
  kSymbol,  // == != < <= > >= ~ && || ! ^^
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t offset = 0;
  size_t length = 0;
  std::string text;  // the token as written, except kString (unescaped) and kList (name)
  int64_t integer = 0;
};

struct LexResult {
  std::vector<Token> tokens;  // ends with kEnd
  std::optional<CompileError> error;
};

LexResult lex(std::string_view text);

}  // namespace rampart::rules
