// The SQL tokenizer of @detectSQLi: reads the dialects an injection targets (MySQL,
// PostgreSQL, MSSQL, Oracle, SQLite) loosely enough that a fragment of a statement
// still splits into the tokens a database would see.

#include <array>
#include <cstdint>
#include <cstring>

#include "seclang/detect_sqli_internal.h"

namespace rampart::seclang::sqli {
namespace {

// Byte classes, looked up once per byte.
enum : uint8_t { kSpaceClass = 1, kDigitClass = 2, kWordClass = 4 };

constexpr std::array<uint8_t, 256> kClasses = [] {
  std::array<uint8_t, 256> t{};
  // MySQL also takes a non-breaking space (0xA0) as whitespace; a NUL byte is
  // dropped by many of the layers a value crosses before it reaches a database.
  for (int c : {0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0xA0, 0x00}) t[c] |= kSpaceClass;
  for (int c = '0'; c <= '9'; ++c) t[c] |= kDigitClass | kWordClass;
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= kWordClass;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kWordClass;
  for (int c = 0x80; c <= 0xFF; ++c) {
    if (c != 0xA0) t[c] |= kWordClass;
  }
  t[static_cast<unsigned char>('_')] |= kWordClass;
  t[static_cast<unsigned char>('$')] |= kWordClass;
  return t;
}();

bool is_space(unsigned char c) {
  return (kClasses[c] & kSpaceClass) != 0;
}

bool is_digit(unsigned char c) {
  return (kClasses[c] & kDigitClass) != 0;
}

bool is_word_char(unsigned char c) {
  return (kClasses[c] & kWordClass) != 0;
}

bool is_hex(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

bool word_is(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Where the literal that starts at `from` (just after its opening `delim`) ends:
// the index of its closing quote, or the input's size. A backslash escapes the next
// byte (MySQL) and a doubled quote is a quote inside the literal (standard SQL).
size_t Lexer::string_end(size_t from, char delim, bool& closed) const {
  size_t i = from;
  size_t q = 0;  // the next quote at or after i; found again only once i passes it
  bool have_q = false;
  while (i < in_.size()) {
    if (!have_q || q < i) {
      const void* hit = std::memchr(in_.data() + i, delim, in_.size() - i);
      q = hit ? static_cast<size_t>(static_cast<const char*>(hit) - in_.data()) : in_.size();
      have_q = true;
    }
    // A backslash before the quote escapes the byte after it.
    const void* bs = std::memchr(in_.data() + i, '\\', q - i);
    if (bs) {
      i = static_cast<size_t>(static_cast<const char*>(bs) - in_.data()) + 2;
      continue;
    }
    if (q >= in_.size()) break;
    if (q + 1 < in_.size() && in_[q + 1] == delim) {
      i = q + 2;
      continue;
    }
    closed = true;
    return q;
  }
  closed = false;
  return in_.size();
}

void Lexer::word(Token& out, size_t start) {
  size_t i = start;
  while (i < in_.size() && is_word_char(static_cast<unsigned char>(in_[i]))) ++i;
  out.text = in_.substr(start, i - start);
  pos_ = i;
  // A literal with a prefix: N'..' (national), X'..' (hex), B'..' (bits), E'..'
  // (PostgreSQL escapes), _charset'..' (MySQL introducer).
  if (i < in_.size() && (in_[i] == '\'' || in_[i] == '"') &&
      ((out.text.size() == 1 && std::strchr("nNxXbBeE", out.text[0]) != nullptr) ||
       (out.text.size() > 1 && out.text[0] == '_'))) {
    bool closed = false;
    size_t end = string_end(i + 1, in_[i], closed);
    out.type = kString;
    out.text = in_.substr(i + 1, end - i - 1);
    out.closed = closed;
    pos_ = closed ? end + 1 : end;
    return;
  }
  out.type = classify_word(out.text, out.known_function);
  if (out.type == kBareword) {
    // MySQL wants a built-in's '(' right after its name unless told otherwise; other
    // databases allow a space, so a known function may have one.
    size_t j = i;
    if (out.known_function) {
      while (j < in_.size() && is_space(static_cast<unsigned char>(in_[j]))) ++j;
    }
    out.opens_call = j < in_.size() && in_[j] == '(';
  }
}

void Lexer::number(Token& out, size_t start) {
  size_t i = start;
  if (in_[i] == '0' && i + 1 < in_.size() && (in_[i + 1] == 'x' || in_[i + 1] == 'X') &&
      i + 2 < in_.size() && is_hex(static_cast<unsigned char>(in_[i + 2]))) {
    i += 2;
    while (i < in_.size() && is_hex(static_cast<unsigned char>(in_[i]))) ++i;
  } else if (in_[i] == '0' && i + 2 < in_.size() && (in_[i + 1] == 'b' || in_[i + 1] == 'B') &&
             (in_[i + 2] == '0' || in_[i + 2] == '1')) {
    i += 2;
    while (i < in_.size() && (in_[i] == '0' || in_[i] == '1')) ++i;
  } else {
    while (i < in_.size() && is_digit(static_cast<unsigned char>(in_[i]))) ++i;
    if (i < in_.size() && in_[i] == '.') {
      ++i;
      while (i < in_.size() && is_digit(static_cast<unsigned char>(in_[i]))) ++i;
    }
    if (i + 1 < in_.size() && (in_[i] == 'e' || in_[i] == 'E')) {
      size_t j = i + 1;
      if (in_[j] == '+' || in_[j] == '-') ++j;
      if (j < in_.size() && is_digit(static_cast<unsigned char>(in_[j]))) {
        i = j;
        while (i < in_.size() && is_digit(static_cast<unsigned char>(in_[i]))) ++i;
      }
    }
  }
  out.type = kNumber;
  out.text = in_.substr(start, i - start);
  pos_ = i;
}

void Lexer::symbol(Token& out, size_t start) {
  const char c = in_[start];
  const char d = start + 1 < in_.size() ? in_[start + 1] : '\0';
  const char e = start + 2 < in_.size() ? in_[start + 2] : '\0';
  size_t len = 1;
  char type = kOperator;
  switch (c) {
    case '(':
    case ')':
    case ',':
    case ';':
    case '.':
    case '{':
    case '}':
      type = c;
      break;
    case ':':
      if (d == '=' || d == ':') {
        len = 2;
      } else {
        type = ':';
      }
      break;
    case '|':
      if (d == '|') {
        len = 2;
        type = kLogic;
      }
      break;
    case '&':
      if (d == '&') {
        len = 2;
        type = kLogic;
      }
      break;
    case '<':
      if (d == '=' && e == '>') {
        len = 3;
      } else if (d == '=' || d == '>' || d == '<') {
        len = 2;
      }
      break;
    case '>':
    case '!':
      if (d == '=' || (c == '>' && d == '>')) len = 2;
      break;
    case '-':
      if (d == '>') len = e == '>' ? 3 : 2;
      break;
    case '=':
    case '+':
    case '*':
    case '/':
    case '%':
    case '^':
    case '~':
      break;
    default:
      type = kUnknown;
      break;
  }
  out.type = type;
  out.text = in_.substr(start, len);
  pos_ = start + len;
}

size_t Lexer::next_quote(size_t from) {
  // Remembered, so that a line of many comment signs is still read once.
  if (!quote_at_known_ || quote_at_ < from) {
    quote_at_known_ = true;
    const void* hit = std::memchr(in_.data() + from, quote_, in_.size() - from);
    quote_at_ = hit ? static_cast<size_t>(static_cast<const char*>(hit) - in_.data()) : in_.size();
  }
  return quote_at_;
}

bool Lexer::next(Token& out) {
  out = Token{};
  if (quote_ != 0 && !started_) {
    started_ = true;
    bool closed = false;
    size_t end = string_end(0, quote_, closed);
    out.type = kString;
    out.text = in_.substr(0, end);
    out.closed = closed;
    pos_ = closed ? end + 1 : end;
    return true;
  }
  started_ = true;
  for (;;) {
    while (pos_ < in_.size() && is_space(static_cast<unsigned char>(in_[pos_]))) {
      ++pos_;
      out.spaced = true;
    }
    // The end of a /*! ... */ block is as good as whitespace.
    if (pos_ + 1 < in_.size() && in_[pos_] == '*' && in_[pos_ + 1] == '/') {
      pos_ += 2;
      out.spaced = true;
      continue;
    }
    break;
  }
  if (pos_ >= in_.size()) return false;
  const size_t start = pos_;
  const unsigned char c = static_cast<unsigned char>(in_[start]);
  const char d = start + 1 < in_.size() ? in_[start + 1] : '\0';
  if (c == '\'' || c == '"') {
    bool closed = false;
    size_t end = string_end(start + 1, static_cast<char>(c), closed);
    out.type = kString;
    out.text = in_.substr(start + 1, end - start - 1);
    out.closed = closed;
    pos_ = closed ? end + 1 : end;
  } else if (c == '`') {
    // A quoted identifier is a name whatever it spells.
    size_t end = in_.find('`', start + 1);
    if (end == std::string_view::npos) end = in_.size();
    out.type = kBareword;
    out.text = in_.substr(start + 1, end - start - 1);
    pos_ = end < in_.size() ? end + 1 : end;
  } else if (c == '/' && d == '*') {
    if (start + 2 < in_.size() && in_[start + 2] == '!') {
      // MySQL runs what is inside /*! ... */ as code: no legitimate input has it.
      out.type = kEvil;
      out.text = in_.substr(start, 3);
      pos_ = start + 3;
    } else {
      size_t end = in_.find("*/", start + 2);
      end = end == std::string_view::npos ? in_.size() : end + 2;
      out.type = kComment;
      out.text = in_.substr(start, end - start);
      pos_ = end;
    }
  } else if ((c == '-' && d == '-' &&
              (start + 2 >= in_.size() || is_space(static_cast<unsigned char>(in_[start + 2])) ||
               static_cast<unsigned char>(in_[start + 2]) < 0x20)) ||
             c == '#') {
    // "--" starts a comment only before whitespace, as in MySQL; "--option" is text.
    size_t end = in_.find('\n', start);
    if (end == std::string_view::npos) end = in_.size();
    // Read from inside a literal, a quote after the comment sign means the sign was
    // quoted text ('#', "--"), not the end of an injection.
    if (quote_ != 0 && next_quote(start) < end) {
      out.type = kUnknown;
      out.text = in_.substr(start, 1);
      pos_ = start + 1;
      return true;
    }
    out.type = kComment;
    out.text = in_.substr(start, end - start);
    pos_ = end;
  } else if (is_digit(c) || (c == '.' && is_digit(static_cast<unsigned char>(d)))) {
    number(out, start);
  } else if (c == '@') {
    size_t i = start;
    while (i < in_.size() && in_[i] == '@') ++i;
    while (i < in_.size() && (is_word_char(static_cast<unsigned char>(in_[i])) || in_[i] == '.'))
      ++i;
    out.type = kVariable;
    out.text = in_.substr(start, i - start);
    pos_ = i;
  } else if (is_word_char(c)) {
    word(out, start);
  } else {
    symbol(out, start);
  }
  return true;
}

}  // namespace rampart::seclang::sqli
