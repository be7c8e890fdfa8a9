#include "cache/key_options.h"

#include <algorithm>
#include <vector>

#include "cache/cache_key.h"
#include "cache/field_text.h"
#include "core/hex.h"

namespace rampart::cache {

namespace {

constexpr char kKeyPartSeparator = '\x1e';

using core::hex_value;

struct Arg {
  std::string_view raw;  // "name=value" as sent
  std::string name;      // decoded
};

bool listed(std::span<const std::string> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Bytes that could be read as a separator in the key are written as %XX, and so is
// '%' itself, so no two different values give the same key.
void append_escaped(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '%') {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
}

std::optional<std::string_view> header_value(std::span<const http::Header> headers,
                                             std::string_view name, std::string& joined) {
  std::optional<std::string_view> found;
  for (const http::Header& h : headers) {
    if (!http::iequals(h.name, name)) continue;
    if (!found) {
      found = h.value;
      continue;
    }
    // Several lines are one list (RFC 9110 §5.3).
    if (joined.empty()) joined.assign(*found);
    joined.append(", ").append(h.value);
    found = joined;
  }
  return found;
}

std::optional<std::string_view> cookie_value(std::span<const http::Header> headers,
                                             std::string_view name) {
  for (const http::Header& h : headers) {
    if (!http::iequals(h.name, "cookie")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view pair = detail::trim_ows(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      // The first of several same-named cookies, as most servers read them.
      if (detail::trim_ows(pair.substr(0, eq)) == name) return pair.substr(eq + 1);
    }
  }
  return std::nullopt;
}

}  // namespace

std::string decode_query_component(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> key_query(std::string_view query, const KeyOptions& options) {
  if (options.query == QueryFilter::kNone) return std::string();
  if (options.query == QueryFilter::kAll && !options.sort_query) return std::string(query);
  std::vector<Arg> args;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view raw = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (raw.empty()) continue;
    if (args.size() == kMaxKeyQueryArgs) return std::nullopt;
    std::string name = decode_query_component(raw.substr(0, raw.find('=')));
    bool keep = true;
    if (options.query == QueryFilter::kInclude) keep = listed(options.query_names, name);
    if (options.query == QueryFilter::kExclude) keep = !listed(options.query_names, name);
    if (keep) args.push_back({raw, std::move(name)});
  }
  if (options.sort_query) {
    std::stable_sort(args.begin(), args.end(),
                     [](const Arg& a, const Arg& b) { return a.name < b.name; });
  }
  std::string out;
  for (const Arg& a : args) {
    if (!out.empty()) out += '&';
    out += a.raw;
  }
  return out;
}

std::optional<std::string> build_custom_key(std::string_view host, std::string_view path,
                                            std::string_view query,
                                            std::span<const http::Header> request_headers,
                                            const KeyOptions& options) {
  auto q = key_query(query, options);
  if (!q) return std::nullopt;
  std::string target(path.empty() ? std::string_view("/") : path);
  if (!q->empty()) target.append("?").append(*q);
  std::string key = make_key(host, target);
  for (const std::string& name : options.headers) {
    std::string joined;
    auto value = header_value(request_headers, name, joined);
    key += kKeyPartSeparator;
    key += "h:";
    key += name;
    if (value) {
      key += '=';
      append_escaped(key, *value);
    }
  }
  for (const std::string& name : options.cookies) {
    auto value = cookie_value(request_headers, name);
    key += kKeyPartSeparator;
    key += "c:";
    append_escaped(key, name);
    if (value) {
      key += '=';
      append_escaped(key, *value);
    }
  }
  if (key.size() > kMaxCustomKeyBytes) return std::nullopt;
  return key;
}

}  // namespace rampart::cache
