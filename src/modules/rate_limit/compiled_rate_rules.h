#pragma once
// The rate-limit rules after compilation: conditions, the characteristics that make
// a request's key, and the limiter each rule counts in.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "ratelimit/cluster_sync.h"
#include "ratelimit/key_table.h"
#include "rules/compiler.h"
#include "rules/program.h"

namespace rampart::modules::rate_limit {

struct Characteristic {
  // kField: the expression is one field read (the usual case), taken from the
  // request's field cache without running the evaluator.
  enum class Kind : uint8_t { kClientIp, kClientPrefix, kExpression, kField };
  Kind kind = Kind::kClientIp;
  int v4_prefix = 32;
  int v6_prefix = 128;
  uint32_t slot = 0;                              // kField
  std::shared_ptr<const rules::Program> program;  // kExpression, kField
};

// Shared with the same rule id in earlier and later snapshots, so a reload does not
// reset what /metrics shows. Every request a rule counts bumps one of these, so each
// worker has its own cache line (worker index mod kShards; other threads share the
// last): one line written by every core would bounce between them on every request.
struct RuleCounters {
  static constexpr size_t kShards = 16;
  struct alignas(64) Shard {
    std::atomic<uint64_t> counted{0};
    std::atomic<uint64_t> limited{0};
  };
  Shard shards[kShards];

  // The calling thread's shard index.
  static size_t shard_of_thread();
  uint64_t counted() const {
    uint64_t n = 0;
    for (const Shard& s : shards) n += s.counted.load(std::memory_order_relaxed);
    return n;
  }
  uint64_t limited() const {
    uint64_t n = 0;
    for (const Shard& s : shards) n += s.limited.load(std::memory_order_relaxed);
    return n;
  }
};

// A rule's single characteristic when it needs no program (the usual case): read
// from the rule's first cache line instead of the characteristics array.
struct FirstCharacteristic {
  Characteristic::Kind kind = Characteristic::Kind::kClientIp;
  uint8_t v4_prefix = 32;
  uint8_t v6_prefix = 128;
  uint32_t slot = 0;  // kField
};

// The first cache line holds everything a request reads of a rule it passes: the
// server runs the network stack, the parser and the other modules between two
// requests, so each line a rule touches is likely a miss (bench/micro
// ratelimit_module_bench.cc, ColdCache), and a rule spread over several lines plus its
// characteristics array costs more than its decision. The pointers there borrow from
// the owners below (set by link()).
struct alignas(64) CompiledRateRule {
  bool always = false;  // the condition is the constant `true`: nothing to evaluate
  bool response_headers = false;
  bool single = false;  // one characteristic, in `first`; else `characteristics`
  config::RuleAction action = config::RuleAction::kBlock;
  FirstCharacteristic first;
  const rules::Program* condition = nullptr;
  const rules::Program* counting = nullptr;  // response phase; null: every match counts
  ratelimit::Limiter* limiter = nullptr;
  RuleCounters* counters = nullptr;
  ratelimit::ClusterChannel* cluster = nullptr;  // cluster mode, else null

  // The owners. The limiter is kept across reloads while the id and counting
  // parameters stay the same; the counters while the id does; the cluster channel is
  // where the request path notes the keys it counted for the sync thread.
  std::shared_ptr<const rules::Program> condition_owner;
  std::shared_ptr<const rules::Program> counting_owner;
  std::shared_ptr<ratelimit::Limiter> limiter_owner;
  std::shared_ptr<RuleCounters> counters_owner;
  std::shared_ptr<ratelimit::ClusterChannel> cluster_owner;
  std::vector<Characteristic> characteristics;
  std::string id;
  std::string policy_field;  // RateLimit-Policy value, e.g. `"api";q=100;w=60`

  // Points the first line at the owners and fills `first` when it can serve.
  void link() {
    condition = condition_owner.get();
    counting = counting_owner.get();
    limiter = limiter_owner.get();
    counters = counters_owner.get();
    cluster = cluster_owner.get();
    single =
        characteristics.size() == 1 && characteristics[0].kind != Characteristic::Kind::kExpression;
    if (single) {
      const Characteristic& ch = characteristics[0];
      first = {ch.kind, static_cast<uint8_t>(ch.v4_prefix), static_cast<uint8_t>(ch.v6_prefix),
               ch.slot};
    }
  }
};
static_assert(offsetof(CompiledRateRule, cluster) + sizeof(void*) <= 64,
              "what a request reads of a rule fits one cache line");

struct CompiledRateRules {
  std::vector<CompiledRateRule> global;
  std::vector<std::vector<CompiledRateRule>> sites;  // by site index
  std::vector<rules::Slot> request_slots;            // of the conditions and characteristics
  std::vector<rules::Slot> response_slots;           // of the counting expressions
  bool wants_response = false;                       // a rule counts on responses or adds headers
  std::shared_ptr<ratelimit::ClusterSync> sync;      // cluster mode: the fleet's sync thread
};

// Null after appending diagnostics when an expression does not compile.
std::unique_ptr<CompiledRateRules> compile_rate_rules(const config::Config& config,
                                                      std::vector<config::Diagnostic>& errors);

}  // namespace rampart::modules::rate_limit
