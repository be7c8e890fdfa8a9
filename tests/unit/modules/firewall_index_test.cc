// The firewall module: compile errors as positioned diagnostics, and the rule index
// against a plain scan.

#include <random>

#include "unit/modules/firewall_test_util.h"

namespace {

using namespace firewall_test;

TEST(Firewall, CompileErrorsAreDiagnosticsAtTheToken) {
  const std::string yaml = rampart::config::testing::yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
firewall:
  rules:
    - id: typo
      expression: http.request.uri.pth eq "/x"
      action: block
    - id: types
      expression: 'http.request.uri.path eq 5'
      action: block
    - id: multi
      expression: |
        http.request.method eq "GET"
          and http.request.uri.path matches "(["
      action: block
    - id: target
      expression: 'true'
      action: redirect
      action_parameters:
        target_url: {expression: 'len(http.request.uri.path)'}
sites:
  - name: shop
    hosts: [shop.example]
    origin: {endpoints: [127.0.0.1:1]}
    firewall:
      rules:
        - {id: no-list, expression: 'ip.src in $nope', action: block}
)");
  LoadResult loaded = rampart::config::load_string(yaml, "test.yaml");
  ASSERT_TRUE(loaded.ok()) << rampart::config::testing::all_errors(loaded);
  std::vector<Diagnostic> errors;
  auto module = build_firewall_module(*loaded.config, errors);
  EXPECT_EQ(module, nullptr);
  ASSERT_EQ(errors.size(), 5u);
  auto expect = [&](size_t i, int line, int column, std::string_view needle) {
    SCOPED_TRACE(errors[i].to_string());
    EXPECT_EQ(errors[i].file, "test.yaml");
    EXPECT_EQ(errors[i].line, line);
    EXPECT_EQ(errors[i].column, column);
    EXPECT_NE(errors[i].message.find(needle), std::string::npos);
    EXPECT_NE(errors[i].message.find('^'), std::string::npos);  // the caret snippet
  };
  expect(0, 5, 19, "rule \"typo\": unknown field \"http.request.uri.pth\"");
  expect(1, 8, 42, "rule \"types\": ");
  expect(2, 13, 45, "rule \"multi\": invalid regular expression");
  expect(3, 19, 35, "rule \"target\" target_url: ");
  expect(4, 26, 48, "rule \"no-list\": no list is named \"nope\"");

  // the pipeline refuses the config with the same diagnostics
  rampart::pipeline::ModuleRegistry registry;
  rampart::modules::register_builtin_modules(registry);
  std::vector<Diagnostic> pipeline_errors;
  rampart::pipeline::Pipeline::build(*loaded.config, registry, pipeline_errors);
  EXPECT_EQ(pipeline_errors.size(), 5u);
}

// --- the rule index ----------------------------------------------------------------------------

