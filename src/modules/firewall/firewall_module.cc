#include "modules/firewall/firewall_module.h"

#include <string>

#include "config/value_parsers.h"
#include "modules/firewall/compiled_rules.h"
#include "rules/evaluator.h"

namespace rampart::modules::firewall {
namespace {

using config::RuleAction;
using pipeline::Outcome;
using pipeline::RequestContext;

constexpr uint32_t kSecurityPhasesAfterFirewall =
    1u << static_cast<unsigned>(pipeline::Phase::kRateLimit) |
    1u << static_cast<unsigned>(pipeline::Phase::kBot) |
    1u << static_cast<unsigned>(pipeline::Phase::kWaf);

// A path or query a rewrite may send upstream: no bytes that would change the
// request line's framing.
bool is_safe_target_part(std::string_view s) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '#') return false;
  }
  return true;
}

class FirewallModule final : public pipeline::Module {
 public:
  explicit FirewallModule(std::unique_ptr<CompiledRulesets> rules) : rules_(std::move(rules)) {}

  std::string_view name() const override { return "firewall"; }
  pipeline::Phase phase() const override { return pipeline::Phase::kFirewall; }

  Outcome on_request(RequestContext& ctx) const override {
    const CompiledRuleset* site_rules = nullptr;
    if (ctx.site != nullptr && ctx.site_index < rules_->sites.size()) {
      site_rules = &rules_->sites[ctx.site_index];
    }
    if (rules_->global.rules.empty() && (site_rules == nullptr || site_rules->rules.empty())) {
      return Outcome::kContinue;
    }
    rules::EvalState state(ctx.facts, rules_->slots);
    Run run(ctx, state);
    Step step = evaluate(run, rules_->global, -1);
    if (step == Step::kNext && site_rules != nullptr) {
      step = evaluate(run, *site_rules, static_cast<int>(ctx.site_index));
    }
    if (run.state.exhausted) {
      // Only a request built to be expensive gets here (see rules/evaluator.h). Failing
      // open would let exactly that request past every rule, so it is refused.
      ctx.local_response = {};
      ctx.local_response.status = 403;
      ctx.local_response.reason = "rules_step_limit";
      ctx.record(name(), "block-step-limit");
      return Outcome::kRespond;
    }
    if (step == Step::kRespond) return Outcome::kRespond;
    // A rule whose action failed, with no later rule answering: the fail mode decides.
    if (step == Step::kError || run.failed) return Outcome::kError;
    if (run.last_verdict != nullptr) ctx.record(name(), run.last_verdict);
    return Outcome::kContinue;
  }

  void collect_counters(std::vector<pipeline::CounterSample>& out) const override {
    auto add = [&](const CompiledRuleset& ruleset) {
      for (const CompiledRule& r : ruleset.rules) {
        out.push_back({"rampart_rule_matches_total",
                       "Requests matched by each rule (all phases that use rules)", "rule", r.id,
                       r.matches->load(std::memory_order_relaxed)});
      }
    };
    add(rules_->global);
    for (const auto& site : rules_->sites) add(site);
  }

 private:
  enum class Step : uint8_t { kNext, kStop, kRespond, kError };

  struct Run {
    Run(RequestContext& c, rules::EvalState& s) : ctx(c), state(s) {}
    RequestContext& ctx;
    rules::EvalState& state;
    std::vector<bool> skipped_global;  // allocated only when a skip rule matches
    std::vector<bool> skipped_site;
    const char* last_verdict = nullptr;
    bool failed = false;  // a matching rule's action could not be carried out
  };

  static bool is_skipped(const Run& run, int site, uint32_t index) {
    const std::vector<bool>& skipped = site < 0 ? run.skipped_global : run.skipped_site;
    return index < skipped.size() && skipped[index];
  }

  static void mark_skipped(Run& run, const RulePosition& target) {
    bool global = target.site < 0;
    if (!global && static_cast<size_t>(target.site) != run.ctx.site_index) return;
    std::vector<bool>& skipped = global ? run.skipped_global : run.skipped_site;
    if (target.index >= skipped.size()) skipped.resize(target.index + 1, false);
    skipped[target.index] = true;
  }

  Step evaluate(Run& run, const CompiledRuleset& ruleset, int site) const {
    if (!ruleset.use_index()) {
      for (uint32_t i = 0; i < ruleset.rules.size(); ++i) {
        Step step = try_rule(run, ruleset.rules[i], site, i);
        if (step != Step::kNext) return step;
      }
      return Step::kNext;
    }
    // Per thread, so the candidate list costs no allocation once warm.
    thread_local std::vector<uint32_t> candidates;
    ruleset.index.candidates(run.state, candidates);
    for (size_t k = 0; k < candidates.size(); ++k) {
      uint32_t i = candidates[k];
      Step step = try_rule(run, ruleset.rules[i], site, i);
      if (step != Step::kNext) return step;
    }
    return Step::kNext;
  }

  Step try_rule(Run& run, const CompiledRule& rule, int site, uint32_t i) const {
    if (!rule.enabled || is_skipped(run, site, i)) return Step::kNext;
    if (!rules::matches(*rule.condition, run.state)) {
      return run.state.exhausted ? Step::kError : Step::kNext;
    }
    rule.matches->fetch_add(1, std::memory_order_relaxed);
    if (rule.logging) run.ctx.matched_rule(rule.id);
    Step step = apply(run, rule);
    if (step == Step::kError && !run.state.exhausted) {
      // The action could not be carried out (a computed target that is no valid path or
      // URL). That must not silence the rules after it, or a client able to make a
      // rewrite fail would walk past every later block: note it and go on.
      run.failed = true;
      return Step::kNext;
    }
    return step;
  }

