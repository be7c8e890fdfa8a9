#include "modules/cache_rules/cache_rules_module.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "cache/ttl_policy.h"
#include "pipeline/expression.h"
#include "rules/compiler.h"
#include "rules/evaluator.h"
#include "rules/program.h"

namespace rampart::modules::cache_rules {
namespace {

using pipeline::CacheDirectives;
using pipeline::Outcome;
using pipeline::RequestContext;

struct CompiledCacheRule {
  std::string id;
  std::shared_ptr<const rules::Program> condition;
  const config::CacheRuleSettings* settings = nullptr;  // owned by the snapshot's config
  bool enabled = true;
  // Shared with the same rule id in earlier and later snapshots, so a reload does not
  // reset what /metrics shows.
  std::shared_ptr<std::atomic<uint64_t>> matches;
};

std::shared_ptr<std::atomic<uint64_t>> match_counter(const std::string& id) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<std::atomic<uint64_t>>, std::less<>> counters;
  std::lock_guard lock(mutex);
  auto& counter = counters[id];
  if (!counter) counter = std::make_shared<std::atomic<uint64_t>>(0);
  return counter;
}

cache::BrowserMode browser_mode(config::BrowserTtlMode mode) {
  switch (mode) {
    case config::BrowserTtlMode::kOverrideOrigin:
      return cache::BrowserMode::kOverrideOrigin;
    case config::BrowserTtlMode::kBypass:
      return cache::BrowserMode::kBypass;
    case config::BrowserTtlMode::kRespectOrigin:
      break;
  }
  return cache::BrowserMode::kRespectOrigin;
}

class CacheRulesModule final : public pipeline::Module {
 public:
  CacheRulesModule(std::vector<std::vector<CompiledCacheRule>> sites,
                   std::vector<rules::Slot> slots, bool has_browser_ttl)
      : sites_(std::move(sites)), slots_(std::move(slots)), has_browser_ttl_(has_browser_ttl) {}

  std::string_view name() const override { return "cache_rules"; }
  pipeline::Phase phase() const override { return pipeline::Phase::kCacheLookup; }
  bool wants_response() const override { return has_browser_ttl_; }

  Outcome on_request(RequestContext& ctx) const override {
    if (ctx.site == nullptr || ctx.site_index >= sites_.size()) return Outcome::kContinue;
    const auto& rules = sites_[ctx.site_index];
    if (rules.empty()) return Outcome::kContinue;
    rules::EvalState state(ctx.facts, slots_);
    CacheDirectives merged;
    for (const CompiledCacheRule& rule : rules) {
      if (!rule.enabled) continue;
      if (!rules::matches(*rule.condition, state)) {
        if (state.exhausted) break;
        continue;
      }
      rule.matches->fetch_add(1, std::memory_order_relaxed);
      merge_settings(*rule.settings, merged);
      merged.last_rule = rule.id;
    }
    // Half-applied settings from an evaluation cut short are no result: the fail mode
    // decides (open: the site's defaults, as if no rule existed).
    if (state.exhausted) return Outcome::kError;
    if (merged.set) {
      ctx.cache = merged;
      ctx.record(name(), merged.eligibility == CacheDirectives::Eligibility::kBypass ? "bypass"
                                                                                     : "settings");
    }
    return Outcome::kContinue;
  }

  Outcome on_response(RequestContext& ctx) const override {
    const config::BrowserTtl* ttl = ctx.cache.browser_ttl;
    if (ttl == nullptr || ctx.response_headers == nullptr) return Outcome::kContinue;
    std::vector<http::Header>& headers = *ctx.response_headers;
    auto value = cache::browser_cache_control(browser_mode(ttl->mode), ttl->default_seconds,
                                              ctx.response_status, headers);
    if (!value) return Outcome::kContinue;
    // Expires would contradict the new max-age for an HTTP/1.0 cache on the way.
    std::erase_if(headers, [](const http::Header& h) {
      return http::iequals(h.name, "cache-control") || http::iequals(h.name, "expires");
    });
    headers.push_back({"Cache-Control", ctx.keep(std::move(*value))});
    return Outcome::kContinue;
  }

  void collect_counters(std::vector<pipeline::CounterSample>& out) const override {
    for (const auto& site : sites_) {
      for (const CompiledCacheRule& r : site) {
        out.push_back({"rampart_rule_matches_total",
                       "Requests matched by each rule (all phases that use rules)", "rule", r.id,
                       r.matches->load(std::memory_order_relaxed)});
      }
    }
  }

 private:
  std::vector<std::vector<CompiledCacheRule>> sites_;  // by site index
  std::vector<rules::Slot> slots_;
  bool has_browser_ttl_;
};

}  // namespace

void merge_settings(const config::CacheRuleSettings& s, CacheDirectives& out) {
  out.set = true;
  if (s.cache) {
    out.eligibility =
        *s.cache ? CacheDirectives::Eligibility::kEligible : CacheDirectives::Eligibility::kBypass;
  }
  if (s.edge_ttl) out.edge_ttl = &*s.edge_ttl;
  if (s.browser_ttl) out.browser_ttl = &*s.browser_ttl;
  if (s.ignore_query_strings_order) out.ignore_query_strings_order = *s.ignore_query_strings_order;
  if (s.cache_deception_armor) out.cache_deception_armor = *s.cache_deception_armor;
  if (s.query_string) out.query_string = &*s.query_string;
  if (s.key_headers) out.key_headers = &*s.key_headers;
  if (s.key_cookies) out.key_cookies = &*s.key_cookies;
  if (s.host_resolved) out.host_resolved = *s.host_resolved;
  if (s.disable_stale_while_updating) {
    out.disable_stale_while_updating = *s.disable_stale_while_updating;
  }
  if (s.disable_stale_if_error) out.disable_stale_if_error = *s.disable_stale_if_error;
}

std::unique_ptr<pipeline::Module> build_cache_rules_module(
    const config::Config& config, std::vector<config::Diagnostic>& errors) {
  rules::IpLists lists = pipeline::ip_lists_of(config);
  rules::Compiler compiler(
      rules::CompileOptions{&lists, rules::Availability::kRequest, "cache_lookup"});
  std::vector<std::vector<CompiledCacheRule>> sites(config.sites.size());
  bool failed = false;
  bool has_browser_ttl = false;
  for (size_t s = 0; s < config.sites.size(); ++s) {
    for (const config::CacheRule& rule : config.sites[s].cache.rules) {
      CompiledCacheRule c;
      c.id = rule.id;
      c.condition =
          pipeline::compile_expression(compiler, rule.expression, rules::Type::kBool, config.source,
                                       "cache rule \"" + rule.id + "\"", errors);
      failed |= c.condition == nullptr;
      c.settings = &rule.settings;
      // Disabled rules are compiled too, so enabling one later cannot fail a reload.
      c.enabled = rule.enabled;
      c.matches = match_counter(rule.id);
      has_browser_ttl |= rule.settings.browser_ttl.has_value();
      sites[s].push_back(std::move(c));
    }
  }
  if (failed) return nullptr;
  return std::make_unique<CacheRulesModule>(std::move(sites), compiler.slots(), has_browser_ttl);
}

}  // namespace rampart::modules::cache_rules
