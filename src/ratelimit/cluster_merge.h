#pragma once
// How a node folds the fleet's standing of a key into its own state word. Redis keeps
// one GCRA arrival time per key for the whole fleet (every node pushes the requests it
// admitted); what comes back is the fleet's debt on the key — how far its arrival time
// lies ahead of now — and the node's word takes whichever is further ahead, its own
// or the fleet's. Pure functions, so the arithmetic is tested without Redis.

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ratelimit/gcra.h"

namespace rampart::ratelimit::cluster {

// The most debt a key can carry: two periods, as for requests counted on responses.
// Debt past one period is the fleet's overshoot (requests admitted by several nodes
// within one sync interval) and is paid back before the key passes again.
inline Nanos debt_cap(const Policy& p) {
  return 2 * p.period();
}

// The word after learning that the fleet's debt on the key was `debt` at `now`. The
// node's own requests since the last push are already in its word and reach Redis
// with the next one, so the larger of the two arrival times is the right one; the
// mitigation flag is the node's own.
inline uint64_t merge_fleet_debt(uint64_t word, const Policy& p, Nanos now, Nanos debt) {
  Nanos fleet_tat = now + std::clamp<Nanos>(debt, 0, debt_cap(p));
  return gcra::word_of(std::max(gcra::tat_of(word), fleet_tat), gcra::flagged(word));
}

// The word after learning that another node blocked the key until `until` (this node's
// clock): flagged, with the arrival time where a request conforms again exactly then —
// the word decide() writes when a refusal starts a timeout. A longer block or a larger
// debt already in the word is kept.
inline uint64_t merge_fleet_block(uint64_t word, const Policy& p, Nanos now, Nanos until) {
  if (until <= now) return word;
  Nanos tat = std::max(gcra::tat_of(word), until + p.period() - p.interval());
  return gcra::word_of(tat, true);
}

// What Redis does with a push (the script in redis_link.cc, in microseconds there):
// the fleet's arrival time moves by one interval per admitted request, from now at
// the earliest — or from `age` before now, when the first of the requests came —, never
// past the cap. Returns the new arrival time.
inline Nanos fleet_advance(Nanos stored_tat, const Policy& p, Nanos now, uint64_t admitted,
                           Nanos age = 0) {
  Nanos tat = std::max(stored_tat, now - age);
  Nanos room = now + debt_cap(p) - tat;
  uint64_t fits = room > 0 ? static_cast<uint64_t>(room / p.interval()) + 1 : 0;
  Nanos advanced = tat + static_cast<Nanos>(std::min(admitted, fits)) * p.interval();
  return std::min(advanced, std::max(tat, now + debt_cap(p)));
}

// A client key's block: its fleet key, and the time left (in a batch for Redis) or
// when it ends (this node's clock, in the sets below).
using KeyedTime = std::pair<uint64_t, Nanos>;

// Blocks this node started that Redis has not taken yet: kept while Redis is down (or
// a push fails) so the first sync that reaches Redis pushes every one still in force.
// At most `cap` (the rule's max_keys); past that, new ones stay on this node.
class UnpushedBlocks {
 public:
  void add(uint64_t fleet_key, Nanos until, Nanos now, size_t cap) {
    auto it = blocks_.find(fleet_key);
    if (it != blocks_.end()) {
      it->second = std::max(it->second, until);
      return;
    }
    if (blocks_.size() >= cap)
      std::erase_if(blocks_, [&](const auto& b) { return b.second <= now; });
    if (blocks_.size() < cap) blocks_.emplace(fleet_key, until);
  }
  // The blocks still in force at `now`, as (fleet key, time left); ended ones go.
  void live(Nanos now, std::vector<KeyedTime>& out) {
    std::erase_if(blocks_, [&](const auto& b) { return b.second <= now; });
    for (const auto& [key, until] : blocks_) out.emplace_back(key, until - now);
  }
  // Redis took them.
  void pushed() { blocks_.clear(); }
  size_t size() const { return blocks_.size(); }

 private:
  std::unordered_map<uint64_t, Nanos> blocks_;
};

// The fleet's blocks of one rule as this node knows them. A sync brings either the
// whole set (`full`: the first after a connect, and now and then to forget what Redis
// dropped) or only the blocks that changed since the previous one; each as (fleet key,
// time left at `now`). A later end wins; ended blocks go; past `cap` the blocks ending
// soonest go. Returns whether anything changed, so an unchanged set is not rebuilt.
class FleetBlockSet {
 public:
  bool merge(const std::vector<KeyedTime>& got, bool full, Nanos now, size_t cap) {
    bool changed = false;
    if (full) {
      changed = !blocks_.empty();
      blocks_.clear();
    }
    for (const auto& [key, left] : got) {
      if (left <= 0) continue;
      Nanos until = now + left;
      auto [it, added] = blocks_.emplace(key, until);
      if (added || until > it->second) {
        it->second = until;
        changed = true;
      }
    }
    changed |= std::erase_if(blocks_, [&](const auto& b) { return b.second <= now; }) > 0;
    if (blocks_.size() > cap) {
      std::vector<KeyedTime> all(blocks_.begin(), blocks_.end());
      std::nth_element(all.begin(), all.begin() + static_cast<ptrdiff_t>(all.size() - cap),
                       all.end(),
                       [](const KeyedTime& a, const KeyedTime& b) { return a.second < b.second; });
      for (size_t i = 0; i < all.size() - cap; ++i) blocks_.erase(all[i].first);
      changed = true;
    }
    return changed;
  }
  // Until when the fleet blocks the key (0: it does not).
  Nanos until(uint64_t fleet_key) const {
    auto it = blocks_.find(fleet_key);
    return it == blocks_.end() ? 0 : it->second;
  }
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& [key, until] : blocks_) f(key, until);
  }
  size_t size() const { return blocks_.size(); }

 private:
  std::unordered_map<uint64_t, Nanos> blocks_;
};

}  // namespace rampart::ratelimit::cluster
