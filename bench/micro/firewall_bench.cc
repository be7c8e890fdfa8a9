// Per-request cost of the firewall phase: rules compiled from a real config, run
// through the module's on_request against a parsed request, as the server does.

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "module_fixture.h"
#include "modules/firewall/firewall_module.h"

namespace {

using namespace rampart;

const char kRequest[] =
    "GET /shop/products/42?ref=mail&utm_source=news HTTP/1.1\r\n"
    "Host: shop.example\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml\r\n"
    "Accept-Language: en-GB,en;q=0.9\r\n"
    "Cookie: session=0123456789abcdef; theme=dark\r\n"
    "Referer: https://shop.example/\r\n"
    "\r\n";

// Ten rules of the kinds people write, none of which match the request above, so
// every one is evaluated.
const char* kTypicalRules[] = {
    R"(starts_with(http.request.uri.path, "/admin"))",
    R"(http.host eq "internal.example")",
    R"(ip.src in {203.0.113.0/24 198.51.100.0/24 2001:db8::/32})",
    R"(lower(http.user_agent) contains "sqlmap")",
    R"(not http.request.method in {"GET" "HEAD" "POST" "PUT" "DELETE" "OPTIONS"})",
    R"(http.request.uri.query matches r"(?i)union\s+select")",
    R"(http.request.uri.path wildcard "/wp-*")",
    R"(http.request.uri.args["debug"][0] eq "1")",
    R"(len(http.request.headers["x-api-key"]) gt 0 and not ssl)",
    R"(http.request.cookies["session"][0] eq "deadbeef" or http.referer contains "evil.example")",
};

std::unique_ptr<bench::ModuleFixture> make_fixture(const std::vector<std::string>& expressions) {
  std::string yaml =
      "listeners: [{address: 127.0.0.1:8080}]\n"
      "sites:\n"
      "  - name: shop\n"
      "    hosts: [shop.example]\n"
      "    origin: {endpoints: [127.0.0.1:8081]}\n"
      "    firewall:\n"
      "      rules:\n";
  for (size_t i = 0; i < expressions.size(); ++i) {
    std::string escaped;
    for (char c : expressions[i]) {
      if (c == '\'') escaped += '\'';
      escaped += c;
    }
    yaml += "        - {id: r" + std::to_string(i) + ", action: block, expression: '" + escaped +
            "'}\n";
  }
  return bench::make_module_fixture(yaml, modules::firewall::build_firewall_module, kRequest);
}

void run(benchmark::State& state, bench::ModuleFixture& f) {
  // The server builds the context for every request whatever the modules; what is
  // measured here is the firewall's own cost.
  pipeline::RequestContext ctx(*f.config, f.head, f.upstream);
  bench::prepare_context(ctx, f);
  for (auto _ : state) {
    auto outcome = f.module->on_request(ctx);
    benchmark::DoNotOptimize(outcome);
    if (outcome != pipeline::Outcome::kContinue) state.SkipWithError("a rule matched");
  }
}

void BM_Firewall_10TypicalRules(benchmark::State& state) {
  static auto f = make_fixture({std::begin(kTypicalRules), std::end(kTypicalRules)});
  run(state, *f);
}
BENCHMARK(BM_Firewall_10TypicalRules);

// N rules on one field (a path block list): the index reads the path once and looks
// it up, so the cost should barely grow with N.
void BM_Firewall_PathRules(benchmark::State& state) {
  std::vector<std::string> rules;
  for (int64_t i = 0; i < state.range(0); ++i) {
    rules.push_back("http.request.uri.path eq \"/blocked/" + std::to_string(i) + "\"");
  }
  auto f = make_fixture(rules);
  run(state, *f);
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_Firewall_PathRules)->Arg(10)->Arg(100)->Arg(1000);

// N rules mixing a host guard with other conditions, the shape of per-customer rules:
// indexed on http.host.
void BM_Firewall_HostGuardedRules(benchmark::State& state) {
  std::vector<std::string> rules;
  for (int64_t i = 0; i < state.range(0); ++i) {
    rules.push_back("http.host eq \"tenant" + std::to_string(i) +
                    ".example\" and starts_with(http.request.uri.path, \"/private\")");
  }
  auto f = make_fixture(rules);
  run(state, *f);
}
BENCHMARK(BM_Firewall_HostGuardedRules)->Arg(1000);

// N prefix rules: indexed by each prefix length in use.
void BM_Firewall_PrefixRules(benchmark::State& state) {
  std::vector<std::string> rules;
  for (int64_t i = 0; i < state.range(0); ++i) {
    rules.push_back("starts_with(http.request.uri.path, \"/blocked/" + std::to_string(i) + "/\")");
  }
  auto f = make_fixture(rules);
  run(state, *f);
}
BENCHMARK(BM_Firewall_PrefixRules)->Arg(1000);

// N user-agent substrings: one multi-literal scan of the user agent.
void BM_Firewall_ContainsRules(benchmark::State& state) {
  std::vector<std::string> rules;
  for (int64_t i = 0; i < state.range(0); ++i) {
    rules.push_back("lower(http.user_agent) contains \"badbot-" + std::to_string(i) + "\"");
  }
  auto f = make_fixture(rules);
  run(state, *f);
}
BENCHMARK(BM_Firewall_ContainsRules)->Arg(1000);

// N address rules: one lookup in the union of their sets.
void BM_Firewall_IpRules(benchmark::State& state) {
  std::vector<std::string> rules;
  for (int64_t i = 0; i < state.range(0); ++i) {
    rules.push_back("ip.src in {10." + std::to_string(i / 256) + "." + std::to_string(i % 256) +
                    ".0/24}");
  }
  auto f = make_fixture(rules);
  run(state, *f);
}
BENCHMARK(BM_Firewall_IpRules)->Arg(1000);

// N rules that no index helps (suffix tests): the linear worst case.
void BM_Firewall_UnindexedRules(benchmark::State& state) {
  std::vector<std::string> rules;
  for (int64_t i = 0; i < state.range(0); ++i) {
    rules.push_back("ends_with(http.request.uri.path, \"/blocked-" + std::to_string(i) + "\")");
  }
  auto f = make_fixture(rules);
  run(state, *f);
}
BENCHMARK(BM_Firewall_UnindexedRules)->Arg(10)->Arg(1000);

}  // namespace

namespace {
// The fixed cost of the phase: one rule reading one boolean field.
void BM_Firewall_OneTrivialRule(benchmark::State& state) {
  static auto f = make_fixture({"ssl"});
  run(state, *f);
}
BENCHMARK(BM_Firewall_OneTrivialRule);

// Each typical rule alone, to see which kinds cost most.
void BM_Firewall_EachTypicalRule(benchmark::State& state) {
  auto f = make_fixture({kTypicalRules[state.range(0)]});
  run(state, *f);
}
BENCHMARK(BM_Firewall_EachTypicalRule)->DenseRange(0, 9);
}  // namespace
