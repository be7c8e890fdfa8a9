// The firewall module, built from configs the loader read: what each action does to
// the request context, the order rules run in, the rule index against a plain scan,
// match counters, and compile errors as positioned diagnostics.

#include "modules/firewall/firewall_module.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "http/h1_parser.h"
#include "modules/builtin.h"
#include "modules/firewall/compiled_rules.h"
#include "pipeline/pipeline.h"
#include "unit/config/config_test_util.h"

namespace {

using rampart::config::Config;
using rampart::config::Diagnostic;
using rampart::config::LoadResult;
using rampart::http::Header;
using rampart::modules::firewall::build_firewall_module;
using rampart::pipeline::ChallengeKind;
using rampart::pipeline::Module;
using rampart::pipeline::Outcome;
using rampart::pipeline::Phase;
using rampart::pipeline::RequestContext;
using rampart::pipeline::RequestResult;

using Rules = std::vector<std::string>;  // one flow-style YAML map per rule
using Headers = std::vector<std::pair<std::string, std::string>>;

void append_rules(std::string& out, std::string_view indent, const Rules& rules) {
  out += std::string(indent) + "  rules:";
  if (rules.empty()) {
    out += " []\n";
    return;
  }
  out += "\n";
  for (const std::string& r : rules) out += std::string(indent) + "    - " + r + "\n";
}

// A config with the config-wide `global` rules, a site "shop" (index 0) with `shop`
// and a site "other" (index 1) with `other`.
std::string config_yaml(const Rules& global, const Rules& shop, const Rules& other = {},
                        std::string_view extra = "") {
  std::string y =
      "listeners: [{address: 127.0.0.1:8080}]\n"
      "lists:\n"
      "  office: {items: [192.0.2.0/24, \"2001:db8::/32\"]}\n";
  y += extra;
  y += "firewall:\n";
  append_rules(y, "", global);
  y += "sites:\n";
  y += "  - name: shop\n    hosts: [shop.example]\n    origin: {endpoints: [127.0.0.1:1]}\n";
  y += "    firewall:\n";
  append_rules(y, "    ", shop);
  y += "  - name: other\n    hosts: [other.example]\n    origin: {endpoints: [127.0.0.1:1]}\n";
  y += "    firewall:\n";
  append_rules(y, "    ", other);
  return y;
}

std::shared_ptr<const Config> load_config(const std::string& yaml) {
  LoadResult r = rampart::config::load_string(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << rampart::config::testing::all_errors(r) << yaml;
  return r.config;
}

std::unique_ptr<Module> build(const Config& config) {
  std::vector<Diagnostic> errors;
  auto module = build_firewall_module(config, errors);
  for (const auto& e : errors) ADD_FAILURE() << e.to_string();
  EXPECT_NE(module, nullptr);
  return module;
}

// One parsed request and the context the pipeline would hand the module.
struct Request {
  std::string text;
  rampart::http::RequestHead head;
  std::vector<Header> upstream;
  std::unique_ptr<RequestContext> ctx;
};

struct RequestSpec {
  std::string method = "GET";
  std::string target = "/";
  Headers headers;
  std::string ip = "203.0.113.1";
  std::string host = "shop.example";
  int site = 0;  // -1: no site
};

std::unique_ptr<Request> make_request(const Config& config, const RequestSpec& spec) {
  auto r = std::make_unique<Request>();
  r->text = spec.method + " " + spec.target + " HTTP/1.1\r\nHost: " + spec.host + "\r\n";
  for (const auto& [name, value] : spec.headers) r->text += name + ": " + value + "\r\n";
  r->text += "\r\n";
  auto parsed = rampart::http::parse_request_head(r->text, {}, r->head);
  EXPECT_EQ(parsed.status, rampart::http::ParseStatus::kComplete) << r->text;
  r->upstream = r->head.headers;
  r->ctx = std::make_unique<RequestContext>(config, r->head, r->upstream);
  RequestContext& ctx = *r->ctx;
  if (spec.site >= 0) {
    ctx.site = &config.sites.at(static_cast<size_t>(spec.site));
    ctx.site_index = static_cast<size_t>(spec.site);
  }
  auto ip = rampart::core::IpAddress::parse(spec.ip);
  EXPECT_TRUE(ip.has_value()) << spec.ip;
  ctx.client_ip = ip.value_or(ctx.client_ip);
  ctx.facts.head = &r->head;
  ctx.facts.client_ip = ctx.client_ip;
  return r;
}

// Everything the module may decide about a request, comparable and printable.
struct Verdict {
  Outcome outcome = Outcome::kContinue;
  int status = 0;
  std::string content_type;
  std::string body;
  std::string location;
  std::string reason;
  std::string rewritten;
  ChallengeKind challenge = ChallengeKind::kNone;
  std::string challenge_rule;
  std::vector<std::string> rules;
  std::vector<std::string> verdicts;
  std::vector<std::string> skipped_phases;

  bool operator==(const Verdict&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Verdict& v) {
  os << "{outcome " << static_cast<int>(v.outcome) << ", status " << v.status << ", type \""
     << v.content_type << "\", body \"" << v.body << "\", location \"" << v.location
     << "\", reason \"" << v.reason << "\", rewritten \"" << v.rewritten << "\", challenge "
     << static_cast<int>(v.challenge) << " by \"" << v.challenge_rule << "\", rules [";
  for (const auto& r : v.rules) os << r << " ";
  os << "], verdicts [";
  for (const auto& r : v.verdicts) os << r << " ";
  os << "], skipped [";
  for (const auto& r : v.skipped_phases) os << r << " ";
  return os << "]}";
}

Verdict summarize(Outcome outcome, const RequestContext& ctx) {
  Verdict v;
  v.outcome = outcome;
  v.status = ctx.local_response.status;
  v.content_type = ctx.local_response.content_type;
  v.body = ctx.local_response.body;
  v.location = ctx.local_response.location;
  v.reason = std::string(ctx.local_response.reason);
  v.rewritten = std::string(ctx.rewritten_target);
  v.challenge = ctx.challenge;
  v.challenge_rule = std::string(ctx.challenge_rule);
  for (auto r : ctx.matched_rules()) v.rules.emplace_back(r);
  for (const auto& r : ctx.verdicts()) {
    v.verdicts.push_back(std::string(r.module) + "=" + std::string(r.verdict));
  }
  for (size_t p = 0; p < rampart::pipeline::kPhaseNames.size(); ++p) {
    if (ctx.phase_skipped(static_cast<Phase>(p))) {
      v.skipped_phases.emplace_back(rampart::pipeline::kPhaseNames[p]);
    }
  }
  return v;
}

Verdict run(const Module& module, const Config& config, const RequestSpec& spec) {
  auto request = make_request(config, spec);
  Outcome outcome = module.on_request(*request->ctx);
  return summarize(outcome, *request->ctx);
}

RequestSpec get(std::string target, Headers headers = {}) {
  RequestSpec s;
  s.target = std::move(target);
  s.headers = std::move(headers);
  return s;
}

uint64_t counter(const Module& module, std::string_view id) {
  std::vector<rampart::pipeline::CounterSample> samples;
  module.collect_counters(samples);
  for (const auto& s : samples) {
    if (s.metric == "rampart_rule_matches_total" && s.label == "rule" && s.label_value == id) {
      return s.value;
    }
  }
  ADD_FAILURE() << "no counter for rule " << id;
  return 0;
}

using Strings = std::vector<std::string>;

// --- basics --------------------------------------------------------------------------

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
