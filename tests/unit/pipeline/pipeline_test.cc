// The pipeline's policy around modules: phase order, kill switches, fail modes,
// exceptions, early responses and which modules see the response phase.

#include "pipeline/pipeline.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/log.h"
#include "http/h1_parser.h"
#include "pipeline/phase.h"

namespace {

using rampart::config::Config;
using rampart::config::Diagnostic;
using rampart::config::FailMode;
using rampart::config::ModuleSettings;
using rampart::pipeline::Module;
using rampart::pipeline::ModuleRegistry;
using rampart::pipeline::Outcome;
using rampart::pipeline::Phase;
using rampart::pipeline::Pipeline;
using rampart::pipeline::RequestContext;
using rampart::pipeline::RequestResult;

// What a test module does in a hook.
enum class Act { kContinue, kRespond, kError, kThrowStd, kThrowOther };

struct Trace {
  std::vector<std::string> events;  // "name:request", "name:response", "name:log"
  int builds = 0;
};

Outcome act(Act a) {
  switch (a) {
    case Act::kContinue:
      return Outcome::kContinue;
    case Act::kRespond:
      return Outcome::kRespond;
    case Act::kError:
      return Outcome::kError;
    case Act::kThrowStd:
      throw std::runtime_error("module blew up");
    case Act::kThrowOther:
      throw 42;
  }
  return Outcome::kContinue;
}

class TestModule final : public Module {
 public:
  TestModule(std::string_view name, Phase phase, Act on_request, bool wants_response,
             Act on_response, Trace* trace)
      : name_(name),
        phase_(phase),
        request_(on_request),
        wants_response_(wants_response),
        response_(on_response),
        trace_(trace) {}

  std::string_view name() const override { return name_; }
  Phase phase() const override { return phase_; }
  bool wants_response() const override { return wants_response_; }

  Outcome on_request(RequestContext& ctx) const override {
    trace_->events.push_back(std::string(name_) + ":request");
    if (request_ == Act::kRespond) {
      ctx.local_response.status = 302;
      ctx.local_response.location = "/elsewhere";
      ctx.local_response.reason = "test";
    }
    ctx.record(name_, "ran");
    return act(request_);
  }
  Outcome on_response(RequestContext& ctx) const override {
    trace_->events.push_back(std::string(name_) + ":response");
    return act(response_);
  }
  void on_log(const RequestContext&) const noexcept override {
    trace_->events.push_back(std::string(name_) + ":log");
  }

 private:
  std::string_view name_;
  Phase phase_;
  Act request_;
  bool wants_response_;
  Act response_;
  Trace* trace_;
};

struct ModuleSpec {
  std::string_view name;  // a literal: descriptors keep views
  Phase phase;
  Act on_request = Act::kContinue;
  bool wants_response = false;
  Act on_response = Act::kContinue;
};

void add(ModuleRegistry& registry, const ModuleSpec& spec, Trace& trace) {
  registry.add({spec.phase, spec.name,
                [spec, &trace](const Config&, std::vector<Diagnostic>&) -> std::unique_ptr<Module> {
                  ++trace.builds;
                  return std::make_unique<TestModule>(spec.name, spec.phase, spec.on_request,
                                                      spec.wants_response, spec.on_response,
                                                      &trace);
                }});
}

// One parsed request and the context around it.
class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rampart::core::set_log_level(rampart::core::LogLevel::kOff);
    config_.source = "test.yaml";
    config_.version = "v1";
    auto result = rampart::http::parse_request_head(kRequest, {}, head_);
    ASSERT_EQ(result.status, rampart::http::ParseStatus::kComplete);
  }

  std::unique_ptr<Pipeline> build() {
    auto pipeline = Pipeline::build(config_, registry_, errors_);
    EXPECT_TRUE(pipeline != nullptr);
    return pipeline;
  }

  RequestContext& context() {
    ctx_ = std::make_unique<RequestContext>(config_, head_, upstream_headers_);
    return *ctx_;
  }

  static std::vector<std::string> verdicts(const RequestContext& ctx) {
    std::vector<std::string> out;
    for (const auto& v : ctx.verdicts())
      out.push_back(std::string(v.module) + "=" + std::string(v.verdict));
    return out;
  }

  static constexpr std::string_view kRequest =
      "GET /path?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n";

  Config config_;
  ModuleRegistry registry_;
  Trace trace_;
  std::vector<Diagnostic> errors_;
  rampart::http::RequestHead head_;
  std::vector<rampart::http::Header> upstream_headers_;
  std::unique_ptr<RequestContext> ctx_;
};

