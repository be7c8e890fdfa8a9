// The proof-of-work challenge (issue, answers, replay) and the bot phase through the
// pipeline: who gets a page, who a short answer, what a clearance and a bot score change.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "modules/bot/bot_module.h"
#include "modules/bot/bot_runtime.h"
#include "modules/bot/challenge.h"
#include "modules/bot/page.h"
#include "pipeline/pipeline.h"
#include "unit/modules/firewall_test_util.h"

namespace rampart::modules::bot {
namespace {

using firewall_test::config_yaml;
using firewall_test::load_config;
using firewall_test::make_request;
using pipeline::ClearanceLevel;
using pipeline::RequestResult;

struct BotChallenge : ::testing::Test {
  std::vector<KeySpec> specs{{7, std::string(32, 'k')}};
  KeyRing ring{specs};
  Binding binding{"chrome", "t13d1516h2_8daaf6152771_02713d6af862"};
  const int64_t now = 1'800'000'000;

  std::string issue(uint8_t bits = 6, uint8_t puzzles = 4, uint8_t nonce = 1) {
    ChallengeParams p;
    p.bits = bits;
    p.puzzles = puzzles;
    p.now = now;
    p.binding = binding;
    p.network = 99;
    p.nonce.fill(nonce);
    return issue_challenge(ring, p);
  }

