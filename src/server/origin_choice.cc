#include "server/origin_choice.h"

#include <span>

#include "proxy/hash64.h"
#include "rules/evaluator.h"

namespace rampart::server {

namespace {

bool is_cookie_space(char c) {
  return c == ' ' || c == '\t';
}

// The hash key as bytes: strings as they are, addresses as their 16 bytes, numbers in
// decimal. Missing (e.g. an absent header) is empty, which the balancer spreads.
std::string hash_key_of(const proxy::OriginPool& pool, pipeline::RequestContext& ctx) {
  const rules::Program* program = pool.hash_key();
  if (program == nullptr) return {};
  rules::EvalState state(ctx.facts, pool.hash_slots());
  rules::Value v = rules::evaluate(*program, state);
  if (v.missing || state.exhausted) return {};
  switch (v.type) {
    case rules::Type::kString:
      return std::string(v.string);
    case rules::Type::kIp:
      return std::string(reinterpret_cast<const char*>(v.ip.bytes.data()), v.ip.bytes.size());
    case rules::Type::kInt:
      return std::to_string(v.integer);
    default:
      return {};
  }
}

}  // namespace

std::string_view cookie_value(const http::RequestHead& head, std::string_view name) {
  for (const http::Header& h : head.headers) {
    if (!http::iequals(h.name, "cookie")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      while (!pair.empty() && is_cookie_space(pair.front())) pair.remove_prefix(1);
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
      std::string_view value = pair.substr(eq + 1);
      while (!value.empty() && is_cookie_space(value.back())) value.remove_suffix(1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      return value;
    }
  }
  return {};
}

EndpointPicker::EndpointPicker(proxy::OriginPool& pool, pipeline::RequestContext& ctx,
                               const http::RequestHead& head, uint64_t random)
    : pool_(pool), random_(random) {
  const config::Pool& cfg = pool.config();
  if (cfg.steering == config::Steering::kHash) key_ = hash_key_of(pool, ctx);
  if (cfg.affinity.enabled) {
    std::string_view token = cookie_value(head, cfg.affinity.cookie);
    if (!token.empty()) preferred_ = pool.find_by_token(token);
  }
}

std::optional<size_t> EndpointPicker::next() {
  if (tried_count_ >= kMaxTries) return std::nullopt;
  proxy::Balancer& balancer = pool_.balancer();
  if (preferred_ && tried_count_ == 0) {
    size_t p = *preferred_;
    if (pool_.state(p).usable() && balancer.try_start(p)) {
      tried_[tried_count_++] = p;
      return p;
    }
  }
  // An endpoint that fills up between the pick and try_start is skipped; the loop is
  // bounded by the pool size.
  std::array<size_t, kMaxTries + 8> skip{};
  size_t skip_count = tried_count_;
  std::copy_n(tried_.begin(), tried_count_, skip.begin());
  for (size_t round = 0; round < 8 && skip_count < skip.size(); ++round) {
    random_ = proxy::fmix64(random_ + 0x9e3779b97f4a7c15ULL);
    auto pick = balancer.pick(key_, std::span<const size_t>(skip.data(), skip_count), random_);
    if (!pick) return std::nullopt;
    if (balancer.try_start(*pick)) {
      tried_[tried_count_++] = *pick;
      return pick;
    }
    skip[skip_count++] = *pick;
  }
  return std::nullopt;
}

std::optional<size_t> EndpointPicker::next_within_budget() {
  std::optional<size_t> next = this->next();
  if (!next) return std::nullopt;
  if (!pool_.retry_budget().try_retry(proxy::steady_now_ms())) {
    pool_.balancer().on_finish(*next, std::nullopt);
    pool_.budget_exhausted.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  return next;
}

bool EndpointPicker::all_full() const {
  uint32_t max = pool_.config().max_connections;
  if (max == 0) return false;
  bool any_usable = false;
  for (size_t i = 0; i < pool_.size(); ++i) {
    const proxy::EndpointState& s = pool_.state(i);
    if (!s.usable()) continue;
    any_usable = true;
    if (s.in_flight.load(std::memory_order_relaxed) < max) return false;
  }
  return any_usable;
}

std::string EndpointPicker::affinity_cookie(size_t endpoint) const {
  const config::Affinity& a = pool_.config().affinity;
  if (!a.enabled || preferred_ == endpoint) return {};
  std::string cookie =
      a.cookie + "=" + pool_.endpoint(endpoint).affinity_token + "; Path=/; HttpOnly; SameSite=Lax";
  if (a.ttl.count() > 0) cookie += "; Max-Age=" + std::to_string(a.ttl.count() / 1000);
  return cookie;
}

}  // namespace rampart::server
