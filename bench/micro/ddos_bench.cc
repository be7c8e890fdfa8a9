// The ddos_l7 module's per-request cost on one thread: recording a request into the
// site's heavy-hitter tables (the calm case), and checking it against one active
// mitigation (during an attack) for a request it matches and one it does not.

#include <benchmark/benchmark.h>

#include <array>
#include <string>
#include <vector>

#include "http/message.h"
#include "modules/ddos/detector.h"
#include "rules/request.h"

namespace rampart::modules::ddos {
namespace {

struct Requests {
  std::vector<std::string> uas, paths;
  std::vector<core::IpAddress> ips;
  Requests() {
    for (int i = 0; i < 64; ++i) {
      uas.push_back("Mozilla/5.0 (variant " + std::to_string(i % 8) + ") Gecko/20100101");
      paths.push_back("/page/" + std::to_string(i % 16));
      ips.push_back(
          *core::IpAddress::parse("198.51." + std::to_string(i % 4) + "." + std::to_string(i + 1)));
    }
  }
};

void BM_DdosObserve(benchmark::State& state) {
  SiteDetector d("bench");
  Requests r;
  size_t i = 0;
  for (auto _ : state) {
    std::array<char, 48> buf;
    Sample s;
    s.values[static_cast<size_t>(Dim::kUserAgent)] = r.uas[i & 63];
    s.values[static_cast<size_t>(Dim::kPath)] = r.paths[i & 63];
    s.values[static_cast<size_t>(Dim::kMethod)] = "GET";
    s.values[static_cast<size_t>(Dim::kPrefix)] = client_prefix(r.ips[i & 63], buf);
    d.observe(s);
    ++i;
  }
}
BENCHMARK(BM_DdosObserve);

// A detector with one mitigation in force (an attack learned and detected).
std::unique_ptr<SiteDetector> attacked() {
  auto d = std::make_unique<SiteDetector>("bench");
  Settings st;
  st.learning_period_ms = 1000;
  st.min_rate = 10;
  d->configure(st);
  int64_t now = 0;
  d->advance(now);
  auto send = [&](std::string_view ua, std::string_view path, int n) {
    for (int i = 0; i < n; ++i) {
      Sample s;
      s.values[static_cast<size_t>(Dim::kUserAgent)] = ua;
      s.values[static_cast<size_t>(Dim::kPath)] = path;
      s.values[static_cast<size_t>(Dim::kMethod)] = "GET";
      d->observe(s);
    }
  };
  for (int t = 0; t < 3; ++t) {
    send("Mozilla/5.0", "/", 100);
    d->advance(now += 1000);
  }
  send("EvilBot/2.1", "/search", 5000);
  d->advance(now += 1000);
  return d;
}

void match_bench(benchmark::State& state, std::string_view ua, bool expect) {
  auto d = attacked();
  if (d->active_count() != 1) {
    state.SkipWithError("no mitigation");
    return;
  }
  http::RequestHead head;
  head.method = "GET";
  head.path = "/search";
  head.target = "/search?q=1";
  head.headers.push_back({"User-Agent", ua});
  rules::Request facts;
  facts.head = &head;
  facts.client_ip = *core::IpAddress::parse("198.51.100.7");
  for (auto _ : state) {
    Mitigation* m = d->has_mitigations() ? d->match(facts) : nullptr;
    if ((m != nullptr) != expect) state.SkipWithError("unexpected verdict");
    benchmark::DoNotOptimize(m);
  }
}

void BM_DdosMatchAttack(benchmark::State& state) {
  match_bench(state, "EvilBot/2.1", true);
}
void BM_DdosMatchVisitor(benchmark::State& state) {
  match_bench(state, "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", false);
}
BENCHMARK(BM_DdosMatchAttack);
BENCHMARK(BM_DdosMatchVisitor);

}  // namespace
}  // namespace rampart::modules::ddos