using Events = std::vector<std::string>;

TEST_F(PipelineTest, ModulesRunInPhaseOrderRegardlessOfRegistrationOrder) {
  add(registry_, {"transform", Phase::kTransform}, trace_);
  add(registry_, {"waf", Phase::kWaf}, trace_);
  add(registry_, {"normalize", Phase::kNormalize}, trace_);
  add(registry_, {"firewall", Phase::kFirewall}, trace_);
  add(registry_, {"ip_access", Phase::kIpAccess}, trace_);
  auto pipeline = build();
  EXPECT_TRUE(errors_.empty());
  ASSERT_EQ(pipeline->size(), 5u);
  EXPECT_EQ(pipeline->names(), (std::vector<std::string_view>{"normalize", "ip_access", "firewall",
                                                              "waf", "transform"}));
  RequestContext& ctx = context();
  EXPECT_EQ(pipeline->run_request(ctx), RequestResult::kForward);
  EXPECT_EQ(trace_.events, (Events{"normalize:request", "ip_access:request", "firewall:request",
                                   "waf:request", "transform:request"}));
}

TEST_F(PipelineTest, SamePhaseKeepsRegistrationOrder) {
  add(registry_, {"second", Phase::kWaf}, trace_);
  add(registry_, {"late", Phase::kOrigin}, trace_);
  add(registry_, {"first", Phase::kWaf}, trace_);
  add(registry_, {"early", Phase::kNormalize}, trace_);
  auto pipeline = build();
  EXPECT_EQ(pipeline->names(), (std::vector<std::string_view>{"early", "second", "first", "late"}));
}

TEST_F(PipelineTest, EmptyRegistryForwards) {
  auto pipeline = build();
  EXPECT_EQ(pipeline->size(), 0u);
  RequestContext& ctx = context();
  EXPECT_EQ(pipeline->run_request(ctx), RequestResult::kForward);
  pipeline->run_response(ctx);
  EXPECT_TRUE(ctx.verdicts().empty());
}

TEST_F(PipelineTest, KillSwitchDisabledModuleIsNotBuiltNorRun) {
  add(registry_, {"a", Phase::kNormalize}, trace_);
  add(registry_, {"b", Phase::kFirewall, Act::kError, true}, trace_);
  add(registry_, {"c", Phase::kWaf}, trace_);
  config_.modules["b"] = ModuleSettings{.enabled = false, .fail_mode = FailMode::kClosed};
  config_.modules["c"] = ModuleSettings{.enabled = true, .fail_mode = FailMode::kOpen};
  auto pipeline = build();
  EXPECT_TRUE(errors_.empty());
  EXPECT_EQ(trace_.builds, 2);  // b's factory was never called
  EXPECT_EQ(pipeline->names(), (std::vector<std::string_view>{"a", "c"}));
  RequestContext& ctx = context();
  EXPECT_EQ(pipeline->run_request(ctx), RequestResult::kForward);
  pipeline->run_response(ctx);
  pipeline->run_log(ctx);
  EXPECT_EQ(trace_.events, (Events{"a:request", "c:request", "a:log", "c:log"}));
  auto stats = pipeline->stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].name, "a");
  EXPECT_EQ(stats[1].name, "c");
}

TEST_F(PipelineTest, SettingsForOtherModulesDoNotDisableUnlistedOnes) {
  add(registry_, {"a", Phase::kNormalize}, trace_);
  config_.modules["unrelated"] = ModuleSettings{.enabled = false};
  auto pipeline = build();
  EXPECT_EQ(pipeline->names(), (std::vector<std::string_view>{"a"}));
}

