// The ddos_l7 module on requests: under-attack mode from the config, the clearance hook
// that exempts a visitor, and sites without a `ddos` section left alone. (Mitigations
// found by the detector are driven by the store's real clock; the detector's own tests
// inject time, and tests/integration/test_ddos.py runs the whole loop.)

#include "modules/ddos/ddos_module.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "modules/ddos/ddos_store.h"

#include "pipeline/extensions.h"
#include "pipeline/pipeline.h"
#include "unit/modules/firewall_test_util.h"

namespace {

using namespace firewall_test;

// Site names are process-wide keys of the DDoS store: each test uses its own.
std::string ddos_yaml(const std::string& site, const std::string& ddos) {
  return "listeners: [{address: 127.0.0.1:8080}]\n"
         "sites:\n"
         "  - name: " +
         site +
         "\n    hosts: [shop.example]\n    origin: {endpoints: [127.0.0.1:1]}\n"
         "    ddos: " +
         ddos +
         "\n"
         "  - name: " +
         site + "-plain\n    hosts: [other.example]\n    origin: {endpoints: [127.0.0.1:1]}\n";
}

std::unique_ptr<Module> build_ddos(const Config& config) {
  std::vector<Diagnostic> errors;
  auto module = rampart::modules::ddos::build_ddos_module(config, errors);
  for (const auto& e : errors) ADD_FAILURE() << e.to_string();
  return module;
}

TEST(DdosModule, UnderAttackChallengesEveryVisitorOfTheSite) {
  auto config = load_config(ddos_yaml("ua-site", "{under_attack: true}"));
  auto module = build_ddos(*config);
  EXPECT_EQ(module->phase(), Phase::kDdosL7);
  Verdict v = run(*module, *config, get("/"));
  EXPECT_EQ(v.outcome, Outcome::kContinue);  // the pipeline serves the challenge (403 for now)
  EXPECT_EQ(v.challenge, ChallengeKind::kManagedChallenge);
  EXPECT_EQ(v.challenge_rule, "ddos-under-attack");
  EXPECT_EQ(v.verdicts, Strings{"ddos_l7=under-attack"});
  // The other site has no ddos section: untouched.
  RequestSpec other = get("/");
  other.site = 1;
  other.host = "other.example";
  EXPECT_EQ(run(*module, *config, other), Verdict{});
}

bool cleared(const RequestContext& ctx) {
  const auto* h = ctx.request.find("x-test-clearance");
  return h != nullptr && h->value == "ok";
}

TEST(DdosModule, AValidClearanceExemptsFromUnderAttackMode) {
  auto config = load_config(ddos_yaml("clear-site", "{under_attack: true}"));
  auto module = build_ddos(*config);
  rampart::pipeline::set_clearance_check(&cleared);
  Verdict with = run(*module, *config, get("/", {{"X-Test-Clearance", "ok"}}));
  Verdict without = run(*module, *config, get("/", {{"X-Test-Clearance", "forged"}}));
  rampart::pipeline::set_clearance_check(nullptr);
  EXPECT_EQ(with.challenge, ChallengeKind::kNone);
  EXPECT_EQ(without.challenge, ChallengeKind::kManagedChallenge);
  // With no check registered (today), nobody has a clearance.
  EXPECT_EQ(run(*module, *config, get("/", {{"X-Test-Clearance", "ok"}})).challenge,
            ChallengeKind::kManagedChallenge);
}

TEST(DdosModule, OnlyInThePipelineWhenASiteAsksForIt) {
  rampart::pipeline::ModuleRegistry registry;
  rampart::modules::register_builtin_modules(registry);
  auto names = [&](const Config& config) {
    std::vector<Diagnostic> errors;
    auto pipeline = rampart::pipeline::Pipeline::build(config, registry, errors);
    std::vector<std::string> out;
    for (auto n : pipeline->names()) out.emplace_back(n);
    return out;
  };
  auto with = load_config(ddos_yaml("pipe-site", "{sensitivity: low}"));
  auto without = load_config(config_yaml({}, {}));
  auto n = names(*with);
  EXPECT_NE(std::find(n.begin(), n.end(), "ddos_l7"), n.end());
  n = names(*without);
  EXPECT_EQ(std::find(n.begin(), n.end(), "ddos_l7"), n.end());
}

TEST(DdosModule, TheAdminRoutesListTheSite) {
  auto config = load_config(ddos_yaml("admin-site", "{sensitivity: high}"));
  auto module = build_ddos(*config);
  rampart::modules::ddos::register_ddos_admin_routes();
  run(*module, *config, get("/"));  // the site's settings are adopted at its first request
  auto reply = rampart::pipeline::call_admin_route({"GET", "/ddos/mitigations", "site=admin-site"});
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
  EXPECT_NE(reply->body.find(R"("site":"admin-site","sensitivity":"high","under_attack":false)"),
            std::string::npos)
      << reply->body;
  reply = rampart::pipeline::call_admin_route(
      {"POST", "/ddos/under_attack", "site=admin-site&enabled=true"});
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(run(*module, *config, get("/")).challenge, ChallengeKind::kManagedChallenge);
  reply = rampart::pipeline::call_admin_route(
      {"POST", "/ddos/under_attack", "site=admin-site&enabled=config"});
  EXPECT_EQ(run(*module, *config, get("/")).challenge, ChallengeKind::kNone);
  EXPECT_FALSE(rampart::pipeline::call_admin_route({"GET", "/ddos/nothing", ""}).has_value());
}

}  // namespace

namespace {

TEST(DdosModule, ASiteNoConfigHasAnyMoreIsForgotten) {
  using rampart::modules::ddos::DdosStore;
  {
    auto config = load_config(ddos_yaml("gone-site", "{}"));
    auto module = build_ddos(*config);
    EXPECT_NE(DdosStore::instance().find("gone-site"), nullptr);
  }
  // The store's timer drops it within a tick or two (bounded wait).
  for (int i = 0; i < 40 && DdosStore::instance().find("gone-site") != nullptr; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(DdosStore::instance().find("gone-site"), nullptr);
}

}  // namespace
