// application/json bodies, flattened into arguments the way ModSecurity v3 (built on
// yajl) names them: `json` for a top-level scalar, `.key` per object member (`empty-key`
// for ""), `.array_N` per array element; numbers keep their text, booleans are
// `true`/`false`, null is empty, empty objects and arrays add nothing. Like yajl's
// streaming parser, the arguments met before a syntax error are kept, and the error text
// is yajl's. An explicit stack (no recursion) bounds the work on hostile nesting.

#include <string>
#include <string_view>
#include <vector>

#include "core/hex.h"
#include "seclang/body.h"

namespace rampart::seclang {
namespace {

constexpr std::string_view kCancelled =
    "parse error: client cancelled parse via callback return value\n";

struct Frame {
  bool array;
  size_t base_len;  // the container's own name: path.substr(0, base_len)
  size_t index = 0;
};

enum class Expect { kValue, kFirstKey, kKey, kColon, kMapNext, kFirstElement, kArrayNext, kEnd };

class JsonParser {
 public:
  JsonParser(std::string_view in, const BodyLimits& limits, ParsedBody& out)
      : in_(in), limits_(limits), out_(out) {}

  void run() {
    path_ = "json";
    Expect expect = Expect::kValue;
    while (true) {
      skip_space();
      if (pos_ >= in_.size()) {
        if (expect != Expect::kEnd) fail("parse error: premature EOF\n");
        return;
      }
      char c = in_[pos_];
      switch (expect) {
        case Expect::kEnd:
          return fail("parse error: trailing garbage\n");
        case Expect::kColon:
          if (c != ':')
            return fail("parse error: object key and value must be separated by a colon (':')\n");
          ++pos_;
          expect = Expect::kValue;
          continue;
        case Expect::kMapNext:
        case Expect::kArrayNext: {
          bool array = expect == Expect::kArrayNext;
          if (c == ',') {
            ++pos_;
            expect = array ? Expect::kValue : Expect::kKey;
            if (array) element_path();
            continue;
          }
          if (c == (array ? ']' : '}')) {
            ++pos_;
            expect = close_container();
            continue;
          }
          // A value glued to the previous one is lexed first, as yajl does (`01` → `0`, `1`).
          if (!lex_check_only()) return;
          return fail(array
                          ? "parse error: after array element, I expect ',' or ']'\n"
                          : "parse error: after key and value, inside map, I expect ',' or '}'\n");
        }
        case Expect::kFirstKey:
          if (c == '}') {
            ++pos_;
            expect = close_container();
            continue;
          }
          [[fallthrough]];
        case Expect::kKey: {
          if (c != '"') {
            if (!lex_check_only()) return;
            return fail("parse error: invalid object key (must be a string)\n");
          }
          std::string key;
          if (!lex_string(key)) return;
          Frame& f = stack_.back();
          path_.resize(f.base_len);
          path_ += '.';
          path_ += key.empty() ? std::string_view("empty-key") : std::string_view(key);
          expect = Expect::kColon;
          continue;
        }
        case Expect::kFirstElement:
          if (c == ']') {
            ++pos_;
            expect = close_container();
            continue;
          }
          element_path();
          [[fallthrough]];
        case Expect::kValue: {
          if (c == '{' || c == '[') {
            ++pos_;
            if (stack_.size() + 1 > limits_.max_json_depth) {
              return fail(std::string(kCancelled) + ". Parsing depth limit exceeded");
            }
            stack_.push_back(Frame{c == '[', path_.size()});
            expect = c == '[' ? Expect::kFirstElement : Expect::kFirstKey;
            continue;
          }
          if (c == '}' || c == ']' || c == ',' || c == ':') {
            return fail("parse error: unallowed token at this point in JSON text\n");
          }
          std::string value;
          if (!lex_scalar(value)) return;
          if (out_.args.size() >= limits_.max_args) return fail(std::string(kCancelled));
          out_.args.push_back(Argument{path_, std::move(value)});
          expect = after_value();
          continue;
        }
      }
    }
  }

 private:
  void fail(std::string message) {
    out_.error = true;
    out_.error_message = "JSON parsing error: " + std::move(message);
  }

  void skip_space() {
    while (pos_ < in_.size()) {
      char c = in_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') break;
      ++pos_;
    }
  }

  void element_path() {
    Frame& f = stack_.back();
    path_.resize(f.base_len);
    path_ += ".array_";
    path_ += std::to_string(f.index);
  }

  Expect after_value() {
    if (stack_.empty()) return Expect::kEnd;
    Frame& f = stack_.back();
    if (f.array) {
      ++f.index;
      return Expect::kArrayNext;
    }
    return Expect::kMapNext;
  }

  Expect close_container() {
    stack_.pop_back();
    return after_value();
  }

  // Lexes the token at pos_ only to report a lexical error ahead of a parse error.
  bool lex_check_only() {
    std::string ignored;
    char c = in_[pos_];
    if (c == '{' || c == '[' || c == '}' || c == ']' || c == ',' || c == ':') return true;
    return lex_scalar(ignored);
  }

