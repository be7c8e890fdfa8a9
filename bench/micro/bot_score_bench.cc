// The bot score per request: every signal over a browser's 13 header lines (User-Agent
// class, header completeness and coherence, order, JA4 shape, the behaviour table's
// update under its lock) and their sum, for one client and for many.

#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <vector>

#include "modules/bot/behaviour.h"
#include "modules/bot/score.h"

namespace rampart::modules::bot {
namespace {

struct Browser {
  std::vector<std::pair<std::string, std::string>> owned{
      {"Host", "shop.test"},
      {"sec-ch-ua", "\"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\""},
      {"sec-ch-ua-mobile", "?0"},
      {"sec-ch-ua-platform", "\"Linux\""},
      {"Upgrade-Insecure-Requests", "1"},
      {"User-Agent",
       "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/131.0.0.0 Safari/537.36"},
      {"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"},
      {"Sec-Fetch-Site", "none"},
      {"Sec-Fetch-Mode", "navigate"},
      {"Sec-Fetch-User", "?1"},
      {"Sec-Fetch-Dest", "document"},
      {"Accept-Encoding", "gzip, deflate, br, zstd"},
      {"Accept-Language", "en-US,en;q=0.9"}};
  http::RequestHead head;
  Browser() {
    head.method = "GET";
    head.path = "/app/item/42";
    for (const auto& [n, v] : owned) head.headers.push_back({n, v});
  }
};

void BM_BotScore(benchmark::State& state) {
  static BehaviourTable table(65536);
  Browser b;
  ScoreInput in;
  in.head = &b.head;
  in.tls = true;
  in.ja4 = "t13d1516h2_8daaf6152771_02713d6af862";
  in.now = 1'800'000'000;
  uint32_t client = static_cast<uint32_t>(state.thread_index()) << 20;
  for (auto _ : state) {
    if (state.range(0) > 1) ++client;
    in.client.bytes = {0,
                       0,
                       0,
                       0,
                       0,
                       0,
                       0,
                       0,
                       0,
                       0,
                       0xff,
                       0xff,
                       10,
                       static_cast<uint8_t>(client >> 16),
                       static_cast<uint8_t>(client >> 8),
                       static_cast<uint8_t>(client % static_cast<uint32_t>(state.range(0)))};
    auto s = compute_signals(in, table);
    benchmark::DoNotOptimize(combine(*s));
  }
}
BENCHMARK(BM_BotScore)->Arg(1)->Arg(100000)->Threads(1)->Threads(2);

}  // namespace
}  // namespace rampart::modules::bot

namespace rampart::modules::bot {
namespace {

// The User-Agent's classification alone (the automation-token scan dominates).
void BM_BotScoreUaClass(benchmark::State& state) {
  Browser b;
  std::string_view ua = b.owned[5].second;
  for (auto _ : state) benchmark::DoNotOptimize(classify_user_agent(ua));
}
BENCHMARK(BM_BotScoreUaClass);

}  // namespace
}  // namespace rampart::modules::bot
