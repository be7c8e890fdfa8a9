#include "rules/lexer.h"

#include <charconv>

#include "core/hex.h"

namespace rampart::rules {
namespace {

bool is_word_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':';
}

bool is_word_char(char c) {
  return is_word_start(c) || c == '.' || c == '/';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// List names are config labels.
bool is_list_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

using core::hex_value;

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  LexResult run() {
    LexResult result;
    while (true) {
      skip_space();
      if (pos_ >= text_.size()) break;
      Token token;
      token.offset = pos_;
      if (!next(token)) {
        result.error = error_;
        return result;
      }
      token.length = pos_ - token.offset;
      result.tokens.push_back(std::move(token));
    }
    Token end;
    end.offset = text_.size();
    result.tokens.push_back(end);
    return result;
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool fail(size_t offset, size_t length, std::string message) {
    error_ = CompileError{offset, length == 0 ? 1 : length, std::move(message)};
    return false;
  }

  char peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  bool next(Token& token) {
    char c = text_[pos_];
    switch (c) {
      case '(':
        return single(token, TokenKind::kLParen);
      case ')':
        return single(token, TokenKind::kRParen);
      case '{':
        return single(token, TokenKind::kLBrace);
      case '}':
        return single(token, TokenKind::kRBrace);
      case '[':
        return single(token, TokenKind::kLBracket);
      case ']':
        return single(token, TokenKind::kRBracket);
      case ',':
        return single(token, TokenKind::kComma);
      case '*':
        return single(token, TokenKind::kStar);
      case '"':
        return quoted(token);
      case '$':
        return list(token);
      default:
        break;
    }
    if (c == 'r' && (peek(1) == '"' || peek(1) == '#')) return raw(token);
    if (c == '-' && is_digit(peek(1))) {
      ++pos_;
      return word(token, true);
    }
    if (is_word_start(c)) return word(token, false);
    return symbol(token);
  }

  bool single(Token& token, TokenKind kind) {
    token.kind = kind;
    token.text = std::string(1, text_[pos_]);
    ++pos_;
    return true;
  }

  bool symbol(Token& token) {
    static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">=", "&&", "||", "^^"};
    std::string_view rest = text_.substr(pos_);
    for (std::string_view s : kTwo) {
      if (rest.starts_with(s)) {
        token.kind = TokenKind::kSymbol;
        token.text = std::string(s);
        pos_ += 2;
        return true;
      }
    }
    char c = text_[pos_];
    if (c == '<' || c == '>' || c == '~' || c == '!') {
      token.kind = TokenKind::kSymbol;
      token.text = std::string(1, c);
      ++pos_;
      return true;
    }
    if (c == '=') return fail(pos_, 1, "unexpected \"=\"; compare with \"eq\" or \"==\"");
    if (c == '\'') return fail(pos_, 1, "strings are written in double quotes: \"...\"");
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return fail(pos_, 1, "unexpected byte in expression");
    return fail(pos_, 1, "unexpected character \"" + std::string(1, c) + "\"");
  }

  bool list(Token& token) {
    size_t start = ++pos_;
    while (pos_ < text_.size() && is_list_char(text_[pos_])) ++pos_;
    if (pos_ == start) return fail(start - 1, 1, "expected a list name after \"$\"");
    token.kind = TokenKind::kList;
    token.text = std::string(text_.substr(start, pos_ - start));
    return true;
  }

  bool word(Token& token, bool negative) {
    size_t start = negative ? pos_ - 1 : pos_;
    while (pos_ < text_.size() && is_word_char(text_[pos_])) ++pos_;
    std::string_view w = text_.substr(start, pos_ - start);
    token.text = std::string(w);
    bool has_colon = w.find(':') != std::string_view::npos;
    bool has_dot = w.find('.') != std::string_view::npos;
    bool digit_start = is_digit(w[negative ? 1 : 0]);
    if (!negative && (has_colon || (digit_start && (has_dot || w.find('/') != w.npos)))) {
      token.kind = TokenKind::kIp;
      return true;
    }
    if (digit_start) {
      int64_t value = 0;
      auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), value);
      if (ec == std::errc::result_out_of_range) {
        return fail(start, w.size(), "the number is out of range for a 64-bit integer");
      }
      if (ec != std::errc() || end != w.data() + w.size()) {
        return fail(start, w.size(), "\"" + token.text + "\" is not a number");
      }
      token.kind = TokenKind::kInt;
      token.integer = value;
      return true;
    }
    if (w.find('/') != std::string_view::npos) {
      return fail(start, w.size(), "\"" + token.text + "\" is not a field name or an IP prefix");
    }
    if (w.back() == '.' || w.find("..") != std::string_view::npos) {
      return fail(start, w.size(), "\"" + token.text + "\" is not a valid field name");
    }
    token.kind = TokenKind::kWord;
    return true;
  }

  bool quoted(Token& token) {
    size_t start = pos_++;
    std::string out;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        token.kind = TokenKind::kString;
        token.text = std::move(out);
        return true;
      }
      if (c == '\\') {
        char e = peek(1);
        size_t at = pos_;
        pos_ += 2;
        switch (e) {
          case '"':
          case '\\':
            out.push_back(e);
            break;
          case 'n':
            out.push_back('\n');
            break;
          case 'r':
            out.push_back('\r');
            break;
          case 't':
            out.push_back('\t');
            break;
          case '0':
            out.push_back('\0');
            break;
          case 'x': {
            int hi = hex_value(peek(0));
            int lo = hex_value(peek(1));
            if (hi < 0 || lo < 0) return fail(at, 2, "\\x needs two hex digits");
            out.push_back(static_cast<char>(hi << 4 | lo));
            pos_ += 2;
            break;
          }
          default:
            return fail(at, 2,
                        "unknown escape; write \\\\ for a backslash (or use a raw string "
                        "r\"...\" for regular expressions)");
        }
        continue;
      }
      out.push_back(c);
      ++pos_;
    }
    return fail(start, pos_ - start, "the string is not closed with \"");
  }

  // r"..." or r#"..."# (any number of #): nothing inside is an escape, which is what
  // regular expressions want.
  bool raw(Token& token) {
    size_t start = pos_++;
    size_t hashes = 0;
    while (peek() == '#') {
      ++hashes;
      ++pos_;
    }
    if (peek() != '"') return fail(start, pos_ - start, "expected \" to open the raw string");
    ++pos_;
    std::string close(1, '"');
    close.append(hashes, '#');
    size_t end = text_.find(close, pos_);
    if (end == std::string_view::npos) {
      return fail(start, text_.size() - start, "the raw string is not closed with " + close);
    }
    token.kind = TokenKind::kString;
    token.text = std::string(text_.substr(pos_, end - pos_));
    pos_ = end + close.size();
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  CompileError error_;
};

}  // namespace

LexResult lex(std::string_view text) {
  return Lexer(text).run();
}

}  // namespace rampart::rules
