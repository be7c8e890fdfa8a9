// Cross-rule checks: rule ids are unique in the whole config, and a skip action names
// only rules that are evaluated after it.

#include <string>
#include <unordered_map>

#include "config/loader_internal.h"
#include "config/value_parsers.h"

namespace rampart::config::detail {
namespace {

constexpr size_t kAccount = SIZE_MAX;  // the config-wide ruleset, in place of a site index

struct RuleRef {
  size_t scope;  // kAccount or a site index
  size_t index;  // in that scope's rules
  Pos pos;       // of its id
};

std::string at_line(Pos pos) {
  if (pos.line <= 0) return "";
  return " (line " + std::to_string(pos.line) + ", column " + std::to_string(pos.column) + ")";
}

const Ruleset& rules_of(const Config& config, size_t scope) {
  return scope == kAccount ? config.firewall : config.sites[scope].firewall;
}

const std::vector<RuleSource>& sources_of(const SourceMap& where, size_t scope) {
  return scope == kAccount ? where.firewall_rules : where.sites[scope].firewall_rules;
}

// The account rules run first, then the rules of the request's site: an account rule
// may skip a later account rule or a rule of any site, a site rule only a later rule
// of its own site.
bool comes_after(const RuleRef& from, const RuleRef& to) {
  if (from.scope == kAccount) return to.scope != kAccount || to.index > from.index;
  return to.scope == from.scope && to.index > from.index;
}

}  // namespace

void check_rules(const Config& config, const SourceMap& where, Diagnostics& diags) {
  std::vector<size_t> scopes{kAccount};
  for (size_t i = 0; i < config.sites.size() && i < where.sites.size(); ++i) scopes.push_back(i);

  std::unordered_map<std::string, RuleRef> ids;
  for (size_t scope : scopes) {
    const auto& rules = rules_of(config, scope).rules;
    const auto& sources = sources_of(where, scope);
    for (size_t i = 0; i < rules.size() && i < sources.size() && !diags.stopped(); ++i) {
      if (rules[i].id.empty()) continue;  // a missing id was reported by the walker
      auto [it, inserted] = ids.emplace(rules[i].id, RuleRef{scope, i, sources[i].id});
      if (inserted) continue;
      diags.error(sources[i].id, sources[i].path + ".id: " + quote(rules[i].id) +
                                     " is already the id of another rule" +
                                     at_line(it->second.pos));
    }
  }

  for (size_t scope : scopes) {
    const auto& rules = rules_of(config, scope).rules;
    const auto& sources = sources_of(where, scope);
    for (size_t i = 0; i < rules.size() && i < sources.size() && !diags.stopped(); ++i) {
      const auto& skipped = rules[i].parameters.skip_rules;
      const RuleSource& src = sources[i];
      for (size_t j = 0; j < skipped.size() && j < src.skip_rules.size(); ++j) {
        const std::string& id = skipped[j];
        auto it = ids.find(id);
        if (it == ids.end()) {
          diags.error(src.skip_rules[j], src.skip_paths[j] + ": no rule has the id " + quote(id));
          continue;
        }
        if (comes_after(RuleRef{scope, i, src.id}, it->second)) continue;
        std::string why = scope == kAccount
                              ? "config-wide rules may skip later config-wide rules and the "
                                "rules of any site"
                              : "a site's rules may skip only later rules of the same site";
        diags.error(src.skip_rules[j], src.skip_paths[j] + ": skip refers to rule " + quote(id) +
                                           " which does not come after this rule" +
                                           at_line(it->second.pos) + "; " + why);
      }
    }
  }

  // Cache rules share the id space (an id names one rule in logs and metrics); added
  // after the skip checks, since no skip action can name one.
  for (size_t s = 0; s < config.sites.size() && s < where.sites.size(); ++s) {
    const auto& rules = config.sites[s].cache.rules;
    const auto& sources = where.sites[s].cache_rules;
    for (size_t i = 0; i < rules.size() && i < sources.size() && !diags.stopped(); ++i) {
      if (rules[i].id.empty()) continue;
      auto [it, inserted] = ids.emplace(rules[i].id, RuleRef{s, i, sources[i].id});
      if (inserted) continue;
      diags.error(sources[i].id, sources[i].path + ".id: " + quote(rules[i].id) +
                                     " is already the id of another rule" +
                                     at_line(it->second.pos));
    }
  }

  // Rate-limit rules too (their ids label metrics and RateLimit-Policy); and, since
  // each owns a key table, their number and tracked keys are capped config-wide.
  size_t rate_rules = 0;
  uint64_t rate_keys = 0;
  for (size_t scope : scopes) {
    const auto& rules =
        scope == kAccount ? config.rate_limit.rules : config.sites[scope].rate_limit.rules;
    const auto& sources =
        scope == kAccount ? where.rate_limit_rules : where.sites[scope].rate_limit_rules;
    for (size_t i = 0; i < rules.size() && i < sources.size() && !diags.stopped(); ++i) {
      ++rate_rules;
      rate_keys += rules[i].max_keys;
      if (rate_rules == kMaxRateLimitRules + 1) {
        diags.error(sources[i].item, sources[i].path + ": too many rate-limit rules in the config" +
                                         " (the limit is " + std::to_string(kMaxRateLimitRules) +
                                         ")");
      }
      if (rate_keys > kMaxRateLimitKeysTotal &&
          rate_keys - rules[i].max_keys <= kMaxRateLimitKeysTotal) {
        diags.error(sources[i].item, sources[i].path + ": the rate-limit rules track more than " +
                                         std::to_string(kMaxRateLimitKeysTotal) +
                                         " keys in all (max_keys added up); lower max_keys");
      }
      if (rules[i].id.empty()) continue;
      auto [it, inserted] = ids.emplace(rules[i].id, RuleRef{scope, i, sources[i].id});
      if (inserted) continue;
      diags.error(sources[i].id, sources[i].path + ".id: " + quote(rules[i].id) +
                                     " is already the id of another rule" +
                                     at_line(it->second.pos));
    }
  }
}

}  // namespace rampart::config::detail
