#include "proxy/origin_pool.h"

#include <algorithm>
#include <chrono>

#include "core/log.h"
#include "proxy/hash64.h"

namespace rampart::proxy {

namespace {

std::vector<EndpointSpec> specs_of(const config::Pool& pool,
                                   const std::vector<OriginEndpoint>& endpoints) {
  std::vector<EndpointSpec> specs;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    uint32_t weight = i < pool.endpoints.size() ? pool.endpoints[i].weight : 1;
    specs.push_back(EndpointSpec{endpoints[i].name, weight});
  }
  return specs;
}

std::vector<std::shared_ptr<EndpointState>> states_of(const config::Pool& pool,
                                                      const std::vector<OriginEndpoint>& endpoints,
                                                      OriginStateStore& store) {
  std::vector<std::shared_ptr<EndpointState>> states;
  for (const OriginEndpoint& e : endpoints) states.push_back(store.endpoint(pool.name, e.name));
  return states;
}

}  // namespace

int64_t steady_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string_view admin_state_name(AdminState state) {
  switch (state) {
    case AdminState::kEnabled:
      return "enabled";
    case AdminState::kDraining:
      return "draining";
    case AdminState::kDisabled:
      return "disabled";
  }
  return "unknown";
}

std::string_view try_outcome_name(TryOutcome outcome) {
  switch (outcome) {
    case TryOutcome::kSuccess:
      return "success";
    case TryOutcome::kConnectFailure:
      return "connect failure";
    case TryOutcome::kReset:
      return "connection reset";
    case TryOutcome::kTimeout:
      return "timeout";
    case TryOutcome::k5xx:
      return "5xx answer";
  }
  return "unknown";
}

std::shared_ptr<EndpointState> OriginStateStore::endpoint(std::string_view pool,
                                                          std::string_view endpoint) {
  std::string key;
  key.reserve(pool.size() + 1 + endpoint.size());
  key.append(pool).append(1, '\n').append(endpoint);
  std::lock_guard lock(mutex_);
  auto& state = states_[key];
  if (!state) state = std::make_shared<EndpointState>();
  return state;
}

void OriginStateStore::prune() {
  std::lock_guard lock(mutex_);
  std::erase_if(states_, [](const auto& entry) { return entry.second.use_count() == 1; });
}

OriginPool::OriginPool(const config::Pool& config, std::vector<OriginEndpoint> endpoints,
                       OriginStateStore& store)
    : config_(config),
      endpoints_(std::move(endpoints)),
      balancer_(config.steering, specs_of(config, endpoints_),
                states_of(config, endpoints_, store)),
      budget_(config.retry_budget.percent, config.retry_budget.window,
              config.retry_budget.min_retries) {
  balancer_.set_max_in_flight(config.max_connections);
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    OriginEndpoint& e = endpoints_[i];
    // The token names the endpoint without revealing its address.
    char token[17];
    uint64_t h = hash64(config.name + "/" + e.name, 0x616666696e697479ULL);
    static constexpr char kHex[] = "0123456789abcdef";
    for (int d = 0; d < 16; ++d) token[d] = kHex[(h >> (60 - 4 * d)) & 0xf];
    e.affinity_token.assign(token, 16);
    e.labels = "pool=\"" + config.name + "\",endpoint=\"" + e.name + "\"";
    // `enabled: false` in the config is the operator's switch written down; an operator's
    // drain from the admin API outlives reloads unless the config itself changes it.
    EndpointState& s = state(i);
    if (!e.configured_enabled) {
      s.set_admin(AdminState::kDisabled);
      s.disabled_by_config.store(true, std::memory_order_relaxed);
    } else if (s.disabled_by_config.exchange(false, std::memory_order_relaxed)) {
      s.set_admin(AdminState::kEnabled);
    }
    // Without active checks nothing would ever mark the endpoint healthy again.
    if (!config.health_check.enabled) s.healthy.store(true, std::memory_order_relaxed);
  }
}

std::optional<size_t> OriginPool::find(std::string_view endpoint_name) const {
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (endpoints_[i].name == endpoint_name) return i;
  }
  return std::nullopt;
}

std::optional<size_t> OriginPool::find_by_token(std::string_view token) const {
  if (token.size() != 16) return std::nullopt;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (endpoints_[i].affinity_token == token) return i;
  }
  return std::nullopt;
}

