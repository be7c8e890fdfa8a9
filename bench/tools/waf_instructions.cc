// Runs the managed WAF (Debian's modsecurity.conf + the OWASP CRS, as
// bench/micro/seclang_crs_bench.cc loads them) on the micro-benchmark's four requests at
// paranoia level 1 and 4, for bench/waf_instructions.sh to count instructions under
// callgrind. Callgrind instruments only the measured loops (client requests; no-ops
// outside valgrind) and dumps one profile per case, named by its description, so a
// case's instruction count excludes loading the rules and the warm-up requests.
//
// Cases: "<request> PL<n> request" is a Transaction made, phases 1 and 2, destroyed, as
// the waf module runs them; "benign_get PL<n> response" is phases 3, 4 and 5 for a small
// 200 text/html response after that request (its request phases are not counted).
//
// Usage: rampart_waf_instructions [--iterations N] [--warmup N] [--vectorscan]
// Prints "<case>: <rules run> rules, status <intervention status, 0: none>" for each case
// (a check that the CRS sees the request as it should, e.g. the attack blocked).

#include <valgrind/callgrind.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../micro/debian_crs.h"
#include "seclang/persistent_store.h"
#include "seclang/rule_set.h"
#include "seclang/transaction.h"

namespace rampart::seclang {
namespace {

struct Request {
  const char* name;
  const char* method;
  const char* uri;
  std::string body;
  const char* content_type;
};

// bench/micro/seclang_crs_bench.cc's JSON cart, the 4 KB body of bench/waf_load.lua.
std::string json_cart() {
  const std::string prose =
      "Hello, I ordered the blue running shoes last week and the size is too small. "
      "Could you exchange them for a 44 and send a return label? Thanks a lot, have a nice "
      "day. ";
  std::string json =
      R"({"cart_id":"c-00000001","customer":{"name":"Jane Doe","email":"jane@example.org","note":")" +
      prose + R"("},"items":[)";
  const std::string closing = R"(],"gift":false})";
  for (int j = 1; j <= 40; ++j) {
    std::string item = R"({"sku":"SKU-)" + std::to_string(1000 + (7 + j) % 9000) +
                       R"(","name":"Item )" + std::to_string(j) + R"(","qty":)" +
                       std::to_string(1 + j % 3) + R"(,"price":)" + std::to_string(5 + j % 90) +
                       R"(.99,"tags":["summer","sale"]})";
    if (json.size() + (j > 1 ? 1 : 0) + item.size() + closing.size() > 4096) break;
    if (j > 1) json += ',';
    json += item;
  }
  json += closing;
  json.resize(4096, ' ');
  return json;
}

std::vector<Request> requests() {
  std::string form = "name=Anne&email=anne%40example.org&comment=";
  while (form.size() < 4096) form += "The+quick+brown+fox+jumps+over+the+lazy+dog.+";
  form.resize(4096);
  return {
      {"benign_get", "GET", "/products/shoes?q=blue+suede+shoes&page=2&sort=price", "", nullptr},
      {"attack_get", "GET", "/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--", "",
       nullptr},
      {"form_4k", "POST", "/contact", form, "application/x-www-form-urlencoded"},
      {"json_4k", "POST", "/api/v1/cart", json_cart(), "application/json"},
  };
}

struct Input {
  std::vector<HeaderView> headers;
  std::string length;
  RequestData data;
  std::vector<std::pair<std::string, std::string>> initial;
};

