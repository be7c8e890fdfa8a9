#pragma once
// The cluster sync thread's Redis exchange: the GCRA and block scripts over a
// redis::Connection (never on the request path).

#include <cstdint>
#include <string>
#include <vector>

#include "ratelimit/gcra.h"
#include "redis/connection.h"

namespace rampart::ratelimit {

// One rule's push: per Redis key the requests admitted since the last push (0 only
// asks for the fleet's standing).
struct FleetBatch {
  Nanos interval = 0;  // the rule's T/N
  Nanos cap = 0;       // most debt a key may carry
  std::vector<std::string> keys;
  std::vector<uint64_t> admitted;
  // Per key, how long before the push its first admitted request came: the fleet counts
  // the requests from then, not from the push (0: from the push).
  std::vector<Nanos> ages;
  std::vector<Nanos> debts;  // filled by push(): the fleet's debt per key

  // Mitigation timeouts, for a rule that has them (`blocks_key` not empty): the
  // blocks this node started and Redis has not taken yet, and — filled by push() — the
  // blocks the fleet holds for the rule (at most `max_blocks`, the longest-lasting
  // kept), each as (fleet key, time left). With `blocks_since` (Redis's clock, µs) only
  // those set or extended since then come back; 0 asks for all of them.
  // `blocks_changes_key` is the set recording when each block was last set.
  std::string blocks_key;
  std::string blocks_changes_key;
  size_t max_blocks = 0;
  Nanos longest_block = 0;  // the rule's mitigation timeout: no block lasts longer
  int64_t blocks_since = 0;
  std::vector<std::pair<uint64_t, Nanos>> started;
  std::vector<std::pair<uint64_t, Nanos>> fleet_blocks;
  int64_t blocks_now = 0;  // filled by push(): Redis's clock (µs) when it answered
};

// Runs every batch in one pipelined round trip (connecting first if needed) and fills
// their debts and fleet blocks. On any error the connection is closed and false
// returned with `error` set.
bool push_fleet(redis::Connection& link, std::vector<FleetBatch*>& batches, std::string& error);

}  // namespace rampart::ratelimit
