#include "cache/cache_control.h"

#include <optional>

#include "cache/field_text.h"

namespace rampart::cache {

namespace {

using detail::is_token;
using detail::trim_ows;

enum class ArgKind : uint8_t { kNone, kToken, kString, kMalformed };

struct Arg {
  ArgKind kind = ArgKind::kNone;
  std::string text;  // unquoted
};

void apply_delta(DeltaDirective& d, const Arg& arg) {
  std::optional<int64_t> v;
  if (arg.kind == ArgKind::kToken || arg.kind == ArgKind::kString) {
    v = detail::parse_delta_seconds(arg.text);
  }
  if (!d.present) {
    d.present = true;
    d.valid = v.has_value();
    d.seconds = v.value_or(0);
    return;
  }
  // RFC 9111 §4.2.1: with conflicting duplicates the response is treated as stale, so
  // the directive becomes unusable rather than first-wins.
  if (!v || *v != d.seconds) d.valid = false;
}

// no-cache / private: no argument → unqualified; a list of field names → qualified; a
// malformed list → unqualified (the stricter reading).
void apply_field_list(bool& all, std::vector<std::string>& fields, const Arg& arg) {
  if (arg.kind == ArgKind::kNone || arg.kind == ArgKind::kMalformed) {
    all = true;
    return;
  }
  std::vector<std::string> names;
  bool ok = true;
  detail::for_each_list_element(arg.text, [&](std::string_view name) {
    if (!is_token(name)) return ok = false;
    if (names.size() > kMaxListedFields) return ok = false;
    names.push_back(detail::lower_copy(name));
    return true;
  });
  // A list too long to keep is read as unqualified: stricter, and it bounds the work.
  if (!ok || names.empty() || names.size() + fields.size() > kMaxListedFields) {
    all = true;
    return;
  }
  for (std::string& n : names) {
    bool seen = false;
    for (const std::string& f : fields) seen = seen || f == n;
    if (!seen) fields.push_back(std::move(n));
  }
}

void apply(CacheControl& cc, std::string_view name, const Arg& arg) {
  struct Flag {
    std::string_view name;
    bool CacheControl::*member;
  };
  static constexpr Flag kFlags[] = {
      {"no-store", &CacheControl::no_store},
      {"public", &CacheControl::is_public},
      {"must-revalidate", &CacheControl::must_revalidate},
      {"proxy-revalidate", &CacheControl::proxy_revalidate},
      {"must-understand", &CacheControl::must_understand},
      {"no-transform", &CacheControl::no_transform},
      {"immutable", &CacheControl::immutable},
      {"only-if-cached", &CacheControl::only_if_cached},
  };
  struct Delta {
    std::string_view name;
    DeltaDirective CacheControl::*member;
  };
  static constexpr Delta kDeltas[] = {
      {"max-age", &CacheControl::max_age},
      {"s-maxage", &CacheControl::s_maxage},
      {"min-fresh", &CacheControl::min_fresh},
      {"stale-while-revalidate", &CacheControl::stale_while_revalidate},
      {"stale-if-error", &CacheControl::stale_if_error},
  };
  for (const Flag& f : kFlags) {
    // A stray argument on a flag does not cancel it: the directive was still sent.
    if (http::iequals(name, f.name)) {
      cc.*f.member = true;
      return;
    }
  }
  for (const Delta& d : kDeltas) {
    if (http::iequals(name, d.name)) {
      apply_delta(cc.*d.member, arg);
      return;
    }
  }
  if (http::iequals(name, "max-stale")) {
    if (arg.kind == ArgKind::kNone) {
      cc.max_stale_any = true;
    } else {
      apply_delta(cc.max_stale, arg);
    }
  } else if (http::iequals(name, "no-cache")) {
    apply_field_list(cc.no_cache, cc.no_cache_fields, arg);
  } else if (http::iequals(name, "private")) {
    apply_field_list(cc.private_all, cc.private_fields, arg);
  }
  // Unknown directives are ignored (RFC 9111 §5.2.3).
}

// cache-directive = token [ "=" ( token / quoted-string ) ]
void add_element(CacheControl& cc, std::string_view element) {
  const size_t eq = element.find('=');
  const std::string_view name = trim_ows(element.substr(0, eq));
  if (!is_token(name)) return;
  ++cc.directives;
  Arg arg;
  if (eq != std::string_view::npos) {
    const std::string_view raw = trim_ows(element.substr(eq + 1));
    if (!raw.empty() && raw.front() == '"') {
      if (std::optional<std::string> text = detail::unquote(raw)) {
        arg = {ArgKind::kString, std::move(*text)};
      } else {
        arg.kind = ArgKind::kMalformed;
      }
    } else if (is_token(raw)) {
      arg = {ArgKind::kToken, std::string(raw)};
    } else {
      arg.kind = ArgKind::kMalformed;
    }
  }
  apply(cc, name, arg);
}

// --- CDN-Cache-Control: the subset of RFC 8941 needed to parse a Dictionary ---------

struct SfParser {
  std::string_view s;
  size_t pos = 0;

