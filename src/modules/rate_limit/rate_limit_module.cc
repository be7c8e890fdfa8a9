#include "modules/rate_limit/rate_limit_module.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "modules/rate_limit/compiled_rate_rules.h"
#include "ratelimit/clock.h"
#include "ratelimit/key_hash.h"
#include "rules/evaluator.h"

namespace rampart::modules::rate_limit {
namespace {

using pipeline::Outcome;
using pipeline::RequestContext;
using ratelimit::Decision;
using ratelimit::Nanos;

Nanos now_ns() {
  return ratelimit::decision_clock();
}

int64_t ceil_seconds(Nanos ns) {
  return (ns + ratelimit::kSecond - 1) / ratelimit::kSecond;
}

// What on_response needs of each rule that matched: rules that count on responses
// or add headers.
struct Pending {
  const CompiledRateRule* rule;
  uint64_t key;
  uint64_t fleet_key;  // cluster mode
};

// A request's key in the node's table, and (cluster mode) the fleet's name for it.
struct Keys {
  uint64_t local = 0;
  uint64_t fleet = 0;
};

// The first few pending rules live inline: this state is allocated with the request
// already, and a second allocation per request for the list would double the cost.
struct RateLimitState final : pipeline::ModuleState {
  static constexpr size_t kInline = 8;
  std::array<Pending, kInline> first;  // written before read: no zeroing
  size_t count = 0;
  std::vector<Pending> more;

  void push(const Pending& p) {
    if (count < kInline) {
      first[count++] = p;
    } else {
      more.push_back(p);
    }
  }
  template <typename F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < count; ++i) f(first[i]);
    for (const Pending& p : more) f(p);
  }
};

// A request's key bytes for one rule: length-prefixed parts, so ("ab","c") and
// ("a","bc") differ. Built on the stack (every rule of every request builds one); a
// key too long for the buffer (a long header value) continues in a thread's string.
class KeyBuilder {
 public:
  KeyBuilder() = default;
  KeyBuilder(const KeyBuilder&) = delete;
  KeyBuilder& operator=(const KeyBuilder&) = delete;

  [[gnu::always_inline]] void part(char tag, const void* data, size_t size) {
    uint32_t n = static_cast<uint32_t>(size);
    size_t need = 1 + sizeof n + size;
    if (spill_ == nullptr && size_ + need <= kInline) {
      char* out = inline_ + size_;
      out[0] = tag;
      std::memcpy(out + 1, &n, sizeof n);
      if (size > 0) std::memcpy(out + 1 + sizeof n, data, size);
      size_ += need;
      return;
    }
    if (spill_ == nullptr) {
      thread_local std::string long_key;
      spill_ = &long_key;
      spill_->assign(inline_, size_);
    }
    *spill_ += tag;
    spill_->append(reinterpret_cast<const char*>(&n), sizeof n);
    spill_->append(static_cast<const char*>(data), size);
  }

  std::string_view bytes() const {
    return spill_ != nullptr ? std::string_view(*spill_) : std::string_view(inline_, size_);
  }

 private:
  static constexpr size_t kInline = 256;
  char inline_[kInline];
  size_t size_ = 0;
  std::string* spill_ = nullptr;
};

void append_ip(KeyBuilder& key, const core::IpAddress& ip, int v4_prefix, int v6_prefix) {
  std::array<uint8_t, 16> bytes = ip.bytes;
  // IPv4 sits in the last 4 bytes (IPv4-mapped); its prefix counts from byte 12.
  int keep = ip.v4 ? 96 + v4_prefix : v6_prefix;
  if (keep < 128) {
    // The bits past the prefix cleared: the partial byte's, then whole bytes.
    size_t whole = static_cast<size_t>(keep / 8);
    if (int bits = keep % 8; bits != 0) {
      bytes[whole++] &= static_cast<uint8_t>(0xFF00u >> bits);
    }
    std::fill(bytes.begin() + static_cast<ptrdiff_t>(whole), bytes.end(), uint8_t{0});
  }
  key.part('i', bytes.data(), bytes.size());
}

