#pragma once
// How a node folds the fleet's standing of a key into its own state word. Redis keeps
// one GCRA arrival time per key for the whole fleet (every node pushes the requests it
// admitted); what comes back is the fleet's debt on the key — how far its arrival time
// lies ahead of now — and the node's word takes whichever is further ahead, its own
// or the fleet's. Pure functions, so the arithmetic is tested without Redis.

#include <algorithm>
#include <cstdint>

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
// the earliest, never past the cap. Returns the new arrival time.
inline Nanos fleet_advance(Nanos stored_tat, const Policy& p, Nanos now, uint64_t admitted) {
  Nanos tat = std::max(stored_tat, now);
  Nanos room = now + debt_cap(p) - tat;
  uint64_t fits = room > 0 ? static_cast<uint64_t>(room / p.interval()) + 1 : 0;
  Nanos advanced = tat + static_cast<Nanos>(std::min(admitted, fits)) * p.interval();
  return std::min(advanced, std::max(tat, now + debt_cap(p)));
}

}  // namespace rampart::ratelimit::cluster
