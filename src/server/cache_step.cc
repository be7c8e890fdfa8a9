#include "server/cache_step.h"

#include <chrono>

#include "cache/cache_control.h"
#include "cache/cache_key.h"
#include "cache/cache_tags.h"
#include "cache/conditional.h"
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

namespace {

std::string key_of_request(const http::RequestHead& head) {
  if (!head.target.empty() && head.target.front() == '/') {
    return cache::make_key(head.host, head.target);
  }
  // Absolute-form: the same resource as its origin-form.
  std::string target(head.path.empty() ? std::string_view("/") : head.path);
  if (!head.query.empty()) target.append("?").append(head.query);
  return cache::make_key(head.host, target);
}

void drop_with_variants(cache::TieredStore& store, const std::string& key) {
  auto object = store.find(key);
  if (!object) return;
  if (object->vary_key().empty()) {
    store.erase(key);
    return;
  }
  // Variants live under their own keys; finding them all costs a scan, paid only for
  // resources that vary.
  store.purge_if([&](std::string_view stored) { return cache::is_key_or_variant(stored, key); });
}

}  // namespace

void invalidate_after_unsafe(cache::TieredStore& store, const config::Site& site,
                             const http::RequestHead& head, const http::ResponseHead& response) {
  if (!site.cache.enabled || response.status < 200 || response.status > 399) return;
  std::string_view m = head.method;
  if (m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE" || m == "CONNECT") return;
  std::string key = key_of_request(head);
  drop_with_variants(store, key);
  std::string host = cache::lower_host(head.host);
  for (std::string_view field : {"location", "content-location"}) {
    const http::Header* h = response.find(field);
    if (h == nullptr || h->value.empty()) continue;
    std::optional<std::string> other;
    if (h->value.front() == '/' && !h->value.starts_with("//")) {
      other = cache::make_key(head.host, h->value);
    } else if (auto absolute = h->value.find("://") != std::string_view::npos
                                   ? cache::key_of_url(h->value)
                                   : std::nullopt;
               absolute && cache::host_of_key(*absolute) == host) {
      other = std::move(absolute);  // only on the same host (§4.4), against cache poisoning
    }
    if (other && *other != key) drop_with_variants(store, *other);
  }
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
  lookup.key = key_of_request(head);
  lookup.miss = "uri-miss";
  return lookup;
}

namespace {

cache::Freshness freshness_of(const cache::CachedObject& object) {
  auto cdn = cache::cdn_override_of(object.headers());
  cache::Freshness f = cache::compute_freshness(object.status(), object.headers(), true,
                                                object.response_time(), cdn ? &*cdn : nullptr);
  if (object.edge_lifetime() >= 0) {
    // A cache rule's edge TTL replaced the origin's lifetime when it was stored.
    f.lifetime = object.edge_lifetime();
    f.no_cache = false;
    f.must_revalidate = false;
  }
  return f;
}

int64_t age_of(const cache::CachedObject& object, int64_t now) {
  return cache::current_age(object.headers(), object.request_time(), object.response_time(), now);
}

bool has_validator(std::span<const http::Header> headers) {
  for (const http::Header& h : headers) {
    if (http::iequals(h.name, "etag") || http::iequals(h.name, "last-modified")) return true;
  }
  return false;
}

}  // namespace

namespace {

CacheHit make_hit(std::shared_ptr<const cache::CachedObject> object, const cache::Freshness& f,
                  int64_t age) {
  CacheHit hit;
  hit.object = std::move(object);
  hit.age = age;
  hit.ttl = f.lifetime - age;
  return hit;
}

}  // namespace

CacheHit hit_of(std::shared_ptr<const cache::CachedObject> object) {
  cache::Freshness f = freshness_of(*object);
  int64_t age = age_of(*object, wall_seconds());
  return make_hit(std::move(object), f, age);
}

std::optional<CacheHit> find_usable(cache::TieredStore& store, CacheLookup& lookup,
                                    const http::RequestHead& head, const config::SiteCache& site) {
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
  cache::Freshness f = freshness_of(*object);
  int64_t age = age_of(*object, wall_seconds());
  std::optional<cache::CacheControl> request_cc;
  if (head.find("cache-control") != nullptr) request_cc = cache::parse_cache_control(head.headers);
  cache::Use use = cache::decide_use(f, age, request_cc ? &*request_cc : nullptr);
  if (use == cache::Use::kFresh || use == cache::Use::kStaleAllowed) {
    return make_hit(std::move(object), f, age);
  }
  const pipeline::CacheDirectives* rules = lookup.rules;
  bool while_updating = site.serve_stale && !(rules && rules->disable_stale_while_updating);
  bool if_error = site.serve_stale && !(rules && rules->disable_stale_if_error);
  if (use == cache::Use::kStaleWhileRevalidate && while_updating) {
    CacheHit hit = make_hit(std::move(object), f, age);
    hit.revalidate = true;
    hit.log_status = "stale";
    hit.cache_status =
        "rampart; hit; ttl=" + std::to_string(hit.ttl) + "; detail=stale-while-revalidate";
    return hit;
  }
  lookup.miss = "stale";
  // must-revalidate forbids serving a stale copy even when the origin fails (RFC 9111
  // §5.2.2.2); always-online goes past stale-if-error but not past that.
  lookup.stale_if_error = if_error && (cache::can_serve_stale_if_error(f, age) ||
                                       (site.always_online && !f.must_revalidate));
  lookup.stale = std::move(object);
  return std::nullopt;
}

bool add_validators(const cache::CachedObject& stale, std::vector<http::Header>& upstream) {
  const http::Header* etag = nullptr;
  const http::Header* last_modified = nullptr;
  for (const http::Header& h : stale.headers()) {
    if (http::iequals(h.name, "etag")) etag = &h;
    if (http::iequals(h.name, "last-modified")) last_modified = &h;
  }
  if (etag == nullptr && last_modified == nullptr) return false;
  // The client's own validators are answered from the refreshed copy afterwards.
  std::erase_if(upstream, [](const http::Header& h) {
    return http::iequals(h.name, "if-none-match") || http::iequals(h.name, "if-modified-since");
  });
  if (etag != nullptr) upstream.push_back({"If-None-Match", etag->value});
  if (last_modified != nullptr) upstream.push_back({"If-Modified-Since", last_modified->value});
  return true;
}

std::shared_ptr<const cache::CachedObject> refresh_stored(
    cache::TieredStore& store, const CacheLookup& lookup,
    std::span<const http::Header> not_modified, int64_t request_time) {
  const cache::CachedObject& stale = *lookup.stale;
  std::vector<cache::OwnedHeader> updated =
      cache::update_stored_headers(stale.headers(), not_modified);
  std::vector<http::Header> views;
  views.reserve(updated.size());
  for (const cache::OwnedHeader& h : updated) views.push_back({h.name, h.value});
  auto object = std::make_shared<const cache::CachedObject>(
      stale.status(), views, std::string(stale.body()), request_time, wall_seconds(),
      cache::parse_cache_tags(views), stale.vary_key(), stale.edge_lifetime());
  if (!object->vary_key().empty()) {
    store.insert(cache::variant_key(lookup.key, object->vary_key()), object);
  }
  store.insert(lookup.key, object);
  return object;
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
  // A copy stale on arrival is worth keeping only if it can be validated.
  if (!edge.overridden && (f.lifetime <= 0 || f.no_cache) && !has_validator(headers)) {
    return refuse("stale-on-arrival");
  }
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

void lead_fill(PendingStore& pending, std::shared_ptr<cache::Fill> fill,
               std::optional<uint64_t> content_length) {
  std::vector<http::Header> views;
  views.reserve(pending.headers.size() + 1);
  for (const auto& [name, value] : pending.headers) views.push_back({name, value});
  std::string length = content_length ? std::to_string(*content_length) : std::string();
  if (content_length) views.push_back({"Content-Length", length});
  fill->set_head(pending.status, views, pending.vary_key);
  pending.fill = std::move(fill);
}

void fill_from_object(cache::Fill& fill, const cache::CachedObject& object) {
  std::vector<http::Header> views(object.headers().begin(), object.headers().end());
  std::string length = std::to_string(object.body().size());
  views.push_back({"Content-Length", length});
  fill.set_head(object.status(), views, object.vary_key());
  fill.append(object.body());
  fill.complete();
}

void finish_store(cache::TieredStore& store, const CacheLookup& lookup, PendingStore& pending) {
  if (pending.overflow || pending.stored) return;
  pending.stored = true;
  if (pending.fill) {
    // The body was kept in the fill's blocks; the stored copy is one contiguous string.
    pending.body.reserve(pending.fill->body_size());
    for (size_t at = 0;;) {
      std::string_view block = pending.fill->body_at(at);
      if (block.empty()) break;
      pending.body.append(block);
      at += block.size();
    }
  }
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
  // Stored first: a request arriving once the fill is done finds the object.
  if (pending.fill) pending.fill->complete();
}

}  // namespace rampart::server