  Step apply(Run& run, const CompiledRule& rule) const {
    RequestContext& ctx = run.ctx;
    switch (rule.action) {
      case RuleAction::kLog:
        if (run.last_verdict == nullptr) run.last_verdict = "log";
        return Step::kNext;
      case RuleAction::kBlock:
        ctx.local_response = {};
        ctx.local_response.status = rule.status;
        ctx.local_response.content_type = rule.content_type;
        ctx.local_response.body = rule.content;
        ctx.local_response.reason = "firewall";
        ctx.record(name(), "block");
        return Step::kRespond;
      case RuleAction::kAllow:
        for (unsigned p = 0; p < 32; ++p) {
          if ((kSecurityPhasesAfterFirewall >> p) & 1u)
            ctx.skip_phase(static_cast<pipeline::Phase>(p));
        }
        run.last_verdict = "allow";
        return Step::kStop;
      case RuleAction::kSkip:
        for (unsigned p = 0; p < 32; ++p) {
          if ((rule.skip_phase_mask >> p) & 1u) ctx.skip_phase(static_cast<pipeline::Phase>(p));
        }
        for (const RulePosition& target : rule.skip_rules) mark_skipped(run, target);
        if (!rule.skip_waf_rules.empty()) ctx.exclude_waf_rules(rule.skip_waf_rules);
        run.last_verdict = "skip";
        return rule.skip_remaining ? Step::kStop : Step::kNext;
      case RuleAction::kChallenge:
      case RuleAction::kJsChallenge:
      case RuleAction::kManagedChallenge:
        ctx.challenge = rule.action == RuleAction::kChallenge ? pipeline::ChallengeKind::kChallenge
                        : rule.action == RuleAction::kJsChallenge
                            ? pipeline::ChallengeKind::kJsChallenge
                            : pipeline::ChallengeKind::kManagedChallenge;
        ctx.challenge_rule = rule.id;
        run.last_verdict = config::rule_action_name(rule.action).data();
        return Step::kStop;
      case RuleAction::kRedirect:
        return redirect(run, rule);
      case RuleAction::kRewrite:
        return rewrite(run, rule);
      case RuleAction::kRoute:
        // Not terminating: a later route rule overrides an earlier one.
        run.ctx.route_pools = &rule.route_pools;
        run.ctx.route_fallback = rule.route_fallback;
        run.last_verdict = "route";
        return Step::kNext;
    }
    return Step::kNext;
  }

  // Evaluates a literal-or-expression value; nullopt when the expression gave nothing.
  static std::optional<std::string_view> value_of(Run& run, const CompiledValue& v) {
    if (!v.program) return std::string_view(v.literal);
    rules::Value result = rules::evaluate(*v.program, run.state);
    if (result.missing || run.state.exhausted) return std::nullopt;
    return result.string;
  }

  Step redirect(Run& run, const CompiledRule& rule) const {
    RequestContext& ctx = run.ctx;
    auto target = rule.target_url ? value_of(run, *rule.target_url) : std::nullopt;
    if (!target || config::redirect_target_problem(*target)) return Step::kError;
    std::string location(*target);
    if (rule.preserve_query && !ctx.request.query.empty()) {
      // The query goes before a fragment the target may have.
      size_t hash = location.find('#');
      std::string fragment;
      if (hash != std::string::npos) {
        fragment = location.substr(hash);
        location.resize(hash);
      }
      location += location.find('?') == std::string::npos ? '?' : '&';
      location += ctx.request.query;
      location += fragment;
    }
    ctx.local_response = {};
    ctx.local_response.status = rule.redirect_status;
    ctx.local_response.location = std::move(location);
    ctx.local_response.reason = "redirect";
    ctx.record(name(), "redirect");
    return Step::kRespond;
  }

  Step rewrite(Run& run, const CompiledRule& rule) const {
    RequestContext& ctx = run.ctx;
    std::string_view path = ctx.request.path;
    std::string_view query = ctx.request.query;
    if (!ctx.rewritten_target.empty()) {
      // An earlier rewrite already changed the target; build on it.
      std::string_view t = ctx.rewritten_target;
      size_t q = t.find('?');
      path = t.substr(0, q);
      query = q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
    }
    if (rule.rewrite_path) {
      auto p = value_of(run, *rule.rewrite_path);
      if (!p || p->empty() || p->front() != '/' || !is_safe_target_part(*p) ||
          p->find('?') != std::string_view::npos) {
        return Step::kError;
      }
      path = *p;
    }
    if (rule.rewrite_query) {
      auto q = value_of(run, *rule.rewrite_query);
      if (!q || !is_safe_target_part(*q)) return Step::kError;
      query = *q;
    }
    std::string target(path);
    if (!query.empty()) {
      target += '?';
      target += query;
    }
    ctx.rewritten_target = ctx.keep(std::move(target));
    run.last_verdict = "rewrite";
    return Step::kNext;
  }

  std::unique_ptr<CompiledRulesets> rules_;
};

}  // namespace

std::unique_ptr<pipeline::Module> build_firewall_module(const config::Config& config,
                                                        std::vector<config::Diagnostic>& errors) {
  auto rules = compile_rulesets(config, errors);
  if (!rules) return nullptr;
  return std::make_unique<FirewallModule>(std::move(rules));
}

}  // namespace rampart::modules::firewall
