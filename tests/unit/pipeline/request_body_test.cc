// The request-body hook: which modules ask for the body, what each one sees of it, and
// the fail modes around on_request_body.

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/log.h"
#include "http/h1_parser.h"
#include "pipeline/pipeline.h"

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

enum class BodyAct { kBlockOnEvil, kError, kThrow };

struct Seen {
  std::string module;
  std::string body;
  bool truncated = false;
};

// Asks for `limit` bytes of every body and answers 403 when they contain "evil".
class BodyModule final : public Module {
 public:
  BodyModule(std::string_view name, Phase phase, size_t limit, BodyAct act, std::vector<Seen>* seen)
      : name_(name), phase_(phase), limit_(limit), act_(act), seen_(seen) {}

  std::string_view name() const override { return name_; }
  Phase phase() const override { return phase_; }
  Outcome on_request(RequestContext&) const override { return Outcome::kContinue; }
  size_t request_body_limit(const RequestContext&) const override { return limit_; }
  Outcome on_request_body(RequestContext& ctx, std::string_view body,
                          bool truncated) const override {
    seen_->push_back({std::string(name_), std::string(body), truncated});
    if (act_ == BodyAct::kError) return Outcome::kError;
    if (act_ == BodyAct::kThrow) throw std::runtime_error("body hook blew up");
    if (body.find("evil") == std::string_view::npos) return Outcome::kContinue;
    ctx.local_response.status = 403;
    ctx.local_response.reason = "body_blocked";
    return Outcome::kRespond;
  }

 private:
  std::string_view name_;
  Phase phase_;
  size_t limit_;
  BodyAct act_;
  std::vector<Seen>* seen_;
};

class RequestBodyHookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rampart::core::set_log_level(rampart::core::LogLevel::kOff);
    config_.source = "test.yaml";
    auto result = rampart::http::parse_request_head(
        "POST /form HTTP/1.1\r\nHost: example.com\r\nContent-Length: 10\r\n\r\n", {}, head_);
    ASSERT_EQ(result.status, rampart::http::ParseStatus::kComplete);
  }

  void add(std::string_view name, Phase phase, size_t limit, BodyAct act = BodyAct::kBlockOnEvil) {
    registry_.add({phase, name, [=, this](const Config&, std::vector<Diagnostic>&) {
                     return std::unique_ptr<Module>(
                         std::make_unique<BodyModule>(name, phase, limit, act, &seen_));
                   }});
  }

  void fail_closed(std::string_view name) {
    config_.modules[std::string(name)] =
        ModuleSettings{.enabled = true, .fail_mode = FailMode::kClosed};
  }

  std::unique_ptr<Pipeline> build() {
    auto pipeline = Pipeline::build(config_, registry_, errors_);
    EXPECT_TRUE(errors_.empty());
    ctx_ = std::make_unique<RequestContext>(config_, head_, upstream_headers_);
    return pipeline;
  }

  std::vector<std::string> verdicts() const {
    std::vector<std::string> out;
    for (const auto& v : ctx_->verdicts())
      out.push_back(std::string(v.module) + "=" + std::string(v.verdict));
    return out;
  }

  std::vector<std::string> seen_modules() const {
    std::vector<std::string> out;
    for (const Seen& s : seen_) out.push_back(s.module);
    return out;
  }

  Config config_;
  ModuleRegistry registry_;
  std::vector<Diagnostic> errors_;
  rampart::http::RequestHead head_;
  std::vector<rampart::http::Header> upstream_headers_;
  std::unique_ptr<RequestContext> ctx_;
  std::vector<Seen> seen_;
};

TEST_F(RequestBodyHookTest, NoModuleAskingMeansNoLimitAndNoCalls) {
  add("quiet", Phase::kWaf, 0);
  auto pipeline = build();
  EXPECT_EQ(pipeline->request_body_limit(*ctx_), 0u);
  EXPECT_EQ(pipeline->run_request_body(*ctx_, "evil", false), RequestResult::kForward);
  EXPECT_TRUE(seen_.empty());
}

TEST_F(RequestBodyHookTest, LimitIsTheLargestAskOfModulesNotSkipped) {
  add("small", Phase::kWaf, 16);
  add("large", Phase::kFirewall, 64);
  auto pipeline = build();
  EXPECT_EQ(pipeline->request_body_limit(*ctx_), 64u);
  ctx_->skip_phase(Phase::kFirewall);
  EXPECT_EQ(pipeline->request_body_limit(*ctx_), 16u);
  ctx_->skip_phase(Phase::kWaf);
  EXPECT_EQ(pipeline->request_body_limit(*ctx_), 0u);
}

TEST_F(RequestBodyHookTest, BodyWithEvilIsAnsweredByTheModule) {
  add("waf", Phase::kWaf, 16);
  auto pipeline = build();
  EXPECT_EQ(pipeline->run_request_body(*ctx_, "q=evil", false), RequestResult::kRespond);
  EXPECT_EQ(ctx_->local_response.status, 403);
  EXPECT_EQ(ctx_->local_response.reason, "body_blocked");
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].body, "q=evil");
  EXPECT_FALSE(seen_[0].truncated);
}

