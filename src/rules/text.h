#pragma once
// Byte-string helpers the fields and functions share. All run in time linear in their
// input; results that differ from the input go to the scratch arena.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rules/scratch.h"

namespace rampart::rules {

std::string_view to_lower(std::string_view s, Scratch& scratch);
std::string_view to_upper(std::string_view s, Scratch& scratch);

// %XX decoding; '+' becomes a space when `plus_is_space` (form encoding). Malformed
// escapes are kept as written.
std::string_view url_decode(std::string_view s, bool plus_is_space, Scratch& scratch);

// Splits "a=1&b=2" (query) or "a=1; b=2" (cookie) into pairs.
std::span<const NameValue> split_query(std::string_view query, Scratch& scratch);
std::span<const NameValue> split_cookies(std::span<const std::string_view> headers,
                                         Scratch& scratch);

// A wildcard pattern ("*" matches any run of bytes, "\*" a literal star) as an
// anchored RE2 pattern: the definition Wildcard::matches is tested against. `fold_ascii_case`:
// letters A-Z match either case (and no other byte does: a case-insensitive RE2 in Latin-1 would
// also fold bytes 0xC0-0xFE).
std::string wildcard_to_regex(std::string_view pattern, bool fold_ascii_case = false);

// A wildcard pattern as the evaluator runs it: the literal segments between its
// stars. Matching checks the first segment as a prefix, the last as a suffix and
// finds the others in order, leftmost first (which is exact when "*" is the only
// wildcard), so it is linear in the text and needs no regex engine.
struct Wildcard {
  std::vector<std::string> segments;  // lowercase when fold_case; at least one
  bool has_star = false;
  bool fold_case = false;  // ASCII letters only

  static Wildcard parse(std::string_view pattern, bool fold_case);
  bool matches(std::string_view text, Scratch& scratch) const;
};

// Reads a string at a path of object keys and array indexes in a JSON document;
// nullopt when the document is malformed, the path is absent or the value is not a
// string. Decodes the string's escapes into the arena.
struct JsonStep {
  std::string_view key;  // used when index < 0
  int64_t index = -1;
};
std::optional<std::string_view> json_lookup_string(std::string_view json,
                                                   std::span<const JsonStep> path,
                                                   Scratch& scratch);

}  // namespace rampart::rules
