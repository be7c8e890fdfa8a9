#pragma once
// The cache's place in a request (first cut): whether a request may use the cache, its
// key, the lookup with freshness and Vary, and preparing a response for storing while
// it streams to the client. The session calls these; the rules live in cache/.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cache/cached_object.h"
#include "cache/memory_store.h"
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
  int64_t ttl = 0;  // freshness left, seconds
};

// A stored response that may answer this request as it is (fresh, or stale within what
// the request accepts); fills lookup.miss otherwise.
std::optional<CacheHit> find_usable(cache::MemoryStore& store, CacheLookup& lookup,
                                    const http::RequestHead& head);

// A response on its way to the client that will be stored if it completes.
struct PendingStore {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string vary_key;
  int64_t request_time = 0;
  int64_t response_time = 0;
  uint64_t limit = 0;
  int64_t edge_lifetime = -1;  // set by a cache rule's edge TTL; negative: the fields decide
  std::string body;
  bool overflow = false;

  void add_body(std::string_view bytes) {
    if (overflow) return;
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

// Stores a completed response (under its key and, when it varies, its variant key).
void finish_store(cache::MemoryStore& store, const CacheLookup& lookup, PendingStore& pending);

}  // namespace rampart::server
