// XML bodies: a well-formedness check that collects what ModSecurity's XML:/* yields
// (the root element's text content: text and CDATA of every descendant, references
// decoded, comments and processing instructions left out) and XML://@* (attribute
// values). No DTD is read and no entity is expanded: a DOCTYPE is accepted (as libxml2
// accepts it) and the entities it declares are left as they are, which also rules out
// entity-expansion and external-entity attacks; any other entity is an error.
// Nesting is bounded by an explicit stack (libxml2's default limit of 256 levels).

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/hex.h"
#include "seclang/body.h"

namespace rampart::seclang {
namespace {

constexpr size_t kMaxDepth = 256;

bool name_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}
bool name_char(unsigned char c) {
  return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}
bool space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
// Control characters other than tab, LF and CR are not XML characters.
bool bad_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

void append_utf8(std::string& out, unsigned long cp) {
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

class XmlChecker {
 public:
  XmlChecker(std::string_view in, ParsedBody& out) : in_(in), out_(out) {}

  bool run() {
    if (in_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    if (in_.substr(pos_, 5) == "<?xml" && pos_ + 5 < in_.size() && space(in_[pos_ + 5])) {
      if (!skip_until("?>")) return false;
    }
    if (!misc()) return false;
    if (!starts("<") || !element()) return false;
    seen_root_ = true;
    if (!misc()) return false;
    return pos_ == in_.size();
  }

 private:
  bool starts(std::string_view s) const { return in_.substr(pos_, s.size()) == s; }

  bool skip_until(std::string_view end) {
    size_t at = in_.find(end, pos_);
    if (at == std::string_view::npos) return false;
    pos_ = at + end.size();
    return true;
  }

  // Comments, processing instructions and whitespace around the root element.
  bool misc() {
    while (pos_ < in_.size()) {
      if (space(in_[pos_])) {
        ++pos_;
      } else if (starts("<!--")) {
        if (!comment()) return false;
      } else if (starts("<?")) {
        if (!pi()) return false;
      } else if (starts("<!DOCTYPE") && !seen_doctype_ && !seen_root_) {
        if (!doctype()) return false;
      } else {
        return true;
      }
    }
    return true;
  }

  // `<!DOCTYPE name ... [internal subset]>`, accepted as libxml2 accepts it without loading
  // anything: the entities it declares are remembered so their references are not errors,
  // and are never expanded (no external entity is ever read).
  bool doctype() {
    seen_doctype_ = true;
    pos_ += 9;
    size_t subset = std::string_view::npos;
    for (size_t i = pos_; i < in_.size(); ++i) {
      if (in_[i] == '[') {
        subset = i;
        break;
      }
      if (in_[i] == '>') {
        pos_ = i + 1;
        return true;
      }
    }
    if (subset == std::string_view::npos) return false;
    size_t close = in_.find("]", subset);
    if (close == std::string_view::npos) return false;
    std::string_view decls = in_.substr(subset + 1, close - subset - 1);
    for (size_t at = decls.find("<!ENTITY"); at != std::string_view::npos;
         at = decls.find("<!ENTITY", at + 8)) {
      size_t i = at + 8;
      while (i < decls.size() && (space(decls[i]) || decls[i] == '%')) ++i;
      size_t start = i;
      while (i < decls.size() && !space(decls[i]) && decls[i] != '>') ++i;
      if (i > start && declared_.size() < 256) declared_.push_back(decls.substr(start, i - start));
    }
    size_t end = close + 1;
    while (end < in_.size() && space(in_[end])) ++end;
    if (end >= in_.size() || in_[end] != '>') return false;
    pos_ = end + 1;
    return true;
  }

  bool comment() {
    size_t end = in_.find("--", pos_ + 4);
    if (end == std::string_view::npos || end + 2 >= in_.size() || in_[end + 2] != '>') return false;
    pos_ = end + 3;
    return true;
  }

  bool pi() {
    pos_ += 2;
    size_t start = pos_;
    while (pos_ < in_.size() && name_char(static_cast<unsigned char>(in_[pos_]))) ++pos_;
    std::string_view target = in_.substr(start, pos_ - start);
    if (target.empty() || !name_start(static_cast<unsigned char>(target[0]))) return false;
    if (target.size() == 3 && (target[0] | 0x20) == 'x' && (target[1] | 0x20) == 'm' &&
        (target[2] | 0x20) == 'l') {
      return false;  // an XML declaration anywhere but the very start
    }
    return skip_until("?>");
  }

  bool name(std::string_view& out) {
    size_t start = pos_;
    if (pos_ >= in_.size() || !name_start(static_cast<unsigned char>(in_[pos_]))) return false;
    while (pos_ < in_.size() && name_char(static_cast<unsigned char>(in_[pos_]))) ++pos_;
    out = in_.substr(start, pos_ - start);
    return true;
  }

  void skip_space() {
    while (pos_ < in_.size() && space(in_[pos_])) ++pos_;
  }

  // `&...;` at pos_: the five predefined entities and character references.
  bool reference(std::string& out) {
    size_t semi = in_.find(';', pos_);
    if (semi == std::string_view::npos || semi - pos_ > 12) return false;
    std::string_view ref = in_.substr(pos_ + 1, semi - pos_ - 1);
    pos_ = semi + 1;
    if (ref == "lt") return out.push_back('<'), true;
    if (ref == "gt") return out.push_back('>'), true;
    if (ref == "amp") return out.push_back('&'), true;
    if (ref == "apos") return out.push_back('\''), true;
    if (ref == "quot") return out.push_back('"'), true;
    for (std::string_view entity : declared_) {
      if (entity == ref) return true;  // declared in the DOCTYPE: kept unexpanded
    }
    if (ref.size() < 2 || ref[0] != '#') return false;
    bool hex = ref[1] == 'x';
    std::string_view digits = ref.substr(hex ? 2 : 1);
    if (digits.empty()) return false;
    unsigned long cp = 0;
    for (char d : digits) {
      int v = hex ? core::hex_value(d) : (d >= '0' && d <= '9' ? d - '0' : -1);
      if (v < 0) return false;
      cp = cp * (hex ? 16 : 10) + static_cast<unsigned long>(v);
    }
    bool valid = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                 (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
    if (!valid) return false;
    append_utf8(out, cp);
    return true;
  }

  bool attributes(bool& self_closing) {
    std::unordered_set<std::string_view> seen;
    while (true) {
      bool had_space = pos_ < in_.size() && space(in_[pos_]);
      skip_space();
      if (pos_ >= in_.size()) return false;
      if (in_[pos_] == '>') {
        ++pos_;
        self_closing = false;
        return true;
      }
      if (starts("/>")) {
        pos_ += 2;
        self_closing = true;
        return true;
      }
      std::string_view attr;
      if (!had_space || !name(attr) || !seen.insert(attr).second) return false;
      skip_space();
      if (pos_ >= in_.size() || in_[pos_] != '=') return false;
      ++pos_;
      skip_space();
      if (pos_ >= in_.size() || (in_[pos_] != '"' && in_[pos_] != '\'')) return false;
      char quote = in_[pos_++];
      std::string value;
      while (true) {
        if (pos_ >= in_.size()) return false;
        char c = in_[pos_];
        if (c == quote) break;
        if (c == '<' || bad_char(c)) return false;
        if (c == '&') {
          if (!reference(value)) return false;
          continue;
        }
        // Attribute-value normalisation: each whitespace character becomes a space.
        if (c == '\r' && pos_ + 1 < in_.size() && in_[pos_ + 1] == '\n') ++pos_;
        value.push_back(space(c) ? ' ' : c);
        ++pos_;
      }
      ++pos_;
      // Namespace declarations are not attributes to XPath (`//@*` leaves them out).
      if (attr != "xmlns" && attr.substr(0, 6) != "xmlns:") {
        out_.xml_attribute_values.push_back(std::move(value));
      }
    }
  }

  // The root element and everything in it, with an explicit stack of open names.
  bool element() {
    std::vector<std::string_view> open;
    while (true) {
      if (starts("</")) {
        pos_ += 2;
        std::string_view closing;
        if (!name(closing) || open.empty() || closing != open.back()) return false;
        skip_space();
        if (pos_ >= in_.size() || in_[pos_] != '>') return false;
        ++pos_;
        open.pop_back();
        if (open.empty()) return true;
      } else if (starts("<!--")) {
        if (open.empty() || !comment()) return false;
      } else if (starts("<![CDATA[")) {
        if (open.empty()) return false;
        size_t end = in_.find("]]>", pos_ + 9);
        if (end == std::string_view::npos) return false;
        append_text(in_.substr(pos_ + 9, end - pos_ - 9));
        pos_ = end + 3;
      } else if (starts("<?")) {
        if (open.empty() || !pi()) return false;
      } else if (starts("<")) {
        ++pos_;
        std::string_view tag;
        if (!name(tag) || open.size() >= kMaxDepth) return false;
        bool self_closing = false;
        if (!attributes(self_closing)) return false;
        if (self_closing) {
          if (open.empty()) return true;
        } else {
          open.push_back(tag);
        }
      } else if (pos_ >= in_.size() || open.empty()) {
        return false;
      } else if (in_[pos_] == '&') {
        if (!reference(out_.xml_text)) return false;
      } else {
        size_t end = in_.find_first_of("<&", pos_);
        if (end == std::string_view::npos) end = in_.size();
        std::string_view text = in_.substr(pos_, end - pos_);
        for (char c : text) {
          if (bad_char(c)) return false;
        }
        if (text.find("]]>") != std::string_view::npos) return false;
        append_text(text);
        pos_ = end;
      }
    }
  }

  // Line ends are normalised to LF, as an XML parser must.
  void append_text(std::string_view text) {
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\r') {
        out_.xml_text.push_back('\n');
        if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      } else {
        out_.xml_text.push_back(text[i]);
      }
    }
  }

  std::string_view in_;
  ParsedBody& out_;
  size_t pos_ = 0;
  bool seen_doctype_ = false;
  bool seen_root_ = false;
  std::vector<std::string_view> declared_;
};

}  // namespace

ParsedBody parse_xml(std::string_view body, const BodyLimits& limits) {
  ParsedBody parsed;
  if (!XmlChecker(body, parsed).run()) {
    parsed.error = true;
    parsed.error_message = "XML parsing error: XML: Failed parsing document.";
  }
  return parsed;
}

}  // namespace rampart::seclang
