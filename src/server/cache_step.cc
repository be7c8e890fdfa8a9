#include "server/cache_step.h"

#include <chrono>

#include "cache/cache_control.h"
#include "cache/freshness.h"
#include "cache/storability.h"
#include "cache/vary.h"

namespace rampart::server {

namespace {

constexpr char kVariantSeparator = '\x1f';
constexpr size_t kMaxTags = 64;

std::string variant_key(const std::string& key, const std::string& vary_key) {
  std::string k = key;
  k.push_back(kVariantSeparator);
  k += vary_key;
  return k;
}

bool has_header(std::span<const http::Header> headers, std::string_view name) {
  for (const http::Header& h : headers) {
    if (http::iequals(h.name, name)) return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string> cache_tags(std::span<const http::Header> headers) {
  std::vector<std::string> tags;
  for (const http::Header& h : headers) {
    if (!http::iequals(h.name, "cache-tag")) continue;
    std::string_view rest = h.value;
    while (!rest.empty() && tags.size() < kMaxTags) {
      size_t comma = rest.find(',');
      std::string_view tag = trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (!tag.empty()) tags.emplace_back(tag);
    }
  }
  return tags;
}

}  // namespace

int64_t wall_seconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

CacheLookup cache_lookup_for(const config::Site& site, const http::RequestHead& head) {
  CacheLookup lookup;
  if (!site.cache.enabled) return lookup;
  if (head.method != "GET" && head.method != "HEAD") return lookup;
  if (head.flags.upgrade) return lookup;
  // A stored response may answer an authenticated request only in cases (RFC 9111
  // §3.5) not worth the risk of serving one user's answer to another: bypass.
  if (has_header(head.headers, "authorization")) return lookup;
  lookup.eligible = true;
  lookup.key.reserve(head.host.size() + head.target.size() + 1);
  for (char c : head.host) lookup.key.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (!head.target.empty() && head.target.front() == '/') {
    lookup.key += head.target;
  } else {
    // Absolute-form: the same resource as its origin-form.
    lookup.key += head.path.empty() ? std::string_view("/") : head.path;
    if (!head.query.empty()) lookup.key.append("?").append(head.query);
  }
  lookup.miss = "uri-miss";
  return lookup;
}

std::optional<CacheHit> find_usable(cache::MemoryStore& store, CacheLookup& lookup,
                                    const http::RequestHead& head) {
  if (!lookup.eligible) return std::nullopt;
  auto object = store.find(lookup.key);
  if (!object) return std::nullopt;
  if (has_header(object->headers(), "vary")) {
    cache::VaryKey vk = cache::build_vary_key(object->headers(), head.headers);
    if (vk.status != cache::VaryStatus::kOk) {
      lookup.miss = "vary-miss";
      return std::nullopt;
    }
    if (vk.key != object->vary_key()) {
      object = store.find(variant_key(lookup.key, vk.key));
      if (!object) {
        lookup.miss = "vary-miss";
        return std::nullopt;
      }
    }
  }
  auto cdn = cache::cdn_override_of(object->headers());
  cache::Freshness f = cache::compute_freshness(object->status(), object->headers(), true,
                                                object->response_time(), cdn ? &*cdn : nullptr);
  int64_t age = cache::current_age(object->headers(), object->request_time(),
                                   object->response_time(), wall_seconds());
  std::optional<cache::CacheControl> request_cc;
  if (has_header(head.headers, "cache-control"))
    request_cc = cache::parse_cache_control(head.headers);
  cache::Use use = cache::decide_use(f, age, request_cc ? &*request_cc : nullptr);
  if (use != cache::Use::kFresh && use != cache::Use::kStaleAllowed) {
    // Revalidation and serving stale in the background come with the next step; until
    // then a stale object is fetched again.
    lookup.miss = "stale";
    return std::nullopt;
  }
  return CacheHit{std::move(object), age, f.lifetime - age};
}

std::optional<PendingStore> prepare_store(const CacheLookup& lookup, const http::RequestHead& head,
                                          const http::ResponseHead& response,
                                          std::span<const http::Header> headers,
                                          const config::CacheSettings& settings,
                                          int64_t request_time, std::string& cache_status) {
  if (!lookup.eligible) return std::nullopt;
  cache_status = "rampart; fwd=" + lookup.miss + "; fwd-status=" + std::to_string(response.status);
  auto refuse = [&](std::string_view why) -> std::optional<PendingStore> {
    cache_status.append("; detail=").append(why);
    return std::nullopt;
  };
  if (head.method != "GET") return refuse("method");
  auto cdn = cache::cdn_override_of(headers);
  cache::StoreVerdict verdict = cache::check_storable(head.method, head.headers, response.status,
                                                      headers, cdn ? &*cdn : nullptr);
  if (!verdict.storable) return refuse(verdict.reason);
  cache::VaryKey vk = cache::build_vary_key(headers, head.headers);
  if (vk.status != cache::VaryStatus::kOk) return refuse("vary");
  int64_t now = wall_seconds();
  cache::Freshness f =
      cache::compute_freshness(response.status, headers, true, now, cdn ? &*cdn : nullptr);
  // Without revalidation yet, an object stale on arrival would never be served.
  if (f.lifetime <= 0 || f.no_cache) return refuse("stale-on-arrival");
  if (response.body == http::BodyKind::kContentLength &&
      response.content_length > settings.max_object_bytes) {
    return refuse("too-large");
  }
  PendingStore pending;
  pending.status = response.status;
  pending.vary_key = std::move(vk.key);
  pending.request_time = request_time;
  pending.response_time = now;
  pending.limit = settings.max_object_bytes;
  for (const http::Header& h : headers) {
    // Framing is the server's to set on each answer; private fields stay out.
    if (http::iequals(h.name, "content-length") || http::iequals(h.name, "transfer-encoding")) {
      continue;
    }
    bool stripped = false;
    for (const std::string& field : verdict.strip_fields) stripped |= http::iequals(h.name, field);
    if (!stripped) pending.headers.emplace_back(std::string(h.name), std::string(h.value));
  }
  cache_status.append("; stored; ttl=").append(std::to_string(f.lifetime));
  return pending;
}

void finish_store(cache::MemoryStore& store, const CacheLookup& lookup, PendingStore& pending) {
  if (pending.overflow) return;
  std::vector<http::Header> views;
  views.reserve(pending.headers.size());
  for (const auto& [name, value] : pending.headers) views.push_back({name, value});
  auto object = std::make_shared<const cache::CachedObject>(
      pending.status, views, std::move(pending.body), pending.request_time, pending.response_time,
      cache_tags(views), pending.vary_key);
  // The newest variant also answers under the plain key, which tells later lookups how
  // this resource varies.
  if (!pending.vary_key.empty()) store.insert(variant_key(lookup.key, pending.vary_key), object);
  store.insert(lookup.key, std::move(object));
}

}  // namespace rampart::server
