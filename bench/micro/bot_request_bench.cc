// The bot modules' whole per-request path for a cleared client, as bench/bot.sh loads it:
// bot_clearance (find and verify the cookie, set the rules fields), bot_score (signals,
// the behaviour table) and the bot phase deciding that the full clearance satisfies a
// js_challenge. BM_BotRequestContextOnly is the RequestContext alone, to subtract.

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "modules/bot/behaviour.h"
#include "modules/bot/bot_module.h"
#include "modules/bot/bot_runtime.h"
#include "modules/bot/clearance_module.h"
#include "modules/bot/score_module.h"
#include "pipeline/request_context.h"

namespace rampart::modules::bot {
namespace {

struct ClearedClient {
  config::Config config;
  std::vector<std::pair<std::string, std::string>> owned;
  http::RequestHead head;
  std::vector<http::Header> upstream;
  std::unique_ptr<pipeline::Module> clearance, score, bot;

  explicit ClearedClient(std::string ua) {
    config.bot.line = 1;
    config.access_log.path = "off";
    std::vector<config::Diagnostic> errors;
    clearance = build_clearance_module(config, errors);
    score = build_score_module(config, errors);
    bot = build_bot_module(config, errors);
    BehaviourTable::process();  // its 4 MiB are cleared once, outside the timed loop
    owned = {{"Host", "127.0.0.1:8080"},
             {"User-Agent", std::move(ua)},
             {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
             {"Accept-Language", "en-US,en;q=0.5"},
             {"Cookie", ""}};
    head.method = "GET";
    head.path = "/";
    for (const auto& [n, v] : owned) head.headers.push_back({n, v});
    pipeline::RequestContext probe(config, head, upstream);
    probe.client_ip = client();
    auto rt = Runtime::from(config);
    owned.back().second = std::string(kCookiePlain) + "=" +
                          issue_for(*rt, probe, Level::kFull, 1800) + "; theme=dark";
    head.headers.back().value = owned.back().second;
  }

  static core::IpAddress client() {
    core::IpAddress ip;
    ip.v4 = true;
    ip.bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
    return ip;
  }
};

constexpr const char* kFirefox =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
constexpr const char* kChrome =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36";

void run_path(benchmark::State& state, const char* ua) {
  ClearedClient c(ua);
  for (auto _ : state) {
    pipeline::RequestContext ctx(c.config, c.head, c.upstream);
    ctx.client_ip = ClearedClient::client();
    ctx.facts.head = &c.head;
    ctx.challenge = pipeline::ChallengeKind::kJsChallenge;  // a rule asked for it
    c.clearance->on_request(ctx);
    c.score->on_request(ctx);
    auto outcome = c.bot->on_request(ctx);
    if (outcome != pipeline::Outcome::kContinue || ctx.clearance != pipeline::ClearanceLevel::kFull)
      state.SkipWithError("the cleared client was not let through");
    benchmark::DoNotOptimize(ctx.bot_score);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_BotRequestPathFirefox(benchmark::State& state) {
  run_path(state, kFirefox);
}
BENCHMARK(BM_BotRequestPathFirefox);

void BM_BotRequestPathChrome(benchmark::State& state) {
  run_path(state, kChrome);
}
BENCHMARK(BM_BotRequestPathChrome);

void BM_BotRequestContextOnly(benchmark::State& state) {
  ClearedClient c(kFirefox);
  for (auto _ : state) {
    pipeline::RequestContext ctx(c.config, c.head, c.upstream);
    ctx.client_ip = ClearedClient::client();
    ctx.facts.head = &c.head;
    benchmark::DoNotOptimize(&ctx);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BotRequestContextOnly);

}  // namespace
}  // namespace rampart::modules::bot
