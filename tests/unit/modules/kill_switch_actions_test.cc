// The kill switches against every kind of rule and action, through the real pipeline
// and the built-in modules: a module switched off (in the config or at runtime) has no
// effect at all on a request — none of its rules' actions apply — and the skip is
// recorded and counted. A challenge asked for while the bot module is off lets the
// request through, logged as skipped.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "core/log.h"
#include "modules/builtin.h"
#include "pipeline/kill_switches.h"
#include "unit/modules/firewall_test_util.h"

namespace {

using namespace firewall_test;
using rampart::pipeline::kill_switches;
using rampart::pipeline::KillSwitches;
using rampart::pipeline::ModuleRegistry;
using rampart::pipeline::Pipeline;
using rampart::pipeline::SkipReason;

struct PipelineRun {
  RequestResult result;
  Verdict verdict;
  bool routed = false;
};

class KillSwitchActions : public ::testing::Test {
 protected:
  void SetUp() override {
    rampart::core::set_log_level(rampart::core::LogLevel::kOff);
    rampart::modules::register_builtin_modules(registry_);
    kill_switches().reset();
  }
  void TearDown() override { kill_switches().reset(); }

  std::unique_ptr<Pipeline> pipeline(const Config& config) {
    std::vector<Diagnostic> errors;
    auto p = Pipeline::build(config, registry_, errors);
    for (const auto& e : errors) ADD_FAILURE() << e.to_string();
    return p;
  }

  static PipelineRun run_pipeline(const Pipeline& p, const Config& config,
                                  RequestSpec spec = get("/x")) {
    auto request = make_request(config, spec);
    RequestResult result = p.run_request(*request->ctx);
    PipelineRun out{result, summarize(Outcome::kContinue, *request->ctx)};
    out.routed = request->ctx->route_pools != nullptr;
    return out;
  }

  static bool has(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
  }

  uint64_t skips(std::string_view module, SkipReason reason) {
    auto slot = kill_switches().find(module);
    EXPECT_TRUE(slot.has_value()) << module;
    return slot ? kill_switches().skips(*slot, reason) : 0;
  }

