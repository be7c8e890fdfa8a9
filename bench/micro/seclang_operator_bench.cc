// SecLang operators: @rx on RE2 and on the PCRE2 fallback, the @pm phrase matcher on a
// CRS data file, and the Vectorscan prefilter over every CRS @rx pattern against
// running each regex directly. The CRS benchmarks need /usr/share/modsecurity-crs.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "seclang/operator.h"
#include "seclang/operator_regex.h"
#include "seclang/phrase_matcher.h"

namespace rampart::seclang {
namespace {

const char* const kCrsRules = "/usr/share/modsecurity-crs/rules";

const std::string kBenign =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
    "Safari/537.36 q=search+term&page=2&sort=price";
const std::string kAttack = "1' UNION ALL SELECT username, password FROM users WHERE '1'='1";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// Every distinct "@rx ..." argument of the CRS rule files, comment lines excluded.
const std::vector<std::string>& crs_patterns() {
  static const std::vector<std::string> patterns = [] {
    std::vector<std::string> out;
    if (!std::filesystem::is_directory(kCrsRules)) return out;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(kCrsRules)) {
      if (e.path().extension() == ".conf") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::istringstream lines(read_file(f));
      for (std::string line; std::getline(lines, line);) {
        size_t first = line.find_first_not_of(" \t");
        size_t at = line.find("\"@rx ");
        if (first == std::string::npos || line[first] == '#' || at == std::string::npos) continue;
        std::string p;
        for (size_t i = at + 5; i < line.size() && line[i] != '"'; ++i) {
          if (line[i] == '\\' && i + 1 < line.size()) p += line[i++];
          p += line[i];
        }
        if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
      }
    }
    return out;
  }();
  return patterns;
}

void run_regex(benchmark::State& state, const std::string& pattern, const std::string& input) {
  std::string error;
  auto re = detail::PcreCompatRegex::compile(pattern, 10000, error);
  if (!re) return state.SkipWithError(error.c_str());
  for (auto _ : state) benchmark::DoNotOptimize(re->match(input, nullptr));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
}

const char* const kSqliPattern =
    "(?i)(?:union\\s*?(?:all|distinct|[(!@]*?)?\\s*?[([]*?\\s*?select\\b|\\bselect\\s+?[\\w,"
    "\\s]+?\\bfrom\\b)";

void BM_RxRe2Benign(benchmark::State& state) {
  run_regex(state, kSqliPattern, kBenign);
}
void BM_RxRe2Attack(benchmark::State& state) {
  run_regex(state, kSqliPattern, kAttack);
}
void BM_RxPcre2Benign(benchmark::State& state) {
  run_regex(state, "<\\?(?!xml)", kBenign);
}
BENCHMARK(BM_RxRe2Benign);
BENCHMARK(BM_RxRe2Attack);
BENCHMARK(BM_RxPcre2Benign);

void BM_PhraseMatcherLfiFiles(benchmark::State& state) {
  std::string data = read_file(std::filesystem::path(kCrsRules) / "lfi-os-files.data");
  if (data.empty()) return state.SkipWithError("no CRS data files");
  detail::PhraseMatcher matcher;
  std::istringstream lines(data);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] != '#') matcher.add(line);
  }
  matcher.build();
  const std::string input = "/catalog/products/list?category=shoes&size=42&colour=blue&page=3";
  for (auto _ : state) benchmark::DoNotOptimize(matcher.find(input));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
  state.counters["phrases"] = static_cast<double>(matcher.size());
}
BENCHMARK(BM_PhraseMatcherLfiFiles);

// The CRS patterns confirmed one by one, the baseline the prefilter saves.
void BM_CrsAllRegexesDirect(benchmark::State& state) {
  const auto& patterns = crs_patterns();
  if (patterns.empty()) return state.SkipWithError("no CRS rules");
  std::vector<std::unique_ptr<detail::PcreCompatRegex>> regexes;
  std::string error;
  for (const auto& p : patterns)
    regexes.push_back(detail::PcreCompatRegex::compile(p, 10000, error));
  for (auto _ : state) {
    int matches = 0;
    for (const auto& re : regexes) matches += re->match(kBenign, nullptr) == MatchResult::kMatch;
    benchmark::DoNotOptimize(matches);
  }
  state.counters["patterns"] = static_cast<double>(patterns.size());
}
BENCHMARK(BM_CrsAllRegexesDirect)->Unit(benchmark::kMicrosecond);

// One prefilter scan, then only the candidates confirmed: what the engine does.
void BM_CrsPrefilterThenConfirm(benchmark::State& state) {
  const auto& patterns = crs_patterns();
  if (patterns.empty()) return state.SkipWithError("no CRS rules");
  static std::unique_ptr<RegexPrefilter> prefilter = [&] {
    std::string error;
    return build_regex_prefilter(patterns, error);
  }();
  std::vector<std::unique_ptr<detail::PcreCompatRegex>> regexes;
  std::string error;
  for (const auto& p : patterns)
    regexes.push_back(detail::PcreCompatRegex::compile(p, 10000, error));
  std::vector<uint32_t> candidates;
  size_t confirmed = 0;
  for (auto _ : state) {
    candidates.clear();
    prefilter->scan(kBenign, candidates);
    int matches = 0;
    for (uint32_t i : candidates)
      matches += regexes[i]->match(kBenign, nullptr) == MatchResult::kMatch;
    confirmed += candidates.size();
    benchmark::DoNotOptimize(matches);
  }
  state.counters["candidates"] = static_cast<double>(confirmed) /
                                 static_cast<double>(std::max<int64_t>(state.iterations(), 1));
}
BENCHMARK(BM_CrsPrefilterThenConfirm)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace rampart::seclang
