// @detectXSS: the input is read the way an HTML parser would read it where it may
// land: in text, or inside an attribute value (unquoted, or in single, double or
// back quotes). From there the scanner follows tags and attributes as a browser does
// and flags the first thing that can run script: a dangerous tag, an event handler
// or style attribute with a value, a URL with a script scheme, an IE conditional
// comment. It allocates nothing and reads each byte a bounded number of times per
// context.

#include "seclang/detect_xss.h"

#include <cstring>

#include "seclang/detect_xss_internal.h"

namespace rampart::seclang {
namespace {

using xss::AttributeKind;

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

bool is_alpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool contains_ci(std::string_view hay, std::string_view lower_needle) {
  if (lower_needle.size() > hay.size()) return false;
  for (size_t i = 0; i + lower_needle.size() <= hay.size(); ++i) {
    size_t k = 0;
    while (k < lower_needle.size()) {
      char c = hay[i + k];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != lower_needle[k]) break;
      ++k;
    }
    if (k == lower_needle.size()) return true;
  }
  return false;
}

bool starts_with_ci(std::string_view s, std::string_view lower_prefix) {
  return s.size() >= lower_prefix.size() &&
         contains_ci(s.substr(0, lower_prefix.size()), lower_prefix);
}

// The context of a value pasted inside a tag, where an attribute name would go.
constexpr char kInTag = '<';

class Scanner {
 public:
  explicit Scanner(std::string_view in) : in_(in) {}

  // `quote`: 0 to start in text, kInTag among a tag's attributes, ' ' inside an
  // unquoted attribute value, else the quote the value is inside of.
  bool run(char quote) {
    pos_ = 0;
    if (quote == kInTag) {
      if (in_tag()) return true;
    } else if (quote != 0) {
      value_end(quote == ' ' ? 0 : quote);
      if (in_tag()) return true;
    }
    return text();
  }

 private:
  // Skips an attribute value starting at pos_ (after its opening quote if `quote`).
  std::string_view value_end(char quote) {
    const size_t start = pos_;
    if (quote != 0) {
      const size_t end = in_.find(quote, start);
      pos_ = end == std::string_view::npos ? in_.size() : end + 1;
      return in_.substr(start, (end == std::string_view::npos ? in_.size() : end) - start);
    }
    while (pos_ < in_.size() && !is_space(static_cast<unsigned char>(in_[pos_])) &&
           in_[pos_] != '>')
      ++pos_;
    return in_.substr(start, pos_ - start);
  }

  // The attributes of a tag, up to and past its '>'; true if one can run script.
  bool in_tag() {
    for (;;) {
      while (pos_ < in_.size() &&
             (is_space(static_cast<unsigned char>(in_[pos_])) || in_[pos_] == '/'))
        ++pos_;
      if (pos_ >= in_.size()) return false;
      if (in_[pos_] == '>') {
        ++pos_;
        return false;
      }
      const size_t name_start = pos_;
      ++pos_;  // a name may start with '='
      while (pos_ < in_.size()) {
        const unsigned char c = static_cast<unsigned char>(in_[pos_]);
        if (is_space(c) || c == '/' || c == '>' || c == '=') break;
        ++pos_;
      }
      const std::string_view name = in_.substr(name_start, pos_ - name_start);
      size_t j = pos_;
      while (j < in_.size() && is_space(static_cast<unsigned char>(in_[j]))) ++j;
      // Only an attribute with a value can do anything.
      if (j >= in_.size() || in_[j] != '=') continue;
      const AttributeKind kind = xss::attribute_kind(name);
      pos_ = j + 1;
      while (pos_ < in_.size() && is_space(static_cast<unsigned char>(in_[pos_]))) ++pos_;
      char quote = 0;
      if (pos_ < in_.size() && (in_[pos_] == '"' || in_[pos_] == '\'' || in_[pos_] == '`')) {
        quote = in_[pos_];
        ++pos_;
      }
      const std::string_view value = value_end(quote);
      switch (kind) {
        case AttributeKind::kHandler:
        case AttributeKind::kStyle:
        case AttributeKind::kActive:
          return true;
        case AttributeKind::kUrl:
          if (xss::is_dangerous_url(value)) return true;
          break;
        case AttributeKind::kPlain:
          break;
      }
    }
  }

  // Text with markup in it; true at the first markup that can run script.
  bool text() {
    while (pos_ < in_.size()) {
      const void* lt = std::memchr(in_.data() + pos_, '<', in_.size() - pos_);
      if (lt == nullptr) return false;
      pos_ = static_cast<size_t>(static_cast<const char*>(lt) - in_.data()) + 1;
      if (pos_ >= in_.size()) return false;
      const unsigned char c = static_cast<unsigned char>(in_[pos_]);
      if (is_alpha(c)) {
        const size_t start = pos_;
        while (pos_ < in_.size()) {
          const unsigned char d = static_cast<unsigned char>(in_[pos_]);
          if (is_space(d) || d == '/' || d == '>') break;
          ++pos_;
        }
        if (xss::is_dangerous_tag(in_.substr(start, pos_ - start))) return true;
        if (in_tag()) return true;
      } else if (c == '/') {
        skip_past('>');  // an end tag carries nothing that runs
      } else if (c == '!' && in_.substr(pos_).starts_with("!--")) {
        const size_t end = in_.find("-->", pos_ + 3);
        const std::string_view body =
            in_.substr(pos_ + 3, (end == std::string_view::npos ? in_.size() : end) - pos_ - 3);
        if (dangerous_comment(body)) return true;
        pos_ = end == std::string_view::npos ? in_.size() : end + 3;
      } else if (c == '!' || c == '?') {
        // <!DOCTYPE starts a document of its own; <!ENTITY, <?xml and <?import make
        // the rest of the input XML that IE and XSLT act on. Other <! and <? are
        // comments to an HTML parser.
        const size_t end = in_.find('>', pos_);
        const std::string_view body =
            in_.substr(pos_ + 1, (end == std::string_view::npos ? in_.size() : end) - pos_ - 1);
        if (c == '!' && starts_with_ci(body, "doctype")) return true;
        if (dangerous_comment(body) || starts_with_ci(body, "xml") ||
            starts_with_ci(body, "import") || starts_with_ci(body, "entity")) {
          return true;
        }
        pos_ = end == std::string_view::npos ? in_.size() : end + 1;
      }
    }
    return false;
  }

  // IE ran markup in conditional comments, and took a backtick for a tag's end.
  static bool dangerous_comment(std::string_view body) {
    return contains_ci(body, "[if") || contains_ci(body, "<![endif") ||
           body.find('`') != std::string_view::npos;
  }

  void skip_past(char c) {
    const size_t end = in_.find(c, pos_);
    pos_ = end == std::string_view::npos ? in_.size() : end + 1;
  }

  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

bool detect_xss(std::string_view input) {
  // Every finding needs a tag ('<') or an attribute value ('='): most input has neither.
  bool markup = false;
  for (char c : input) {
    if (c == '<' || c == '=') {
      markup = true;
      break;
    }
  }
  if (!markup) return false;
  Scanner scanner(input);
  static constexpr char kContexts[] = {0, kInTag, ' ', '"', '\'', '`'};
  for (char quote : kContexts) {
    // Inside a quoted value that the input never closes, nothing of it is markup.
    if (quote != 0 && quote != ' ' && quote != kInTag &&
        input.find(quote) == std::string_view::npos)
      continue;
    if (scanner.run(quote)) return true;
  }
  return false;
}

}  // namespace rampart::seclang
