// Cost of one @detectSQLi / @detectXSS call on a 100-byte value, benign and attack: the
// managed WAF runs both on every argument of every request.

#include <benchmark/benchmark.h>

#include <string>

#include "seclang/detect_sqli.h"
#include "seclang/detect_xss.h"

namespace rampart::seclang {
namespace {

// Cuts or pads (with spaces) to exactly 100 bytes.
std::string hundred_bytes(std::string s) {
  s.resize(100, ' ');
  return s;
}

// Prose with apostrophes, quotes and '<' (the slow path: every context is read).
const std::string kBenignText = hundred_bytes(
    "It's O'Brien's \"favourite\" cafe: 2 or 3 items for $19.99 < $25, see the docs at "
    "example.com/a?b=c ok");
// A plain search query (the fast path: no quote, no '<' or '=').
const std::string kBenignPlain = hundred_bytes(
    "cheap flights from dublin to paris in march with one checked bag and a window seat please");
const std::string kSqliAttack = hundred_bytes(
    "1' and 1=0 union all select username,password,3,4 from users where '1'='1' order by 1-- ");
const std::string kXssAttack = hundred_bytes(
    "\"><p title=\"hello\">photo</p><img src=\"/logo.png\" alt=\"x\" "
    "onerror=\"alert(document.cookie)\">");

void BM_DetectSqli(benchmark::State& state, const std::string* input) {
  for (auto _ : state) benchmark::DoNotOptimize(detect_sqli(*input));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input->size()));
}

void BM_DetectXss(benchmark::State& state, const std::string* input) {
  for (auto _ : state) benchmark::DoNotOptimize(detect_xss(*input));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input->size()));
}

BENCHMARK_CAPTURE(BM_DetectSqli, benign_text_100B, &kBenignText);
BENCHMARK_CAPTURE(BM_DetectSqli, benign_plain_100B, &kBenignPlain);
BENCHMARK_CAPTURE(BM_DetectSqli, attack_100B, &kSqliAttack);
BENCHMARK_CAPTURE(BM_DetectXss, benign_text_100B, &kBenignText);
BENCHMARK_CAPTURE(BM_DetectXss, benign_plain_100B, &kBenignPlain);
BENCHMARK_CAPTURE(BM_DetectXss, attack_100B, &kXssAttack);

}  // namespace
}  // namespace rampart::seclang