TEST_F(PipelineTest, ErrorWithFailOpenIsSkippedAndCounted) {
  add(registry_, {"a", Phase::kNormalize}, trace_);
  add(registry_, {"broken", Phase::kFirewall, Act::kError}, trace_);
  add(registry_, {"c", Phase::kWaf}, trace_);
  auto pipeline = build();
  RequestContext& ctx = context();
  EXPECT_EQ(pipeline->run_request(ctx), RequestResult::kForward);
  EXPECT_EQ(trace_.events, (Events{"a:request", "broken:request", "c:request"}));
  EXPECT_EQ(verdicts(ctx), (Events{"a=ran", "broken=ran", "broken=error-skipped", "c=ran"}));
  EXPECT_EQ(ctx.local_response.status, 0);

  auto stats = pipeline->stats();
  ASSERT_EQ(stats.size(), 3u);
  EXPECT_EQ(stats[1].name, "broken");
  EXPECT_EQ(stats[1].failures, 1u);
  EXPECT_FALSE(stats[1].fail_closed);
  EXPECT_EQ(stats[0].failures, 0u);
  EXPECT_EQ(stats[2].failures, 0u);

  // The counter accumulates across requests.
  RequestContext& again = context();
  EXPECT_EQ(pipeline->run_request(again), RequestResult::kForward);
  EXPECT_EQ(pipeline->stats()[1].failures, 2u);
}

TEST_F(PipelineTest, ExplicitFailOpenSettingBehavesLikeDefault) {
  add(registry_, {"broken", Phase::kFirewall, Act::kError}, trace_);
  add(registry_, {"c", Phase::kWaf}, trace_);
  config_.modules["broken"] = ModuleSettings{.enabled = true, .fail_mode = FailMode::kOpen};
  auto pipeline = build();
  RequestContext& ctx = context();
  EXPECT_EQ(pipeline->run_request(ctx), RequestResult::kForward);
  EXPECT_EQ(trace_.events, (Events{"broken:request", "c:request"}));
}

TEST_F(PipelineTest, ErrorWithFailClosedAnswers503AndStops) {
  add(registry_, {"setter", Phase::kNormalize}, trace_);
  add(registry_, {"broken", Phase::kFirewall, Act::kError}, trace_);
  add(registry_, {"c", Phase::kWaf}, trace_);
  config_.modules["broken"] = ModuleSettings{.enabled = true, .fail_mode = FailMode::kClosed};
  auto pipeline = build();
  RequestContext& ctx = context();
  // Left over from an earlier module: a fail-closed answer must not carry it.
  ctx.local_response.location = "/stale";
  ctx.local_response.body = "stale";
  EXPECT_EQ(pipeline->run_request(ctx), RequestResult::kRespond);
  EXPECT_EQ(ctx.local_response.status, 503);
  EXPECT_EQ(ctx.local_response.reason, "module_failed");
  EXPECT_EQ(ctx.local_response.location, "");
  EXPECT_EQ(ctx.local_response.body, "");
  EXPECT_EQ(trace_.events, (Events{"setter:request", "broken:request"}));
  EXPECT_EQ(verdicts(ctx), (Events{"setter=ran", "broken=ran", "broken=error-closed"}));
  auto stats = pipeline->stats();
  ASSERT_EQ(stats.size(), 3u);
  EXPECT_EQ(stats[1].failures, 1u);
  EXPECT_TRUE(stats[1].fail_closed);
  EXPECT_FALSE(stats[0].fail_closed);
}

TEST_F(PipelineTest, StdExceptionIsTreatedAsErrorFailOpen) {
  add(registry_, {"thrower", Phase::kFirewall, Act::kThrowStd}, trace_);
  add(registry_, {"c", Phase::kWaf}, trace_);
  auto pipeline = build();
  RequestContext& ctx = context();
  RequestResult result = RequestResult::kRespond;
  EXPECT_NO_THROW(result = pipeline->run_request(ctx));
  EXPECT_EQ(result, RequestResult::kForward);
  EXPECT_EQ(trace_.events, (Events{"thrower:request", "c:request"}));
  EXPECT_EQ(verdicts(ctx), (Events{"thrower=ran", "thrower=error-skipped", "c=ran"}));
  EXPECT_EQ(pipeline->stats()[0].failures, 1u);
}

