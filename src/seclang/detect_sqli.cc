// @detectSQLi: the token stream of the input is folded (expressions that compute one
// value become that value, comments between tokens vanish, multi-word keywords become
// one) and the types of its first five tokens form the fingerprint, which is matched
// against the shapes injections take. The shapes come from how an injected fragment
// has to continue the query it lands in: close the literal or number it was pasted
// into, then add a condition, a clause, a union, another statement or a comment that
// cuts off the rest.

#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>

#include "seclang/detect_sqli.h"
#include "seclang/detect_sqli_internal.h"

namespace rampart::seclang {
namespace {

using sqli::Lexer;
using sqli::Token;
using sqli::word_is;

constexpr size_t kFingerprintSize = 5;
// Folding only ever merges the last few tokens, so once this many are on the stack
// the first five are final.
constexpr int kStackSize = 8;

bool is_value(const Token& t, bool call_head) {
  return !call_head &&
         (t.type == sqli::kNumber || t.type == sqli::kString || t.type == sqli::kBareword ||
          t.type == sqli::kVariable || t.type == sqli::kFunction);
}

bool is_word_operator(const Token& t) {
  return t.type == sqli::kOperator && !t.text.empty() &&
         ((t.text[0] >= 'a' && t.text[0] <= 'z') || (t.text[0] >= 'A' && t.text[0] <= 'Z'));
}

bool is_unary(const Token& t) {
  return t.type == sqli::kOperator && (t.text == "+" || t.text == "-" || t.text == "~" ||
                                       t.text == "!" || word_is(t.text, "not"));
}

bool is_unary_only(const Token& t) {
  return t.text == "~" || t.text == "!" || word_is(t.text, "not");
}

class Folder {
 public:
  // Takes the next token; false once the fingerprint cannot change any more.
  bool add(const Token& in) {
    if (in.type == sqli::kComment) {
      comment_ = true;
      comment_text_ = in.text;
      return true;
    }
    ++raw_;
    Token t = in;
    if (comment_) {
      // A comment used as whitespace is a sign of evasion: it counts as a token.
      t.spaced = true;
      comment_ = false;
      ++raw_;
    }
    if (n_ > 0 && merge_into_top(t)) return true;
    // A subquery where a value belongs: "= (select", "in (select", "and (select",
    // "concat((select". Checked as it comes, as it may lie beyond the fingerprint.
    if (t.type == sqli::kStatement && n_ >= 2 && st_[n_ - 1].type == '(' &&
        (head_[n_ - 2] || std::strchr("o&,(UB", st_[n_ - 2].type) != nullptr)) {
      subquery_ = true;
    }
    st_[n_] = t;
    head_[n_] = t.opens_call;
    if (t.opens_call && t.known_function) st_[n_].type = sqli::kFunction;
    ++n_;
    reduce();
    return n_ < kStackSize;
  }

  bool subquery() const { return subquery_; }
  // The type of the argument of a call concatenated to a leading literal, or 0.
  char concat_call() const { return concat_call_; }
  int raw_tokens() const { return raw_; }
  std::string_view comment_text() const { return comment_ ? comment_text_ : std::string_view(); }
  const Token& token(int i) const { return st_[i]; }

  // The fingerprint: the first five types, then 'c' if the input ends in a comment.
  size_t fingerprint(char* out) const {
    size_t len = 0;
    for (int i = 0; i < n_ && len < kFingerprintSize; ++i) out[len++] = st_[i].type;
    if (comment_ && len < kFingerprintSize) out[len++] = sqli::kComment;
    return len;
  }

 private:
  // Tokens that only complete the one before them: "order by", "union all",
  // "waitfor delay", "is not", "a.b".
  bool merge_into_top(const Token& t) {
    Token& top = st_[n_ - 1];
    if (top.type == sqli::kBareword && t.type == sqli::kKeyword && word_is(t.text, "by") &&
        (word_is(top.text, "order") || word_is(top.text, "group"))) {
      top.type = sqli::kClause;
      return true;
    }
    if (top.type == sqli::kUnion && (word_is(t.text, "all") || word_is(t.text, "distinct")))
      return true;
    if (top.type == sqli::kStatement && word_is(top.text, "waitfor") &&
        (word_is(t.text, "delay") || word_is(t.text, "time"))) {
      return true;
    }
    if (is_word_operator(top) && is_word_operator(t)) {
      top.text = std::string_view(
          top.text.data(), static_cast<size_t>(t.text.data() + t.text.size() - top.text.data()));
      return true;
    }
    if (t.type == sqli::kBareword && top.type == '.' && n_ >= 2 &&
        (st_[n_ - 2].type == sqli::kBareword || st_[n_ - 2].type == sqli::kVariable)) {
      --n_;
      return true;
    }
    return false;
  }