void OriginPool::record(size_t i, TryOutcome outcome, int64_t now_ms) {
  EndpointState& s = state(i);
  s.requests.fetch_add(1, std::memory_order_relaxed);
  if (outcome == TryOutcome::kSuccess) {
    if (s.consecutive_failures.load(std::memory_order_relaxed) != 0)
      s.consecutive_failures.store(0, std::memory_order_relaxed);
    if (s.ejection_streak.load(std::memory_order_relaxed) != 0 &&
        !s.ejected.load(std::memory_order_relaxed)) {
      s.ejection_streak.store(0, std::memory_order_relaxed);
    }
    return;
  }
  s.failures.fetch_add(1, std::memory_order_relaxed);
  const config::OutlierDetection& od = config_.outlier_detection;
  if (!od.enabled || (outcome == TryOutcome::k5xx && !od.count_5xx)) return;
  uint32_t failures = s.consecutive_failures.fetch_add(1, std::memory_order_relaxed) + 1;
  if (failures >= od.consecutive_failures && !s.ejected.load(std::memory_order_relaxed)) {
    eject(i, now_ms, outcome);
  }
}

void OriginPool::eject(size_t i, int64_t now_ms, TryOutcome why) {
  std::lock_guard lock(eject_mutex_);
  EndpointState& s = state(i);
  if (s.ejected.load(std::memory_order_relaxed)) return;
  const config::OutlierDetection& od = config_.outlier_detection;
  size_t ejected = 0;
  for (size_t j = 0; j < endpoints_.size(); ++j) ejected += state(j).ejected.load() ? 1 : 0;
  size_t cap = endpoints_.size() * od.max_ejected_percent / 100;
  if (ejected >= cap) {
    static core::LogRateLimiter limiter("origin keeps failing");
    if (int64_t suppressed = limiter.admit(); suppressed >= 0) {
      core::log(core::LogLevel::kWarn,
                "origin {}/{} keeps failing ({}) but stays in: {} of {} endpoints are already "
                "ejected, the cap is {}% (+{} suppressed)",
                config_.name, endpoints_[i].name, try_outcome_name(why), ejected, endpoints_.size(),
                od.max_ejected_percent, suppressed);
    }
    return;
  }
  uint32_t streak = s.ejection_streak.fetch_add(1, std::memory_order_relaxed);
  int64_t duration = od.base_ejection.count();
  for (uint32_t k = 0; k < streak && duration < od.max_ejection.count(); ++k) duration *= 2;
  duration = std::min<int64_t>(duration, od.max_ejection.count());
  s.ejected_until_ms.store(now_ms + duration, std::memory_order_relaxed);
  s.consecutive_failures.store(0, std::memory_order_relaxed);
  s.ejections.fetch_add(1, std::memory_order_relaxed);
  s.ejected.store(true, std::memory_order_release);
  core::log(core::LogLevel::kWarn,
            "origin {}/{} ejected for {} ms after {} consecutive failures (last: {}); "
            "ejection {} in a row",
            config_.name, endpoints_[i].name, duration, od.consecutive_failures,
            try_outcome_name(why), streak + 1);
}

void OriginPool::end_ejections(int64_t now_ms) {
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    EndpointState& s = state(i);
    if (!s.ejected.load(std::memory_order_acquire)) continue;
    if (s.ejected_until_ms.load(std::memory_order_relaxed) > now_ms) continue;
    s.consecutive_failures.store(0, std::memory_order_relaxed);
    s.ejected.store(false, std::memory_order_release);
    core::log(core::LogLevel::kInfo, "origin {}/{} back in rotation after its ejection",
              config_.name, endpoints_[i].name);
  }
}

void OriginPool::set_healthy(size_t i, bool healthy, std::string_view reason) {
  EndpointState& s = state(i);
  if (s.healthy.exchange(healthy, std::memory_order_acq_rel) == healthy) return;
  core::log(healthy ? core::LogLevel::kInfo : core::LogLevel::kWarn, "origin {}/{} is {} ({})",
            config_.name, endpoints_[i].name, healthy ? "up" : "down", reason);
}

void OriginPool::set_admin(size_t i, AdminState admin) {
  EndpointState& s = state(i);
  if (s.admin() == admin) return;
  s.set_admin(admin);
  core::log(core::LogLevel::kInfo, "origin {}/{} is now {} (operator)", config_.name,
            endpoints_[i].name, admin_state_name(admin));
}

}  // namespace rampart::proxy
