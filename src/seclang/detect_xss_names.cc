// The names @detectXSS flags: tags that run or load active content, attributes whose
// value is script, CSS or a URL, and the URL schemes that run script.

#include <algorithm>
#include <array>
#include <cstdint>

#include "seclang/detect_xss_internal.h"

namespace rampart::seclang::xss {
namespace {

constexpr size_t kLongestName = 40;

// Lower-cases `name` into `buf`; empty if it is too long to be any name listed here.
std::string_view lower(std::string_view name, char* buf) {
  if (name.size() > kLongestName) return {};
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return std::string_view(buf, name.size());
}

// The lists are short: a scan that compares lengths first beats a binary search of
// string comparisons.
template <size_t N>
bool listed(const std::array<std::string_view, N>& list, std::string_view key) {
  for (std::string_view item : list) {
    if (item.size() == key.size() && item == key) return true;
  }
  return false;
}

// A bit per letter a-z: whether any name of interest starts with it.
constexpr uint32_t letters(std::string_view initials) {
  uint32_t mask = 0;
  for (char c : initials) mask |= uint32_t{1} << (c - 'a');
  return mask;
}

bool may_start(std::string_view name, uint32_t mask) {
  if (name.empty()) return false;
  const unsigned char c = static_cast<unsigned char>(name[0]) | 0x20;
  return c >= 'a' && c <= 'z' && (mask >> (c - 'a') & 1) != 0;
}

constexpr auto kTags = std::to_array<std::string_view>({
    "applet", "base",   "comment", "embed", "frame",    "frameset", "handler",
    "iframe", "import", "isindex", "link",  "listener", "meta",     "noscript",
    "object", "script", "style",   "svg",   "vmlframe", "xml",      "xss",
});
static_assert(std::is_sorted(kTags.begin(), kTags.end()));

constexpr auto kUrlAttributes = std::to_array<std::string_view>({
    "action",
    "background",
    "by",
    "codebase",
    "data",
    "dynsrc",
    "folder",
    "formaction",
    "from",
    "handler",
    "href",
    "lowsrc",
    "poster",
    "src",
    "to",
    "values",
    "xlink:href",
    "xml:base",
});
static_assert(std::is_sorted(kUrlAttributes.begin(), kUrlAttributes.end()));

// srcdoc holds a whole document; attributename changes what other markup means (an
// SVG <animate attributename=href> rewrites a link); datasrc and dataformatas bind
// (old IE) data into the page as HTML.
constexpr auto kActiveAttributes = std::to_array<std::string_view>({
    "attributename",
    "dataformatas",
    "datasrc",
    "srcdoc",
});
static_assert(std::is_sorted(kActiveAttributes.begin(), kActiveAttributes.end()));

// Prefixes of a URL that runs script or inlines a document. They are matched as
// prefixes, colon or not, as libinjection (ModSecurity's detector, which the CRS is
// tuned against) does: "java" alone already counts, so "java.png" is flagged while
// "jav&#x09;ascript:" (which a browser runs) is not.
constexpr auto kSchemes = std::to_array<std::string_view>({
    "data",
    "java",
    "vbscript",
    "view-source",
});
static_assert(std::is_sorted(kSchemes.begin(), kSchemes.end()));

template <size_t N>
constexpr bool initials_in(const std::array<std::string_view, N>& list, uint32_t mask) {
  for (std::string_view item : list) {
    if ((mask >> (item[0] - 'a') & 1) == 0) return false;
  }
  return true;
}

// Initials of the dangerous tags (and of svg*, xsl*), and of the attributes that can
// be dangerous (and of on*, style, filter, xmlns*, xlink*).
constexpr uint32_t kTagInitials = letters("abcefhilmnosvx");
constexpr uint32_t kAttributeInitials = letters("abcdfhlopstvx");
static_assert(initials_in(kTags, kTagInitials));
static_assert(initials_in(kUrlAttributes, kAttributeInitials));
static_assert(initials_in(kActiveAttributes, kAttributeInitials));

// The next character a browser sees in an attribute value at `i`, decoding a
// character reference; advances `i`. 0 ends the scheme (end of value, a character
// outside ASCII or an unknown reference); ' ' is one the URL parser drops.
char next_url_char(std::string_view v, size_t& i) {
  if (i >= v.size()) return 0;
  const unsigned char c = static_cast<unsigned char>(v[i]);
  if (c != '&') {
    ++i;
    if (c <= 0x20) return ' ';
    return c < 0x80 ? static_cast<char>(c) : 0;
  }
  size_t j = i + 1;
  if (j < v.size() && v[j] == '#') {
    ++j;
    const bool hex = j < v.size() && (v[j] == 'x' || v[j] == 'X');
    if (hex) ++j;
    uint32_t code = 0;
    size_t digits = 0;
    while (j < v.size() && code < 0x110000) {
      const char d = v[j];
      int value = -1;
      if (d >= '0' && d <= '9') value = d - '0';
      if (hex && d >= 'a' && d <= 'f') value = d - 'a' + 10;
      if (hex && d >= 'A' && d <= 'F') value = d - 'A' + 10;
      if (value < 0) break;
      code = code * (hex ? 16 : 10) + static_cast<uint32_t>(value);
      ++digits;
      ++j;
    }
    if (digits == 0) return 0;
    if (j < v.size() && v[j] == ';') ++j;
    i = j;
    if (code <= 0x20) return ' ';
    return code < 0x80 ? static_cast<char>(code) : 0;
  }
  // The named references an obfuscated scheme uses.
  struct Named {
    std::string_view name;
    char c;
  };
  static constexpr Named kNamed[] = {{"colon;", ':'}};
  char buf[kLongestName];
  const std::string_view rest = lower(v.substr(j, std::min<size_t>(v.size() - j, 8)), buf);
  for (const Named& n : kNamed) {
    if (rest.starts_with(n.name)) {
      i = j + n.name.size();
      return n.c;
    }
  }
  return 0;
}

}  // namespace

bool is_dangerous_tag(std::string_view name) {
  if (!may_start(name, kTagInitials)) return false;
  char buf[kLongestName];
  const std::string_view l = lower(name, buf);
  // Any SVG or XSLT element: both can carry script of their own.
  return listed(kTags, l) || l.starts_with("svg") || l.starts_with("xsl");
}

AttributeKind attribute_kind(std::string_view name) {
  if (!may_start(name, kAttributeInitials)) return AttributeKind::kPlain;
  char buf[kLongestName];
  const std::string_view l = lower(name, buf);
  if (l.empty()) return AttributeKind::kPlain;
  // Any on* name of five letters or more is taken as a handler, as libinjection does:
  // browsers add events often, and names like "onerrorx" only ever slip past lists.
  if (l.size() >= 5 && l.starts_with("on")) return AttributeKind::kHandler;
  if (l == "style" || l == "filter") return AttributeKind::kStyle;
  // xmlns* declares namespaces that make arbitrary elements; xlink:* links anywhere.
  if (l.starts_with("xmlns") || l.starts_with("xlink")) return AttributeKind::kActive;
  if (listed(kUrlAttributes, l)) return AttributeKind::kUrl;
  if (listed(kActiveAttributes, l)) return AttributeKind::kActive;
  return AttributeKind::kPlain;
}

bool is_dangerous_url(std::string_view value) {
  char prefix[16];
  size_t len = 0;
  size_t i = 0;
  // Leading blanks and control bytes are dropped; inside the scheme they end it.
  while (len < sizeof(prefix)) {
    const char c = next_url_char(value, i);
    if (c == 0) break;
    if (c == ' ' && len == 0) continue;
    prefix[len++] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const std::string_view p(prefix, len);
  for (std::string_view scheme : kSchemes) {
    if (p.starts_with(scheme)) return true;
  }
  return false;
}

}  // namespace rampart::seclang::xss
