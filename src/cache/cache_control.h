#pragma once
// Cache-Control (RFC 9111 §5.2) and CDN-Cache-Control (RFC 9213) directives of one
// message, parsed into plain data. Request and response directives share one struct;
// callers read the ones that apply to the message they parsed.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace rampart::cache {

// Bounds on what is considered, so a hostile field costs a fixed amount of work. Past
// either bound `truncated` is set; callers treat a truncated policy as not cacheable.
inline constexpr size_t kMaxDirectives = 64;        // per message, over all field lines
inline constexpr size_t kMaxDirectiveBytes = 4096;  // per field line
// Field names kept per no-cache / private list; a longer list counts as unqualified.
inline constexpr size_t kMaxListedFields = 32;

// A directive whose argument is delta-seconds (RFC 9111 §1.2.2).
struct DeltaDirective {
  bool present = false;  // seen at least once
  bool valid = false;    // every occurrence carried the same well-formed value
  int64_t seconds = 0;   // saturates at 2^31

  bool usable() const { return present && valid; }
};

struct CacheControl {
  DeltaDirective max_age;
  DeltaDirective s_maxage;
  DeltaDirective max_stale;               // request; see max_stale_any for the form without a value
  bool max_stale_any = false;             // request "max-stale" with no value: any staleness
  DeltaDirective min_fresh;               // request
  DeltaDirective stale_while_revalidate;  // RFC 5861
  DeltaDirective stale_if_error;          // RFC 5861

  bool no_store = false;
  // Unqualified no-cache: every use must be validated. A field list (no-cache="a, b",
  // lower-cased) only says which fields must not be sent without validation. A list
  // that does not parse counts as unqualified: the stricter reading.
  bool no_cache = false;
  std::vector<std::string> no_cache_fields;
  // Likewise for private: unqualified means a shared cache must not store the response;
  // with fields, those fields must be removed before storing.
  bool private_all = false;
  std::vector<std::string> private_fields;
  bool is_public = false;
  bool must_revalidate = false;
  bool proxy_revalidate = false;
  bool must_understand = false;
  bool no_transform = false;
  bool immutable = false;
  bool only_if_cached = false;  // request

  bool present = false;    // at least one non-empty field line was seen
  bool valid = true;       // CDN-Cache-Control only: false when the dictionary did not parse
  bool truncated = false;  // more than kMaxDirectives or a line over kMaxDirectiveBytes
  size_t directives = 0;   // directives considered, known or not

  // True when this is a CDN-Cache-Control policy a cache may act on (RFC 9213 §2.1:
  // present, parsed, and not empty).
  bool usable_as_override() const { return present && valid && directives > 0; }
};

// Adds the directives of one Cache-Control field line to `cc`. Exposed so that callers
// holding raw values (and the fuzzer) need not build headers.
void add_cache_control_line(CacheControl& cc, std::string_view value);

// Every `Cache-Control` line of a message, in order (RFC 9110 §5.3: lines combine as one
// list).
CacheControl parse_cache_control(std::span<const http::Header> headers);

// Every `CDN-Cache-Control` line of a response. RFC 9213 makes the field a Structured
// Fields Dictionary (RFC 8941): keys are lower-case, integers are delta-seconds, field
// lists are strings, and a later duplicate key replaces an earlier one. If any part fails
// to parse, or a bound is exceeded, the whole field is ignored (`valid` false).
CacheControl parse_cdn_cache_control(std::span<const http::Header> headers);
CacheControl parse_cdn_cache_control_value(std::string_view combined_value);

}  // namespace rampart::cache
