#include "cache/conditional.h"

#include <algorithm>

#include "cache/cache_control.h"
#include "cache/field_text.h"
#include "cache/http_date.h"

namespace rampart::cache {

namespace {

// etagc = "!" / %x23-7E / obs-text
bool is_etagc(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x7e) || u >= 0x80;
}

// Reads one entity-tag at the front of `s` and removes it; nullopt if there is none.
std::optional<EntityTag> take_entity_tag(std::string_view& s) {
  EntityTag tag;
  size_t pos = 0;
  if (s.substr(0, 2) == "W/") {
    tag.weak = true;
    pos = 2;
  }
  if (pos >= s.size() || s[pos] != '"') return std::nullopt;
  const size_t start = ++pos;
  while (pos < s.size() && s[pos] != '"') {
    if (!is_etagc(s[pos]) || pos - start >= kMaxEntityTagBytes) return std::nullopt;
    ++pos;
  }
  if (pos >= s.size()) return std::nullopt;
  tag.opaque = s.substr(start, pos - start);
  s.remove_prefix(pos + 1);
  return tag;
}

enum class TagList : uint8_t { kMalformed, kAny, kList };

// If-None-Match = "*" / #entity-tag, over every line. Calls f(tag) for each tag.
template <typename F>
TagList for_each_if_none_match(std::span<const http::Header> headers, F&& f) {
  bool any = false;
  bool tags = false;
  bool ok = true;
  detail::for_each_field(headers, "if-none-match", [&](std::string_view line) {
    std::string_view s = detail::trim_ows(line);
    if (s == "*") {
      any = true;
      return;
    }
    // 1#element with empty elements allowed (RFC 9110 §5.6.1).
    while (ok && !s.empty()) {
      if (s.front() == ',' || detail::is_ows(s.front())) {
        s.remove_prefix(1);
        continue;
      }
      const std::optional<EntityTag> tag = take_entity_tag(s);
      if (!tag) {
        ok = false;
        break;
      }
      tags = true;
      f(*tag);
      s = detail::trim_ows(s);
      if (!s.empty() && s.front() != ',') ok = false;
    }
  });
  if (!ok || (any && tags)) return TagList::kMalformed;
  if (any) return TagList::kAny;
  return tags ? TagList::kList : TagList::kMalformed;
}

bool is_excluded_from_update(std::string_view name, std::span<const http::Header> not_modified,
                             const std::vector<std::string>& private_fields,
                             bool store_set_cookie) {
  static constexpr std::string_view kKept[] = {"content-length", "content-encoding",
                                               "content-range"};
  for (std::string_view k : kKept) {
    if (http::iequals(name, k)) return true;
  }
  if (http::is_hop_by_hop(name)) return true;
  if (!store_set_cookie && http::iequals(name, "set-cookie")) return true;
  for (const std::string& p : private_fields) {
    if (http::iequals(name, p)) return true;
  }
  // Fields the 304's Connection names are hop-by-hop for that message (RFC 9110 §7.6.1).
  bool named = false;
  detail::for_each_field(not_modified, "connection", [&](std::string_view v) {
    detail::for_each_list_element(v, [&](std::string_view option) {
      named = named || http::iequals(option, name);
      return !named;
    });
  });
  return named;
}

}  // namespace

std::optional<EntityTag> parse_entity_tag(std::string_view text) {
  text = detail::trim_ows(text);
  std::optional<EntityTag> tag = take_entity_tag(text);
  if (!tag || !text.empty()) return std::nullopt;
  return tag;
}

bool strong_match(const EntityTag& a, const EntityTag& b) {
  return !a.weak && !b.weak && a.opaque == b.opaque;
}

bool weak_match(const EntityTag& a, const EntityTag& b) {
  return a.opaque == b.opaque;
}