// 30 rules of every shape: indexed (eq / in on plain fields, and-chains), unindexed
// (functions, arrays, or, not), and every action.
Rules mixed_rules() {
  return {
      R"({id: m00, expression: 'http.request.uri.path eq "/admin"', action: log})",
      R"({id: m01, expression: 'starts_with(http.request.uri.path, "/api/")', action: log})",
      R"({id: m02, expression: 'http.request.headers["x-skip"] eq "a"', action: skip, action_parameters: {rules: [m05, m20]}})",
      R"({id: m03, expression: 'http.request.method eq "DELETE" and http.request.uri.path eq "/api/x"', action: block, action_parameters: {status_code: 405}})",
      R"({id: m04, expression: 'http.request.uri.path in {"/a" "/b" "/c"}', action: rewrite, action_parameters: {query: rw=4}})",
      R"({id: m05, expression: 'http.request.uri.path eq "/admin" and not ip.src in $office', action: block, action_parameters: {status_code: 401}})",
      R"({id: m06, expression: 'http.host eq "shop.example" and http.request.uri.args["go"] eq "1"', action: redirect, action_parameters: {target_url: /went, preserve_query_string: true}})",
      R"({id: m07, expression: 'http.request.uri.path eq "/b" or http.request.uri.path eq "/c"', action: log})",
      R"({id: m08, expression: 'http.request.method eq "PUT"', action: challenge})",
      R"({id: m09, expression: 'http.request.headers["x-allow"] eq "1"', action: allow})",
      R"({id: m10, expression: 'http.request.uri.path eq "/a"', action: block, enabled: false})",
      R"({id: m11, expression: 'http.request.uri.path eq "/a" and http.request.method eq "POST"', action: block, action_parameters: {status_code: 411}})",
      R"({id: m12, expression: 'http.request.uri.query eq "x=1"', action: log, logging: false})",
      R"({id: m13, expression: 'lower(http.request.uri.path) eq "/mixed"', action: block, action_parameters: {status_code: 413}})",
      R"({id: m14, expression: 'http.request.headers["x-skip"] eq "rest"', action: skip, action_parameters: {remaining_rules: true}})",
      R"({id: m15, expression: 'http.request.uri.path eq "/api/x"', action: block, action_parameters: {status_code: 415}})",
      R"({id: m16, expression: 'http.request.method in {"PATCH" "OPTIONS"}', action: js_challenge})",
      R"({id: m17, expression: 'http.request.uri.path eq "/c"', action: redirect, action_parameters: {target_url: {expression: 'concat("/moved", http.request.uri.path)'}, status_code: 307}})",
      R"({id: m18, expression: 'http.request.uri.path.extension eq "php"', action: block, action_parameters: {status_code: 418}})",
      R"({id: m19, expression: 'http.request.headers["x-skip"] eq "b"', action: skip, action_parameters: {phases: [waf]}})",
      R"({id: m20, expression: 'starts_with(http.request.uri.path, "/")', action: log})",
      R"({id: m21, expression: 'http.request.uri.path eq "/b"', action: block, action_parameters: {status_code: 421}})",
      R"({id: m22, expression: 'http.request.body.size eq 3', action: block, action_parameters: {status_code: 422}})",
      R"({id: m23, expression: 'http.host eq "shop.example" and http.request.uri.path eq "/admin"', action: block, action_parameters: {status_code: 423}})",
      R"({id: m24, expression: 'ip.src in $office', action: managed_challenge})",
      R"({id: m25, expression: 'http.request.uri.path eq "/a"', action: rewrite, action_parameters: {path: /a2}})",
      R"({id: m26, expression: 'http.request.cookies["s"] eq "x" and http.request.uri.path eq "/z"', action: block, action_parameters: {status_code: 426}})",
      R"({id: m27, expression: 'http.request.uri.path eq "/api/x" and http.request.method eq "GET"', action: block, action_parameters: {status_code: 427}})",
      R"({id: m28, expression: 'http.request.uri.args["id"] eq "7"', action: block, action_parameters: {status_code: 428}})",
      R"({id: m29, expression: 'true', action: log})",
  };
}

RequestSpec random_request(std::mt19937& rng) {
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  RequestSpec s;
  s.method = pick({"GET", "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"});
  s.target =
      pick({"/", "/a", "/b", "/c", "/z", "/admin", "/api/x", "/api/y", "/Mixed", "/i.php", "/x/y"});
  std::string query = pick({"", "", "x=1", "go=1", "id=7", "go=1&id=7", "id=8"});
  if (!query.empty()) s.target += "?" + query;
  s.host = pick({"shop.example", "SHOP.example:8443", "other.test"});
  s.ip = pick({"203.0.113.1", "192.0.2.9", "2001:db8::7", "198.51.100.1"});
  if (rng() % 3 == 0) s.headers.push_back({"X-Skip", pick({"a", "b", "rest", "zz"})});
  if (rng() % 5 == 0) s.headers.push_back({"X-Allow", "1"});
  if (rng() % 4 == 0) s.headers.push_back({"Cookie", pick({"s=x", "s=y; t=1"})});
  if (rng() % 4 == 0) s.headers.push_back({"Content-Length", pick({"3", "4"})});
  return s;
}

