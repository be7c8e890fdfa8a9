#pragma once
// Secondary cache keys from Vary (RFC 9111 §4.1): the stored response's Vary names the
// request fields that selected it; two requests whose normalized values of those fields
// are equal get the same key and may share the stored response.

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "http/message.h"

namespace rampart::cache {

// Past these bounds a response is not cached: each varied field multiplies the variants
// a cache may hold, and the key is kept in memory per variant.
inline constexpr size_t kMaxVaryFields = 16;
inline constexpr size_t kMaxVaryKeyBytes = 8192;

enum class VaryStatus : uint8_t {
  kOk,
  kStar,           // "Vary: *": no later request can match (§4.1), not storable
  kTooManyFields,  // more than kMaxVaryFields distinct names
  kKeyTooLarge,    // the key would exceed kMaxVaryKeyBytes
  kInvalid,        // a list element that is not a field name
};

struct VaryFields {
  VaryStatus status = VaryStatus::kOk;
  std::vector<std::string> names;  // lower-case, sorted, without duplicates
};

// Every Vary line of a stored response, combined. Order and case of the names do not
// matter, so `Vary: Accept, accept-encoding` and `Vary: Accept-Encoding, Accept` agree.
VaryFields parse_vary(std::span<const http::Header> response_headers);

struct VaryKey {
  VaryStatus status = VaryStatus::kOk;
  std::string key;  // empty when the response varies on nothing
};

// The key for `request_headers`. Per name: the field's lines combined in order as one
// list, whitespace around commas and empty elements dropped (quoted strings kept as
// they are), case kept. An absent field differs from an empty one. The encoding
// (`name:-` when absent, `name:<length>:<value>` when present) cannot be ambiguous.
VaryKey build_vary_key(const VaryFields& vary, std::span<const http::Header> request_headers);
VaryKey build_vary_key(std::span<const http::Header> response_headers,
                       std::span<const http::Header> request_headers);

}  // namespace rampart::cache
