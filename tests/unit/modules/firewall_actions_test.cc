// The firewall module, built from configs the loader read: what each action does to
// the request context, the order rules run in, and match counters.

#include "unit/modules/firewall_test_util.h"

namespace {

using namespace firewall_test;

TEST(Firewall, NameAndPhaseAndRegistration) {
  auto config = load_config(config_yaml({}, {}));
  auto module = build(*config);
  EXPECT_EQ(module->name(), "firewall");
  EXPECT_EQ(module->phase(), Phase::kFirewall);
  rampart::pipeline::ModuleRegistry registry;
  rampart::modules::register_builtin_modules(registry);
  int found = 0;
  for (const auto& d : registry.modules()) {
    if (d.name == "firewall") {
      ++found;
      EXPECT_EQ(d.phase, Phase::kFirewall);
    }
  }
  EXPECT_EQ(found, 1);
}

TEST(Firewall, NoRulesChangeNothing) {
  auto config = load_config(config_yaml({}, {}));
  auto module = build(*config);
  EXPECT_EQ(run(*module, *config, get("/anything")), Verdict{});
}

// --- block -----------------------------------------------------------------------------

TEST(Firewall, BlockAnswersWithItsResponse) {
  auto config = load_config(config_yaml(
      {}, {R"({id: legal, expression: 'http.request.uri.path eq "/legal"', action: block,
           action_parameters: {status_code: 451, content_type: application/json,
                               content: '{"error": "unavailable"}'}})",
           R"({id: plain, expression: 'http.request.method eq "DELETE"', action: block})"}));
  auto module = build(*config);

  Verdict v = run(*module, *config, get("/legal"));
  EXPECT_EQ(v.outcome, Outcome::kRespond);
  EXPECT_EQ(v.status, 451);
  EXPECT_EQ(v.content_type, "application/json");
  EXPECT_EQ(v.body, R"({"error": "unavailable"})");
  EXPECT_EQ(v.reason, "firewall");
  EXPECT_EQ(v.location, "");
  EXPECT_EQ(v.rules, Strings{"legal"});
  EXPECT_EQ(v.verdicts, Strings{"firewall=block"});

  RequestSpec del = get("/x");
  del.method = "DELETE";
  v = run(*module, *config, del);
  EXPECT_EQ(v.outcome, Outcome::kRespond);
  EXPECT_EQ(v.status, 403);       // the default
  EXPECT_EQ(v.content_type, "");  // rampart's own error page
  EXPECT_EQ(v.body, "");
  EXPECT_EQ(v.rules, Strings{"plain"});

  v = run(*module, *config, get("/legal/x"));
  EXPECT_EQ(v, Verdict{});
}

TEST(Firewall, MatchersOnHeadersArgsCookiesAndClientAddress) {
  auto config = load_config(config_yaml(
      {}, {R"({id: h, expression: 'http.request.headers["x-evil"] eq "1"', action: block})",
           R"({id: q, expression: 'http.request.uri.args["debug"] eq "on"', action: block})",
           R"({id: c, expression: 'http.request.cookies["role"] eq "root"', action: block})",
           R"({id: ip, expression: 'ip.src in $office', action: block})"}));
  auto module = build(*config);
  auto blocked_by = [&](const RequestSpec& spec) {
    Verdict v = run(*module, *config, spec);
    return v.outcome == Outcome::kRespond ? v.rules.at(0) : std::string("-");
  };
  EXPECT_EQ(blocked_by(get("/", {{"X-Evil", "0"}, {"x-EVIL", "1"}})), "h");
  EXPECT_EQ(blocked_by(get("/?a=b&debug=o%6E")), "q");
  EXPECT_EQ(blocked_by(get("/", {{"Cookie", "a=1; role=root"}})), "c");
  RequestSpec office = get("/");
  office.ip = "192.0.2.77";
  EXPECT_EQ(blocked_by(office), "ip");
  office.ip = "2001:db8::1";
  EXPECT_EQ(blocked_by(office), "ip");
  office.ip = "192.0.3.1";
  EXPECT_EQ(blocked_by(office), "-");
  EXPECT_EQ(blocked_by(get("/?debug=off", {{"X-Evil", "2"}, {"Cookie", "role=user"}})), "-");
}

// --- log, allow, skip ---------------------------------------------------------------