TEST(Firewall, IndexedRulesetsDecideLikeAPlainScan) {
  Rules rules = mixed_rules();
  ASSERT_GE(rules.size(), 20u);
  const size_t half = rampart::modules::firewall::CompiledRuleset::kIndexFrom - 1;
  ASSERT_LT(rules.size() - half, rampart::modules::firewall::CompiledRuleset::kIndexFrom);
  Rules first(rules.begin(), rules.begin() + static_cast<std::ptrdiff_t>(half));
  Rules second(rules.begin() + static_cast<std::ptrdiff_t>(half), rules.end());

  // scanned: two short rulesets (config-wide then site) in the same order
  auto scanned = load_config(config_yaml(first, second));
  // indexed: all of them in the site's ruleset, or all config-wide
  auto in_site = load_config(config_yaml({}, rules));
  auto global = load_config(config_yaml(rules, {}));

  std::vector<Diagnostic> errors;
  auto compiled_scan = rampart::modules::firewall::compile_rulesets(*scanned, errors);
  auto compiled_site = rampart::modules::firewall::compile_rulesets(*in_site, errors);
  auto compiled_global = rampart::modules::firewall::compile_rulesets(*global, errors);
  ASSERT_TRUE(errors.empty());
  EXPECT_FALSE(compiled_scan->global.use_index());
  EXPECT_FALSE(compiled_scan->sites[0].use_index());
  ASSERT_TRUE(compiled_site->sites[0].use_index());
  ASSERT_TRUE(compiled_global->global.use_index());
  // most rules have a guard, some do not
  EXPECT_GE(compiled_site->sites[0].index.indexed_count(), 15u);
  EXPECT_LT(compiled_site->sites[0].index.indexed_count(), rules.size());

  auto m_scan = build(*scanned);
  auto m_site = build(*in_site);
  auto m_global = build(*global);
  std::mt19937 rng(12345);
  size_t responded = 0, rewritten = 0, challenged = 0, continued = 0;
  for (int i = 0; i < 3000; ++i) {
    RequestSpec spec = random_request(rng);
    Verdict expected = run(*m_scan, *scanned, spec);
    SCOPED_TRACE(spec.method + " " + spec.target + " host " + spec.host + " ip " + spec.ip);
    ASSERT_EQ(run(*m_site, *in_site, spec), expected);
    ASSERT_EQ(run(*m_global, *global, spec), expected);
    responded += expected.outcome == Outcome::kRespond;
    rewritten += !expected.rewritten.empty();
    challenged += expected.challenge != ChallengeKind::kNone;
    continued += expected.outcome == Outcome::kContinue;
  }
  // the requests exercised every kind of outcome
  EXPECT_GT(responded, 300u);
  EXPECT_GT(rewritten, 50u);
  EXPECT_GT(challenged, 100u);
  EXPECT_GT(continued, 300u);
}

TEST(Firewall, IndexedRulesetPrefersAnEarlierUnindexedRule) {
  Rules rules;
  for (int i = 0; i < 200; ++i) {
    rules.push_back("{id: ix" + std::to_string(i) +
                    ", expression: 'http.request.uri.path eq \"/p/" + std::to_string(i) +
                    "\"', action: block, action_parameters: {status_code: " +
                    std::to_string(400 + i % 100) + "}}");
  }
  rules[3] = R"({id: ix3, expression: 'starts_with(http.request.uri.path, "/p/1")', action: block,
                 action_parameters: {status_code: 599}})";
  auto config = load_config(config_yaml({}, rules));
  auto module = build(*config);
  EXPECT_EQ(run(*module, *config, get("/p/150")).rules, Strings{"ix3"});
  EXPECT_EQ(run(*module, *config, get("/p/150")).status, 599);
  EXPECT_EQ(run(*module, *config, get("/p/2")).rules, Strings{"ix2"});
  EXPECT_EQ(run(*module, *config, get("/p/199")).rules, Strings{"ix3"});
  EXPECT_EQ(run(*module, *config, get("/p/99")).rules, Strings{"ix99"});
  EXPECT_EQ(run(*module, *config, get("/p/99")).status, 499);
  EXPECT_EQ(run(*module, *config, get("/p/200")), Verdict{});
}

}  // namespace
