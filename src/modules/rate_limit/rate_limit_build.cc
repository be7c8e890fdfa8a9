// Config rate-limit rules -> CompiledRateRules: expressions compiled and type-checked,
// limiters found again (or made) in the process-wide store, counters attached.

#include <map>
#include <mutex>
#include <string>

#include "config/value_parsers.h"
#include "core/workers.h"
#include "modules/rate_limit/compiled_rate_rules.h"
#include "pipeline/expression.h"

namespace rampart::modules::rate_limit {

size_t RuleCounters::shard_of_thread() {
  int worker = core::current_worker_index();
  return worker >= 0 ? static_cast<size_t>(worker) % kShards : kShards - 1;
}

namespace {

// Limiters by rule id and everything that gives a count its meaning (period, limit,
// timeout, table size, characteristics). A reload that keeps all of these finds the
// same limiter, so clients keep their counts; changing any starts afresh. Entries die
// with the last snapshot that uses them.
std::shared_ptr<ratelimit::Limiter> limiter_for(const std::string& store_key,
                                                const ratelimit::Policy& policy,
                                                uint64_t max_keys) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<ratelimit::Limiter>, std::less<>> limiters;
  std::lock_guard lock(mutex);
  for (auto it = limiters.begin(); it != limiters.end();) {
    it = it->second.expired() ? limiters.erase(it) : std::next(it);
  }
  if (auto found = limiters[store_key].lock()) return found;
  auto made = std::make_shared<ratelimit::Limiter>(policy, max_keys);
  limiters[store_key] = made;
  return made;
}

std::shared_ptr<RuleCounters> counters_for(const std::string& id) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<RuleCounters>, std::less<>> counters;
  std::lock_guard lock(mutex);
  auto& c = counters[id];
  if (!c) c = std::make_shared<RuleCounters>();
  return c;
}

// One sync thread per process and cluster setting, kept while a snapshot uses it.
std::shared_ptr<ratelimit::ClusterSync> sync_for(const config::ClusterSettings& c) {
  if (!c.enabled) return nullptr;
  auto ns = [](config::Millis d) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  };
  ratelimit::ClusterOptions o;
  o.redis = {c.redis.host, c.redis.port, c.password, c.timeout};
  o.key_prefix = c.key_prefix;
  o.sync_interval = ns(c.sync_interval);
  o.log_interval = ns(c.log_interval);
  o.max_keys = c.max_keys;
  static std::mutex mutex;
  static std::weak_ptr<ratelimit::ClusterSync> running;
  std::lock_guard lock(mutex);
  auto found = running.lock();
  if (found && found->options().identity() == o.identity()) return found;
  auto made = std::make_shared<ratelimit::ClusterSync>(std::move(o));
  running = made;
  return made;
}

bool is_constant_true(const rules::Program& p) {
  const rules::Node& root = p.nodes[p.root];
  if (root.op != rules::Op::kConst) return false;
  const rules::Value& v = p.constants[root.payload];
  return !v.missing && v.type == rules::Type::kBool && v.boolean;
}

class RateRuleCompiler {
 public:
  RateRuleCompiler(const config::Config& config, std::vector<config::Diagnostic>& errors)
      : config_(config),
        errors_(errors),
        lists_(pipeline::ip_lists_of(config)),
        request_(rules::CompileOptions{&lists_, rules::Availability::kRequest, "rate_limit"}),
        response_(rules::CompileOptions{&lists_, rules::Availability::kResponse,
                                        "rate_limit counting"}) {}

  std::unique_ptr<CompiledRateRules> run() {
    auto out = std::make_unique<CompiledRateRules>();
    sync_ = sync_for(config_.cluster);
    out->sync = sync_;
    out->global = compile(config_.rate_limit);
    out->sites.resize(config_.sites.size());
    for (size_t s = 0; s < config_.sites.size(); ++s) {
      out->sites[s] = compile(config_.sites[s].rate_limit);
    }
    if (failed_) return nullptr;
    out->request_slots = request_.slots();
    out->response_slots = response_.slots();
    auto any = [](const std::vector<CompiledRateRule>& rules) {
      for (const auto& r : rules) {
        if (r.counting || r.response_headers) return true;
      }
      return false;
    };
    out->wants_response = any(out->global);
    for (const auto& s : out->sites) out->wants_response |= any(s);
    return out;
  }

