#pragma once
// The cache's place in a request: whether a request may use the cache, its key, the
// lookup with freshness and Vary, validating a stale copy, and preparing a response for
// storing while it streams to the client. The session calls these; the rules live in
// cache/.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cache/cached_object.h"
#include "cache/fill.h"
#include "cache/tiered_store.h"
#include "config/config.h"
#include "http/message.h"
#include "pipeline/cache_directives.h"

namespace rampart::server {

// Seconds on the wall clock: HTTP dates and ages are wall-clock times.
int64_t wall_seconds();

struct CacheLookup {
  bool eligible = false;  // the site caches and the request may use the cache
  std::string key;        // host and target
  std::string miss;       // Cache-Status fwd= on a miss: uri-miss, vary-miss, stale, request
  // A stored copy that may not answer as it is: validated with the origin when it has
  // validators, and served instead of an origin failure when `stale_if_error`.
  std::shared_ptr<const cache::CachedObject> stale;
  bool stale_if_error = false;
  bool revalidating = false;  // its validators went upstream: a 304 refreshes it
  // The collapsed fetch this request leads (null: not collapsed).
  std::shared_ptr<cache::Fill> fill;
  // What the cache rules decided for this request (null: no rule matched); read again
  // when the response is stored (edge TTL, deception armor).
  const pipeline::CacheDirectives* rules = nullptr;
};

// Decides eligibility and the key; nothing is looked up. `rules` (the request's
// RequestContext::cache) may make a request eligible or bypass the cache, and shape the
// key; it must outlive the lookup.
CacheLookup cache_lookup_for(const config::Site& site, const http::RequestHead& head,
                             const pipeline::CacheDirectives* rules = nullptr);

struct CacheHit {
  std::shared_ptr<const cache::CachedObject> object;
  int64_t age = 0;
  int64_t ttl = 0;  // freshness left, seconds (negative once stale)
  // Served stale within stale-while-revalidate: one background validation follows.
  bool revalidate = false;
  std::string cache_status;             // empty: "rampart; hit; ttl=N"
  std::string_view log_status = "hit";  // the access log's cache field
};

// Age and freshness left of a stored object now.
CacheHit hit_of(std::shared_ptr<const cache::CachedObject> object);

// A stored response that may answer this request as it is (fresh, stale within what
// the request accepts, or within stale-while-revalidate); otherwise fills lookup.miss
// and lookup.stale.
std::optional<CacheHit> find_usable(cache::TieredStore& store, CacheLookup& lookup,
                                    const http::RequestHead& head, const config::SiteCache& site);

// Puts the stale copy's validators (If-None-Match, If-Modified-Since) on the upstream
// request in place of the client's own; false when it has none. Values are views into
// the stored object.
bool add_validators(const cache::CachedObject& stale, std::vector<http::Header>& upstream);

// Folds an origin's 304 into the stale copy and stores the result.
std::shared_ptr<const cache::CachedObject> refresh_stored(
    cache::TieredStore& store, const CacheLookup& lookup,
    std::span<const http::Header> not_modified, int64_t request_time);

// A response on its way to the client that will be stored if it completes.
struct PendingStore {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string vary_key;
  int64_t request_time = 0;
  int64_t response_time = 0;
  uint64_t limit = 0;
  bool stored = false;         // finish_store ran
  int64_t edge_lifetime = -1;  // set by a cache rule's edge TTL; negative: the fields decide
  std::string body;
  bool overflow = false;
  // When the fetch is collapsed the body is kept once, in the fill others read.
  std::shared_ptr<cache::Fill> fill;

  void add_body(std::string_view bytes) {
    if (overflow) return;
    if (fill) {
      overflow = !fill->append(bytes);
      return;
    }
    if (bytes.size() > limit - body.size()) {
      overflow = true;
      body.clear();
      body.shrink_to_fit();
      return;
    }
    body.append(bytes);
  }
};

// Whether the origin's response may be stored; `cache_status` gets the Cache-Status
// value for the response. `headers` are the origin's fields after hop-by-hop filtering.
std::optional<PendingStore> prepare_store(const CacheLookup& lookup, const http::RequestHead& head,
                                          const http::ResponseHead& response,
                                          std::span<const http::Header> headers,
                                          const config::CacheSettings& settings,
                                          int64_t request_time, std::string& cache_status);

// After an unsafe method succeeded (2xx/3xx), the stored copies of its target and of
// the Location and Content-Location it names on the same host are dropped (RFC 9111
// §4.4), variants included.
void invalidate_after_unsafe(cache::TieredStore& store, const config::Site& site,
                             const http::RequestHead& head, const http::ResponseHead& response);

// Opens the collapsed fetch `fill` with the response being stored: waiting requests
// stream it from now on. `content_length` is the origin's, when it gave one.
void lead_fill(PendingStore& pending, std::shared_ptr<cache::Fill> fill,
               std::optional<uint64_t> content_length);

// Opens and completes `fill` with a stored object (a validated stale copy).
void fill_from_object(cache::Fill& fill, const cache::CachedObject& object);

// Stores a completed response (under its key and, when it varies, its variant key) and
// completes its fill, if any.
void finish_store(cache::TieredStore& store, const CacheLookup& lookup, PendingStore& pending);

}  // namespace rampart::server