TEST(Firewall, LogRecordsAndGoesOn) {
  auto config = load_config(config_yaml(
      {R"({id: log-a, expression: 'starts_with(http.request.uri.path, "/a")', action: log})"},
      {R"({id: log-b, expression: 'http.request.uri.path eq "/ab"', action: log})",
       R"({id: block-ab, expression: 'http.request.uri.path eq "/ab"', action: block})"}));
  auto module = build(*config);
  Verdict v = run(*module, *config, get("/a"));
  EXPECT_EQ(v.outcome, Outcome::kContinue);
  EXPECT_EQ(v.rules, Strings{"log-a"});
  EXPECT_EQ(v.verdicts, Strings{"firewall=log"});
  EXPECT_EQ(v.status, 0);

  v = run(*module, *config, get("/ab"));
  EXPECT_EQ(v.outcome, Outcome::kRespond);
  EXPECT_EQ(v.rules, (Strings{"log-a", "log-b", "block-ab"}));
  EXPECT_EQ(v.verdicts, Strings{"firewall=block"});
}

TEST(Firewall, AllowSkipsLaterRulesAndTheLaterSecurityPhases) {
  auto config = load_config(
      config_yaml({R"({id: allow-office, expression: 'ip.src in $office', action: allow})",
                   R"({id: g-block, expression: 'http.request.uri.path eq "/x"', action: block})"},
                  {R"({id: s-block, expression: 'true', action: block})"}));
  auto module = build(*config);
  RequestSpec office = get("/x");
  office.ip = "192.0.2.1";
  Verdict v = run(*module, *config, office);
  EXPECT_EQ(v.outcome, Outcome::kContinue);
  EXPECT_EQ(v.rules, Strings{"allow-office"});
  EXPECT_EQ(v.verdicts, Strings{"firewall=allow"});
  EXPECT_EQ(v.skipped_phases, (Strings{"rate_limit", "bot", "waf"}));

  Verdict outsider = run(*module, *config, get("/x"));
  EXPECT_EQ(outsider.rules, Strings{"g-block"});
  EXPECT_TRUE(outsider.skipped_phases.empty());
  EXPECT_EQ(run(*module, *config, get("/y")).rules, Strings{"s-block"});
}

TEST(Firewall, SkipPhasesSkipsOnlyThoseNamed) {
  auto config = load_config(config_yaml(
      {R"({id: no-waf, expression: 'http.request.uri.path eq "/upload"', action: skip,
           action_parameters: {phases: [waf, bot]}})"},
      {R"({id: later, expression: 'http.request.uri.path eq "/upload"', action: log})"}));
  auto module = build(*config);
  Verdict v = run(*module, *config, get("/upload"));
  EXPECT_EQ(v.outcome, Outcome::kContinue);
  EXPECT_EQ(v.skipped_phases, (Strings{"bot", "waf"}));
  EXPECT_EQ(v.rules, (Strings{"no-waf", "later"}));  // the rules go on
  EXPECT_EQ(v.verdicts, Strings{"firewall=skip"});
}

TEST(Firewall, SkipNamedRules) {
  auto config = load_config(config_yaml(
      {R"({id: g-skip, expression: 'http.request.headers["x-skip"] eq "1"', action: skip,
           action_parameters: {rules: [g-block, s-block]}})",
       R"({id: g-block, expression: 'http.request.uri.path eq "/g"', action: block})"},
      {R"({id: s-skip, expression: 'http.request.headers["x-skip"] eq "2"', action: skip,
           action_parameters: {rules: [s-block-2]}})",
       R"({id: s-block, expression: 'starts_with(http.request.uri.path, "/")', action: block,
           action_parameters: {status_code: 401}})",
       R"({id: s-block-2, expression: 'true', action: block, action_parameters: {status_code: 402}})"}));
  auto module = build(*config);
  EXPECT_EQ(run(*module, *config, get("/g")).rules, Strings{"g-block"});
  EXPECT_EQ(run(*module, *config, get("/s")).status, 401);

  Verdict v = run(*module, *config, get("/g", {{"X-Skip", "1"}}));
  EXPECT_EQ(v.status, 402);
  EXPECT_EQ(v.rules, (Strings{"g-skip", "s-block-2"}));
  v = run(*module, *config, get("/s", {{"X-Skip", "2"}}));
  EXPECT_EQ(v.status, 401);  // s-block comes before s-block-2 anyway
  v = run(*module, *config, get("/s", {{"X-Skip", "1"}, {"X-Skip", "2"}}));
  EXPECT_EQ(v.outcome, Outcome::kContinue);
  EXPECT_EQ(v.rules, (Strings{"g-skip", "s-skip"}));

  // a config-wide rule naming a rule of another site changes nothing for this one
  auto other = load_config(config_yaml({R"({id: g-skip-other, expression: 'true', action: skip,
           action_parameters: {rules: [o-block]}})"},
                                       {R"({id: shop-block, expression: 'true', action: block})"},
                                       {R"({id: o-block, expression: 'true', action: block})"}));
  auto m2 = build(*other);
  EXPECT_EQ(run(*m2, *other, get("/")).rules, (Strings{"g-skip-other", "shop-block"}));
  RequestSpec o = get("/");
  o.site = 1;
  o.host = "other.example";
  Verdict ov = run(*m2, *other, o);
  EXPECT_EQ(ov.outcome, Outcome::kContinue);
  EXPECT_EQ(ov.rules, Strings{"g-skip-other"});
}

