// Clearance-cookie verification, the bot module's per-request cost for a cleared client:
// base64url decode, one HMAC-SHA256 with precomputed pad states, the checks.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "modules/bot/clearance.h"

namespace {

using namespace rampart::modules::bot;

const char kUa[] =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36";

void BM_BotClearanceVerify(benchmark::State& state) {
  std::vector<KeySpec> specs{{2, std::string(32, 'n')}, {1, std::string(32, 'o')}};
  KeyRing ring(specs);
  Binding binding{ua_family(kUa), "t13d1516h2_8daaf6152771_02713d6af862"};
  IssueParams p;
  p.now = 1'800'000'000;
  p.binding = binding;
  p.network = 42;
  std::string token = issue_token(ring, p);
  for (auto _ : state) {
    // The family is derived per request, as the module does.
    Binding b{ua_family(kUa), binding.ja4};
    TokenInfo info;
    Verdict v = verify_token(ring, token, b, 42, p.now + 5, &info);
    benchmark::DoNotOptimize(v);
    benchmark::DoNotOptimize(info);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BotClearanceVerify);

void BM_BotClearanceIssue(benchmark::State& state) {
  std::vector<KeySpec> specs{{1, std::string(32, 'o')}};
  KeyRing ring(specs);
  IssueParams p;
  p.now = 1'800'000'000;
  p.binding = {"chrome", "t13d1516h2_8daaf6152771_02713d6af862"};
  for (auto _ : state) {
    std::string token = issue_token(ring, p);
    benchmark::DoNotOptimize(token);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BotClearanceIssue);

}  // namespace