void append_value(KeyBuilder& key, const rules::Value& v) {
  if (v.missing) {
    key.part('m', nullptr, 0);  // all requests without the value share a count
    return;
  }
  switch (v.type) {
    case rules::Type::kString:
      key.part('s', v.string.data(), v.string.size());
      return;
    case rules::Type::kStringArray: {
      uint64_t count = v.strings.size();
      key.part('a', &count, sizeof count);
      for (std::string_view s : v.strings) key.part('s', s.data(), s.size());
      return;
    }
    case rules::Type::kInt:
      key.part('n', &v.integer, sizeof v.integer);
      return;
    case rules::Type::kIntArray:
      key.part('a', v.integers.data(), v.integers.size() * sizeof(int64_t));
      return;
    case rules::Type::kIp:
      append_ip(key, v.ip, 32, 128);
      return;
    case rules::Type::kBool:
      key.part('b', &v.boolean, 1);
      return;
  }
}

class RateLimitModule final : public pipeline::Module {
 public:
  explicit RateLimitModule(std::unique_ptr<CompiledRateRules> rules)
      : rules_(std::move(rules)), hasher_(ratelimit::KeyHasher::process()) {}

  std::string_view name() const override { return "rate_limit"; }
  pipeline::Phase phase() const override { return pipeline::Phase::kRateLimit; }

  Outcome on_request(RequestContext& ctx) const override {
    const std::vector<CompiledRateRule>* site_rules = nullptr;
    if (ctx.site != nullptr && ctx.site_index < rules_->sites.size()) {
      site_rules = &rules_->sites[ctx.site_index];
    }
    if (rules_->global.empty() && (site_rules == nullptr || site_rules->empty())) {
      return Outcome::kContinue;
    }
    Run run(ctx, rules_->request_slots);
    Step step = evaluate(run, rules_->global);
    if (step == Step::kNext && site_rules != nullptr) step = evaluate(run, *site_rules);
    if (!run.log.empty()) {
      run.log += ']';
      ctx.add_log_field("rate_limit", ctx.keep(std::move(run.log)));
    }
    if (run.state.exhausted) {
      // As in the firewall: only a request built to be expensive gets here, and
      // letting it through would let it past every rule.
      ctx.local_response = {};
      ctx.local_response.status = 403;
      ctx.local_response.reason = "rules_step_limit";
      ctx.record(name(), "block-step-limit");
      return Outcome::kRespond;
    }
    if (run.pending) ctx.module_state(phase()) = std::move(run.pending);
    if (step == Step::kRespond) return Outcome::kRespond;
    if (run.verdict != nullptr) ctx.record(name(), run.verdict);
    return Outcome::kContinue;
  }

  bool wants_response() const override { return rules_->wants_response; }

  Outcome on_response(RequestContext& ctx) const override {
    auto* state = static_cast<RateLimitState*>(ctx.module_state(phase()).get());
    if (state == nullptr || ctx.phase_skipped(phase())) return Outcome::kContinue;
    ctx.facts.response_status = ctx.response_status;
    rules::EvalState eval(ctx.facts, rules_->response_slots);
    Nanos now = now_ns();
    size_t shard = RuleCounters::shard_of_thread();
    state->for_each([&](const Pending& p) {
      const CompiledRateRule& rule = *p.rule;
      if (rule.counting && rules::matches(*rule.counting, eval)) {
        rule.limiter->add(p.key, now);
        if (rule.cluster) rule.cluster->note(p.key, p.fleet_key, true, 0, now);
        rule.counters->shards[shard].counted.fetch_add(1, std::memory_order_relaxed);
      }
      if (rule.response_headers && ctx.response_headers != nullptr) {
        add_headers(ctx, *ctx.response_headers, rule, rule.limiter->peek(p.key, now));
      }
    });
    return Outcome::kContinue;
  }

