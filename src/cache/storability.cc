#include "cache/storability.h"

#include <algorithm>

#include "cache/field_text.h"
#include "cache/freshness.h"
#include "cache/vary.h"

namespace rampart::cache {

namespace {

StoreVerdict refuse(std::string_view reason) {
  StoreVerdict v;
  v.storable = false;
  v.reason = reason;
  return v;
}

}  // namespace

bool is_understood_status(int status) {
  switch (status) {
    case 200:
    case 203:
    case 204:
    case 300:
    case 301:
    case 302:
    case 303:
    case 307:
    case 308:
    case 400:
    case 403:
    case 404:
    case 405:
    case 410:
    case 414:
    case 451:
    case 500:
    case 501:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

StoreVerdict check_storable(std::string_view method, std::span<const http::Header> request_headers,
                            int status, std::span<const http::Header> response_headers,
                            const CacheControl* cdn_override, const StoreOptions& options) {
  // §3: only methods whose responses this cache knows how to reuse. POST responses are
  // cacheable in theory (with Content-Location) but not by rampart for now.
  if (method != "GET" && method != "HEAD") return refuse("method");
  // Final statuses only; 206 needs partial-content storage (§3.3) and 304 updates a
  // stored response instead of being one (§4.3.4) — neither is stored on its own.
  if (status < 200 || status > 599 || status == 206 || status == 304) return refuse("status");

  const CacheControl request_cc = parse_cache_control(request_headers);
  const bool use_cdn = cdn_override != nullptr && cdn_override->usable_as_override();
  CacheControl own;
  if (!use_cdn) own = parse_cache_control(response_headers);
  const CacheControl& cc = use_cdn ? *cdn_override : own;
  // Directives past the bounds were not read; one of them could have been no-store.
  if (cc.truncated || request_cc.truncated) return refuse("cc-too-large");

  if (request_cc.no_store) return refuse("no-store");
  if (cc.must_understand) {
    // §5.2.2.3: a cache that understands the status code ignores no-store; one that
    // does not must not store.
    if (!is_understood_status(status)) return refuse("must-understand");
  } else if (cc.no_store) {
    return refuse("no-store");
  }

  const bool shared = options.shared_cache;
  if (shared && cc.private_all) return refuse("private");

  // §3.5: a shared cache may reuse an authorized response only when the origin said so.
  if (shared && detail::find_field(request_headers, "authorization") != nullptr &&
      !cc.must_revalidate && !cc.is_public && !cc.s_maxage.present) {
    return refuse("authorization");
  }

  StoreVerdict verdict;
  verdict.storable = true;
  if (shared) verdict.strip_fields = cc.private_fields;
  const bool strips_cookie = std::find(verdict.strip_fields.begin(), verdict.strip_fields.end(),
                                       "set-cookie") != verdict.strip_fields.end();
  if (!options.store_set_cookie && !strips_cookie &&
      detail::find_field(response_headers, "set-cookie") != nullptr) {
    return refuse("set-cookie");
  }

  const VaryFields vary = parse_vary(response_headers);
  if (vary.status == VaryStatus::kStar) return refuse("vary-star");
  if (build_vary_key(vary, request_headers).status != VaryStatus::kOk) return refuse("vary-limit");

  // §3: something must make the response cacheable — an explicit lifetime, public, or a
  // status that allows heuristic freshness. Expires is ignored under CDN-Cache-Control.
  const bool has_expires = !use_cdn && detail::find_field(response_headers, "expires") != nullptr;
  const bool explicit_ok = has_expires || cc.max_age.present || (shared && cc.s_maxage.present) ||
                           cc.is_public ||
                           (!shared && (cc.private_all || !cc.private_fields.empty()));
  if (!explicit_ok && !is_heuristically_cacheable(status) && !options.lifetime_from_rule) {
    return refuse("no-freshness");
  }
  return verdict;
}

}  // namespace rampart::cache
