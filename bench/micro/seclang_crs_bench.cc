// The whole managed WAF on one request: Debian's modsecurity.conf and the OWASP CRS at
// paranoia level 1 and 4, phases 1 and 2, for a benign browser GET, a GET with an SQL
// injection, a 4 KB form POST with one long field, and a 4 KB JSON cart (bench/waf.sh's
// post-json body: ~240 short leaves) next to the same names and values sent as a form,
// which tells what the JSON body processor costs from what so many arguments cost.
// The per-request WAF CPU time the issue asks for.
// Needs /usr/share/modsecurity-crs and /etc/nginx/modsecurity.conf.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "debian_crs.h"
#include "seclang/rule_set.h"
#include "seclang/transaction.h"

namespace rampart::seclang {
namespace {

// Argument 1 of each benchmark: 1 with the Vectorscan prefilters (the steady state), 0
// without (the first seconds after a load).
// Each is loaded on first use only, so a run filtered to argument 0 (e.g. under
// callgrind) does not pay for compiling the Vectorscan databases.
std::shared_ptr<const RuleSet> crs(bool prefilter) {
  if (prefilter) {
    static std::shared_ptr<const RuleSet> with = bench::load_debian_crs(true);
    return with;
  }
  static std::shared_ptr<const RuleSet> without = bench::load_debian_crs(false);
  return without;
}

void run_request(benchmark::State& state, const char* method, const char* uri,
                 const std::string& body, const char* content_type) {
  auto rules = crs(state.range(1) != 0);
  if (!rules) {
    state.SkipWithError("the CRS did not load (not installed?)");
    return;
  }
  std::vector<HeaderView> headers = {
      {"Host", "shop.example.com"},
      {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"},
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
      {"Accept-Language", "en-US,en;q=0.5"},
      {"Accept-Encoding", "gzip, deflate, br"},
      {"Cookie", "sid=2328fb7fd32d348def0a5975934105cc; consent=yes"},
      {"Referer", "https://shop.example.com/"}};
  std::string length = std::to_string(body.size());
  if (content_type != nullptr) {
    headers.push_back({"Content-Type", content_type});
    headers.push_back({"Content-Length", length});
  }
  RequestData data;
  data.method = method;
  data.uri = uri;
  data.http_version = "1.1";
  data.headers = headers;
  data.remote_addr = "192.0.2.10";
  std::vector<std::pair<std::string, std::string>> initial = {
      {"paranoia_level", std::to_string(state.range(0))}};
  uint64_t rules_run = 0;
  for (auto _ : state) {
    Transaction tx(*rules, data, initial);
    tx.process_request_headers();
    tx.process_request_body(body, false);
    benchmark::DoNotOptimize(tx.intervention());
    rules_run = tx.rules_evaluated();
  }
  state.counters["rules_run"] = static_cast<double>(rules_run);
}

void BM_CrsBenignGet(benchmark::State& state) {
  run_request(state, "GET", "/products/shoes?q=blue+suede+shoes&page=2&sort=price", "", nullptr);
}
BENCHMARK(BM_CrsBenignGet)->Args({1, 1})->Args({1, 0})->Args({4, 1});

void BM_CrsAttackGet(benchmark::State& state) {
  run_request(state, "GET", "/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--", "",
              nullptr);
}
BENCHMARK(BM_CrsAttackGet)->Args({1, 1})->Args({1, 0})->Args({4, 1});

void BM_CrsFormPost4k(benchmark::State& state) {
  std::string body = "name=Anne&email=anne%40example.org&comment=";
  while (body.size() < 4096) body += "The+quick+brown+fox+jumps+over+the+lazy+dog.+";
  body.resize(4096);
  run_request(state, "POST", "/contact", body, "application/x-www-form-urlencoded");
}
BENCHMARK(BM_CrsFormPost4k)->Args({1, 1})->Args({1, 0})->Args({4, 1});

// The leaves of bench/waf_load.lua's JSON cart (its json_body(1, 4096)), named as
// ModSecurity flattens them, in document order, with the JSON text itself.
struct JsonCart {
  std::string json;
  std::vector<std::pair<std::string, std::string>> leaves;
};

JsonCart json_cart() {
  const std::string prose =
      "Hello, I ordered the blue running shoes last week and the size is too small. "
      "Could you exchange them for a 44 and send a return label? Thanks a lot, have a nice "
      "day. ";
  JsonCart cart;
  cart.json =
      R"({"cart_id":"c-00000001","customer":{"name":"Jane Doe","email":"jane@example.org","note":")" +
      prose + R"("},"items":[)";
  cart.leaves = {{"json.cart_id", "c-00000001"},
                 {"json.customer.name", "Jane Doe"},
                 {"json.customer.email", "jane@example.org"},
                 {"json.customer.note", prose}};
  const std::string closing = R"(],"gift":false})";
  for (int j = 1; j <= 40; ++j) {
    std::string sku = "SKU-" + std::to_string(1000 + (7 + j) % 9000);
    std::string name = "Item " + std::to_string(j);
    std::string qty = std::to_string(1 + j % 3);
    std::string price = std::to_string(5 + j % 90) + ".99";
    std::string item = R"({"sku":")" + sku + R"(","name":")" + name + R"(","qty":)" + qty +
                       R"(,"price":)" + price + R"(,"tags":["summer","sale"]})";
    if (cart.json.size() + (j > 1 ? 1 : 0) + item.size() + closing.size() > 4096) break;
    if (j > 1) cart.json += ',';
    cart.json += item;
    std::string base = "json.items.array_" + std::to_string(j - 1);
    cart.leaves.insert(cart.leaves.end(), {{base + ".sku", sku},
                                           {base + ".name", name},
                                           {base + ".qty", qty},
                                           {base + ".price", price},
                                           {base + ".tags.array_0", "summer"},
                                           {base + ".tags.array_1", "sale"}});
  }
  cart.json += closing;
  cart.leaves.push_back({"json.gift", "false"});
  cart.json.resize(4096, ' ');
  return cart;
}

std::string form_encode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void BM_CrsJsonPost4k(benchmark::State& state) {
  static const std::string body = json_cart().json;
  state.counters["leaves"] = static_cast<double>(json_cart().leaves.size());
  run_request(state, "POST", "/api/v1/cart", body, "application/json");
}
BENCHMARK(BM_CrsJsonPost4k)->Args({1, 1})->Args({1, 0})->Args({4, 1});

// The JSON cart's arguments, same names and values, as a urlencoded form.
void BM_CrsJsonAsFormPost(benchmark::State& state) {
  static const std::string body = [] {
    std::string out;
    for (const auto& [name, value] : json_cart().leaves) {
      if (!out.empty()) out += '&';
      out += form_encode(name) + "=" + form_encode(value);
    }
    return out;
  }();
  run_request(state, "POST", "/api/v1/cart", body, "application/x-www-form-urlencoded");
}
BENCHMARK(BM_CrsJsonAsFormPost)->Args({1, 1})->Args({1, 0})->Args({4, 1});

}  // namespace
}  // namespace rampart::seclang