  std::string answers(const std::string& c, unsigned bits, unsigned puzzles) {
    std::string out;
    for (unsigned i = 0; i < puzzles; ++i) {
      if (i) out += ',';
      out += std::to_string(solve_puzzle(c, i, bits));
    }
    return out;
  }
};

TEST_F(BotChallenge, SolvedChallengeIsAccepted) {
  std::string c = issue();
  DecodedChallenge d;
  ASSERT_EQ(check_challenge(ring, c, binding, 99, now + 5, 300, 0, &d), ChallengeVerdict::kValid);
  EXPECT_EQ(d.bits, 6);
  EXPECT_EQ(d.puzzles, 4);
  EXPECT_EQ(check_solutions(c, d, answers(c, 6, 4)), ChallengeVerdict::kValid);
}

TEST_F(BotChallenge, WrongOrIncompleteAnswersAreRefused) {
  std::string c = issue(10, 4);
  DecodedChallenge d;
  ASSERT_EQ(check_challenge(ring, c, binding, 99, now, 300, 0, &d), ChallengeVerdict::kValid);
  std::string good = answers(c, 10, 4);
  uint64_t first = std::stoull(good.substr(0, good.find(',')));
  uint64_t bad = first + 1;
  while (puzzle_zero_bits(c, 0, bad) >= 10) ++bad;
  std::string wrong = std::to_string(bad) + good.substr(good.find(','));
  EXPECT_EQ(check_solutions(c, d, wrong), ChallengeVerdict::kWrong);
  EXPECT_EQ(check_solutions(c, d, good.substr(0, good.rfind(','))), ChallengeVerdict::kMalformed);
  EXPECT_EQ(check_solutions(c, d, good + ",1"), ChallengeVerdict::kMalformed);
  EXPECT_EQ(check_solutions(c, d, ""), ChallengeVerdict::kMalformed);
  EXPECT_EQ(check_solutions(c, d, "x,y,z,w"), ChallengeVerdict::kMalformed);
}

TEST_F(BotChallenge, ChallengeForAnotherClientOrFromAnotherKeyIsForged) {
  std::string c = issue();
  EXPECT_EQ(check_challenge(ring, c, {"firefox", binding.ja4}, 99, now, 300, 0, nullptr),
            ChallengeVerdict::kForged);
  EXPECT_EQ(check_challenge(ring, c, binding, 100, now, 300, 0, nullptr),
            ChallengeVerdict::kForged);
  std::vector<KeySpec> other{{7, std::string(32, 'x')}};
  KeyRing attacker(other);
  ChallengeParams p;
  p.bits = 1;  // an easier challenge the attacker made up
  p.puzzles = 1;
  p.now = now;
  p.binding = binding;
  p.network = 99;
  EXPECT_EQ(check_challenge(ring, issue_challenge(attacker, p), binding, 99, now, 300, 0, nullptr),
            ChallengeVerdict::kForged);
}

TEST_F(BotChallenge, TimeWindow) {
  std::string c = issue();
  EXPECT_EQ(check_challenge(ring, c, binding, 99, now + 300, 300, 0, nullptr),
            ChallengeVerdict::kExpired);
  EXPECT_EQ(check_challenge(ring, c, binding, 99, now + 2, 300, 5, nullptr),
            ChallengeVerdict::kTooEarly);
  EXPECT_EQ(check_challenge(ring, c, binding, 99, now + 5, 300, 5, nullptr),
            ChallengeVerdict::kValid);
}

TEST(BotReplayGuard, SecondUseIsRefusedUntilExpiry) {
  ReplayGuard& g = ReplayGuard::process();
  std::array<uint8_t, 16> nonce;
  random_bytes(nonce);
  EXPECT_TRUE(g.first_use(nonce, 1000, 900));
  EXPECT_FALSE(g.first_use(nonce, 1000, 950));
  EXPECT_TRUE(g.first_use(nonce, 2000, 1000));  // its challenge expired anyway
}

TEST(BotPage, LanguageFromAcceptLanguage) {
  EXPECT_EQ(pick_language(""), "en");
  EXPECT_EQ(pick_language("fr-FR,fr;q=0.9,en;q=0.8"), "fr");
  EXPECT_EQ(pick_language("en-US,en;q=0.9,fr;q=0.8"), "en");
  EXPECT_EQ(pick_language("de,fr;q=0.5"), "fr");
  EXPECT_EQ(pick_language("fr;q=0,en"), "en");
}

// --- the bot phase through the pipeline ---------------------------------------------------

struct BotPhase : ::testing::Test {
  std::shared_ptr<const config::Config> config = load_config(config_yaml(
      {},
      {R"({id: m, expression: 'http.request.uri.path eq "/m"', action: managed_challenge})",
       R"({id: j, expression: 'http.request.uri.path eq "/j"', action: js_challenge})"},
      {}, "bot: {difficulty: 10, puzzles: 2}\n"));
  std::unique_ptr<pipeline::Pipeline> pipe = [this] {
    pipeline::ModuleRegistry registry;
    register_builtin_modules(registry);
    std::vector<config::Diagnostic> errors;
    auto p = pipeline::Pipeline::build(*config, registry, errors);
    EXPECT_TRUE(errors.empty());
    return p;
  }();
  firewall_test::Headers nav{{"Accept", "text/html"}, {"User-Agent", "curl/8"}};
};

TEST_F(BotPhase, NavigationGetsThePageOthersAShortAnswer) {
  auto page = make_request(*config, {.target = "/m", .headers = nav});
  ASSERT_EQ(pipe->run_request(*page->ctx), RequestResult::kRespond);
  EXPECT_EQ(page->ctx->local_response.status, 403);
  EXPECT_NE(page->ctx->local_response.body.find("data-n=\"2\""), std::string::npos);
  auto api = make_request(*config, {.target = "/m", .headers = {{"Accept", "application/json"}}});
  ASSERT_EQ(pipe->run_request(*api->ctx), RequestResult::kRespond);
  EXPECT_EQ(api->ctx->local_response.content_type, "application/json");
  EXPECT_EQ(api->ctx->local_response.status, 403);
}

TEST_F(BotPhase, UnderAttackAnswers503) {
  auto r = make_request(*config, {.target = "/m", .headers = nav});
  r->ctx->under_attack = true;
  ASSERT_EQ(pipe->run_request(*r->ctx), RequestResult::kRespond);
  EXPECT_EQ(r->ctx->local_response.status, 503);
}

TEST_F(BotPhase, ScoreDecidesTheManagedChallenge) {
  // The bot_score module (phase normalize) scores each request before the bot phase.
  const char* firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
  firewall_test::Headers browser{{"User-Agent", firefox},
                                 {"Accept", "text/html"},
                                 {"Accept-Language", "en"},
                                 {"Accept-Encoding", "gzip"}};
  auto human = make_request(*config, {.target = "/m", .headers = browser});
  EXPECT_EQ(pipe->run_request(*human->ctx), RequestResult::kForward);
  EXPECT_GE(human->ctx->bot_score.value_or(0), 70);
  firewall_test::Headers partial = browser;
  partial.erase(partial.begin() + 2);  // no Accept-Language
  auto unsure = make_request(*config, {.target = "/m", .headers = partial});
  ASSERT_EQ(pipe->run_request(*unsure->ctx), RequestResult::kRespond);
  EXPECT_EQ(unsure->ctx->bot_score.value_or(0) / 10, 3);  // 30..39
  const std::string& body = unsure->ctx->local_response.body;
  EXPECT_EQ(body.find("data-c="), std::string::npos);  // no proof of work
  EXPECT_NE(body.find("nojs="), std::string::npos);
  auto bot = make_request(*config, {.target = "/m", .headers = nav});
  ASSERT_EQ(pipe->run_request(*bot->ctx), RequestResult::kRespond);
  EXPECT_LT(bot->ctx->bot_score.value_or(99), 30);
  EXPECT_NE(bot->ctx->local_response.body.find("data-c="), std::string::npos);
}

TEST_F(BotPhase, CookieFromTheModuleIsHonouredAtItsLevel) {
  auto rt = Runtime::from(*config);
  auto probe = make_request(*config, {.target = "/m", .headers = nav});
  std::string low = issue_for(*rt, *probe->ctx, Level::kLow, 60);
  std::string full = issue_for(*rt, *probe->ctx, Level::kFull, 60);
  auto with = [&](const std::string& path, const std::string& token) {
    auto h = nav;
    h.push_back({"Cookie", "a=b; rampart_clearance=" + token});
    return make_request(*config, {.target = path, .headers = h});
  };
  auto m_low = with("/m", low);
  EXPECT_EQ(pipe->run_request(*m_low->ctx), RequestResult::kForward);
  EXPECT_EQ(m_low->ctx->clearance, ClearanceLevel::kLow);
  auto j_low = with("/j", low);
  EXPECT_EQ(pipe->run_request(*j_low->ctx), RequestResult::kRespond);
  auto j_full = with("/j", full);
  EXPECT_EQ(pipe->run_request(*j_full->ctx), RequestResult::kForward);
  EXPECT_EQ(j_full->ctx->clearance, ClearanceLevel::kFull);
}

}  // namespace
}  // namespace rampart::modules::bot