  void collect_counters(std::vector<pipeline::CounterSample>& out) const override {
    auto add = [&](const std::vector<CompiledRateRule>& rules) {
      for (const CompiledRateRule& r : rules) {
        out.push_back({"rampart_rate_limit_counted_total",
                       "Requests counted by each rate-limit rule", "rule", r.id,
                       r.counters->counted()});
        out.push_back({"rampart_rate_limit_limited_total",
                       "Requests over a rate-limit rule's rate (its action applied)", "rule", r.id,
                       r.counters->limited()});
      }
    };
    add(rules_->global);
    for (const auto& site : rules_->sites) add(site);
    if (rules_->sync) {
      const ratelimit::ClusterStats& st = rules_->sync->stats();
      constexpr std::string_view kSyncs = "rampart_ratelimit_cluster_sync_total";
      constexpr std::string_view kSyncsHelp =
          "Synchronizations of rate-limit counters with the fleet's redis, by result";
      out.push_back(
          {kSyncs, kSyncsHelp, "result", "ok", st.syncs_ok.load(std::memory_order_relaxed)});
      out.push_back(
          {kSyncs, kSyncsHelp, "result", "error", st.syncs_failed.load(std::memory_order_relaxed)});
      auto unshared = [&](const std::vector<CompiledRateRule>& rules) {
        for (const CompiledRateRule& r : rules) {
          if (!r.cluster) continue;
          out.push_back({"rampart_ratelimit_cluster_unshared_total",
                         "Requests counted on this node only: the rule's shared keys were full",
                         "rule", r.id, r.cluster->unshared()});
        }
      };
      unshared(rules_->global);
      for (const auto& site : rules_->sites) unshared(site);
    }
  }

 private:
  enum class Step : uint8_t { kNext, kStop, kRespond };

  struct Run {
    Run(RequestContext& c, std::span<const rules::Slot> slots) : ctx(c), state(c.facts, slots) {}
    RequestContext& ctx;
    rules::EvalState state;
    // Read once, after the first key is hashed and its table set prefetched, so the
    // clock read overlaps the (often uncached) set's load.
    Nanos now = 0;
    size_t shard = RuleCounters::shard_of_thread();
    std::unique_ptr<RateLimitState> pending;  // allocated only when a rule needs it
    std::string log;                          // JSON array of the limits hit
    const char* verdict = nullptr;
  };

  const ratelimit::KeyHasher* fleet_hasher() const {
    return rules_->sync ? &rules_->sync->fleet_hasher() : nullptr;
  }

  // One characteristic's bytes; kExpression only from the full list (`program` set).
  static void append_characteristic(KeyBuilder& key, Run& run, Characteristic::Kind kind,
                                    int v4_prefix, int v6_prefix, uint32_t slot,
                                    const rules::Program* program) {
    switch (kind) {
      case Characteristic::Kind::kClientIp:
        append_ip(key, run.ctx.client_ip, 32, 128);
        break;
      case Characteristic::Kind::kClientPrefix:
        append_ip(key, run.ctx.client_ip, v4_prefix, v6_prefix);
        break;
      case Characteristic::Kind::kField:
        append_value(key, run.state.field(slot));
        break;
      case Characteristic::Kind::kExpression:
        append_value(key, rules::evaluate(*program, run.state));
        break;
    }
  }

  Keys key_of(Run& run, const CompiledRateRule& rule) const {
    KeyBuilder key;
    if (rule.single) {
      // The inline copy of the only characteristic (never kExpression: see link()).
      const FirstCharacteristic& ch = rule.first;
      append_characteristic(key, run, ch.kind, ch.v4_prefix, ch.v6_prefix, ch.slot, nullptr);
    } else {
      for (const Characteristic& ch : rule.characteristics) {
        append_characteristic(key, run, ch.kind, ch.v4_prefix, ch.v6_prefix, ch.slot,
                              ch.program.get());
      }
    }
    Keys keys{hasher_(key.bytes()), 0};
    if (rule.cluster) keys.fleet = (*fleet_hasher())(key.bytes());
    return keys;
  }

  Step evaluate(Run& run, const std::vector<CompiledRateRule>& rules) const {
    for (const CompiledRateRule& rule : rules) {
      if (!rule.always && !rules::matches(*rule.condition, run.state)) {
        if (run.state.exhausted) return Step::kStop;
        continue;
      }
      Keys keys = key_of(run, rule);
      uint64_t key = keys.local;
      if (run.state.exhausted) return Step::kStop;
      rule.limiter->prefetch(key);
      if (run.now == 0) run.now = now_ns();
      if (rule.cluster) {
        // Another node's mitigation timeout on this client holds here too.
        Nanos until = rule.cluster->fleet_block(keys.fleet);
        if (until > run.now) rule.limiter->merge_fleet_block(key, run.now, until);
      }
      Decision d =
          rule.counting ? rule.limiter->check(key, run.now) : rule.limiter->acquire(key, run.now);
      if (rule.cluster) {
        rule.cluster->note(key, keys.fleet, d.allowed && !rule.counting,
                           d.started_block ? run.now + d.retry_after : 0, run.now);
      }
      if (rule.counting || rule.response_headers) {
        if (!run.pending) run.pending = std::make_unique<RateLimitState>();
        run.pending->push({&rule, key, keys.fleet});
      }
      if (d.allowed) {
        if (!rule.counting) {
          rule.counters->shards[run.shard].counted.fetch_add(1, std::memory_order_relaxed);
        }
        continue;
      }
      rule.counters->shards[run.shard].limited.fetch_add(1, std::memory_order_relaxed);
      run.ctx.matched_rule(rule.id);
      note(run, rule, d);
      Step step = apply(run, rule, d);
      if (step != Step::kNext) return step;
    }
    return Step::kNext;
  }