TEST_F(RequestBodyHookTest, CleanBodyGoesThroughEveryAskingModuleInPhaseOrder) {
  add("late", Phase::kTransform, 16);
  add("never", Phase::kBot, 0);
  add("early", Phase::kFirewall, 16);
  auto pipeline = build();
  EXPECT_EQ(pipeline->run_request_body(*ctx_, "q=fine", false), RequestResult::kForward);
  EXPECT_EQ(seen_modules(), (std::vector<std::string>{"early", "late"}));
}

TEST_F(RequestBodyHookTest, RespondStopsLaterBodyHooks) {
  add("first", Phase::kFirewall, 16);
  add("second", Phase::kWaf, 16);
  auto pipeline = build();
  EXPECT_EQ(pipeline->run_request_body(*ctx_, "evil", false), RequestResult::kRespond);
  EXPECT_EQ(seen_modules(), (std::vector<std::string>{"first"}));
}

TEST_F(RequestBodyHookTest, EachModuleSeesOnlyThePrefixItAskedFor) {
  add("small", Phase::kFirewall, 16);
  add("large", Phase::kWaf, 64);
  auto pipeline = build();
  // "evil" lies past the first 16 bytes: only the module that asked for more sees it.
  std::string body = std::string(20, 'a') + "evil" + std::string(6, 'b');
  EXPECT_EQ(pipeline->run_request_body(*ctx_, body, false), RequestResult::kRespond);
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[0].body, std::string(16, 'a'));
  EXPECT_TRUE(seen_[0].truncated);
  EXPECT_EQ(seen_[1].body, body);
  EXPECT_FALSE(seen_[1].truncated);
}

TEST_F(RequestBodyHookTest, TruncationByTheServerIsPassedOn) {
  add("waf", Phase::kWaf, 16);
  auto pipeline = build();
  EXPECT_EQ(pipeline->run_request_body(*ctx_, std::string(16, 'x'), true), RequestResult::kForward);
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_TRUE(seen_[0].truncated);
}

TEST_F(RequestBodyHookTest, EmptyBodyIsStillInspected) {
  add("waf", Phase::kWaf, 16);
  auto pipeline = build();
  EXPECT_EQ(pipeline->run_request_body(*ctx_, {}, false), RequestResult::kForward);
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].body, "");
  EXPECT_FALSE(seen_[0].truncated);
}

TEST_F(RequestBodyHookTest, ErrorFailOpenIsSkippedCountedAndLaterModulesRun) {
  add("broken", Phase::kFirewall, 16, BodyAct::kError);
  add("waf", Phase::kWaf, 16);
  auto pipeline = build();
  EXPECT_EQ(pipeline->run_request_body(*ctx_, "evil", false), RequestResult::kRespond);
  EXPECT_EQ(seen_modules(), (std::vector<std::string>{"broken", "waf"}));
  EXPECT_EQ(verdicts(), (std::vector<std::string>{"broken=error-skipped"}));
  EXPECT_EQ(ctx_->local_response.status, 403);
  EXPECT_EQ(pipeline->stats()[0].failures, 1u);
}

TEST_F(RequestBodyHookTest, ErrorFailClosedAnswers503AndStops) {
  add("broken", Phase::kFirewall, 16, BodyAct::kError);
  add("waf", Phase::kWaf, 16);
  fail_closed("broken");
  auto pipeline = build();
  EXPECT_EQ(pipeline->run_request_body(*ctx_, "fine", false), RequestResult::kRespond);
  EXPECT_EQ(ctx_->local_response.status, 503);
  EXPECT_EQ(ctx_->local_response.reason, "module_failed");
  EXPECT_EQ(seen_modules(), (std::vector<std::string>{"broken"}));
  EXPECT_EQ(verdicts(), (std::vector<std::string>{"broken=error-closed"}));
}

TEST_F(RequestBodyHookTest, ThrowingHookIsAFailureUnderItsFailMode) {
  add("open", Phase::kFirewall, 16, BodyAct::kThrow);
  add("closed", Phase::kWaf, 16, BodyAct::kThrow);
  fail_closed("closed");
  auto pipeline = build();
  EXPECT_EQ(pipeline->run_request_body(*ctx_, "fine", false), RequestResult::kRespond);
  EXPECT_EQ(ctx_->local_response.status, 503);
  EXPECT_EQ(verdicts(), (std::vector<std::string>{"open=error-skipped", "closed=error-closed"}));
  EXPECT_EQ(pipeline->stats()[0].failures, 1u);
  EXPECT_EQ(pipeline->stats()[1].failures, 1u);
}

TEST_F(RequestBodyHookTest, SkippedPhaseIsNotInspected) {
  add("waf", Phase::kWaf, 16);
  auto pipeline = build();
  ctx_->skip_phase(Phase::kWaf);
  EXPECT_EQ(pipeline->run_request_body(*ctx_, "evil", false), RequestResult::kForward);
  EXPECT_TRUE(seen_.empty());
}

}  // namespace