  bool lex_scalar(std::string& value) {
    char c = in_[pos_];
    if (c == '"') return lex_string(value);
    if (c == '-' || (c >= '0' && c <= '9')) return lex_number(value);
    for (std::string_view word :
         {std::string_view("true"), std::string_view("false"), std::string_view("null")}) {
      if (c != word[0]) continue;
      for (size_t i = 1; i < word.size(); ++i) {
        if (pos_ + i >= in_.size() || in_[pos_ + i] != word[i]) {
          fail("lexical error: invalid string in json text.\n");
          return false;
        }
      }
      pos_ += word.size();
      value = word == "null" ? "" : std::string(word);
      return true;
    }
    fail("lexical error: invalid char in json text.\n");
    return false;
  }

  bool digit_at(size_t i) const { return i < in_.size() && in_[i] >= '0' && in_[i] <= '9'; }

  bool lex_number(std::string& value) {
    size_t i = pos_;
    if (in_[i] == '-') {
      ++i;
      if (!digit_at(i)) {
        fail("lexical error: malformed number, a digit is required after the minus sign.\n");
        return false;
      }
    }
    if (in_[i] == '0') {
      ++i;
    } else {
      while (digit_at(i)) ++i;
    }
    if (i < in_.size() && in_[i] == '.') {
      ++i;
      if (!digit_at(i)) {
        fail(
            "lexical error: malformed number, a digit is required after the "
            "decimal point.\n");
        return false;
      }
      while (digit_at(i)) ++i;
    }
    if (i < in_.size() && (in_[i] == 'e' || in_[i] == 'E')) {
      ++i;
      if (i < in_.size() && (in_[i] == '+' || in_[i] == '-')) ++i;
      if (!digit_at(i)) {
        fail("lexical error: malformed number, a digit is required after the exponent.\n");
        return false;
      }
      while (digit_at(i)) ++i;
    }
    value.assign(in_.substr(pos_, i - pos_));
    pos_ = i;
    return true;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool hex4(size_t i, unsigned& cp) const {
    if (i + 4 > in_.size()) return false;
    cp = 0;
    for (size_t k = i; k < i + 4; ++k) {
      int v = core::hex_value(in_[k]);
      if (v < 0) return false;
      cp = cp * 16 + static_cast<unsigned>(v);
    }
    return true;
  }

  // yajl checks only the shape of a multi-byte sequence (lead byte, continuation bytes).
  size_t utf8_length(size_t i) const {
    auto b = static_cast<unsigned char>(in_[i]);
    size_t n = (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > in_.size()) return n == 0 ? 0 : n;  // truncation: caller sees EOF
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(in_[i + k]) >> 6) != 0x2) return 0;
    }
    return n;
  }

  bool lex_string(std::string& out) {
    size_t i = pos_ + 1;
    while (true) {
      if (i >= in_.size()) {
        fail("parse error: premature EOF\n");
        return false;
      }
      auto c = static_cast<unsigned char>(in_[i]);
      if (c == '"') break;
      if (c < 0x20) {
        fail("lexical error: invalid character inside string.\n");
        return false;
      }
      if (c == '\\') {
        if (i + 1 >= in_.size()) {
          fail("parse error: premature EOF\n");
          return false;
        }
        char e = in_[i + 1];
        switch (e) {
          case '"':
            out.push_back('"');
            break;
          case '\\':
            out.push_back('\\');
            break;
          case '/':
            out.push_back('/');
            break;
          case 'b':
            out.push_back('\b');
            break;
          case 'f':
            out.push_back('\f');
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
          case 'u': {
            unsigned cp = 0;
            if (!hex4(i + 2, cp)) {
              fail(i + 6 > in_.size() ? "parse error: premature EOF\n"
                                      : "lexical error: invalid (non-hex) character occurs after "
                                        "'\\u' inside string.\n");
              return false;
            }
            i += 4;
            unsigned low = 0;
            if ((cp & 0xFC00) == 0xD800) {
              if (i + 3 < in_.size() && in_[i + 2] == '\\' && in_[i + 3] == 'u' &&
                  hex4(i + 4, low)) {
                cp = ((cp & 0x3F) << 10) | ((((cp >> 6) & 0xF) + 1) << 16) | (low & 0x3FF);
                i += 6;
              } else {
                out.push_back('?');  // a lone high surrogate, as yajl writes it
                i += 2;
                continue;
              }
            }
            append_utf8(out, cp);
            break;
          }
          default:
            fail(
                "lexical error: inside a string, '\\' occurs before a character which it may "
                "not.\n");
            return false;
        }
        i += 2;
        continue;
      }
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
        ++i;
        continue;
      }
      size_t n = utf8_length(i);
      if (n == 0) {
        fail("lexical error: invalid bytes in UTF8 string.\n");
        return false;
      }
      if (i + n > in_.size()) {
        fail("parse error: premature EOF\n");
        return false;
      }
      out.append(in_.substr(i, n));
      i += n;
    }
    pos_ = i + 1;
    return true;
  }

  std::string_view in_;
  const BodyLimits& limits_;
  ParsedBody& out_;
  size_t pos_ = 0;
  std::string path_;
  std::vector<Frame> stack_;
};

}  // namespace

ParsedBody parse_json(std::string_view body, const BodyLimits& limits) {
  ParsedBody parsed;
  // ModSecurity does not run the JSON processor on an empty body.
  if (body.empty()) return parsed;
  JsonParser(body, limits, parsed).run();
  return parsed;
}

}  // namespace rampart::seclang
