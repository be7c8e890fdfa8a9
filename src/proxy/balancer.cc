#include "proxy/balancer.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "proxy/hash64.h"

namespace rampart::proxy {

namespace {

// Several independent numbers out of the caller's single per-worker random value.
class SplitMix {
 public:
  explicit SplitMix(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound) without a division (Lemire's multiply-shift).
  uint64_t below(uint64_t bound) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * bound) >> 64);
  }

 private:
  uint64_t state_;
};

bool is_prime(uint64_t n) {
  if (n < 2) return false;
  for (uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

// Maglev wants the table much larger than the endpoint count (100x keeps the per-endpoint
// share within about 1% of its weight) and prime so every skip generates a permutation.
uint64_t maglev_table_size(size_t endpoints) {
  uint64_t size = std::max<uint64_t>(65537, static_cast<uint64_t>(endpoints) * 100);
  while (!is_prime(size)) ++size;
  return size;
}

// How many hash probes of a key are tried before the deterministic linear walk.
constexpr int kHashRehashes = 32;
// One pick in this many under kLatency goes to a uniformly random candidate so a slow
// endpoint keeps getting the samples it needs to prove it recovered (~2%).
constexpr uint64_t kLatencyProbeOneIn = 50;

}  // namespace

struct Balancer::Impl {
  // Smooth weighted round robin (nginx) keeps a running weight per endpoint that must be
  // updated together with the choice; a mutex held for one pass over the endpoints is
  // cheaper and simpler than any lock-free scheme that stays smooth under exclusions.
  std::mutex rr_mutex;
  std::vector<int64_t> rr_current;
  // kRandom / kPowerOfTwo draw by weight from the prefix sums over all endpoints and
  // reject non-candidates, which keeps the draw proportional to weight among candidates.
  std::vector<uint64_t> cumulative_weight;
  uint64_t total_weight = 0;
  // kHash: the Maglev lookup table, slot -> endpoint index.
  std::vector<uint32_t> maglev;
};

Balancer::Balancer(Steering steering, std::vector<EndpointSpec> endpoints,
                   std::vector<std::shared_ptr<EndpointState>> states)
    : steering_(steering),
      specs_(std::move(endpoints)),
      states_(std::move(states)),
      impl_(std::make_unique<Impl>()) {
  states_.resize(specs_.size());
  for (size_t i = 0; i < specs_.size(); ++i) {
    // The config refuses 0; treating it as 1 keeps the arithmetic below division-safe.
    if (specs_[i].weight == 0) specs_[i].weight = 1;
    if (!states_[i]) states_[i] = std::make_shared<EndpointState>();
  }
  impl_->cumulative_weight.reserve(specs_.size());
  for (const auto& spec : specs_) {
    impl_->total_weight += spec.weight;
    impl_->cumulative_weight.push_back(impl_->total_weight);
  }
  if (steering_ == Steering::kRoundRobin) impl_->rr_current.assign(specs_.size(), 0);
  if (steering_ == Steering::kHash) build_maglev();
}

Balancer::~Balancer() = default;

// Weighted Maglev: each round every endpoint fills slots up to its share of the rounds so
// far (the heaviest endpoint fills one per round), each slot being the next free entry of
// that endpoint's own permutation of the table. Permutations come from the endpoint's
// name, so the same name lands on mostly the same slots across snapshots.
void Balancer::build_maglev() {
  const size_t n = specs_.size();
  if (n == 0) return;
  const uint64_t m = maglev_table_size(n);
  constexpr uint32_t kEmpty = UINT32_MAX;
  auto& table = impl_->maglev;
  table.assign(m, kEmpty);

  uint32_t max_weight = 0;
  for (const auto& spec : specs_) max_weight = std::max(max_weight, spec.weight);
  std::vector<uint64_t> offset(n), skip(n), next(n, 0), placed(n, 0);
  for (size_t i = 0; i < n; ++i) {
    offset[i] = hash64(specs_[i].name, 0x6d61676c65763031ULL) % m;
    skip[i] = hash64(specs_[i].name, 0x6d61676c65763032ULL) % (m - 1) + 1;
  }
  uint64_t filled = 0;
  for (uint64_t round = 1; filled < m; ++round) {
    for (size_t i = 0; i < n && filled < m; ++i) {
      if (placed[i] * max_weight >= round * specs_[i].weight) continue;
      uint64_t slot;
      do {
        slot = (offset[i] + next[i] * skip[i]) % m;
        ++next[i];
      } while (table[slot] != kEmpty);
      table[slot] = static_cast<uint32_t>(i);
      ++placed[i];
      ++filled;
    }
  }
}

size_t Balancer::usable_count() const {
  size_t count = 0;
  for (const auto& state : states_) count += state->usable() ? 1 : 0;
  return count;
}

bool Balancer::is_candidate(size_t i, std::span<const size_t> exclude) const {
  if (!states_[i]->usable()) return false;
  if (max_in_flight_ != 0 &&
      states_[i]->in_flight.load(std::memory_order_relaxed) >= max_in_flight_) {
    return false;
  }
  return std::find(exclude.begin(), exclude.end(), i) == exclude.end();
}

std::optional<size_t> Balancer::pick(std::string_view key, std::span<const size_t> exclude,
                                     uint64_t random) {
  if (specs_.empty()) return std::nullopt;
  switch (steering_) {
    case Steering::kRoundRobin:
      return pick_round_robin(exclude);
    case Steering::kRandom:
      return pick_weighted_random(exclude, random);
    case Steering::kLeastOutstanding:
      return pick_least_outstanding(exclude, random);
    case Steering::kPowerOfTwo:
      return pick_power_of_two(exclude, random);
    case Steering::kLatency:
      return pick_latency(exclude, random);
    case Steering::kHash:
      // Requests without a key would all hash to one endpoint; spreading them is kinder.
      if (key.empty()) return pick_weighted_random(exclude, random);
      return pick_hash(key, exclude);
  }
  return std::nullopt;
}

std::optional<size_t> Balancer::pick_round_robin(std::span<const size_t> exclude) {
  std::lock_guard lock(impl_->rr_mutex);
  auto& current = impl_->rr_current;
  int64_t total = 0;
  std::optional<size_t> best;
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (!is_candidate(i, exclude)) continue;
    current[i] += specs_[i].weight;
    total += specs_[i].weight;
    if (!best || current[i] > current[*best]) best = i;
  }
  if (best) current[*best] -= total;
  return best;
}

