// Clearance-cookie verification, the bot module's per-request cost for a cleared client:
// base64url decode, one HMAC-SHA256 with precomputed pad states, the checks.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "modules/bot/challenge.h"
#include "modules/bot/clearance.h"
#include "modules/bot/page.h"

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

void BM_BotChallengeIssue(benchmark::State& state) {
  std::vector<KeySpec> specs{{1, std::string(32, 'o')}};
  KeyRing ring(specs);
  ChallengeParams p;
  p.now = 1'800'000'000;
  p.binding = {"chrome", "t13d1516h2_8daaf6152771_02713d6af862"};
  for (auto _ : state) {
    random_bytes(p.nonce);
    std::string challenge = issue_challenge(ring, p);
    PageParams page;
    page.brand_name = "Example Shop";
    page.brand_color = "#1f5fbf";
    page.request_id = "4bd89dfd40559b3a";
    page.challenge = challenge;
    page.bits = 15;
    page.puzzles = 8;
    page.return_to = "/shop/products/42?ref=mail";
    page.nonce = "AAAAAAAAAAAAAAAAAAAAAA";
    std::string html = render_page(page);
    benchmark::DoNotOptimize(html);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BotChallengeIssue);

void BM_BotChallengeVerify(benchmark::State& state) {
  std::vector<KeySpec> specs{{1, std::string(32, 'o')}};
  KeyRing ring(specs);
  ChallengeParams p;
  p.bits = 8;  // cheap to solve here; verifying costs the same at any difficulty
  p.puzzles = 8;
  p.now = 1'800'000'000;
  p.binding = {"chrome", "t13d1516h2_8daaf6152771_02713d6af862"};
  std::string challenge = issue_challenge(ring, p);
  std::string answers;
  for (unsigned i = 0; i < p.puzzles; ++i) {
    if (i) answers += ',';
    answers += std::to_string(solve_puzzle(challenge, i, p.bits));
  }
  for (auto _ : state) {
    DecodedChallenge d;
    auto v = check_challenge(ring, challenge, p.binding, 0, p.now + 1, 300, 0, &d);
    if (v == ChallengeVerdict::kValid) v = check_solutions(challenge, d, answers);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BotChallengeVerify);

}  // namespace