  bool at_end() const { return pos >= s.size(); }
  char peek() const { return at_end() ? '\0' : s[pos]; }
  void skip_sp() {
    while (peek() == ' ') ++pos;
  }
  void skip_ows() {
    while (peek() == ' ' || peek() == '\t') ++pos;
  }

  std::optional<std::string_view> key() {
    const size_t start = pos;
    const char c = peek();
    if (!((c >= 'a' && c <= 'z') || c == '*')) return std::nullopt;
    ++pos;
    for (char k = peek(); (k >= 'a' && k <= 'z') || detail::is_digit(k) || k == '_' || k == '-' ||
                          k == '.' || k == '*';
         k = peek()) {
      ++pos;
    }
    return s.substr(start, pos - start);
  }

  // Parses one bare item; fills `arg` with what the cache directives can use.
  bool bare_item(Arg& arg) {
    const char c = peek();
    if (c == '-' || detail::is_digit(c)) {
      const size_t start = pos;
      if (c == '-') ++pos;
      size_t digits = 0;
      bool decimal = false;
      while (detail::is_digit(peek()) || (peek() == '.' && !decimal)) {
        if (peek() == '.') {
          decimal = true;
        } else {
          ++digits;
        }
        ++pos;
      }
      if (digits == 0 || digits > 15 || s[pos - 1] == '.') return false;
      // Negative and decimal numbers are well-formed but no delta-seconds.
      const bool delta = c != '-' && !decimal;
      arg = {delta ? ArgKind::kToken : ArgKind::kMalformed,
             std::string(s.substr(start, pos - start))};
      return true;
    }
    if (c == '"') {
      ++pos;
      std::string text;
      while (!at_end()) {
        char ch = s[pos++];
        if (ch == '"') {
          arg = {ArgKind::kString, std::move(text)};
          return true;
        }
        if (ch == '\\') {
          if (at_end() || (peek() != '"' && peek() != '\\')) return false;
          ch = s[pos++];
        } else if (ch < 0x20 || ch > 0x7e) {
          return false;
        }
        text.push_back(ch);
      }
      return false;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*') {
      const size_t start = pos;
      while (detail::is_tchar(peek()) || peek() == ':' || peek() == '/') ++pos;
      arg = {ArgKind::kToken, std::string(s.substr(start, pos - start))};
      return true;
    }
    if (c == '?') {
      ++pos;
      if (peek() != '0' && peek() != '1') return false;
      arg.kind = peek() == '1' ? ArgKind::kNone : ArgKind::kMalformed;
      arg.text = peek() == '1' ? "" : "?0";
      ++pos;
      return true;
    }
    if (c == ':') {  // byte sequence
      ++pos;
      while (!at_end() && peek() != ':') {
        const char b = peek();
        if (!((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || detail::is_digit(b) || b == '+' ||
              b == '/' || b == '=')) {
          return false;
        }
        ++pos;
      }
      if (at_end()) return false;
      ++pos;
      arg.kind = ArgKind::kMalformed;
      return true;
    }
    return false;
  }

  bool parameters() {
    while (peek() == ';') {
      ++pos;
      skip_sp();
      if (!key()) return false;
      if (peek() == '=') {
        ++pos;
        Arg ignored;
        if (!bare_item(ignored)) return false;
      }
    }
    return true;
  }

  // item or inner list; inner lists are well-formed but mean nothing to a cache.
  bool member_value(Arg& arg) {
    if (peek() == '(') {
      ++pos;
      while (true) {
        skip_sp();
        if (peek() == ')') {
          ++pos;
          break;
        }
        Arg ignored;
        if (!bare_item(ignored) || !parameters()) return false;
        if (peek() != ' ' && peek() != ')') return false;
      }
      arg.kind = ArgKind::kMalformed;
      return parameters();
    }
    return bare_item(arg) && parameters();
  }
};

}  // namespace

void add_cache_control_line(CacheControl& cc, std::string_view value) {
  if (!trim_ows(value).empty()) cc.present = true;
  detail::for_each_list_element(value, [&](std::string_view element) {
    const auto end = static_cast<size_t>(element.data() - value.data()) + element.size();
    if (end > kMaxDirectiveBytes || cc.directives >= kMaxDirectives) {
      cc.truncated = true;
      return false;
    }
    add_element(cc, element);
    return true;
  });
}

CacheControl parse_cache_control(std::span<const http::Header> headers) {
  CacheControl cc;
  detail::for_each_field(headers, "cache-control",
                         [&](std::string_view v) { add_cache_control_line(cc, v); });
  return cc;
}

CacheControl parse_cdn_cache_control_value(std::string_view value) {
  CacheControl cc;
  SfParser p{value};
  p.skip_sp();
  if (p.at_end()) return cc;
  cc.present = true;
  std::vector<std::pair<std::string_view, Arg>> members;
  while (true) {
    std::optional<std::string_view> key = p.key();
    if (!key) {
      cc.valid = false;
      return cc;
    }
    Arg arg;
    if (p.peek() == '=') {
      ++p.pos;
      if (!p.member_value(arg)) {
        cc.valid = false;
        return cc;
      }
    } else if (!p.parameters()) {
      cc.valid = false;
      return cc;
    }
    if (members.size() >= kMaxDirectives) {
      cc.truncated = true;
      cc.valid = false;
      return cc;
    }
    members.emplace_back(*key, std::move(arg));
    p.skip_ows();
    if (p.at_end()) break;
    if (p.peek() != ',') {
      cc.valid = false;
      return cc;
    }
    ++p.pos;
    p.skip_ows();
    if (p.at_end()) {  // trailing comma
      cc.valid = false;
      return cc;
    }
  }
  for (size_t i = 0; i < members.size(); ++i) {
    bool replaced = false;  // RFC 8941: the last value of a duplicated key wins
    for (size_t j = i + 1; j < members.size() && !replaced; ++j) {
      replaced = members[j].first == members[i].first;
    }
    if (replaced) continue;
    ++cc.directives;
    const Arg& arg = members[i].second;
    // `key=?0` is the directive set to false: as if absent.
    if (arg.kind == ArgKind::kMalformed && arg.text == "?0") continue;
    apply(cc, members[i].first, arg);
  }
  return cc;
}

CacheControl parse_cdn_cache_control(std::span<const http::Header> headers) {
  std::string combined;
  bool too_long = false;
  detail::for_each_field(headers, "cdn-cache-control", [&](std::string_view v) {
    if (v.size() > kMaxDirectiveBytes) too_long = true;
    if (detail::trim_ows(v).empty()) return;
    if (!combined.empty()) combined.append(", ");
    combined.append(v);
  });
  if (too_long || combined.size() > kMaxDirectives * kMaxDirectiveBytes) {
    CacheControl cc;
    cc.present = true;
    cc.valid = false;
    cc.truncated = true;
    return cc;
  }
  return parse_cdn_cache_control_value(combined);
}

}  // namespace rampart::cache