std::optional<size_t> Balancer::pick_weighted_random(std::span<const size_t> exclude,
                                                     uint64_t random,
                                                     std::optional<size_t> also_skip) {
  SplitMix rng(random);
  // Rejection sampling is exact and O(log n) while most endpoints are candidates.
  const auto& cumulative = impl_->cumulative_weight;
  for (int attempt = 0; attempt < 8; ++attempt) {
    uint64_t target = rng.below(impl_->total_weight);
    size_t i = std::upper_bound(cumulative.begin(), cumulative.end(), target) - cumulative.begin();
    if (i != also_skip && is_candidate(i, exclude)) return i;
  }
  // Few candidates left: an exact draw over the candidates' weights.
  uint64_t total = 0;
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (i != also_skip && is_candidate(i, exclude)) total += specs_[i].weight;
  }
  if (total == 0) return std::nullopt;
  uint64_t target = rng.below(total);
  std::optional<size_t> last;
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (i == also_skip || !is_candidate(i, exclude)) continue;
    last = i;
    if (target < specs_[i].weight) return i;
    target -= specs_[i].weight;
  }
  // Health may flip between the two passes; any candidate is still a valid answer.
  return last;
}

std::optional<size_t> Balancer::pick_least_outstanding(std::span<const size_t> exclude,
                                                       uint64_t random) {
  SplitMix rng(random);
  std::optional<size_t> best;
  uint64_t best_in_flight = 0;
  uint64_t tied_weight = 0;
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (!is_candidate(i, exclude)) continue;
    uint64_t in_flight = states_[i]->in_flight.load(std::memory_order_relaxed);
    uint64_t weight = specs_[i].weight;
    // in_flight / weight compared without division.
    if (best) {
      uint64_t lhs = in_flight * specs_[*best].weight;
      uint64_t rhs = best_in_flight * weight;
      if (lhs > rhs) continue;
      if (lhs == rhs) {
        // Ties (an idle pool above all) are broken by weight so light load still follows
        // the weights: weighted reservoir sampling over the tied endpoints.
        tied_weight += weight;
        if (rng.below(tied_weight) < weight) {
          best = i;
          best_in_flight = in_flight;
        }
        continue;
      }
    }
    best = i;
    best_in_flight = in_flight;
    tied_weight = weight;
  }
  return best;
}

std::optional<size_t> Balancer::pick_power_of_two(std::span<const size_t> exclude,
                                                  uint64_t random) {
  SplitMix rng(random);
  auto first = pick_weighted_random(exclude, rng.next());
  if (!first) return std::nullopt;
  // The second is drawn by weight among the other candidates, so two distinct endpoints
  // are compared whenever two exist.
  auto second = pick_weighted_random(exclude, rng.next(), first);
  if (!second) return first;
  const auto& a = *states_[*first];
  const auto& b = *states_[*second];
  uint32_t a_in_flight = a.in_flight.load(std::memory_order_relaxed);
  uint32_t b_in_flight = b.in_flight.load(std::memory_order_relaxed);
  if (b_in_flight != a_in_flight) return b_in_flight < a_in_flight ? second : first;
  // Ties keep the first (itself a weighted draw) unless the second is known to be faster.
  uint64_t a_ewma = a.ewma_ttfb_us.load(std::memory_order_relaxed);
  uint64_t b_ewma = b.ewma_ttfb_us.load(std::memory_order_relaxed);
  if (a_ewma != 0 && b_ewma != 0 && b_ewma < a_ewma) return second;
  return first;
}