TEST_F(PipelineTest, NonStdExceptionIsTreatedAsErrorFailClosed) {
  add(registry_, {"thrower", Phase::kFirewall, Act::kThrowOther}, trace_);
  add(registry_, {"c", Phase::kWaf}, trace_);
  config_.modules["thrower"] = ModuleSettings{.enabled = true, .fail_mode = FailMode::kClosed};
  auto pipeline = build();
  RequestContext& ctx = context();
  RequestResult result = RequestResult::kForward;
  EXPECT_NO_THROW(result = pipeline->run_request(ctx));
  EXPECT_EQ(result, RequestResult::kRespond);
  EXPECT_EQ(ctx.local_response.status, 503);
  EXPECT_EQ(trace_.events, (Events{"thrower:request"}));
  EXPECT_EQ(pipeline->stats()[0].failures, 1u);
}

TEST_F(PipelineTest, RespondStopsLaterModules) {
  add(registry_, {"a", Phase::kNormalize}, trace_);
  add(registry_, {"c", Phase::kOrigin}, trace_);
  add(registry_, {"redirector", Phase::kTransform, Act::kRespond}, trace_);
  auto pipeline = build();
  RequestContext& ctx = context();
  EXPECT_EQ(pipeline->run_request(ctx), RequestResult::kRespond);
  EXPECT_EQ(trace_.events, (Events{"a:request", "redirector:request"}));
  // The module's own answer is kept as is.
  EXPECT_EQ(ctx.local_response.status, 302);
  EXPECT_EQ(ctx.local_response.location, "/elsewhere");
  EXPECT_EQ(ctx.local_response.reason, "test");
  for (const auto& s : pipeline->stats()) EXPECT_EQ(s.failures, 0u) << s.name;
}

TEST_F(PipelineTest, ResponseHooksRunOnlyForModulesThatWantThem) {
  add(registry_, {"compress", Phase::kCompression, Act::kContinue, true}, trace_);
  add(registry_, {"quiet", Phase::kFirewall}, trace_);
  add(registry_, {"headers", Phase::kTransform, Act::kContinue, true}, trace_);
  auto pipeline = build();
  RequestContext& ctx = context();
  std::vector<rampart::http::Header> response_headers;
  ctx.response_status = 200;
  ctx.response_headers = &response_headers;
  EXPECT_EQ(pipeline->run_request(ctx), RequestResult::kForward);
  trace_.events.clear();
  pipeline->run_response(ctx);
  // In phase order, and "quiet" (no wants_response) is not called at all.
  EXPECT_EQ(trace_.events, (Events{"headers:response", "compress:response"}));
}

TEST_F(PipelineTest, FailingResponseHooksDoNotStopLaterOnes) {
  add(registry_, {"bad", Phase::kCacheStore, Act::kContinue, true, Act::kError}, trace_);
  add(registry_, {"thrower", Phase::kResponseTransform, Act::kContinue, true, Act::kThrowStd},
      trace_);
  add(registry_, {"after", Phase::kCompression, Act::kContinue, true}, trace_);
  config_.modules["bad"] = ModuleSettings{.enabled = true, .fail_mode = FailMode::kClosed};
  auto pipeline = build();
  RequestContext& ctx = context();
  EXPECT_NO_THROW(pipeline->run_response(ctx));
  EXPECT_EQ(trace_.events, (Events{"bad:response", "thrower:response", "after:response"}));
  EXPECT_EQ(verdicts(ctx), (Events{"bad=error-skipped", "thrower=error-skipped"}));
  EXPECT_EQ(ctx.local_response.status, 0);
  auto stats = pipeline->stats();
  ASSERT_EQ(stats.size(), 3u);
  EXPECT_EQ(stats[0].failures, 1u);
  EXPECT_EQ(stats[1].failures, 1u);
  EXPECT_EQ(stats[2].failures, 0u);
}