TEST(Firewall, SkipRemainingRulesEndsTheRunIncludingTheSitesRules) {
  auto config = load_config(
      config_yaml({R"({id: rest, expression: 'http.request.uri.path eq "/health"', action: skip,
           action_parameters: {remaining_rules: true}})",
                   R"({id: g-block, expression: 'true', action: block})"},
                  {R"({id: s-block, expression: 'true', action: block})"}));
  auto module = build(*config);
  Verdict v = run(*module, *config, get("/health"));
  EXPECT_EQ(v.outcome, Outcome::kContinue);
  EXPECT_EQ(v.rules, Strings{"rest"});
  EXPECT_TRUE(v.skipped_phases.empty());  // unlike allow
  EXPECT_EQ(run(*module, *config, get("/other")).rules, Strings{"g-block"});
}

// --- challenge ---------------------------------------------------------------------------

TEST(Firewall, ChallengesAreRecordedAndEndTheRules) {
  auto config = load_config(config_yaml(
      {},
      {R"({id: c1, expression: 'http.request.headers["x-c"] eq "1"', action: challenge})",
       R"({id: c2, expression: 'http.request.headers["x-c"] eq "2"', action: js_challenge})",
       R"({id: c3, expression: 'http.request.headers["x-c"] eq "3"', action: managed_challenge})",
       R"({id: after, expression: 'true', action: log})"}));
  auto module = build(*config);
  const std::pair<const char*, ChallengeKind> kinds[] = {{"1", ChallengeKind::kChallenge},
                                                         {"2", ChallengeKind::kJsChallenge},
                                                         {"3", ChallengeKind::kManagedChallenge}};
  for (const auto& [h, kind] : kinds) {
    Verdict v = run(*module, *config, get("/", {{"X-C", h}}));
    EXPECT_EQ(v.outcome, Outcome::kContinue) << h;
    EXPECT_EQ(v.challenge, kind) << h;
    EXPECT_EQ(v.challenge_rule, std::string("c") + h);
    EXPECT_EQ(v.rules, Strings{std::string("c") + h});
    EXPECT_EQ(v.status, 0);
  }
  EXPECT_EQ(run(*module, *config, get("/")).challenge, ChallengeKind::kNone);
}

TEST(Firewall, UnservedChallengeIsRefusedByThePipeline) {
  // the same path is also redirected by the site (transform phase, after bot)
  auto yaml = config_yaml(
      {}, {R"({id: chal, expression: 'http.request.uri.path eq "/old"', action: challenge})"});
  yaml.replace(yaml.find("    firewall:"), 0,
               "    redirects: [{from: /old, to: /new, status: 301}]\n");
  auto config = load_config(yaml);
  rampart::pipeline::ModuleRegistry registry;
  rampart::modules::register_builtin_modules(registry);
  std::vector<Diagnostic> errors;
  auto pipeline = rampart::pipeline::Pipeline::build(*config, registry, errors);
  ASSERT_TRUE(errors.empty());
  auto request = make_request(*config, get("/old"));
  EXPECT_EQ(pipeline->run_request(*request->ctx), RequestResult::kRespond);
  EXPECT_EQ(request->ctx->local_response.status, 403);
  EXPECT_EQ(request->ctx->local_response.location, "");
  EXPECT_EQ(request->ctx->local_response.reason, "challenge");

  auto plain = make_request(*config, get("/new"));
  EXPECT_EQ(pipeline->run_request(*plain->ctx), RequestResult::kForward);
}

// --- redirect --------------------------------------------------------------------------------