// Cost = ewma * (in_flight + 1) / weight: without the in-flight factor every worker
// would herd onto the single fastest endpoint until its average caught up.
std::optional<size_t> Balancer::pick_latency(std::span<const size_t> exclude, uint64_t random) {
  SplitMix rng(random);
  if (rng.below(kLatencyProbeOneIn) == 0) {
    size_t candidates = 0;
    for (size_t i = 0; i < specs_.size(); ++i) candidates += is_candidate(i, exclude) ? 1 : 0;
    if (candidates == 0) return std::nullopt;
    uint64_t nth = rng.below(candidates);
    for (size_t i = 0; i < specs_.size(); ++i) {
      if (is_candidate(i, exclude) && nth-- == 0) return i;
    }
    // Health changed under us; fall through to the regular choice.
  }
  using Wide = unsigned __int128;
  std::optional<size_t> best;
  Wide best_cost = 0;  // ewma * (in_flight + 1), to be divided by the weight
  uint64_t tied_weight = 0;
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (!is_candidate(i, exclude)) continue;
    const auto& state = *states_[i];
    // No sample yet costs 0: the endpoint is tried first and so gets measured.
    Wide cost = static_cast<Wide>(state.ewma_ttfb_us.load(std::memory_order_relaxed)) *
                (static_cast<Wide>(state.in_flight.load(std::memory_order_relaxed)) + 1);
    uint64_t weight = specs_[i].weight;
    if (best) {
      Wide lhs = cost * specs_[*best].weight;
      Wide rhs = best_cost * weight;
      if (lhs > rhs) continue;
      if (lhs == rhs) {
        tied_weight += weight;
        if (rng.below(tied_weight) < weight) {
          best = i;
          best_cost = cost;
        }
        continue;
      }
    }
    best = i;
    best_cost = cost;
    tied_weight = weight;
  }
  return best;
}

// The key's slot decides; when that endpoint cannot be used the key is rehashed with a
// counter, so the keys of a down endpoint spread over the others by weight while every
// other key keeps its slot. A linear walk of the table bounds the work when few remain.
std::optional<size_t> Balancer::pick_hash(std::string_view key, std::span<const size_t> exclude) {
  const auto& table = impl_->maglev;
  const uint64_t m = table.size();
  const uint64_t h = hash64(key, 0);
  for (int attempt = 0; attempt < kHashRehashes; ++attempt) {
    size_t i = table[fmix64(h + attempt * 0x9e3779b97f4a7c15ULL) % m];
    if (is_candidate(i, exclude)) return i;
  }
  bool any = false;
  for (size_t i = 0; i < specs_.size() && !any; ++i) any = is_candidate(i, exclude);
  if (!any) return std::nullopt;
  for (uint64_t step = 0, slot = h % m; step < m; ++step, slot = slot + 1 == m ? 0 : slot + 1) {
    if (is_candidate(table[slot], exclude)) return table[slot];
  }
  return std::nullopt;
}

void Balancer::on_start(size_t endpoint) {
  if (endpoint >= states_.size()) return;
  states_[endpoint]->in_flight.fetch_add(1, std::memory_order_relaxed);
}

bool Balancer::try_start(size_t endpoint) {
  if (endpoint >= states_.size()) return false;
  auto& in_flight = states_[endpoint]->in_flight;
  if (max_in_flight_ == 0) {
    in_flight.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  uint32_t current = in_flight.load(std::memory_order_relaxed);
  do {
    if (current >= max_in_flight_) return false;
  } while (!in_flight.compare_exchange_weak(current, current + 1, std::memory_order_relaxed));
  return true;
}

void Balancer::on_finish(size_t endpoint, std::optional<uint64_t> ttfb_us) {
  if (endpoint >= states_.size()) return;
  auto& state = *states_[endpoint];
  uint32_t in_flight = state.in_flight.load(std::memory_order_relaxed);
  while (in_flight > 0 && !state.in_flight.compare_exchange_weak(in_flight, in_flight - 1,
                                                                 std::memory_order_relaxed)) {
  }
  if (!ttfb_us) return;
  // 0 means "no sample", so a sub-microsecond origin is recorded as 1us.
  uint64_t sample = std::max<uint64_t>(*ttfb_us, 1);
  uint64_t old = state.ewma_ttfb_us.load(std::memory_order_relaxed);
  uint64_t updated;
  do {
    if (old == 0) {
      updated = sample;
      continue;
    }
    // alpha = 0.3: a slow endpoint's average reaches most of its new level within a few
    // responses, i.e. within seconds at any useful request rate. The step is at least 1us
    // so integer truncation cannot leave the average stuck just off a steady latency.
    int64_t delta = static_cast<int64_t>(sample) - static_cast<int64_t>(old);
    int64_t step = delta * 3 / 10;
    if (step == 0) step = delta > 0 ? 1 : (delta < 0 ? -1 : 0);
    updated = std::max<int64_t>(static_cast<int64_t>(old) + step, 1);
  } while (!state.ewma_ttfb_us.compare_exchange_weak(old, updated, std::memory_order_relaxed));
}

}  // namespace rampart::proxy
