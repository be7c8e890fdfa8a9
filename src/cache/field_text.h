#pragma once
// Small grammar helpers shared by the cache's field parsers (RFC 9110 §5.6). Internal to
// cache/: the public headers expose only parsed results.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/field_grammar.h"
#include "http/message.h"

namespace rampart::cache::detail {

using http::for_each_list_element;
using http::is_digit;
using http::is_ows;
using http::is_tchar;
using http::is_token;
using http::to_lower;
using http::trim_ows;

std::string lower_copy(std::string_view s);

// delta-seconds (RFC 9111 §1.2.2): digits only; a value too large to represent becomes
// 2^31. nullopt for anything that is not 1*DIGIT.
constexpr int64_t kDeltaMax = int64_t{1} << 31;
std::optional<int64_t> parse_delta_seconds(std::string_view s);

// Calls f(value) for each line of `name` in order.
template <typename F>
void for_each_field(std::span<const http::Header> headers, std::string_view name, F&& f) {
  for (const http::Header& h : headers) {
    if (http::iequals(h.name, name)) f(h.value);
  }
}

const http::Header* find_field(std::span<const http::Header> headers, std::string_view name);

// Unquotes a quoted-string (RFC 9110 §5.6.4) including its quotes; nullopt if malformed.
std::optional<std::string> unquote(std::string_view quoted);

}  // namespace rampart::cache::detail