TEST(Firewall, RedirectLiteralTargets) {
  auto config = load_config(config_yaml(
      {}, {R"({id: keep, expression: 'http.request.uri.path eq "/a"', action: redirect,
           action_parameters: {target_url: "https://new.example/a", status_code: 301,
                               preserve_query_string: true}})",
           R"({id: keep-amp, expression: 'http.request.uri.path eq "/b"', action: redirect,
           action_parameters: {target_url: "/b2?from=b", preserve_query_string: true}})",
           R"({id: drop, expression: 'http.request.uri.path eq "/c"', action: redirect,
           action_parameters: {target_url: /c2}})",
           R"({id: fragment, expression: 'http.request.uri.path eq "/d"', action: redirect,
           action_parameters: {target_url: "/docs#intro", preserve_query_string: true}})"}));
  auto module = build(*config);
  Verdict v = run(*module, *config, get("/a?x=1&y=2"));
  EXPECT_EQ(v.outcome, Outcome::kRespond);
  EXPECT_EQ(v.status, 301);
  EXPECT_EQ(v.location, "https://new.example/a?x=1&y=2");
  EXPECT_EQ(v.reason, "redirect");
  EXPECT_EQ(v.body, "");
  EXPECT_EQ(v.rules, Strings{"keep"});
  EXPECT_EQ(v.verdicts, Strings{"firewall=redirect"});
  EXPECT_EQ(run(*module, *config, get("/a")).location, "https://new.example/a");
  EXPECT_EQ(run(*module, *config, get("/b?x=1")).location, "/b2?from=b&x=1");
  v = run(*module, *config, get("/c?x=1"));
  EXPECT_EQ(v.status, 302);
  EXPECT_EQ(v.location, "/c2");
  // a target with a fragment (the config allows one) keeps it last
  v = run(*module, *config, get("/d?x=1"));
  EXPECT_EQ(v.outcome, Outcome::kRespond);
  EXPECT_EQ(v.location, "/docs?x=1#intro");
  EXPECT_EQ(run(*module, *config, get("/d")).location, "/docs#intro");
}

TEST(Firewall, RedirectComputedTargets) {
  auto config = load_config(config_yaml(
      {},
      {R"({id: https, expression: 'starts_with(http.request.uri.path, "/s/")', action: redirect,
           action_parameters: {target_url: {expression: 'concat("https://", http.host, http.request.uri.path)'},
                               status_code: 308, preserve_query_string: true}})",
       R"({id: slash, expression: 'not ends_with(http.request.uri.path, "/")', action: redirect,
           action_parameters: {target_url: {expression: 'concat(http.request.uri.path, "/")'}}})",
       R"({id: later, expression: 'http.request.uri.path eq "//evil.example"', action: block})"}));
  auto module = build(*config);
  RequestSpec s = get("/s/x?q=1");
  s.host = "Shop.Example:8443";
  Verdict v = run(*module, *config, s);
  EXPECT_EQ(v.status, 308);
  EXPECT_EQ(v.location, "https://shop.example/s/x?q=1");
  EXPECT_EQ(run(*module, *config, get("/dir")).location, "/dir/");

  // A computed target is held to what a written one must be: a path that browsers
  // would read as another host ("//host") is not sent. The rule fails; the rules after
  // it still run.
  for (const char* path : {"//evil.example", "/\\evil.example"}) {
    v = run(*module, *config, get(path));
    EXPECT_EQ(v.location, "") << path;
    EXPECT_NE(v.status, 302) << path;
  }
  v = run(*module, *config, get("//evil.example"));
  EXPECT_EQ(v.outcome, Outcome::kRespond);
  EXPECT_EQ(v.rules, (Strings{"slash", "later"}));
  EXPECT_EQ(v.status, 403);
  v = run(*module, *config, get("/\\evil.example"));
  EXPECT_EQ(v.outcome, Outcome::kError);  // the failure is the module's, for its fail mode
}

// --- rewrite -------------------------------------------------------------------------------

