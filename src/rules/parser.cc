#include "rules/parser.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "rules/lexer.h"

namespace rampart::rules {
namespace {

struct OperatorName {
  std::string_view word;
  CompareOp op;
};

constexpr OperatorName kComparisons[] = {
    {"eq", CompareOp::kEq},
    {"==", CompareOp::kEq},
    {"ne", CompareOp::kNe},
    {"!=", CompareOp::kNe},
    {"lt", CompareOp::kLt},
    {"<", CompareOp::kLt},
    {"le", CompareOp::kLe},
    {"<=", CompareOp::kLe},
    {"gt", CompareOp::kGt},
    {">", CompareOp::kGt},
    {"ge", CompareOp::kGe},
    {">=", CompareOp::kGe},
    {"contains", CompareOp::kContains},
    {"matches", CompareOp::kMatches},
    {"~", CompareOp::kMatches},
    {"wildcard", CompareOp::kWildcard},
    {"in", CompareOp::kIn},
};

bool is_keyword(std::string_view w) {
  for (const auto& c : kComparisons) {
    if (c.word == w) return true;
  }
  return w == "and" || w == "or" || w == "xor" || w == "not" || w == "strict";
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens)
      : text_(text), tokens_(std::move(tokens)) {}

  ParseResult run() {
    ParseResult result;
    auto root = expression();
    if (root && current().kind != TokenKind::kEnd) {
      const Token& t = current();
      if (t.kind == TokenKind::kRParen) {
        fail(t, "unexpected \")\" with no \"(\" to close");
      } else if (previous_was_value_) {
        fail(t, "expected \"and\", \"or\" or the end of the expression, got " + describe(t));
      } else {
        fail(t, "unexpected " + describe(t));
      }
      root.reset();
    }
    if (!root) {
      result.error = error_;
      return result;
    }
    result.ast = std::move(ast_);
    result.ast.root = *root;
    return result;
  }

 private:
  using Index = std::optional<uint32_t>;

  const Token& current() const { return tokens_[pos_]; }
  size_t end_of_previous() const {
    return pos_ == 0 ? 0 : tokens_[pos_ - 1].offset + tokens_[pos_ - 1].length;
  }
  const Token& advance() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }

