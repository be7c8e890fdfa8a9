// Per-request cost of the rate_limit phase: bench/ratelimit.sh's ten rules compiled from
// a real config, run through the module's on_request and on_response for a parsed
// browser request, as the server does.

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "module_fixture.h"
#include "modules/rate_limit/rate_limit_module.h"

namespace {

using namespace rampart;

const char kRequest[] =
    "GET /app/item/42?ref=home HTTP/1.1\r\n"
    "Host: 127.0.0.1\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Cookie: session=3f9a1c0e7b2d4a58; theme=dark\r\n"
    "\r\n";

// As bench/ratelimit.sh: nine rules count the request, each under its own key, at a
// rate it never reaches; the tenth (login) does not match it.
const char kRules[] = R"(
rate_limit:
  rules:
    - {id: per-ip, expression: 'true', characteristics: [ip.src], period: 1s, requests_per_period: 1000000}
    - {id: per-24, expression: 'starts_with(http.request.uri.path, "/app/")', characteristics: [ip.src/24], period: 1s, requests_per_period: 1000000}
    - {id: per-host, expression: 'true', characteristics: [http.host], period: 1s, requests_per_period: 1000000}
    - {id: per-path, expression: 'http.request.method eq "GET"', characteristics: [http.request.uri.path], period: 1s, requests_per_period: 1000000}
    - {id: errors, expression: 'true', characteristics: [ip.src], period: 1s, requests_per_period: 1000000, counting_expression: 'http.response.code ge 500'}
sites:
  - name: origin
    default: true
    hosts: [127.0.0.1, localhost]
    origin: {endpoints: [127.0.0.1:8081]}
    rate_limit:
      rules:
        - {id: per-ua, expression: 'true', characteristics: ['http.request.headers["user-agent"]'], period: 1s, requests_per_period: 1000000}
        - {id: per-session, expression: 'true', characteristics: ['http.request.cookies["session"]'], period: 1s, requests_per_period: 1000000}
        - {id: per-ref, expression: 'true', characteristics: ['http.request.uri.args["ref"]'], period: 1s, requests_per_period: 1000000}
        - {id: per-ip-ua, expression: 'true', characteristics: [ip.src, http.user_agent], period: 1s, requests_per_period: 1000000}
        - {id: login, expression: 'http.request.uri.path eq "/login"', characteristics: [ip.src], period: 60s, requests_per_period: 5}
)";

std::unique_ptr<bench::ModuleFixture> make_fixture() {
  return bench::make_module_fixture(
      std::string("listeners: [{address: 127.0.0.1:8080}]\n") + kRules,
      modules::rate_limit::build_rate_limit_module, kRequest);
}

// Between two requests the server runs the network stack, the parser, the proxy and
// the other modules, which push the rate limiter's rules, tables and counters out of
// the core's own caches (L1, L2). Writing over 1 MiB (untimed) does about the same.
void evict_caches() {
  static std::vector<char> junk(1u << 20);
  static char round = 0;
  ++round;
  for (size_t i = 0; i < junk.size(); i += 64) junk[i] = round;
  benchmark::ClobberMemory();
}

// One request: a fresh context (the server builds one per request whatever the
// modules), the request phase, then the response phase for the origin's 200.
void request(benchmark::State& state, bench::ModuleFixture& f, bool with_module,
             bool cold = false) {
  std::vector<http::Header> response_headers;
  for (auto _ : state) {
    if (cold) {
      state.PauseTiming();
      evict_caches();
      state.ResumeTiming();
    }
    pipeline::RequestContext ctx(*f.config, f.head, f.upstream);
    bench::prepare_context(ctx, f);
    if (with_module) {
      auto outcome = f.module->on_request(ctx);
      if (outcome != pipeline::Outcome::kContinue) state.SkipWithError("a rule limited");
      ctx.response_status = 200;
      ctx.response_headers = &response_headers;
      f.module->on_response(ctx);
    }
    benchmark::DoNotOptimize(ctx);
  }
}

void RateLimitModule10Rules(benchmark::State& state) {
  static auto f = make_fixture();
  request(state, *f, true);
}
BENCHMARK(RateLimitModule10Rules);

// The context alone, to subtract from the above.
void RateLimitModuleContextOnly(benchmark::State& state) {
  static auto f = make_fixture();
  request(state, *f, false);
}
BENCHMARK(RateLimitModuleContextOnly);

// The same with the caches emptied before each request, as the server sees it: the
// difference to the warm run is what the rules' data costs to fetch.
void RateLimitModule10RulesColdCache(benchmark::State& state) {
  static auto f = make_fixture();
  request(state, *f, true, true);
}
BENCHMARK(RateLimitModule10RulesColdCache);

void RateLimitModuleContextOnlyColdCache(benchmark::State& state) {
  static auto f = make_fixture();
  request(state, *f, false, true);
}
BENCHMARK(RateLimitModuleContextOnlyColdCache);

}  // namespace