  bool value_at(int i) const { return is_value(st_[i], head_[i]); }

  void pop_to(int n) { n_ = n; }

  void reduce() {
    for (;;) {
      const int n = n_;
      if (n < 2) return;
      const Token& top = st_[n - 1];
      const Token& below = st_[n - 2];
      // A sign or negation in front of a value: "-1", "not 1", "!x".
      if ((value_at(n - 1) || top.type == '(' || head_[n - 1]) && is_unary(below) &&
          (n == 2 || std::strchr("o&(,EkBU;T", st_[n - 3].type) != nullptr)) {
        st_[n - 2] = st_[n - 1];
        head_[n - 2] = head_[n - 1];
        pop_to(n - 1);
        continue;
      }
      // value op value is one value; a call is kept, it is what gives attacks away.
      if (n >= 3 && value_at(n - 1) && below.type == sqli::kOperator && !is_unary_only(below) &&
          value_at(n - 3) && top.type != sqli::kFunction && st_[n - 3].type != sqli::kFunction) {
        pop_to(n - 2);
        continue;
      }
      // Adjacent literals concatenate (MySQL).
      if (top.type == sqli::kString && below.type == sqli::kString) {
        pop_to(n - 1);
        continue;
      }
      if (top.type == ')') {
        // name() is a value.
        if (below.type == '(' && n >= 3 && head_[n - 3]) {
          head_[n - 3] = false;
          pop_to(n - 2);
          continue;
        }
        if (n >= 3 && value_at(n - 2) && st_[n - 3].type == '(') {
          if (n >= 4 && head_[n - 4]) {
            // A literal joined to a call of a number or a literal, the way script is
            // concatenated into a string: x'+alert(1), x"<b>alert('a').
            if (n == 6 && st_[0].type == sqli::kString && st_[1].type == sqli::kOperator &&
                (st_[4].type == sqli::kNumber || st_[4].type == sqli::kString)) {
              concat_call_ = st_[4].type;
            }
            head_[n - 4] = false;  // name(value)
            pop_to(n - 3);
          } else if (n >= 4 &&
                     (st_[n - 4].type == sqli::kBareword || st_[n - 4].type == sqli::kTsql ||
                      st_[n - 4].type == sqli::kKeyword)) {
            // "call me (1)", "while (1)", "as ('x')": the parentheses are kept, an
            // argument list after a command or a name is part of the shape.
            return;
          } else {
            st_[n - 3] = st_[n - 2];  // (value)
            head_[n - 3] = false;
            pop_to(n - 2);
          }
          continue;
        }
      }
      // A list in parentheses: "(1,2,3" folds as it grows.
      if (n >= 4 && value_at(n - 1) && below.type == ',' && value_at(n - 3) &&
          st_[n - 4].type == '(') {
        pop_to(n - 2);
        continue;
      }
      return;
    }
  }