TEST(Firewall, RewriteChangesTheTargetSentUpstream) {
  auto config = load_config(config_yaml(
      {R"({id: v1, expression: 'starts_with(http.request.uri.path, "/v1/")', action: rewrite,
           action_parameters: {path: {expression: 'substring(http.request.uri.path, 3)'}}})"},
      {R"({id: tag, expression: 'starts_with(http.request.uri.path, "/v1/")', action: rewrite,
           action_parameters: {query: source=v1}})",
       R"({id: drop-query, expression: 'http.request.uri.args["drop"] eq "1"', action: rewrite,
           action_parameters: {query: ""}})",
       R"({id: both, expression: 'http.request.uri.path eq "/both"', action: rewrite,
           action_parameters: {path: /echo, query: {expression: 'concat("was=", http.request.uri.query)'}}})",
       R"({id: sees-original, expression: 'starts_with(http.request.uri.path, "/v1/")', action: log})"}));
  auto module = build(*config);
  Verdict v = run(*module, *config, get("/v1/items?page=2"));
  EXPECT_EQ(v.outcome, Outcome::kContinue);
  // the second rewrite builds on the first; later rules still see the client's path
  EXPECT_EQ(v.rewritten, "/items?source=v1");
  EXPECT_EQ(v.rules, (Strings{"v1", "tag", "sees-original"}));
  EXPECT_EQ(v.verdicts, Strings{"firewall=rewrite"});
  EXPECT_EQ(v.status, 0);

  EXPECT_EQ(run(*module, *config, get("/list?drop=1&x=2")).rewritten, "/list");
  EXPECT_EQ(run(*module, *config, get("/both?a=1")).rewritten, "/echo?was=a=1");
  EXPECT_EQ(run(*module, *config, get("/untouched?a=1")).rewritten, "");
}

TEST(Firewall, UnusableRewriteValueDoesNotSkipLaterRules) {
  auto config = load_config(config_yaml(
      {R"({id: from-header, expression: 'http.request.headers["x-path"] ne ""', action: rewrite,
           action_parameters: {path: {expression: 'http.request.headers["x-path"][0]'}}})"},
      {R"({id: secret, expression: 'http.request.uri.path eq "/secret"', action: block})"}));
  auto module = build(*config);
  EXPECT_EQ(run(*module, *config, get("/x", {{"X-Path", "/y"}})).rewritten, "/y");
  // "no-slash" is no path: the rewrite fails, and the block after it still decides
  Verdict v = run(*module, *config, get("/secret", {{"X-Path", "no-slash"}}));
  EXPECT_EQ(v.outcome, Outcome::kRespond);
  EXPECT_EQ(v.status, 403);
  EXPECT_EQ(v.rules, (Strings{"from-header", "secret"}));
  // with nothing later to decide, the failure is reported for the fail mode
  v = run(*module, *config, get("/public", {{"X-Path", "no-slash"}}));
  EXPECT_EQ(v.outcome, Outcome::kError);
  EXPECT_EQ(v.rewritten, "");
}

TEST(Firewall, FailModeDecidesAfterARuleFailure) {
  std::string rules_yaml = config_yaml({R"({id: bad-rewrite, expression: 'true', action: rewrite,
           action_parameters: {path: {expression: 'http.request.headers["x-path"][0]'}}})"},
                                       {});
  rampart::pipeline::ModuleRegistry registry;
  rampart::modules::register_builtin_modules(registry);
  for (bool closed : {false, true}) {
    std::string yaml = rules_yaml;
    if (closed) yaml = "modules: {firewall: {fail_mode: closed}}\n" + yaml;
    auto config = load_config(yaml);
    std::vector<Diagnostic> errors;
    auto pipeline = rampart::pipeline::Pipeline::build(*config, registry, errors);
    ASSERT_TRUE(errors.empty());
    auto request = make_request(*config, get("/x", {{"X-Path", "bad"}}));
    RequestResult result = pipeline->run_request(*request->ctx);
    EXPECT_EQ(result, closed ? RequestResult::kRespond : RequestResult::kForward);
    EXPECT_EQ(request->ctx->local_response.status, closed ? 503 : 0);
    EXPECT_EQ(request->ctx->rewritten_target, "");
    EXPECT_EQ(summarize(Outcome::kContinue, *request->ctx).verdicts,
              Strings{closed ? "firewall=error-closed" : "firewall=error-skipped"});
    EXPECT_EQ(pipeline->stats().at(0).failures, 1u);
  }
}

// --- order ----------------------------------------------------------------------------------