TEST_F(PipelineTest, RunLogCallsEveryModuleInOrder) {
  add(registry_, {"b", Phase::kWaf}, trace_);
  add(registry_, {"a", Phase::kNormalize}, trace_);
  auto pipeline = build();
  RequestContext& ctx = context();
  pipeline->run_log(ctx);
  EXPECT_EQ(trace_.events, (Events{"a:log", "b:log"}));
}

TEST_F(PipelineTest, FactoryReturningNullIsReportedAndLeftOut) {
  add(registry_, {"good", Phase::kNormalize}, trace_);
  registry_.add(
      {Phase::kWaf, "silent",
       [](const Config&, std::vector<Diagnostic>&) -> std::unique_ptr<Module> { return nullptr; }});
  registry_.add({Phase::kBot, "noisy",
                 [](const Config&, std::vector<Diagnostic>& errors) -> std::unique_ptr<Module> {
                   errors.push_back({"test.yaml", 3, 5, "bot list is empty"});
                   return nullptr;
                 }});
  auto pipeline = build();
  EXPECT_EQ(pipeline->names(), (std::vector<std::string_view>{"good"}));
  ASSERT_EQ(errors_.size(), 2u);
  // A factory that explains itself is not given a second, generic error.
  EXPECT_EQ(errors_[0].message, "bot list is empty");
  EXPECT_EQ(errors_[0].line, 3);
  EXPECT_EQ(errors_[1].message, "module silent failed to build");
  EXPECT_EQ(errors_[1].file, "test.yaml");
}

TEST(Phase, NamesRoundTrip) {
  EXPECT_EQ(rampart::pipeline::phase_name(Phase::kNormalize), "normalize");
  EXPECT_EQ(rampart::pipeline::phase_name(Phase::kTransform), "transform");
  EXPECT_EQ(rampart::pipeline::phase_name(Phase::kLog), "log");
  for (size_t i = 0; i < rampart::pipeline::kPhaseNames.size(); ++i) {
    auto phase = static_cast<Phase>(i);
    auto back = rampart::pipeline::phase_from_name(rampart::pipeline::phase_name(phase));
    ASSERT_TRUE(back.has_value()) << i;
    EXPECT_EQ(*back, phase);
  }
  EXPECT_FALSE(rampart::pipeline::phase_from_name("Normalize").has_value());
  EXPECT_FALSE(rampart::pipeline::phase_from_name("").has_value());
}

TEST(RequestContextVerdicts, RecordsAtMostSixteen) {
  Config config;
  rampart::http::RequestHead head;
  std::vector<rampart::http::Header> headers;
  RequestContext ctx(config, head, headers);
  for (int i = 0; i < 20; ++i) ctx.record("m", "v");
  EXPECT_EQ(ctx.verdicts().size(), 16u);
  std::string_view kept = ctx.keep(std::string(100, 'x'));
  for (int i = 0; i < 100; ++i) ctx.keep("filler");
  EXPECT_EQ(kept, std::string(100, 'x'));  // stable after more strings are kept
}

TEST(RequestContextKeep, CopiesStayIntactPastTheInlineRoom) {
  Config config;
  rampart::http::RequestHead head;
  std::vector<rampart::http::Header> headers;
  RequestContext ctx(config, head, headers);
  // Module-computed texts (a token id, the bot score's JSON) kept for the request:
  // short ones live in the context, later ones on the heap; all stay readable.
  std::vector<std::string> originals;
  std::vector<std::string_view> kept;
  for (int i = 0; i < 40; ++i) {
    originals.push_back(std::string(static_cast<size_t>(i + 1), static_cast<char>('a' + i % 26)));
    kept.push_back(ctx.keep_copy(originals.back()));
  }
  kept.push_back(ctx.keep_copy(std::string(1000, 'z')));
  for (size_t i = 0; i < originals.size(); ++i) {
    originals[i].assign(originals[i].size(), '#');  // the source may go away
    EXPECT_EQ(kept[i], std::string(i + 1, static_cast<char>('a' + i % 26))) << i;
  }
  EXPECT_EQ(kept.back(), std::string(1000, 'z'));
  EXPECT_TRUE(ctx.keep_copy("").empty());
}

}  // namespace

