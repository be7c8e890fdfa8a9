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
  std::vector<Nanos> debts;  // filled by push(): the fleet's debt per key

  // Mitigation timeouts, for a rule that has them (`blocks_key` not empty): the
  // blocks this node started since the last push, and — filled by push() — every block
  // the fleet holds for the rule (at most `max_blocks`, the longest-lasting kept), each
  // as (fleet key, time left).
  std::string blocks_key;
  size_t max_blocks = 0;
  std::vector<std::pair<uint64_t, Nanos>> started;
  std::vector<std::pair<uint64_t, Nanos>> fleet_blocks;
};

// Runs every batch in one pipelined round trip (connecting first if needed) and fills
// their debts and fleet blocks. On any error the connection is closed and false
// returned with `error` set.
bool push_fleet(redis::Connection& link, std::vector<FleetBatch*>& batches, std::string& error);

}  // namespace rampart::ratelimit
