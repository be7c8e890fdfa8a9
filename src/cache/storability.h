#pragma once
// Whether a shared cache may store a response (RFC 9111 §3, §3.5), with the reason when
// it may not, in words short enough for a Cache-Status detail.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache_control.h"
#include "http/message.h"

namespace rampart::cache {

struct StoreOptions {
  // Off by default, stricter than RFC 9111 (which lets a shared cache store a response
  // with Set-Cookie unless told otherwise): a cached Set-Cookie hands one client's
  // session to every other client, and origins forget `private` far too often.
  bool store_set_cookie = false;
  bool shared_cache = true;  // rampart is always a shared cache; kept for the rules
  // A cache rule gives the lifetime (edge_ttl): the response needs none of its own.
  bool lifetime_from_rule = false;
};

struct StoreVerdict {
  bool storable = false;
  // "ok" when storable; otherwise one of "method", "status", "must-understand",
  // "no-store", "private", "authorization", "set-cookie", "vary-star", "vary-limit",
  // "no-freshness", "cc-too-large".
  std::string_view reason = "ok";
  // private="..." / no-store of single fields: remove these (lower-case) fields from the
  // stored response. Only private's list for now.
  std::vector<std::string> strip_fields;
};

// `cdn_override` as for compute_freshness: when usable it replaces the response's
// Cache-Control (RFC 9213 §2.1). The request's own Cache-Control always applies.
StoreVerdict check_storable(std::string_view method, std::span<const http::Header> request_headers,
                            int status, std::span<const http::Header> response_headers,
                            const CacheControl* cdn_override = nullptr,
                            const StoreOptions& options = {});

// Status codes whose semantics this cache implements (for must-understand, §5.2.2.3).
bool is_understood_status(int status);

}  // namespace rampart::cache