namespace {

// A module whose request hook runs a given function: for the rule-driven effects
// (skipped phases, challenges) that a real firewall rule would have.
class LambdaModule final : public Module {
 public:
  LambdaModule(std::string_view name, Phase phase, std::function<void(RequestContext&)> fn)
      : name_(name), phase_(phase), fn_(std::move(fn)) {}
  std::string_view name() const override { return name_; }
  Phase phase() const override { return phase_; }
  Outcome on_request(RequestContext& ctx) const override {
    fn_(ctx);
    ctx.record(name_, "ran");
    return Outcome::kContinue;
  }

 private:
  std::string_view name_;
  Phase phase_;
  std::function<void(RequestContext&)> fn_;
};

void add_lambda(ModuleRegistry& registry, std::string_view name, Phase phase,
                std::function<void(RequestContext&)> fn) {
  registry.add({phase, name, [=](const Config&, std::vector<Diagnostic>&) {
                  return std::unique_ptr<Module>(new LambdaModule(name, phase, fn));
                }});
}

TEST_F(PipelineTest, PhasesARuleSkippedDoNotRun) {
  add_lambda(registry_, "fw", Phase::kFirewall,
             [](RequestContext& ctx) { ctx.skip_phase(Phase::kRateLimit); });
  add_lambda(registry_, "rl", Phase::kRateLimit, [](RequestContext&) {});
  add_lambda(registry_, "waf", Phase::kWaf, [](RequestContext&) {});
  auto pipeline = build();
  RequestContext& ctx = context();
  EXPECT_EQ(pipeline->run_request(ctx), RequestResult::kForward);
  EXPECT_EQ(verdicts(ctx), (std::vector<std::string>{"fw=ran", "rl=skipped", "waf=ran"}));
}

TEST_F(PipelineTest, AChallengeNoModuleServedIsRefusedWith403) {
  add_lambda(registry_, "fw", Phase::kFirewall, [](RequestContext& ctx) {
    ctx.challenge = rampart::pipeline::ChallengeKind::kManagedChallenge;
    ctx.challenge_rule = "suspicious";
  });
  add_lambda(registry_, "transform", Phase::kTransform, [](RequestContext&) {});
  auto pipeline = build();
  RequestContext& ctx = context();
  EXPECT_EQ(pipeline->run_request(ctx), RequestResult::kRespond);
  EXPECT_EQ(ctx.local_response.status, 403);
  EXPECT_EQ(ctx.local_response.reason, "challenge");
}

TEST_F(PipelineTest, AChallengeAModuleServedIsNotOverridden) {
  add_lambda(registry_, "fw", Phase::kFirewall, [](RequestContext& ctx) {
    ctx.challenge = rampart::pipeline::ChallengeKind::kChallenge;
  });
  // What the bot phase will do: serve the page and clear the pending challenge.
  add_lambda(registry_, "bot", Phase::kBot,
             [](RequestContext& ctx) { ctx.challenge = rampart::pipeline::ChallengeKind::kNone; });
  auto pipeline = build();
  RequestContext& ctx = context();
  EXPECT_EQ(pipeline->run_request(ctx), RequestResult::kForward);
}

TEST_F(PipelineTest, MatchedRuleIdsAreKeptInOrderUpToTheCap) {
  RequestContext& ctx = context();
  for (int i = 0; i < 20; ++i) ctx.matched_rule(i % 2 ? "odd" : "even");
  ASSERT_EQ(ctx.matched_rules().size(), 16u);
  EXPECT_EQ(ctx.matched_rules()[0], "even");
  EXPECT_EQ(ctx.matched_rules()[1], "odd");
}

}  // namespace
