#pragma once
// The list-grammar helpers (RFC 9110 §5.6, from http/field_grammar.h) and the few
// field helpers the compress parsers need. Internal to compress/.

#include <string_view>

#include "http/field_grammar.h"
#include "http/message.h"

namespace rampart::compress::detail {

using http::for_each_list_element;
using http::is_digit;
using http::is_ows;
using http::is_token;
using http::trim_ows;

// The media type of a Content-Type value ("text/html" of "Text/HTML; charset=utf-8"),
// trimmed; case is kept.
std::string_view media_type(std::string_view content_type);

// True if `list` (a comma-separated field value) has an element equal to `name`
// case-insensitively.
bool list_contains(std::string_view list, std::string_view name);

}  // namespace rampart::compress::detail