TEST(Firewall, ConfigWideRulesRunFirstAndTheFirstTerminatingActionWins) {
  auto config = load_config(config_yaml(
      {R"({id: g-log, expression: 'true', action: log})",
       R"({id: g-block, expression: 'http.request.uri.path eq "/both"', action: block,
           action_parameters: {status_code: 401}})"},
      {R"({id: s-redirect, expression: 'starts_with(http.request.uri.path, "/both")', action: redirect,
           action_parameters: {target_url: /elsewhere}})",
       R"({id: s-block, expression: 'true', action: block, action_parameters: {status_code: 402}})"},
      {R"({id: o-block, expression: 'true', action: block, action_parameters: {status_code: 404}})"}));
  auto module = build(*config);
  Verdict v = run(*module, *config, get("/both"));
  EXPECT_EQ(v.status, 401);
  EXPECT_EQ(v.rules, (Strings{"g-log", "g-block"}));
  v = run(*module, *config, get("/both/more"));
  EXPECT_EQ(v.status, 302);
  EXPECT_EQ(v.rules, (Strings{"g-log", "s-redirect"}));
  EXPECT_EQ(run(*module, *config, get("/x")).status, 402);

  // the other site has its own rules; a request with no site only the config-wide ones
  RequestSpec o = get("/x");
  o.site = 1;
  EXPECT_EQ(run(*module, *config, o).rules, (Strings{"g-log", "o-block"}));
  RequestSpec none = get("/x");
  none.site = -1;
  v = run(*module, *config, none);
  EXPECT_EQ(v.outcome, Outcome::kContinue);
  EXPECT_EQ(v.rules, Strings{"g-log"});
  none.target = "/both";
  EXPECT_EQ(run(*module, *config, none).status, 401);
}

TEST(Firewall, DisabledRuleNeverMatches) {
  auto config = load_config(config_yaml(
      {}, {R"({id: dis-off, expression: 'true', action: block, enabled: false})",
           R"({id: dis-off-log, expression: 'true', action: log, enabled: false})",
           R"({id: dis-on, expression: 'http.request.uri.path eq "/on"', action: block})"}));
  auto module = build(*config);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(run(*module, *config, get("/x")), Verdict{});
  EXPECT_EQ(run(*module, *config, get("/on")).rules, Strings{"dis-on"});
  EXPECT_EQ(counter(*module, "dis-off"), 0u);
  EXPECT_EQ(counter(*module, "dis-off-log"), 0u);
  EXPECT_EQ(counter(*module, "dis-on"), 1u);
}

// --- counters ---------------------------------------------------------------------------------

TEST(Firewall, CountersCountMatchesAndCarryOverRebuilds) {
  Rules site = {R"({id: cnt-log, expression: 'http.request.uri.path eq "/l"', action: log})",
                R"({id: cnt-quiet, expression: 'http.request.uri.path eq "/q"', action: block,
                    logging: false})"};
  auto config = load_config(config_yaml(
      {R"({id: cnt-global, expression: 'starts_with(http.request.uri.path, "/")', action: log})"},
      site));
  auto module = build(*config);
  std::vector<rampart::pipeline::CounterSample> samples;
  module->collect_counters(samples);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].label_value, "cnt-global");  // config-wide first, then by site
  EXPECT_EQ(samples[1].label_value, "cnt-log");
  EXPECT_EQ(samples[2].label_value, "cnt-quiet");
  for (const auto& s : samples) {
    EXPECT_EQ(s.metric, "rampart_rule_matches_total");
    EXPECT_EQ(s.label, "rule");
    EXPECT_EQ(s.value, 0u);
    EXPECT_FALSE(s.help.empty());
  }

  for (int i = 0; i < 3; ++i) run(*module, *config, get("/l"));
  Verdict quiet = run(*module, *config, get("/q"));
  EXPECT_EQ(quiet.status, 403);
  EXPECT_EQ(quiet.rules, Strings{"cnt-global"});  // logging: false is not listed...
  EXPECT_EQ(counter(*module, "cnt-quiet"), 1u);   // ...but counted
  EXPECT_EQ(counter(*module, "cnt-log"), 3u);
  EXPECT_EQ(counter(*module, "cnt-global"), 4u);

  // a new snapshot (a reload) with the same ids continues the counts
  site.push_back(R"({id: cnt-new, expression: 'true', action: log})");
  auto reloaded = load_config(config_yaml({}, site));
  auto module2 = build(*reloaded);
  EXPECT_EQ(counter(*module2, "cnt-log"), 3u);
  EXPECT_EQ(counter(*module2, "cnt-new"), 0u);
  run(*module2, *reloaded, get("/l"));
  EXPECT_EQ(counter(*module2, "cnt-log"), 4u);
  EXPECT_EQ(counter(*module, "cnt-log"), 4u);  // the old snapshot shares the counter
}

// --- compile errors ---------------------------------------------------------------------------
}  // namespace
