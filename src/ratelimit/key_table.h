#pragma once
// A fixed-size table of per-key state words shared by every worker of a node, and
// Limiter, one rate-limit policy counting in one such table.
//
// The table is set-associative: a key hash picks a set of 5 slots — one 64-byte cache
// line holding the set's spinlock, 5 32-bit tags and 5 state words, so a decision
// touches one line — and lives in one of them. The set index comes from the hash's
// high bits and the tag from its low 32, so two keys share a count only when 96 bits
// of their keyed hashes agree.
// Nothing is allocated after construction; when a set is full the coldest entry is
// replaced (see README.md), so memory stays fixed whatever the keys.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "ratelimit/cluster_merge.h"
#include "ratelimit/gcra.h"

namespace rampart::ratelimit {

class KeyTable {
 public:
  static constexpr size_t kWays = 5;

  // Room for `max_keys` with a quarter of the slots in use: random hashing fills some
  // sets long before others, and at this load fewer than 0.2 % of the keys find
  // their set full.
  explicit KeyTable(size_t max_keys);
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  // Runs fn(word) on the key's state word under its set's lock. An absent key gets a
  // slot (a free one, else the coldest) when `insert`; otherwise fn sees a zero word
  // on the stack, which it may read but whose changes are dropped.
  template <typename F>
  auto with_word(uint64_t key, Nanos now, bool insert, F&& fn) {
    Set& set = set_of(key);
    uint32_t tag = static_cast<uint32_t>(key) == 0 ? 1 : static_cast<uint32_t>(key);
    Guard guard(set.lock);
    size_t victim = kWays;
    Nanos victim_tat = 0;
    for (size_t i = 0; i < kWays; ++i) {
      if (set.keys[i] == tag) return fn(set.words[i]);
      // Prefer a slot with no information; else the one furthest from its limit.
      Nanos tat = gcra::tat_of(set.words[i]);
      bool idle = set.keys[i] == 0 || gcra::is_idle(set.words[i], now);
      if (idle) tat = -1;
      if (victim == kWays || tat < victim_tat) {
        victim = i;
        victim_tat = tat;
      }
    }
    if (!insert) {
      uint64_t scratch = 0;
      return fn(scratch);
    }
    if (victim_tat >= 0) evictions_.fetch_add(1, std::memory_order_relaxed);
    set.keys[victim] = tag;
    set.words[victim] = 0;
    return fn(set.words[victim]);
  }

  // Starts loading the key's set, so other work (reading the clock) overlaps the miss.
  void prefetch(uint64_t key) { __builtin_prefetch(&set_of(key), 1, 3); }

  size_t memory_bytes() const { return sets_.get_deleter().bytes; }
  size_t slot_count() const { return set_count_ * kWays; }
  // Keys whose state still matters at `now` (walks the whole table: tests, admin).
  size_t live_keys(Nanos now) const;
  // Entries replaced while they still held information.
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

 private:
  struct alignas(64) Set {
    std::atomic<uint32_t> lock{0};
    uint32_t keys[kWays] = {};  // tags, 0: empty
    uint64_t words[kWays] = {};
  };
  static_assert(sizeof(Set) == 64);

  class Guard {
   public:
    explicit Guard(std::atomic<uint32_t>& lock);
    ~Guard() { lock_.store(0, std::memory_order_release); }

   private:
    std::atomic<uint32_t>& lock_;
  };

  Set& set_of(uint64_t key) {
    // Multiply-shift maps the hash onto any set count without a division.
    return sets_[static_cast<size_t>((static_cast<unsigned __int128>(key) * set_count_) >> 64)];
  }

  struct Release {
    size_t bytes;
    void operator()(Set* sets) const;
  };

  size_t set_count_;
  std::unique_ptr<Set[], Release> sets_;
  std::atomic<uint64_t> evictions_{0};
};

class Limiter {
 public:
  Limiter(const Policy& policy, size_t max_keys) : policy_(policy), table_(max_keys) {}

  void prefetch(uint64_t key) { table_.prefetch(key); }

  // One request of `key`, counted if it passes.
  Decision acquire(uint64_t key, Nanos now) {
    return table_.with_word(key, now, true, [&](uint64_t& word) {
      return gcra::decide(word, policy_, now, Mode::kCount);
    });
  }
  // Decides without counting (a refusal may still start the mitigation timeout);
  // the caller counts with add() once it knows the request counts.
  Decision check(uint64_t key, Nanos now) {
    return table_.with_word(key, now, true, [&](uint64_t& word) {
      return gcra::decide(word, policy_, now, Mode::kCheck);
    });
  }
  void add(uint64_t key, Nanos now) {
    table_.with_word(key, now, true, [&](uint64_t& word) { gcra::add(word, policy_, now); });
  }
  // The key's standing without touching the table.
  Decision peek(uint64_t key, Nanos now) {
    return table_.with_word(key, now, false, [&](uint64_t& word) {
      return gcra::describe(std::max(gcra::tat_of(word), now), now);
    });
  }

  // Folds the fleet's debt on the key into its word (cluster mode; cluster_merge.h).
  void merge_fleet_debt(uint64_t key, Nanos now, Nanos debt) {
    table_.with_word(key, now, true, [&](uint64_t& word) {
      word = cluster::merge_fleet_debt(word, policy_, now, debt);
    });
  }

  // Blocks the key until `until` as if this node had started its mitigation timeout
  // (cluster mode: another node did).
  void merge_fleet_block(uint64_t key, Nanos now, Nanos until) {
    table_.with_word(key, now, true, [&](uint64_t& word) {
      word = cluster::merge_fleet_block(word, policy_, now, until);
    });
  }

  const Policy& policy() const { return policy_; }
  const KeyTable& table() const { return table_; }

 private:
  Policy policy_;
  KeyTable table_;
};

}  // namespace rampart::ratelimit
