// Config rulesets -> CompiledRulesets: expressions compiled and type-checked, skip
// targets resolved to positions, match counters attached.

#include <map>
#include <mutex>
#include <string>

#include "core/log.h"
#include "modules/firewall/compiled_rules.h"
#include "pipeline/expression.h"

namespace rampart::modules::firewall {
namespace {

// Counters by rule id, kept for the life of the process so a rule's count carries
// over reloads as long as its id stays.
std::shared_ptr<std::atomic<uint64_t>> match_counter(const std::string& id) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<std::atomic<uint64_t>>, std::less<>> counters;
  std::lock_guard lock(mutex);
  auto& counter = counters[id];
  if (!counter) counter = std::make_shared<std::atomic<uint64_t>>(0);
  return counter;
}

class RulesetCompiler {
 public:
  RulesetCompiler(const config::Config& config, std::vector<config::Diagnostic>& errors)
      : config_(config),
        errors_(errors),
        lists_(pipeline::ip_lists_of(config)),
        compiler_(rules::CompileOptions{&lists_, rules::Availability::kRequest, "firewall"}) {
    index_positions(config.firewall, -1);
    for (size_t s = 0; s < config.sites.size(); ++s) {
      index_positions(config.sites[s].firewall, static_cast<int>(s));
    }
  }

  std::unique_ptr<CompiledRulesets> run() {
    auto out = std::make_unique<CompiledRulesets>();
    out->global.rules = compile(config_.firewall);
    out->sites.resize(config_.sites.size());
    for (size_t s = 0; s < config_.sites.size(); ++s) {
      out->sites[s].rules = compile(config_.sites[s].firewall);
    }
    // Indexes only over fully compiled rulesets: a failed rule has no program.
    if (failed_) return nullptr;
    out->global.build_index("config-wide");
    for (size_t s = 0; s < out->sites.size(); ++s) {
      out->sites[s].build_index("site " + config_.sites[s].name);
    }
    out->slots = compiler_.slots();
    return out;
  }

 private:
  void index_positions(const config::Ruleset& ruleset, int site) {
    for (size_t i = 0; i < ruleset.rules.size(); ++i) {
      positions_.emplace(ruleset.rules[i].id, RulePosition{site, static_cast<uint32_t>(i)});
    }
  }

  std::shared_ptr<const rules::Program> expression(const config::SourceText& text, rules::Type type,
                                                   const std::string& what) {
    auto program =
        pipeline::compile_expression(compiler_, text, type, config_.source, what, errors_);
    if (!program) failed_ = true;
    return program;
  }

  std::optional<CompiledValue> value(const std::optional<config::DynamicValue>& v,
                                     const std::string& what) {
    if (!v) return std::nullopt;
    CompiledValue out;
    if (v->expression) {
      out.program = expression(*v->expression, rules::Type::kString, what);
    } else {
      out.literal = v->literal;
    }
    return out;
  }

  std::vector<CompiledRule> compile(const config::Ruleset& ruleset) {
    std::vector<CompiledRule> out;
    out.reserve(ruleset.rules.size());
    for (const config::Rule& rule : ruleset.rules) {
      CompiledRule c;
      c.id = rule.id;
      std::string what = "rule \"" + rule.id + "\"";
      c.condition = expression(rule.expression, rules::Type::kBool, what);
      c.action = rule.action;
      c.logging = rule.logging;
      const config::ActionParameters& p = rule.parameters;
      c.status = p.status_code;
      c.content_type = p.content_type;
      c.content = p.content;
      c.skip_remaining = p.skip_remaining_rules;
      c.skip_waf_rules = p.skip_waf_rules;
      for (const std::string& phase_name : p.skip_phases) {
        if (auto phase = pipeline::phase_from_name(phase_name)) {
          c.skip_phase_mask |= 1u << static_cast<unsigned>(*phase);
        }
      }
      for (const std::string& id : p.skip_rules) {
        auto it = positions_.find(id);
        if (it != positions_.end()) c.skip_rules.push_back(it->second);
      }
      c.target_url = value(p.target_url, what + " target_url");
      c.redirect_status = p.redirect_status;
      c.preserve_query = p.preserve_query_string;
      c.rewrite_path = value(p.rewrite_path, what + " path");
      c.rewrite_query = value(p.rewrite_query, what + " query");
      c.route_pools = p.route_pools;
      c.route_fallback = p.route_fallback;
      c.matches = match_counter(rule.id);
      // A disabled rule is still compiled, so enabling it later cannot fail a reload,
      // and keeps its place so skip targets stay positions.
      c.enabled = rule.enabled;
      out.push_back(std::move(c));
    }
    return out;
  }

  const config::Config& config_;
  std::vector<config::Diagnostic>& errors_;
  rules::IpLists lists_;
  rules::Compiler compiler_;
  std::map<std::string, RulePosition, std::less<>> positions_;
  bool failed_ = false;
};

}  // namespace

void CompiledRuleset::build_index(const std::string& label) {
  if (!use_index()) return;
  std::vector<const rules::Program*> programs;
  programs.reserve(rules.size());
  for (const CompiledRule& r : rules) programs.push_back(r.condition.get());
  index = rules::RuleIndex(programs);
  // Rules the index cannot pick run for every request: worth knowing when tuning.
  core::log(core::LogLevel::kInfo, "firewall: {} rules ({}): {} indexed, {} run for every request",
            rules.size(), label, index.indexed_count(), rules.size() - index.indexed_count());
}

size_t CompiledRulesets::rule_count() const {
  size_t n = global.rules.size();
  for (const auto& s : sites) n += s.rules.size();
  return n;
}

std::unique_ptr<CompiledRulesets> compile_rulesets(const config::Config& config,
                                                   std::vector<config::Diagnostic>& errors) {
  return RulesetCompiler(config, errors).run();
}

}  // namespace rampart::modules::firewall
