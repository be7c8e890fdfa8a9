#pragma once
// A blocking connection to one redis-server, used only by the cluster sync thread
// (never on the request path). hiredis stays inside redis_link.cc.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ratelimit/gcra.h"

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

class RedisLink {
 public:
  RedisLink(std::string host, uint16_t port, std::string password, Nanos timeout);
  ~RedisLink();
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  bool connected() const { return context_ != nullptr; }
  // Connects (and authenticates) if not connected. False with `error` set on failure.
  bool connect(std::string& error);
  void close();
  // Connects if needed and makes one PING round trip. A TCP connect alone proves
  // nothing: the kernel of a frozen (SIGSTOP) or wedged server still accepts it.
  bool ping(std::string& error);

  // Runs every batch in one pipelined round trip and fills their debts. On any
  // error the link is closed and false returned with `error` set.
  bool push(std::vector<FleetBatch*>& batches, std::string& error);

  std::string address() const;

 private:
  std::string host_;
  uint16_t port_;
  std::string password_;
  Nanos timeout_;
  void* context_ = nullptr;  // redisContext*
};

}  // namespace rampart::ratelimit
