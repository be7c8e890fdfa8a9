#pragma once
// GCRA on one key's state word. The word holds the key's theoretical arrival time
// (TAT: when the key's quota would be whole again, in the clock's nanoseconds)
// shifted left by one, and in bit 0 whether the key is in a mitigation timeout.
// A word of 0 is a key never seen, which behaves exactly like one whose TAT passed.

#include <algorithm>
#include <cstdint>
#include <optional>

namespace rampart::ratelimit {

// A reading of a monotonic clock in nanoseconds (steady_clock in production, any
// counter in tests). Must be >= 0; only differences matter.
using Nanos = int64_t;

inline constexpr Nanos kSecond = 1'000'000'000;

class Policy {
 public:
  // Null when the numbers make no sense: period <= 0, limit 0, a negative timeout,
  // or a period / limit below 1 µs (the nanosecond rounding of T/N would then
  // be more than 0.1 % of it).
  static std::optional<Policy> make(Nanos period, uint64_t limit, Nanos mitigation) {
    if (period <= 0 || limit == 0 || mitigation < 0) return std::nullopt;
    if (period / static_cast<Nanos>(std::min<uint64_t>(limit, uint64_t{1} << 62)) < 1000)
      return std::nullopt;
    return Policy(period, limit, mitigation);
  }

  Nanos period() const { return period_; }
  uint64_t limit() const { return limit_; }
  Nanos mitigation() const { return mitigation_; }
  Nanos interval() const { return interval_; }  // T/N: what one request costs

 private:
  Policy(Nanos period, uint64_t limit, Nanos mitigation)
      : period_(period),
        limit_(limit),
        mitigation_(mitigation),
        interval_(period / static_cast<Nanos>(limit)) {}

  Nanos period_;
  uint64_t limit_;
  Nanos mitigation_;
  Nanos interval_;
};

struct Decision {
  bool allowed = true;
  // Refused because the key is in its mitigation timeout (this refusal may have
  // started it); false when only the excess is being refused.
  bool blocked = false;
  // This refusal started the mitigation timeout (cluster mode shares such blocks).
  bool started_block = false;
  Nanos retry_after = 0;  // refused: until a request would pass again
  Nanos reset = 0;        // until the key's quota is whole again
};

enum class Mode : uint8_t {
  kCount,  // a conforming request is counted
  kCheck,  // decide only; the caller counts later with add() (counting on responses)
};

namespace gcra {

inline Nanos tat_of(uint64_t word) {
  return static_cast<Nanos>(word >> 1);
}
inline bool flagged(uint64_t word) {
  return word & 1u;
}
inline uint64_t word_of(Nanos tat, bool blocked) {
  return (static_cast<uint64_t>(std::max<Nanos>(tat, 0)) << 1) | (blocked ? 1u : 0u);
}

// True when the word says nothing a fresh key would not: free to reuse.
inline bool is_idle(uint64_t word, Nanos now) {
  return tat_of(word) <= now;
}

inline Decision describe(Nanos tat, Nanos now) {
  Decision d;
  d.reset = std::max<Nanos>(tat - now, 0);
  return d;
}

// The requests a key may still send right now, from a decision's `reset` (its debt).
// Apart from describe() so a decision pays for the division only when it is shown
// (the RateLimit header): ten rules would otherwise spend ten of them per request.
inline uint64_t remaining(const Policy& p, const Decision& d) {
  if (!d.allowed) return 0;
  Nanos room = p.period() - d.reset;
  return room >= p.interval() ? static_cast<uint64_t>(room / p.interval()) : 0;
}

// One request of the key at `now`; updates `word` and says whether it passes.
inline Decision decide(uint64_t& word, const Policy& p, Nanos now, Mode mode) {
  Nanos stored = tat_of(word);
  Nanos tat = std::max(stored, now);
  Nanos next = tat + p.interval();
  bool in_timeout = flagged(word) && now < stored + p.interval() - p.period();
  if (!in_timeout && next - now <= p.period()) {
    if (mode == Mode::kCount) {
      word = word_of(next, false);
      tat = next;
    }
    Decision d = describe(tat, now);
    d.allowed = true;
    return d;
  }
  bool started = false;
  if (p.mitigation() > 0 && !in_timeout) {
    // The first refusal starts the timeout: TAT moves to where the key's next
    // request conforms exactly `mitigation` from now. Refusals inside it change
    // nothing, so a client hammering a blocked key does not prolong its block.
    Nanos until = now + p.mitigation() + p.period() - p.interval();
    word = word_of(std::max(stored, until), true);
    stored = tat_of(word);
    in_timeout = true;
    started = true;
  }
  Decision d = describe(std::max(stored, now), now);
  d.allowed = false;
  d.blocked = in_timeout;
  d.started_block = started;
  d.retry_after = std::max<Nanos>(std::max(stored, now) + p.interval() - p.period() - now, 1);
  return d;
}

// Counts one request unconditionally (it was already let through; counting on
// responses). The debt is capped at two periods so a burst of in-flight requests
// cannot push a key's recovery out indefinitely.
inline void add(uint64_t& word, const Policy& p, Nanos now) {
  Nanos tat = std::max(tat_of(word), now) + p.interval();
  word = word_of(std::min(tat, now + 2 * p.period()), flagged(word));
}

}  // namespace gcra
}  // namespace rampart::ratelimit
