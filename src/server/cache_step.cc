#include "server/cache_step.h"

#include <chrono>

#include "cache/cache_control.h"
#include "cache/cache_key.h"
#include "cache/cache_tags.h"
#include "cache/deception_armor.h"
#include "cache/freshness.h"
#include "cache/key_options.h"
#include "cache/storability.h"
#include "cache/ttl_policy.h"
#include "cache/vary.h"

namespace rampart::server {

int64_t wall_seconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

// ---- cache rules (cache-crules): key options, edge TTL, deception armor ----
namespace {

// The site's canonical name: its first exact host.
std::string_view resolved_host(const config::Site& site, std::string_view fallback) {
  for (const std::string& h : site.hosts) {
    if (!h.starts_with("*.")) return h;
  }
  return fallback;
}

std::optional<std::string> custom_key(const config::Site& site, const http::RequestHead& head,
                                      const pipeline::CacheDirectives& rules) {
  cache::KeyOptions options;
  options.sort_query = rules.ignore_query_strings_order;
  if (const config::QueryKey* q = rules.query_string) {
    switch (q->mode) {
      case config::QueryKeyMode::kAll:
        options.query = cache::QueryFilter::kAll;
        break;
      case config::QueryKeyMode::kInclude:
        options.query = cache::QueryFilter::kInclude;
        break;
      case config::QueryKeyMode::kExclude:
        options.query = cache::QueryFilter::kExclude;
        break;
      case config::QueryKeyMode::kNone:
        options.query = cache::QueryFilter::kNone;
        break;
    }
    options.query_names = q->names;
  }
  if (rules.key_headers != nullptr) options.headers = *rules.key_headers;
  if (rules.key_cookies != nullptr) options.cookies = *rules.key_cookies;
  std::string_view host = rules.host_resolved ? resolved_host(site, head.host) : head.host;
  return cache::build_custom_key(host, head.path, head.query, head.headers, options);
}

cache::EdgeDecision edge_decision(const pipeline::CacheDirectives* rules, int status,
                                  std::span<const http::Header> headers,
                                  const cache::CacheControl* cdn, const cache::Freshness& f) {
  cache::EdgePolicy policy;
  if (rules != nullptr && rules->edge_ttl != nullptr) {
    const config::EdgeTtl& ttl = *rules->edge_ttl;
    policy.mode =
        ttl.mode == config::EdgeTtlMode::kOverrideOrigin    ? cache::EdgeMode::kOverrideOrigin
        : ttl.mode == config::EdgeTtlMode::kBypassByDefault ? cache::EdgeMode::kBypassByDefault
                                                            : cache::EdgeMode::kRespectOrigin;
    policy.default_seconds = ttl.default_seconds;
    for (const config::StatusTtl& e : ttl.status_ttls) {
      if (status >= e.codes.low && status <= e.codes.high) {
        policy.status_seconds = e.seconds;
        break;
      }
    }
  }
  return cache::resolve_edge_ttl(policy, f, cache::origin_gives_lifetime(headers, cdn));
}

}  // namespace
// ---- end cache rules ----

CacheLookup cache_lookup_for(const config::Site& site, const http::RequestHead& head,
                             const pipeline::CacheDirectives* rules) {
  CacheLookup lookup;
  lookup.rules = rules;
  bool enabled = site.cache.enabled;
  if (rules != nullptr && rules->eligibility != pipeline::CacheDirectives::Eligibility::kDefault) {
    enabled = rules->eligibility == pipeline::CacheDirectives::Eligibility::kEligible;
  }
  if (!enabled) return lookup;
  if (head.method != "GET" && head.method != "HEAD") return lookup;
  if (head.flags.upgrade) return lookup;
  // A stored response may answer an authenticated request only in cases (RFC 9111
  // §3.5) not worth the risk of serving one user's answer to another: bypass.
  if (head.find("authorization") != nullptr) return lookup;
  if (rules != nullptr && rules->custom_key()) {
    auto key = custom_key(site, head, *rules);
    if (!key) return lookup;  // past the key's bounds: not cached
    lookup.eligible = true;
    lookup.key = std::move(*key);
    lookup.miss = "uri-miss";
    return lookup;
  }
  lookup.eligible = true;
  if (!head.target.empty() && head.target.front() == '/') {
    lookup.key = cache::make_key(head.host, head.target);
  } else {
    // Absolute-form: the same resource as its origin-form.
    std::string target(head.path.empty() ? std::string_view("/") : head.path);
    if (!head.query.empty()) target.append("?").append(head.query);
    lookup.key = cache::make_key(head.host, target);
  }
  lookup.miss = "uri-miss";
  return lookup;
}

std::optional<CacheHit> find_usable(cache::MemoryStore& store, CacheLookup& lookup,
                                    const http::RequestHead& head) {
  if (!lookup.eligible) return std::nullopt;
  auto object = store.find(lookup.key);
  if (!object) return std::nullopt;
  // The object under the plain key tells how the resource varies; a request whose
  // varied fields differ needs its own variant.
  cache::VaryKey vk = cache::build_vary_key(object->headers(), head.headers);
  if (vk.status != cache::VaryStatus::kOk) {
    lookup.miss = "vary-miss";
    return std::nullopt;
  }
  if (vk.key != object->vary_key()) {
    object = store.find(cache::variant_key(lookup.key, vk.key));
    if (!object) {
      lookup.miss = "vary-miss";
      return std::nullopt;
    }
  }
  auto cdn = cache::cdn_override_of(object->headers());
  cache::Freshness f = cache::compute_freshness(object->status(), object->headers(), true,
                                                object->response_time(), cdn ? &*cdn : nullptr);
  if (object->edge_lifetime() >= 0) {
    // A cache rule's edge TTL replaced the origin's lifetime when it was stored.
    f.lifetime = object->edge_lifetime();
    f.no_cache = false;
    f.must_revalidate = false;
  }
  int64_t age = cache::current_age(object->headers(), object->request_time(),
                                   object->response_time(), wall_seconds());
  std::optional<cache::CacheControl> request_cc;
  if (head.find("cache-control") != nullptr) request_cc = cache::parse_cache_control(head.headers);
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
  if (lookup.rules != nullptr && lookup.rules->cache_deception_armor) {
    const http::Header* type = nullptr;
    for (const http::Header& h : headers) {
      if (http::iequals(h.name, "content-type")) type = &h;
    }
    if (cache::check_deception_armor(head.path, type ? type->value : std::string_view()) ==
        cache::ArmorVerdict::kMismatch) {
      return refuse("deception-armor");
    }
  }
  auto cdn = cache::cdn_override_of(headers);
  int64_t now = wall_seconds();
  cache::Freshness f =
      cache::compute_freshness(response.status, headers, true, now, cdn ? &*cdn : nullptr);
  cache::EdgeDecision edge =
      edge_decision(lookup.rules, response.status, headers, cdn ? &*cdn : nullptr, f);
  if (!edge.store) return refuse(edge.reason);
  cache::StoreOptions store_options;
  store_options.lifetime_from_rule = edge.overridden;
  cache::StoreVerdict verdict = cache::check_storable(
      head.method, head.headers, response.status, headers, cdn ? &*cdn : nullptr, store_options);
  if (!verdict.storable) return refuse(verdict.reason);
  cache::VaryKey vk = cache::build_vary_key(headers, head.headers);
  if (vk.status != cache::VaryStatus::kOk) return refuse("vary");
  // Without revalidation yet, an object stale on arrival would never be served.
  if (!edge.overridden && (f.lifetime <= 0 || f.no_cache)) return refuse("stale-on-arrival");
  const int64_t lifetime = edge.overridden ? edge.lifetime : f.lifetime;
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
  if (edge.overridden) pending.edge_lifetime = edge.lifetime;
  for (const http::Header& h : headers) {
    // Framing is the server's to set on each answer; private fields stay out.
    if (http::iequals(h.name, "content-length") || http::iequals(h.name, "transfer-encoding")) {
      continue;
    }
    bool stripped = false;
    for (const std::string& field : verdict.strip_fields) stripped |= http::iequals(h.name, field);
    if (!stripped) pending.headers.emplace_back(std::string(h.name), std::string(h.value));
  }
  cache_status.append("; stored; ttl=").append(std::to_string(lifetime));
  return pending;
}

void finish_store(cache::MemoryStore& store, const CacheLookup& lookup, PendingStore& pending) {
  if (pending.overflow) return;
  std::vector<http::Header> views;
  views.reserve(pending.headers.size());
  for (const auto& [name, value] : pending.headers) views.push_back({name, value});
  auto object = std::make_shared<const cache::CachedObject>(
      pending.status, views, std::move(pending.body), pending.request_time, pending.response_time,
      cache::parse_cache_tags(views), pending.vary_key, pending.edge_lifetime);
  // The newest variant also answers under the plain key, which tells later lookups how
  // this resource varies.
  if (!pending.vary_key.empty()) {
    store.insert(cache::variant_key(lookup.key, pending.vary_key), object);
  }
  store.insert(lookup.key, std::move(object));
}

}  // namespace rampart::server