  ModuleRegistry registry_;
};

// One firewall rule per action, each alone in a config; the expression matches /x.
struct ActionCase {
  std::string name;
  std::string rule;
};

const std::vector<ActionCase> kFirewallActions = {
    {"block", R"({id: r, expression: "true", action: block})"},
    {"allow", R"({id: r, expression: "true", action: allow})"},
    {"log", R"({id: r, expression: "true", action: log})"},
    {"skip",
     R"({id: r, expression: "true", action: skip, action_parameters: {phases: [rate_limit]}})"},
    {"challenge", R"({id: r, expression: "true", action: challenge})"},
    {"js_challenge", R"({id: r, expression: "true", action: js_challenge})"},
    {"managed_challenge", R"({id: r, expression: "true", action: managed_challenge})"},
    {"redirect",
     R"({id: r, expression: "true", action: redirect, action_parameters: {target_url: /y}})"},
    {"rewrite", R"({id: r, expression: "true", action: rewrite, action_parameters: {path: /z}})"},
    {"route", R"({id: r, expression: "true", action: route, action_parameters: {pool: alt}})"},
};

// A rate-limit rule that counts every request, one a minute, so the second is over.
const std::string kRateLimit =
    "rate_limit:\n  rules:\n    - {id: rl, expression: \"true\", characteristics: [ip.src], "
    "period: 1m, requests_per_period: 1, action: ACTION}\n";
const std::string kPools = "pools:\n  alt: {endpoints: [127.0.0.1:2]}\n";

// The request passed untouched: forwarded, nothing rewritten or routed, no rule matched.
void expect_untouched(const PipelineRun& r, const std::string& what) {
  EXPECT_EQ(r.result, RequestResult::kForward) << what << " " << r.verdict;
  EXPECT_EQ(r.verdict.status, 0) << what;
  EXPECT_EQ(r.verdict.rewritten, "") << what;
  EXPECT_FALSE(r.routed) << what;
  EXPECT_EQ(r.verdict.challenge, ChallengeKind::kNone) << what;
  EXPECT_TRUE(r.verdict.rules.empty()) << what << " " << r.verdict;
  EXPECT_TRUE(r.verdict.skipped_phases.empty()) << what << " " << r.verdict;
}

TEST_F(KillSwitchActions, FirewallOffAtRuntimeUndoesEveryAction) {
  for (const ActionCase& c : kFirewallActions) {
    auto config = load_config(config_yaml({}, {c.rule}, {}, kPools));
    auto p = pipeline(*config);
    // Switched on, the rule does something the request can tell.
    PipelineRun on = run_pipeline(*p, *config);
    EXPECT_EQ(on.verdict.rules, (std::vector<std::string>{"r"})) << c.name << " " << on.verdict;

    uint64_t before = skips("firewall", SkipReason::kAdmin);
    ASSERT_TRUE(kill_switches().set_off("firewall", true));
    PipelineRun off = run_pipeline(*p, *config);
    expect_untouched(off, c.name);
    EXPECT_TRUE(has(off.verdict.verdicts, "firewall=killed")) << c.name << " " << off.verdict;
    EXPECT_EQ(skips("firewall", SkipReason::kAdmin), before + 1) << c.name;

    // Switched on again, the same pipeline acts again: nothing was rebuilt.
    ASSERT_TRUE(kill_switches().set_off("firewall", false));
    EXPECT_EQ(run_pipeline(*p, *config).verdict.rules, on.verdict.rules) << c.name;
  }
}

TEST_F(KillSwitchActions, FirewallOffInTheConfigUndoesEveryAction) {
  for (const ActionCase& c : kFirewallActions) {
    auto config = load_config(
        config_yaml({}, {c.rule}, {}, kPools + "modules:\n  firewall: {enabled: false}\n"));
    auto p = pipeline(*config);
    uint64_t before = skips("firewall", SkipReason::kConfig);
    PipelineRun off = run_pipeline(*p, *config);
    expect_untouched(off, c.name);
    EXPECT_TRUE(has(off.verdict.verdicts, "firewall=killed")) << c.name;
    EXPECT_EQ(skips("firewall", SkipReason::kConfig), before + 1) << c.name;
  }
}

TEST_F(KillSwitchActions, RateLimitOffUndoesEveryAction) {
  for (std::string action : {"block", "challenge", "js_challenge", "managed_challenge", "log"}) {
    std::string extra = kRateLimit;
    extra.replace(extra.find("ACTION"), 6, action);
    auto config = load_config(config_yaml({}, {}, {}, extra));
    auto p = pipeline(*config);
    run_pipeline(*p, *config);  // the one request a minute allowed
    PipelineRun over = run_pipeline(*p, *config);
    EXPECT_EQ(over.verdict.rules, (std::vector<std::string>{"rl"})) << action << over.verdict;

    ASSERT_TRUE(kill_switches().set_off("rate_limit", true));
    for (int i = 0; i < 3; ++i) {
      PipelineRun off = run_pipeline(*p, *config);
      expect_untouched(off, action);
      EXPECT_TRUE(has(off.verdict.verdicts, "rate_limit=killed")) << action;
    }
    ASSERT_TRUE(kill_switches().set_off("rate_limit", false));
    // Switched on again, the same pipeline limits again.
    EXPECT_EQ(run_pipeline(*p, *config).verdict.rules, (std::vector<std::string>{"rl"})) << action;
  }
}

TEST_F(KillSwitchActions, ChallengeWhileTheBotModuleIsOffPassesAndSaysSo) {
  for (std::string action : {"challenge", "js_challenge", "managed_challenge"}) {
    auto config = load_config(config_yaml(
        {}, {"{id: c, expression: \"true\", action: " + action + "}"}, {}, "bot: {}\n"));
    auto p = pipeline(*config);
    PipelineRun on = run_pipeline(*p, *config);
    EXPECT_EQ(on.result, RequestResult::kRespond) << action << " " << on.verdict;

    ASSERT_TRUE(kill_switches().set_off("bot", true));
    PipelineRun off = run_pipeline(*p, *config);
    EXPECT_EQ(off.result, RequestResult::kForward) << action << " " << off.verdict;
    EXPECT_EQ(off.verdict.challenge, ChallengeKind::kNone);
    EXPECT_EQ(off.verdict.rules, (std::vector<std::string>{"c"}));  // still listed
    EXPECT_TRUE(has(off.verdict.verdicts, "bot=killed")) << off.verdict;
    EXPECT_TRUE(has(off.verdict.verdicts, "bot=challenge-skipped")) << off.verdict;
    ASSERT_TRUE(kill_switches().set_off("bot", false));
  }
}

TEST_F(KillSwitchActions, SkipRuleOfAKilledFirewallNoLongerSkipsLaterPhases) {
  // The firewall's `skip` keeps the request out of rate limiting; with the firewall off
  // rate limiting applies again, as if the rule did not exist.
  std::string extra = kRateLimit;
  extra.replace(extra.find("ACTION"), 6, "block");
  // Its own rule id: limiters outlive pipelines (kept per rule id across reloads).
  extra.replace(extra.find("id: rl"), 6, "id: rl-skip");
  auto config = load_config(config_yaml(
      {},
      {R"({id: s, expression: "true", action: skip, action_parameters: {phases: [rate_limit]}})"},
      {}, extra));
  auto p = pipeline(*config);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run_pipeline(*p, *config).result, RequestResult::kForward);
  uint64_t rule_skips = skips("rate_limit", SkipReason::kRule);
  EXPECT_GE(rule_skips, 3u);
  ASSERT_TRUE(kill_switches().set_off("firewall", true));
  EXPECT_EQ(run_pipeline(*p, *config).result, RequestResult::kForward);  // the first one counts
  PipelineRun limited = run_pipeline(*p, *config);
  EXPECT_EQ(limited.result, RequestResult::kRespond) << limited.verdict;
  EXPECT_EQ(limited.verdict.status, 429);
}