  bool is_word(std::string_view w) const {
    return current().kind == TokenKind::kWord && current().text == w;
  }
  bool is_symbol(std::string_view s) const {
    return current().kind == TokenKind::kSymbol && current().text == s;
  }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case TokenKind::kEnd:
        return "the end of the expression";
      case TokenKind::kString:
        return "a string";
      default:
        return "\"" + t.text + "\"";
    }
  }

  Index fail(const Token& t, std::string message) {
    if (!failed_) {
      error_ = CompileError{t.offset, t.length == 0 ? 1 : t.length, std::move(message)};
      failed_ = true;
    }
    return std::nullopt;
  }

  Index add(AstNode node) {
    if (ast_.nodes.size() >= kMaxAstNodes) {
      return fail(current(), "the expression is too large (more than " +
                                 std::to_string(kMaxAstNodes) + " parts)");
    }
    ast_.nodes.push_back(std::move(node));
    return static_cast<uint32_t>(ast_.nodes.size() - 1);
  }

  Index binary(AstKind kind, const Token& op, uint32_t lhs, uint32_t rhs) {
    AstNode n;
    n.kind = kind;
    n.offset = op.offset;
    n.length = op.length;
    n.children = {lhs, rhs};
    return add(std::move(n));
  }

  // A guard on recursion depth: parentheses and `not` nest.
  struct Depth {
    explicit Depth(size_t& d) : d_(d) { ++d_; }
    ~Depth() { --d_; }
    size_t& d_;
  };

  Index expression() {
    Depth depth(nesting_);
    if (nesting_ > kMaxNesting) return fail(current(), "the expression nests too deeply");
    Index lhs = xor_expr();
    while (lhs && (is_word("or") || is_symbol("||"))) {
      Token op = advance();
      Index rhs = xor_expr();
      if (!rhs) return rhs;
      lhs = binary(AstKind::kOr, op, *lhs, *rhs);
    }
    return lhs;
  }

  Index xor_expr() {
    Index lhs = and_expr();
    while (lhs && (is_word("xor") || is_symbol("^^"))) {
      Token op = advance();
      Index rhs = and_expr();
      if (!rhs) return rhs;
      lhs = binary(AstKind::kXor, op, *lhs, *rhs);
    }
    return lhs;
  }

  Index and_expr() {
    Index lhs = unary();
    while (lhs && (is_word("and") || is_symbol("&&"))) {
      Token op = advance();
      Index rhs = unary();
      if (!rhs) return rhs;
      lhs = binary(AstKind::kAnd, op, *lhs, *rhs);
    }
    return lhs;
  }

  Index unary() {
    if (is_word("not") || is_symbol("!")) {
      Depth depth(nesting_);
      if (nesting_ > kMaxNesting) return fail(current(), "the expression nests too deeply");
      Token op = advance();
      Index operand = unary();
      if (!operand) return operand;
      AstNode n;
      n.kind = AstKind::kNot;
      n.offset = op.offset;
      n.length = op.length;
      n.children = {*operand};
      return add(std::move(n));
    }
    return comparison();
  }

  std::optional<CompareOp> comparison_operator(size_t& op_tokens) const {
    op_tokens = 1;
    const Token& t = current();
    if (t.kind == TokenKind::kWord && t.text == "strict" && pos_ + 1 < tokens_.size() &&
        tokens_[pos_ + 1].kind == TokenKind::kWord && tokens_[pos_ + 1].text == "wildcard") {
      op_tokens = 2;
      return CompareOp::kStrictWildcard;
    }
    if (t.kind != TokenKind::kWord && t.kind != TokenKind::kSymbol) return std::nullopt;
    for (const auto& c : kComparisons) {
      if (c.word == t.text) return c.op;
    }
    return std::nullopt;
  }

  Index comparison() {
    Index lhs = operand();
    if (!lhs) return lhs;
    previous_was_value_ = true;
    size_t op_tokens = 0;
    auto op = comparison_operator(op_tokens);
    if (!op) return lhs;
    Token first = advance();
    size_t op_end = first.offset + first.length;
    if (op_tokens == 2) op_end = advance().offset + std::string_view("wildcard").size();
    previous_was_value_ = false;
    Index rhs = *op == CompareOp::kIn ? set_or_list() : operand();
    if (!rhs) return rhs;
    previous_was_value_ = true;
    AstNode n;
    n.kind = AstKind::kCompare;
    n.op = *op;
    n.offset = ast_.nodes[*lhs].offset;
    n.length = std::max<size_t>(1, end_of_previous() - n.offset);  // the whole comparison
    n.op_offset = first.offset;
    n.op_length = op_end - first.offset;
    n.children = {*lhs, *rhs};
    return add(std::move(n));
  }

  Index set_or_list() {
    const Token& t = current();
    if (t.kind == TokenKind::kList) {
      AstNode n;
      n.kind = AstKind::kList;
      n.offset = t.offset;
      n.length = t.length;
      n.text = t.text;
      advance();
      return add(std::move(n));
    }
    if (t.kind != TokenKind::kLBrace) {
      return fail(t,
                  "\"in\" needs a set like {\"a\" \"b\"} or a list like $name, got " + describe(t));
    }
    Token open = advance();
    AstNode set;
    set.kind = AstKind::kSet;
    set.offset = open.offset;
    while (current().kind != TokenKind::kRBrace) {
      const Token& item = current();
      if (item.kind == TokenKind::kEnd) return fail(open, "the set is not closed with \"}\"");
      if (item.kind == TokenKind::kComma) {
        advance();
        continue;
      }
      Index lit = literal();
      if (!lit) {
        return fail(item, "a set holds only strings, numbers and IP addresses or prefixes, got " +
                              describe(item));
      }
      set.children.push_back(*lit);
    }
    Token close = advance();
    set.length = close.offset + 1 - open.offset;
    if (set.children.empty()) return fail(open, "the set is empty");
    return add(std::move(set));
  }

  // A string, number, IP/prefix or true/false; nullopt (without an error) otherwise.
  Index literal() {
    const Token& t = current();
    AstNode n;
    n.offset = t.offset;
    n.length = t.length;
    switch (t.kind) {
      case TokenKind::kString:
        n.kind = AstKind::kString;
        n.text = t.text;
        break;
      case TokenKind::kInt:
        n.kind = AstKind::kInt;
        n.integer = t.integer;
        break;
      case TokenKind::kIp:
        n.kind = AstKind::kIp;
        n.text = t.text;
        break;
      case TokenKind::kWord:
        if (t.text != "true" && t.text != "false") return std::nullopt;
        n.kind = AstKind::kBool;
        n.boolean = t.text == "true";
        break;
      default:
        return std::nullopt;
    }
    advance();
    return add(std::move(n));
  }

  Index operand() {
    const Token& t = current();
    if (t.kind == TokenKind::kLParen) {
      Token open = advance();
      Index inner = expression();
      if (!inner) return inner;
      if (current().kind != TokenKind::kRParen) {
        if (current().kind == TokenKind::kEnd) return fail(open, "\"(\" is never closed");
        return fail(current(), "expected \")\", got " + describe(current()));
      }
      advance();
      return postfix(*inner);
    }
    if (Index lit = literal()) return lit;
    if (failed_) return std::nullopt;
    if (t.kind == TokenKind::kList) {
      return fail(t, "a list can only follow \"in\": ip.src in $" + t.text);
    }
    if (t.kind == TokenKind::kLBrace) {
      return fail(t, "a set can only follow \"in\"");
    }
    if (t.kind != TokenKind::kWord) {
      return fail(t, "expected a field, a function or a value, got " + describe(t));
    }
    if (is_keyword(t.text)) {
      return fail(t,
                  "expected a field, a function or a value, got the operator \"" + t.text + "\"");
    }
    Token name = advance();
    if (current().kind == TokenKind::kLParen) return call(name);
    AstNode n;
    n.kind = AstKind::kField;
    n.offset = name.offset;
    n.length = name.length;
    n.text = name.text;
    Index field = add(std::move(n));
    if (!field) return field;
    return postfix(*field);
  }

  Index call(const Token& name) {
    Depth depth(nesting_);
    if (nesting_ > kMaxNesting) return fail(name, "the expression nests too deeply");
    Token open = advance();
    AstNode n;
    n.kind = AstKind::kCall;
    n.offset = name.offset;
    n.length = name.length;
    n.text = name.text;
    if (current().kind != TokenKind::kRParen) {
      while (true) {
        Index arg = expression();
        if (!arg) return arg;
        n.children.push_back(*arg);
        if (current().kind == TokenKind::kComma) {
          advance();
          continue;
        }
        if (current().kind == TokenKind::kRParen) break;
        if (current().kind == TokenKind::kEnd) return fail(open, "\"(\" is never closed");
        return fail(current(), "expected \",\" or \")\" in the arguments of " + name.text +
                                   "(), got " + describe(current()));
      }
    }
    advance();
    Index node = add(std::move(n));
    if (!node) return node;
    return postfix(*node);
  }

  // base[...] indexes: ["key"] on maps, [0] on arrays, [*] for every element.
  Index postfix(uint32_t base) {
    while (current().kind == TokenKind::kLBracket) {
      Token open = advance();
      AstNode n;
      n.offset = ast_.nodes[base].offset;
      const Token& key = current();
      if (key.kind == TokenKind::kStar) {
        n.kind = AstKind::kEach;
        n.children = {base};
        advance();
      } else if (key.kind == TokenKind::kString || key.kind == TokenKind::kInt) {
        Index lit = literal();
        if (!lit) return lit;
        n.kind = AstKind::kIndex;
        n.children = {base, *lit};
      } else {
        return fail(key, "expected a string key, a number or * inside [ ], got " + describe(key));
      }
      if (current().kind != TokenKind::kRBracket) {
        return fail(current(), "expected \"]\", got " + describe(current()));
      }
      Token close = advance();
      n.length = close.offset + 1 - n.offset;
      (void)open;
      Index node = add(std::move(n));
      if (!node) return node;
      base = *node;
    }
    return base;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  Ast ast_;
  CompileError error_;
  bool failed_ = false;
  bool previous_was_value_ = false;
  size_t nesting_ = 0;
};

}  // namespace

ParseResult parse(std::string_view text) {
  LexResult lexed = lex(text);
  if (lexed.error) {
    ParseResult result;
    result.error = lexed.error;
    return result;
  }
  if (lexed.tokens.size() == 1) {
    ParseResult result;
    result.error = CompileError{0, 1, "the expression is empty"};
    return result;
  }
  return Parser(text, std::move(lexed.tokens)).run();
}

}  // namespace rampart::rules