ConditionalResult evaluate_conditional(std::string_view method,
                                       std::span<const http::Header> request_headers,
                                       int stored_status,
                                       std::span<const http::Header> stored_headers,
                                       int64_t stored_response_time) {
  if (method != "GET" && method != "HEAD") return ConditionalResult::kSendFull;
  if (stored_status < 200 || stored_status > 299) return ConditionalResult::kSendFull;

  if (detail::find_field(request_headers, "if-none-match") != nullptr) {
    std::optional<EntityTag> stored;
    if (const http::Header* etag = detail::find_field(stored_headers, "etag")) {
      stored = parse_entity_tag(etag->value);
    }
    bool matched = false;
    const TagList list = for_each_if_none_match(request_headers, [&](const EntityTag& t) {
      matched = matched || (stored && weak_match(t, *stored));
    });
    if (list == TagList::kAny) return ConditionalResult::kNotModified;
    if (list == TagList::kList && matched) return ConditionalResult::kNotModified;
    return ConditionalResult::kSendFull;
  }

  const http::Header* ims = detail::find_field(request_headers, "if-modified-since");
  if (ims == nullptr) return ConditionalResult::kSendFull;
  const std::optional<int64_t> since = parse_http_date(ims->value);
  if (!since) return ConditionalResult::kSendFull;
  std::optional<int64_t> modified;
  if (const http::Header* lm = detail::find_field(stored_headers, "last-modified")) {
    modified = parse_http_date(lm->value);
  }
  if (!modified) {
    if (const http::Header* date = detail::find_field(stored_headers, "date")) {
      modified = parse_http_date(date->value);
    }
  }
  if (!modified) modified = stored_response_time;
  return *modified <= *since ? ConditionalResult::kNotModified : ConditionalResult::kSendFull;
}

bool if_range_allows(std::string_view if_range, std::span<const http::Header> stored_headers) {
  std::string_view text = detail::trim_ows(if_range);
  if (text.empty()) return false;
  if (text.front() == '"' || text.starts_with("W/")) {
    const std::optional<EntityTag> wanted = parse_entity_tag(text);
    const http::Header* etag = detail::find_field(stored_headers, "etag");
    if (!wanted || etag == nullptr) return false;
    const std::optional<EntityTag> stored = parse_entity_tag(etag->value);
    return stored && strong_match(*wanted, *stored);
  }
  const std::optional<int64_t> wanted = parse_http_date(text);
  const http::Header* lm = detail::find_field(stored_headers, "last-modified");
  const http::Header* date = detail::find_field(stored_headers, "date");
  if (!wanted || lm == nullptr || date == nullptr) return false;
  const std::optional<int64_t> modified = parse_http_date(lm->value);
  const std::optional<int64_t> dated = parse_http_date(date->value);
  return modified && dated && *modified == *wanted && *dated - *modified >= 1;
}

std::vector<http::Header> not_modified_headers(std::span<const http::Header> stored_headers) {
  static constexpr std::string_view kCarried[] = {"cache-control", "content-location", "date",
                                                  "etag",          "expires",          "vary"};
  const bool has_etag = detail::find_field(stored_headers, "etag") != nullptr;
  std::vector<http::Header> out;
  for (const http::Header& h : stored_headers) {
    bool carried = !has_etag && http::iequals(h.name, "last-modified");
    for (std::string_view c : kCarried) carried = carried || http::iequals(h.name, c);
    if (carried) out.push_back(h);
  }
  return out;
}

std::vector<OwnedHeader> update_stored_headers(std::span<const http::Header> stored_headers,
                                               std::span<const http::Header> not_modified,
                                               bool store_set_cookie) {
  const CacheControl cc = parse_cache_control(not_modified);
  std::vector<const http::Header*> updates;
  for (const http::Header& h : not_modified) {
    if (!is_excluded_from_update(h.name, not_modified, cc.private_fields, store_set_cookie)) {
      updates.push_back(&h);
    }
  }
  auto updated = [&](std::string_view name) {
    return std::any_of(updates.begin(), updates.end(),
                       [&](const http::Header* u) { return http::iequals(u->name, name); });
  };
  std::vector<OwnedHeader> out;
  std::vector<bool> placed(updates.size(), false);
  // The new lines of a name take the place of its first stored line.
  auto place = [&](std::string_view name) {
    for (size_t i = 0; i < updates.size(); ++i) {
      if (!placed[i] && http::iequals(updates[i]->name, name)) {
        placed[i] = true;
        out.push_back({std::string(updates[i]->name), std::string(updates[i]->value)});
      }
    }
  };
  for (const http::Header& h : stored_headers) {
    if (updated(h.name)) {
      place(h.name);
    } else {
      out.push_back({std::string(h.name), std::string(h.value)});
    }
  }
  for (size_t i = 0; i < updates.size(); ++i) {
    if (!placed[i]) place(updates[i]->name);
  }
  return out;
}

}  // namespace rampart::cache
