#pragma once
// Cache keys shaped by cache rules: which query arguments count and in what order, and
// request header and cookie values added to the key. Pure functions over the request's
// parts; the plain key (cache_key.h) is what they build on.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/message.h"

namespace rampart::cache {

// Past these bounds a request is not cached at all: a key built from part of the query
// could serve one answer for requests the origin tells apart.
inline constexpr size_t kMaxKeyQueryArgs = 256;
inline constexpr size_t kMaxCustomKeyBytes = 16 << 10;

enum class QueryFilter : uint8_t {
  kAll,      // every argument
  kInclude,  // only the named ones
  kExclude,  // all but the named ones
  kNone,     // no query in the key
};

struct KeyOptions {
  bool sort_query = false;  // arguments ordered by name (same-name values keep their order)
  QueryFilter query = QueryFilter::kAll;
  std::span<const std::string> query_names;  // compared with each argument's decoded name
  std::span<const std::string> headers;      // lower-case header names
  std::span<const std::string> cookies;      // cookie names, case-sensitive
};

// The query string as the key sees it: arguments filtered and ordered as `options`
// say, each kept byte for byte as sent (percent-encoding untouched), joined by '&'.
// Empty arguments ("a&&b") are dropped when filtering or sorting. Names are compared
// after percent- and '+'-decoding, so "pag%65" is "page", as the origin will read it.
// nullopt past kMaxKeyQueryArgs.
std::optional<std::string> key_query(std::string_view query, const KeyOptions& options);

// The full key: make_key(host, path[?query]) then, for each named header and cookie, a
// 0x1e-separated part ("h:name=value", or "h:name" when absent; "c:" for cookies).
// nullopt when the request is past a bound: do not cache it.
std::optional<std::string> build_custom_key(std::string_view host, std::string_view path,
                                            std::string_view query,
                                            std::span<const http::Header> request_headers,
                                            const KeyOptions& options);

// Percent- and '+'-decoding of one query name (invalid escapes stay as they are).
std::string decode_query_component(std::string_view text);

}  // namespace rampart::cache