TEST_F(KillSwitchActions, CacheRulesAndTransformOffLeaveTheSiteDefaults) {
  std::string yaml =
      "listeners: [{address: 127.0.0.1:8080}]\n"
      "sites:\n"
      "  - name: shop\n    hosts: [shop.example]\n    origin: {endpoints: [127.0.0.1:1]}\n"
      "    redirects: [{from: /x, to: /moved}]\n"
      "    cache:\n      enabled: true\n      rules:\n"
      "        - {id: nocache, expression: \"true\", action_parameters: {cache: false}}\n";
  auto config = load_config(yaml);
  auto p = pipeline(*config);
  PipelineRun on = run_pipeline(*p, *config);
  EXPECT_EQ(on.result, RequestResult::kRespond);  // the redirect
  EXPECT_EQ(on.verdict.status, 301);
  auto cached = make_request(*config, get("/other"));
  EXPECT_EQ(p->run_request(*cached->ctx), RequestResult::kForward);
  EXPECT_EQ(cached->ctx->cache.eligibility,
            rampart::pipeline::CacheDirectives::Eligibility::kBypass);

  ASSERT_TRUE(kill_switches().set_off("transform", true));
  ASSERT_TRUE(kill_switches().set_off("cache_rules", true));
  auto plain = make_request(*config, get("/x"));
  EXPECT_EQ(p->run_request(*plain->ctx), RequestResult::kForward);  // no redirect
  EXPECT_FALSE(plain->ctx->cache.set);
  EXPECT_EQ(plain->ctx->cache.eligibility,
            rampart::pipeline::CacheDirectives::Eligibility::kDefault);
  Verdict v = summarize(Outcome::kContinue, *plain->ctx);
  EXPECT_TRUE(has(v.verdicts, "transform=killed")) << v;
  EXPECT_TRUE(has(v.verdicts, "cache_rules=killed")) << v;
}

TEST(KillSwitches, UnknownNamesAreRefusedAndSlotsAreStable) {
  KillSwitches switches;
  EXPECT_FALSE(switches.set_off("nope", true));
  auto a = switches.slot("a");
  auto b = switches.slot("b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(switches.slot("a"), a);
  bool changed = false;
  EXPECT_TRUE(switches.set_off("b", true, &changed));
  EXPECT_TRUE(changed);
  EXPECT_TRUE(switches.set_off("b", true, &changed));
  EXPECT_FALSE(changed);
  EXPECT_TRUE(switches.off(*b));
  EXPECT_FALSE(switches.off(*a));
  EXPECT_EQ(switches.names(), (std::vector<std::string_view>{"a", "b"}));
}

}  // namespace