void make_input(const Request& r, int paranoia, Input& in) {
  in.headers = {
      {"Host", "shop.example.com"},
      {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"},
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
      {"Accept-Language", "en-US,en;q=0.5"},
      {"Accept-Encoding", "gzip, deflate, br"},
      {"Cookie", "sid=2328fb7fd32d348def0a5975934105cc; consent=yes"},
      {"Referer", "https://shop.example.com/"}};
  in.length = std::to_string(r.body.size());
  if (r.content_type != nullptr) {
    in.headers.push_back({"Content-Type", r.content_type});
    in.headers.push_back({"Content-Length", in.length});
  }
  in.data = RequestData{};
  in.data.method = r.method;
  in.data.uri = r.uri;
  in.data.http_version = "1.1";
  in.data.headers = in.headers;
  in.data.remote_addr = "192.0.2.10";
  in.data.unique_id = "aGVsbG8td2FmLWJlbmNo";
  in.initial = {{"paranoia_level", std::to_string(paranoia)}};
}

// A small page as an origin sends it.
const std::vector<HeaderView> kResponseHeaders = {{"Content-Type", "text/html; charset=utf-8"},
                                                  {"Content-Length", "1024"},
                                                  {"Cache-Control", "max-age=60"},
                                                  {"Date", "Sun, 22 Nov 2026 12:00:00 GMT"},
                                                  {"Server", "origin"}};

std::string response_body() {
  std::string body = "<!doctype html><html><head><title>Blue suede shoes</title></head><body>";
  while (body.size() < 1000) body += "<p>Comfortable shoes for every day, in every size.</p>";
  body.resize(1010);
  body += "</body></html>";
  body.resize(1024, '\n');
  return body;
}

struct Outcome {
  uint32_t rules = 0;
  int status = 0;  // 0: passed
};

Outcome run_request_phases(const RuleSet& rules, const Request& r, const Input& in) {
  Transaction tx(rules, in.data, in.initial);
  tx.use_persistent_store(&PersistentStore::process());
  tx.process_request_headers();
  tx.process_request_body(r.body, false);
  return {tx.rules_evaluated(), tx.intervention().disruptive ? tx.intervention().status : 0};
}

Outcome run_all_phases(const RuleSet& rules, const Request& r, const Input& in,
                       const std::string& body, bool measure_response) {
  Transaction tx(rules, in.data, in.initial);
  tx.use_persistent_store(&PersistentStore::process());
  tx.process_request_headers();
  tx.process_request_body(r.body, false);
  uint32_t before = tx.rules_evaluated();
  if (measure_response) CALLGRIND_TOGGLE_COLLECT;
  tx.process_response_headers(200, "HTTP/1.1", kResponseHeaders);
  if (tx.wants_response_body()) tx.process_response_body(body, false);
  tx.process_logging();
  if (measure_response) CALLGRIND_TOGGLE_COLLECT;
  return {tx.rules_evaluated() - before,
          tx.intervention().disruptive ? tx.intervention().status : 0};
}

}  // namespace
}  // namespace rampart::seclang

int main(int argc, char** argv) {
  using namespace rampart::seclang;
  int iterations = 20;
  int warmup = 3;
  bool vectorscan = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--iterations" && i + 1 < argc) {
      iterations = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--warmup" && i + 1 < argc) {
      warmup = std::max(0, std::atoi(argv[++i]));
    } else if (arg == "--vectorscan") {
      vectorscan = true;
    } else {
      std::fprintf(stderr, "usage: %s [--iterations N] [--warmup N] [--vectorscan]\n", argv[0]);
      return 2;
    }
  }
  auto rules = bench::load_debian_crs(vectorscan);
  if (!rules) {
    std::fprintf(stderr, "the CRS did not load (is modsecurity-crs installed?)\n");
    return 1;
  }
  const std::string body = response_body();
  const std::vector<Request> list = requests();
  Input in;
  for (int paranoia : {1, 4}) {
    for (const Request& r : list) {
      make_input(r, paranoia, in);
      std::string name = std::string(r.name) + " PL" + std::to_string(paranoia) + " request";
      Outcome outcome;
      for (int i = 0; i < warmup; ++i) run_request_phases(*rules, r, in);
      CALLGRIND_ZERO_STATS;
      CALLGRIND_START_INSTRUMENTATION;
      CALLGRIND_TOGGLE_COLLECT;
      for (int i = 0; i < iterations; ++i) outcome = run_request_phases(*rules, r, in);
      CALLGRIND_TOGGLE_COLLECT;
      CALLGRIND_STOP_INSTRUMENTATION;
      CALLGRIND_DUMP_STATS_AT(name.c_str());
      std::printf("%s: %u rules, status %d\n", name.c_str(), outcome.rules, outcome.status);
      if (std::string_view(r.name) != "benign_get") continue;
      name = std::string(r.name) + " PL" + std::to_string(paranoia) + " response";
      for (int i = 0; i < warmup; ++i) run_all_phases(*rules, r, in, body, false);
      CALLGRIND_ZERO_STATS;
      CALLGRIND_START_INSTRUMENTATION;
      for (int i = 0; i < iterations; ++i) outcome = run_all_phases(*rules, r, in, body, true);
      CALLGRIND_STOP_INSTRUMENTATION;
      CALLGRIND_DUMP_STATS_AT(name.c_str());
      std::printf("%s: %u rules, status %d\n", name.c_str(), outcome.rules, outcome.status);
    }
  }
  std::printf("iterations: %d\n", iterations);
  return 0;
}