  static void note(Run& run, const CompiledRateRule& rule, const Decision& d) {
    run.log += run.log.empty() ? '[' : ',';
    run.log += R"({"rule":")";
    run.log += rule.id;  // a label: nothing to escape
    run.log += R"(","action":")";
    run.log += config::rule_action_name(rule.action);
    run.log += R"(","retry_after":)";
    run.log += std::to_string(ceil_seconds(d.retry_after));
    run.log += d.blocked ? R"(,"blocked":true})" : "}";
  }

  Step apply(Run& run, const CompiledRateRule& rule, const Decision& d) const {
    RequestContext& ctx = run.ctx;
    switch (rule.action) {
      case config::RuleAction::kBlock: {
        ctx.local_response = {};
        ctx.local_response.status = 429;
        ctx.local_response.reason = "rate_limit";
        ctx.local_response.headers.push_back(
            {"Retry-After", ctx.keep(std::to_string(ceil_seconds(d.retry_after)))});
        if (rule.response_headers) add_headers(ctx, ctx.local_response.headers, rule, d);
        ctx.record(name(), "block");
        return Step::kRespond;
      }
      case config::RuleAction::kChallenge:
      case config::RuleAction::kJsChallenge:
      case config::RuleAction::kManagedChallenge:
        ctx.challenge = rule.action == config::RuleAction::kChallenge
                            ? pipeline::ChallengeKind::kChallenge
                        : rule.action == config::RuleAction::kJsChallenge
                            ? pipeline::ChallengeKind::kJsChallenge
                            : pipeline::ChallengeKind::kManagedChallenge;
        ctx.challenge_rule = rule.id;
        run.verdict = config::rule_action_name(rule.action).data();
        return Step::kStop;
      default:  // log
        if (run.verdict == nullptr) run.verdict = "log";
        return Step::kNext;
    }
  }

  // RateLimit-Policy and RateLimit as draft-ietf-httpapi-ratelimit-headers (-09)
  // writes them: the policy named by the rule id, its quota and window in seconds;
  // the remaining quota and the seconds until it is whole again.
  static void add_headers(RequestContext& ctx, std::vector<http::Header>& headers,
                          const CompiledRateRule& rule, const Decision& d) {
    headers.push_back({"RateLimit-Policy", rule.policy_field});
    uint64_t remaining = ratelimit::gcra::remaining(rule.limiter->policy(), d);
    std::string value = "\"" + rule.id + "\";r=" + std::to_string(remaining) +
                        ";t=" + std::to_string(ceil_seconds(d.reset));
    headers.push_back({"RateLimit", ctx.keep(std::move(value))});
  }

  std::unique_ptr<CompiledRateRules> rules_;
  const ratelimit::KeyHasher& hasher_;
};

bool any_enabled(const config::RateLimitRules& list) {
  for (const auto& r : list.rules) {
    if (r.enabled) return true;
  }
  return false;
}

}  // namespace

bool has_rate_limit_rules(const config::Config& config) {
  if (any_enabled(config.rate_limit)) return true;
  for (const auto& site : config.sites) {
    if (any_enabled(site.rate_limit)) return true;
  }
  return false;
}

std::unique_ptr<pipeline::Module> build_rate_limit_module(const config::Config& config,
                                                          std::vector<config::Diagnostic>& errors) {
  auto rules = compile_rate_rules(config, errors);
  if (!rules) return nullptr;
  return std::make_unique<RateLimitModule>(std::move(rules));
}

}  // namespace rampart::modules::rate_limit