  Token st_[kStackSize];
  bool head_[kStackSize] = {};  // st_[i] is a name whose '(' follows: a call not yet closed
  int n_ = 0;
  bool comment_ = false;
  std::string_view comment_text_;
  bool subquery_ = false;
  char concat_call_ = 0;
  int raw_ = 0;  // tokens read, a trailing comment aside
};

// Attack shapes, matched against the start of a fingerprint. Besides token types:
//   V  any value (1 s n v f), W  a value that is not a bare name (1 s v f),
//   Z  the end, or a token that ends a condition (c ; & B U k ) ),
//   .  any token, $  the end; a leading * lets the rest match anywhere.
constexpr std::string_view kShapes[] = {
    // Out of a quoted literal into a condition: ' or 1=1, ' and sleep(5), ' or 'a'='a
    "s&W",
    "s&nZ",
    "s&n(",
    "s&(",
    "s&k",
    "s)&",
    "s))&",
    "s)))&",
    // The same after a number: 1 or 1=1, 1) and (1=1
    "1&1Z",
    "1&sZ",
    "1&vZ",
    "1&f",
    "1&n(",
    "1&(",
    "1&kk",
    "1&1of",
    "1&sof",
    "1)&",
    "1))&",
    // A comment cutting off the rest of the query: admin'--, admin')#
    "sc$",
    "s)c",
    "s))c",
    "s;c",
    // Another statement: '; drop table users--, 1;select 1 from t, 1;exec sp_x 'y'.
    // A command needs something after its name to be one.
    "s;E..",
    "s);E.",
    "1;E..",
    "1);E.",
    "s;Tn.",
    "s;Tv",
    "s;Ts",
    "s;Tf",
    "s;Ef",
    "s;T(",
    "s);T",
    "1;Tn.",
    "1;Tv",
    "1;Ts",
    "1;Tf",
    "1;Ef",
    "1;T(",
    "n;Tn.",
    // A clause appended to the query: ' order by 3--, 1 group by 1
    "sB1",
    "sBn",
    "sBf",
    "s)B",
    "1B1",
    "1)B",
    "nB1",
    // A delay after a literal: ' waitfor delay '0:0:5'--
    "sEsc",
    // A command or loop with arguments: call proc (1), exec me (1), ' while(1)
    "Tn(1",
    "nTn(1",
    "sT(1",
    "sT(s",
    // Unions and subqueries wherever they appear.
    "*UE",
    "*U(E",
    "*X",
    // A whole statement that reads a table: select 1 from t, select a from b where
    "E1kn",
    "Enknk",
    "Enkn;",
    "Eoknk",
    "Ekn;",
    // A keyword applied to a literal in parentheses: x as ('y'), new Function('...')
    "nk(s",
    // Writing query results to a file: ' into outfile '/var/www/x.php
    "skk",
    // A function call concatenated into a literal: '+sleep(5)+'
    "sof",
};

bool is_value_type(char c) {
  return c == '1' || c == 's' || c == 'n' || c == 'v' || c == 'f';
}

bool ends_condition(char c) {
  return c == 'c' || c == ';' || c == '&' || c == 'B' || c == 'U' || c == ')' || c == 'k';
}

bool char_matches(char want, char got) {
  switch (want) {
    case '.':
      return true;
    case 'V':
      return is_value_type(got);
    case 'W':
      return got != 'n' && is_value_type(got);
    default:
      return want == got;
  }
}

bool matches_at(std::string_view shape, std::string_view fp, size_t at) {
  size_t j = at;
  for (char want : shape) {
    if (want == '$') return j == fp.size();
    if (want == 'Z') {
      if (j == fp.size()) return true;
      if (!ends_condition(fp[j])) return false;
      ++j;
      continue;
    }
    if (j >= fp.size() || !char_matches(want, fp[j])) return false;
    ++j;
  }
  return true;
}

// The shapes by their first type (a leading '*' counts as its own type), so a
// fingerprint is only compared with the shapes that can match it.
constexpr size_t kShapeCount = std::size(kShapes);
static_assert(kShapeCount < 256);

struct ShapeIndex {
  std::array<uint8_t, kShapeCount> order{};  // shape indices grouped by first type
  std::array<uint8_t, 128> begin{}, end{};   // each first type's group in `order`
};

constexpr ShapeIndex kShapeIndex = [] {
  ShapeIndex index;
  size_t n = 0;
  for (int c = 0; c < 128; ++c) {
    index.begin[static_cast<size_t>(c)] = static_cast<uint8_t>(n);
    for (size_t i = 0; i < kShapeCount; ++i) {
      if (kShapes[i][0] == c) index.order[n++] = static_cast<uint8_t>(i);
    }
    index.end[static_cast<size_t>(c)] = static_cast<uint8_t>(n);
  }
  return index;
}();

// Two words, or a word and a semicolon, to start with: a sentence ("the trade union
// select committee"), or a list of cookies, not a query (libinjection agrees).
bool starts_as_prose(std::string_view fp) {
  return fp.size() >= 2 && fp[0] == sqli::kBareword && (fp[1] == sqli::kBareword || fp[1] == ';');
}

// `as_is`: the input was read as it is, not from inside a literal. A literal it
// starts with is then the user's own ('yes' or 'no'), not a way out of the query's.
bool is_attack_shape(std::string_view fp, bool as_is) {
  if (fp.empty() || static_cast<unsigned char>(fp[0]) >= 128) return false;
  for (size_t k = kShapeIndex.begin['*']; k < kShapeIndex.end['*']; ++k) {
    const std::string_view shape = kShapes[kShapeIndex.order[k]];
    if (shape[1] == sqli::kUnion && starts_as_prose(fp)) continue;
    for (size_t at = 0; at < fp.size(); ++at) {
      if (fp[at] == shape[1] && matches_at(shape.substr(1), fp, at)) return true;
    }
  }
  if (as_is && fp[0] == sqli::kString) return false;
  const size_t first = static_cast<size_t>(fp[0]);
  for (size_t k = kShapeIndex.begin[first]; k < kShapeIndex.end[first]; ++k) {
    const std::string_view shape = kShapes[kShapeIndex.order[k]];
    // Most shapes of the group already differ in their second type.
    if (fp.size() > 1 && shape.size() > 1 && shape[1] != 'Z' && shape[1] != '$' &&
        !char_matches(shape[1], fp[1])) {
      continue;
    }
    if (matches_at(shape, fp, 0)) return true;
  }
  return false;
}

struct Reading {
  char fp[kFingerprintSize];
  size_t len = 0;
  bool subquery = false;
  char concat_call = 0;
  // Whether a short fingerprint is an injection rather than ordinary text.
  bool short_is_attack = true;
};

// Short fingerprints are also the shapes of ordinary text, so they count only with
// signs of SQL beyond the shape.
bool short_fingerprint_is_attack(std::string_view fp, const Folder& folder) {
  if (fp.size() == 2 && fp == "sc") {
    // "admin'--" or "admin'/*" ends the query; "it's -- fine" or "#1 fan" is prose.
    const std::string_view c = folder.comment_text();
    return c == "--" || c.starts_with("/*");
  }
  if (fp.size() == 3 && fp[1] == sqli::kLogic && folder.raw_tokens() == 3) {
    // "x' or 'y" is a way out of a literal and back into one; "17 or 18", "x' or y"
    // and "'yes' or 'no'" (nothing computed on either side) are not.
    return fp == "s&s" && !folder.token(2).closed;
  }
  return true;
}

Reading read_as_sql(std::string_view input, char quote) {
  Lexer lexer(input, quote);
  Folder folder;
  Token t;
  while (lexer.next(t)) {
    if (!folder.add(t)) break;
  }
  Reading r;
  r.len = folder.fingerprint(r.fp);
  r.subquery = folder.subquery() && !starts_as_prose(std::string_view(r.fp, r.len));
  r.concat_call = folder.concat_call();
  r.short_is_attack = short_fingerprint_is_attack(std::string_view(r.fp, r.len), folder);
  return r;
}

}  // namespace

bool detect_sqli(std::string_view input, std::string* fingerprint) {
  static constexpr char kContexts[] = {0, '\'', '"'};
  for (char quote : kContexts) {
    // Read from inside a literal, an input without that quote is one whole literal.
    if (quote != 0 && std::memchr(input.data(), quote, input.size()) == nullptr) continue;
    const Reading r = read_as_sql(input, quote);
    const std::string_view fp(r.fp, r.len);
    if (quote != 0 && r.concat_call != 0) {
      if (fingerprint) *fingerprint = std::string("son(") + r.concat_call;
      return true;
    }
    if (r.subquery || (r.short_is_attack && is_attack_shape(fp, quote == 0))) {
      if (fingerprint) fingerprint->assign(fp);
      return true;
    }
  }
  if (fingerprint) fingerprint->clear();
  return false;
}

}  // namespace rampart::seclang

namespace rampart::seclang::sqli {
std::string fingerprint(std::string_view input, char quote) {
  const Reading r = read_as_sql(input, quote);
  return std::string(r.fp, r.len);
}
}  // namespace rampart::seclang::sqli
