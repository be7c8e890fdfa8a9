// On-the-fly compression: throughput (MB/s of input) and ratio (output / input) of each
// coding at its on-the-fly and stored levels on a 50 KiB HTML page and a 50 KiB JSON
// API response, fed in 16 KiB reads as a proxied body arrives; and the cost of the
// per-response decisions (Accept-Encoding negotiation, eligibility, header edits).

#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "compress/coding.h"
#include "compress/eligibility.h"
#include "compress/encoder.h"
#include "compress/response_fields.h"

namespace rampart::compress {
namespace {

constexpr size_t kBodyBytes = 50 * 1024;
constexpr size_t kReadBytes = 16 * 1024;

const char* const kAdjectives[] = {"Classic", "Organic",  "Wireless",  "Compact",    "Premium",
                                   "Vintage", "Foldable", "Stainless", "Waterproof", "Smart"};
const char* const kNouns[] = {"Kettle", "Backpack", "Headphones", "Lamp",   "Chair",
                              "Jacket", "Blender",  "Notebook",   "Camera", "Teapot"};
const char* const kWords[] = {
    "made",     "from",     "recycled", "materials",   "with", "a",      "two-year",
    "warranty", "and",      "free",     "delivery",    "on",   "orders", "over",
    "designed", "for",      "everyday", "use",         "in",   "small",  "kitchens",
    "the",      "original", "since",    "comfortable", "light"};

template <size_t N>
const char* pick(std::mt19937& rng, const char* const (&list)[N]) {
  return list[rng() % N];
}

std::string sentence(std::mt19937& rng, int words) {
  std::string s;
  for (int i = 0; i < words; ++i) {
    if (i) s += ' ';
    s += pick(rng, kWords);
  }
  return s;
}

// A shop's category page: a head with styles, then product cards from one template,
// as a server-side rendered page looks.
std::string html_page() {
  std::mt19937 rng(1);
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Kitchen - "
      "Shop</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<link rel=\"stylesheet\" href=\"/static/css/main.4f1c2a.css\"><script defer "
      "src=\"/static/js/app.9b2e71.js\"></script></head>\n<body class=\"category-page\">"
      "<header class=\"site-header\"><nav><ul class=\"nav\"><li><a href=\"/\">Home</a></li>"
      "<li><a href=\"/kitchen\">Kitchen</a></li><li><a href=\"/garden\">Garden</a></li></ul>"
      "</nav></header>\n<main><ul class=\"product-grid\">\n";
  while (s.size() < kBodyBytes) {
    const unsigned id = 10000 + rng() % 90000;
    const std::string name = std::string(pick(rng, kAdjectives)) + " " + pick(rng, kNouns);
    s += "<li class=\"product-card\" data-product-id=\"" + std::to_string(id) +
         "\"><a class=\"product-link\" href=\"/p/" + std::to_string(id) +
         "\"><img class=\"product-image\" loading=\"lazy\" src=\"/img/p/" + std::to_string(id) +
         "-320.webp\" alt=\"" + name +
         "\" width=\"320\" height=\"320\"><h2 class=\"product-name\">" + name +
         "</h2></a><p class=\"product-description\">" + sentence(rng, 8 + rng() % 10) +
         "</p><span class=\"price\"><span class=\"currency\">EUR</span> " +
         std::to_string(rng() % 300) + "." + std::to_string(10 + rng() % 90) +
         "</span><button class=\"add-to-cart\" type=\"button\">Add to cart</button></li>\n";
  }
  s.resize(kBodyBytes);
  return s;
}

// An API's list response: an array of objects with the same keys.
std::string json_body() {
  std::mt19937 rng(2);
  std::string s = "{\"items\":[";
  bool first = true;
  while (s.size() < kBodyBytes) {
    if (!first) s += ',';
    first = false;
    const unsigned id = 10000 + rng() % 90000;
    s += "{\"id\":" + std::to_string(id) + ",\"name\":\"" + pick(rng, kAdjectives) + " " +
         pick(rng, kNouns) + "\",\"price\":{\"amount\":" + std::to_string(rng() % 30000) +
         ",\"currency\":\"EUR\"},\"in_stock\":" + (rng() % 2 ? "true" : "false") +
         ",\"rating\":" + std::to_string(rng() % 5) + "." + std::to_string(rng() % 10) +
         ",\"tags\":[\"" + pick(rng, kWords) + "\",\"" + pick(rng, kWords) +
         "\"],\"description\":\"" + sentence(rng, 6 + rng() % 12) + "\",\"url\":\"/p/" +
         std::to_string(id) + "\"}";
  }
  s.resize(kBodyBytes);
  return s;
}

// Args: coding (1 gzip, 2 br, 3 zstd), body (0 HTML, 1 JSON), mode (0 on the fly with
// the length unknown, as for a chunked response; 1 on the fly with a Content-Length;
// 2 stored, length known).
void Compress(benchmark::State& state) {
  const auto coding = static_cast<Coding>(state.range(0));
  static const std::string html = html_page();
  static const std::string json = json_body();
  const std::string& body = state.range(1) == 0 ? html : json;
  const Use use = state.range(2) == 2 ? Use::kStored : Use::kOnTheFly;
  const uint64_t size_hint = state.range(2) == 0 ? 0 : body.size();
  std::string out;
  out.reserve(body.size());
  for (auto _ : state) {
    out.clear();
    const auto encoder = make_encoder(coding, use, size_hint);
    for (size_t at = 0; at < body.size(); at += kReadBytes) {
      if (!encoder->compress(std::string_view(body).substr(at, kReadBytes), out)) {
        state.SkipWithError("compress failed");
      }
    }
    if (!encoder->finish(out)) state.SkipWithError("finish failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(std::string(coding_token(coding)) + " level " +
                 std::to_string(default_level(coding, use)) +
                 (state.range(1) == 0 ? " html" : " json") + (size_hint ? " length known" : ""));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["ratio"] = static_cast<double>(out.size()) / static_cast<double>(body.size());
}
BENCHMARK(Compress)
    ->ArgNames({"coding", "body", "mode"})
    ->ArgsProduct({{1, 2, 3}, {0, 1}, {0, 1, 2}})
    ->Unit(benchmark::kMicrosecond);

// Arg: 0 a current browser's field, 1 weighted with a refusal over two lines.
void Negotiate(benchmark::State& state) {
  const std::vector<http::Header> browser = {{"Host", "shop.example"},
                                             {"Accept", "text/html,*/*;q=0.8"},
                                             {"Accept-Encoding", "gzip, deflate, br, zstd"},
                                             {"Accept-Language", "en-GB,en;q=0.9"}};
  const std::vector<http::Header> weighted = {
      {"Host", "shop.example"},
      {"Accept-Encoding", "gzip;q=1.0, identity; q=0.5, br;q=0.9"},
      {"accept-encoding", "zstd;q=0, *;q=0"}};
  const auto& request = state.range(0) == 0 ? browser : weighted;
  for (auto _ : state) benchmark::DoNotOptimize(negotiate(request));
}
BENCHMARK(Negotiate)->Arg(0)->Arg(1);

// Eligibility and the header edits for a typical HTML response.
void DecideAndEditFields(benchmark::State& state) {
  const std::vector<http::Header> request = {{"Accept-Encoding", "gzip, deflate, br, zstd"}};
  const std::vector<http::Header> response = {{"Content-Type", "text/html; charset=utf-8"},
                                              {"Content-Length", "51200"},
                                              {"Cache-Control", "public, max-age=60"},
                                              {"ETag", "\"33a64df551425fcc55e4d42a148795d9\""},
                                              {"Vary", "Accept-Language"},
                                              {"Date", "Sat, 21 Nov 2026 14:00:00 GMT"}};
  std::vector<http::Header> edited;
  edited.reserve(16);
  for (auto _ : state) {
    const bool ok = check_eligible(200, response, 51200, request) == Skip::kNone;
    edited.assign(response.begin(), response.end());
    EditedValues values;
    if (ok) apply_coding(edited, negotiate(request), values);
    benchmark::DoNotOptimize(edited.data());
  }
}
BENCHMARK(DecideAndEditFields);

}  // namespace
}  // namespace rampart::compress
