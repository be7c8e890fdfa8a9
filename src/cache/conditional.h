#pragma once
// Conditional requests against stored responses (RFC 9110 §8.8.3, §13; RFC 9111 §4.3):
// entity tags, If-None-Match / If-Modified-Since evaluation, the header fields a 304
// carries, and folding an origin's 304 into the stored header fields.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace rampart::cache {

// Longer opaque tags are refused: nothing legitimate needs them and they are compared
// on every conditional hit.
inline constexpr size_t kMaxEntityTagBytes = 256;

struct EntityTag {
  bool weak = false;
  std::string_view opaque;  // between the quotes; a view into the parsed text
};

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (RFC 9110 §8.8.3). The whole of `text`
// (OWS trimmed) must be one tag.
std::optional<EntityTag> parse_entity_tag(std::string_view text);

// RFC 9110 §8.8.3.2: strong comparison needs both tags strong and equal opaque-tags;
// weak comparison needs only equal opaque-tags.
bool strong_match(const EntityTag& a, const EntityTag& b);
bool weak_match(const EntityTag& a, const EntityTag& b);

enum class ConditionalResult : uint8_t {
  kSendFull,     // answer with the stored response
  kNotModified,  // answer 304 with not_modified_headers()
};

// Evaluates the request's If-None-Match, or when it has none, If-Modified-Since (RFC 9110
// §13.2.2 steps 3 and 4) against a stored response. Only GET and HEAD are evaluated, and
// only against a 2xx stored response (§13.2.1). If-None-Match uses weak comparison; "*"
// matches any stored response. A malformed If-None-Match is not a match (send full),
// and then If-Modified-Since is not looked at either. If-Modified-Since compares with
// Last-Modified, else the stored Date, else `stored_response_time` (RFC 9111 §4.3.2); an
// invalid date is ignored.
ConditionalResult evaluate_conditional(std::string_view method,
                                       std::span<const http::Header> request_headers,
                                       int stored_status,
                                       std::span<const http::Header> stored_headers,
                                       int64_t stored_response_time);

// If-Range (RFC 9110 §13.1.5) against a stored response: true when the ranges may be
// sent. An entity tag must match the stored ETag by strong comparison; a date must
// equal the stored Last-Modified exactly, and that must be a strong validator (at
// least a second before the stored Date). Anything else, malformed included, is false:
// the full representation is sent.
bool if_range_allows(std::string_view if_range, std::span<const http::Header> stored_headers);

// The stored fields a 304 carries (RFC 9110 §15.4.5): Cache-Control, Content-Location,
// Date, ETag, Expires, Vary, and Last-Modified when there is no ETag (the only case in
// which it helps the recipient). Views into `stored_headers`, in their order.
std::vector<http::Header> not_modified_headers(std::span<const http::Header> stored_headers);

struct OwnedHeader {
  std::string name;
  std::string value;
  bool operator==(const OwnedHeader&) const = default;
};

// Applies an origin's 304 to a stored response's fields (RFC 9111 §3.2, §4.3.4): every
// field of the 304 replaces all stored lines of that name, except Content-Length, framing
// and hop-by-hop fields (also those named by Connection), fields the stored body depends
// on (Content-Encoding, Content-Range), and Set-Cookie unless `store_set_cookie`, which
// storability refuses to keep for the same reason. Stored fields keep their order; new
// ones follow in the 304's order.
std::vector<OwnedHeader> update_stored_headers(std::span<const http::Header> stored_headers,
                                               std::span<const http::Header> not_modified,
                                               bool store_set_cookie = false);

}  // namespace rampart::cache