 private:
  std::shared_ptr<const rules::Program> expression(rules::Compiler& compiler,
                                                   const config::SourceText& text, rules::Type type,
                                                   const std::string& what) {
    auto program =
        pipeline::compile_expression(compiler, text, type, config_.source, what, errors_);
    if (!program) failed_ = true;
    return program;
  }

  // Any expression giving a value can be a characteristic; a String is the usual
  // one, but a header (an array), a number or an address will do as well.
  std::shared_ptr<const rules::Program> characteristic(const config::SourceText& text,
                                                       const std::string& what) {
    for (rules::Type t : {rules::Type::kString, rules::Type::kStringArray, rules::Type::kInt,
                          rules::Type::kIp, rules::Type::kIntArray}) {
      auto result = request_.compile(text.text, t);
      if (result.program) return result.program;
    }
    // None fits: report the error against the usual type.
    return expression(request_, text, rules::Type::kString, what);
  }

  std::vector<CompiledRateRule> compile(const config::RateLimitRules& list) {
    std::vector<CompiledRateRule> out;
    for (const config::RateLimitRule& rule : list.rules) {
      if (!rule.enabled) continue;
      CompiledRateRule c;
      c.id = rule.id;
      std::string what = "rate-limit rule \"" + rule.id + "\"";
      c.condition_owner = expression(request_, rule.expression, rules::Type::kBool, what);
      c.always = c.condition_owner && is_constant_true(*c.condition_owner);
      std::string store_key = rule.id;
      for (const config::SourceText& text : rule.characteristics) {
        Characteristic ch;
        int v4 = 0, v6 = 0;
        if (text.text == "ip.src") {
          ch.kind = Characteristic::Kind::kClientIp;
        } else if (config::parse_ip_prefix_characteristic(text.text, v4, v6)) {
          ch.kind = Characteristic::Kind::kClientPrefix;
          ch.v4_prefix = v4;
          ch.v6_prefix = v6;
        } else {
          ch.kind = Characteristic::Kind::kExpression;
          ch.program = characteristic(text, what + " characteristic");
          if (ch.program && ch.program->nodes[ch.program->root].op == rules::Op::kField) {
            ch.kind = Characteristic::Kind::kField;
            ch.slot = ch.program->nodes[ch.program->root].payload;
          }
        }
        c.characteristics.push_back(std::move(ch));
        store_key += '\x1f';
        store_key += text.text;
      }
      if (rule.counting_expression) {
        c.counting_owner = expression(response_, *rule.counting_expression, rules::Type::kBool,
                                      what + " counting_expression");
        store_key += '\x1e';
        store_key += rule.counting_expression->text;
      }
      c.action = rule.action;
      c.response_headers = rule.response_headers;
      int64_t period_s = std::chrono::duration_cast<std::chrono::seconds>(rule.period).count();
      c.policy_field = "\"" + rule.id + "\";q=" + std::to_string(rule.requests_per_period) +
                       ";w=" + std::to_string(period_s);
      auto policy = ratelimit::Policy::make(
          std::chrono::duration_cast<std::chrono::nanoseconds>(rule.period).count(),
          rule.requests_per_period,
          std::chrono::duration_cast<std::chrono::nanoseconds>(rule.mitigation_timeout).count());
      if (!policy) {
        // The loader's ranges make every policy valid; this is a broken invariant.
        errors_.push_back({config_.source, rule.line, rule.column,
                           what + ": period and requests_per_period do not make a rate"});
        failed_ = true;
        continue;
      }
      for (uint64_t n : {static_cast<uint64_t>(policy->period()), policy->limit(),
                         static_cast<uint64_t>(policy->mitigation()), rule.max_keys}) {
        store_key += '\x1d';
        store_key += std::to_string(n);
      }
      c.limiter_owner = limiter_for(store_key, *policy, rule.max_keys);
      c.counters_owner = counters_for(rule.id);
      if (sync_) c.cluster_owner = sync_->channel(store_key, c.limiter_owner);
      c.link();
      out.push_back(std::move(c));
    }
    return out;
  }

  const config::Config& config_;
  std::vector<config::Diagnostic>& errors_;
  rules::IpLists lists_;
  rules::Compiler request_;
  rules::Compiler response_;
  bool failed_ = false;
  std::shared_ptr<ratelimit::ClusterSync> sync_;
};

}  // namespace

std::unique_ptr<CompiledRateRules> compile_rate_rules(const config::Config& config,
                                                      std::vector<config::Diagnostic>& errors) {
  return RateRuleCompiler(config, errors).run();
}

}  // namespace rampart::modules::rate_limit
