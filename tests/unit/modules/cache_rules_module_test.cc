// The cache_rules module: rules evaluated in order, settings merged per setting with
// later rules winning, compile errors at their place, and the browser TTL rewrite of
// the response the client sees.

#include "modules/cache_rules/cache_rules_module.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "http/h1_parser.h"
#include "pipeline/pipeline.h"
#include "unit/config/config_test_util.h"

namespace {

using rampart::config::Config;
using rampart::config::Diagnostic;
using rampart::http::Header;
using rampart::modules::cache_rules::build_cache_rules_module;
using rampart::pipeline::CacheDirectives;
using rampart::pipeline::Module;
using rampart::pipeline::Outcome;
using rampart::pipeline::RequestContext;

std::shared_ptr<const Config> load(const std::string& rules) {
  std::string y =
      "listeners: [{address: 127.0.0.1:8080}]\n"
      "sites:\n"
      "  - name: shop\n"
      "    hosts: [shop.example]\n"
      "    origin: {endpoints: [127.0.0.1:1]}\n"
      "    cache:\n"
      "      enabled: true\n"
      "      rules:\n" +
      rules;
  auto r = rampart::config::load_string(y, "test.yaml");
  EXPECT_TRUE(r.ok()) << rampart::config::testing::all_errors(r) << y;
  return r.config;
}

struct Request {
  std::string text;
  rampart::http::RequestHead head;
  std::vector<Header> upstream;
  std::unique_ptr<RequestContext> ctx;
};

std::unique_ptr<Request> request(const Config& config, const std::string& target,
                                 const std::string& extra_headers = "") {
  auto r = std::make_unique<Request>();
  r->text = "GET " + target + " HTTP/1.1\r\nHost: shop.example\r\n" + extra_headers + "\r\n";
  auto parsed = rampart::http::parse_request_head(r->text, {}, r->head);
  EXPECT_EQ(parsed.status, rampart::http::ParseStatus::kComplete);
  r->ctx = std::make_unique<RequestContext>(config, r->head, r->upstream);
  r->ctx->site = &config.sites[0];
  r->ctx->site_index = 0;
  r->ctx->facts.head = &r->head;
  return r;
}

std::unique_ptr<Module> build(const Config& config) {
  std::vector<Diagnostic> errors;
  auto m = build_cache_rules_module(config, errors);
  for (const auto& e : errors) ADD_FAILURE() << e.to_string();
  return m;
}

const std::string kRules =
    "        - id: everything\n"
    "          expression: \"true\"\n"
    "          action_parameters:\n"
    "            edge_ttl: {mode: override_origin, default: 100}\n"
    "            cache_key: {ignore_query_strings_order: true}\n"
    "        - id: images\n"
    "          expression: starts_with(http.request.uri.path, \"/img/\")\n"
    "          action_parameters:\n"
    "            edge_ttl: {mode: override_origin, default: 900}\n"
    "            browser_ttl: {mode: override_origin, default: 60}\n"
    "        - id: admin\n"
    "          expression: starts_with(http.request.uri.path, \"/admin\")\n"
    "          action_parameters: {cache: false}\n"
    "        - id: off\n"
    "          expression: \"true\"\n"
    "          enabled: false\n"
    "          action_parameters: {cache: false}\n";

TEST(CacheRulesModule, LaterRulesOverrideSettingBySetting) {
  auto config = load(kRules);
  auto module = build(*config);
  ASSERT_TRUE(module);

  auto img = request(*config, "/img/a.png");
  EXPECT_EQ(module->on_request(*img->ctx), Outcome::kContinue);
  const CacheDirectives& d = img->ctx->cache;
  EXPECT_TRUE(d.set);
  EXPECT_EQ(d.eligibility, CacheDirectives::Eligibility::kDefault);
  ASSERT_NE(d.edge_ttl, nullptr);
  EXPECT_EQ(d.edge_ttl->default_seconds, 900);  // the later rule's
  EXPECT_TRUE(d.ignore_query_strings_order);    // the earlier rule's, not overridden
  ASSERT_NE(d.browser_ttl, nullptr);
  EXPECT_EQ(d.last_rule, "images");

  auto admin = request(*config, "/admin/users");
  module->on_request(*admin->ctx);
  EXPECT_EQ(admin->ctx->cache.eligibility, CacheDirectives::Eligibility::kBypass);
  EXPECT_EQ(admin->ctx->cache.edge_ttl->default_seconds, 100);
  EXPECT_EQ(admin->ctx->cache.browser_ttl, nullptr);
}

TEST(CacheRulesModule, NoMatchLeavesTheDefaults) {
  auto config = load(
      "        - id: only-img\n"
      "          expression: starts_with(http.request.uri.path, \"/img/\")\n"
      "          action_parameters: {cache: false}\n");
  auto module = build(*config);
  auto r = request(*config, "/page");
  EXPECT_EQ(module->on_request(*r->ctx), Outcome::kContinue);
  EXPECT_FALSE(r->ctx->cache.set);
  EXPECT_EQ(r->ctx->cache.eligibility, CacheDirectives::Eligibility::kDefault);
  EXPECT_FALSE(r->ctx->cache.custom_key());
}

TEST(CacheRulesModule, BrowserTtlRewritesTheClientsCacheControl) {
  auto config = load(kRules);
  auto module = build(*config);
  ASSERT_TRUE(module->wants_response());
  auto r = request(*config, "/img/a.png");
  module->on_request(*r->ctx);
  std::vector<Header> response = {{"Content-Type", "image/png"},
                                  {"Cache-Control", "s-maxage=86400"},
                                  {"Expires", "Thu, 01 Jan 2099 00:00:00 GMT"}};
  r->ctx->response_status = 200;
  r->ctx->response_headers = &response;
  EXPECT_EQ(module->on_response(*r->ctx), Outcome::kContinue);
  ASSERT_EQ(response.size(), 2u);
  EXPECT_EQ(response[0].name, "Content-Type");
  EXPECT_EQ(response[1].name, "Cache-Control");
  EXPECT_EQ(response[1].value, "max-age=60");

  // A request no browser_ttl rule matched keeps the origin's field.
  auto page = request(*config, "/page");
  module->on_request(*page->ctx);
  std::vector<Header> kept = {{"Cache-Control", "max-age=5"}};
  page->ctx->response_status = 200;
  page->ctx->response_headers = &kept;
  module->on_response(*page->ctx);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].value, "max-age=5");
}

TEST(CacheRulesModule, ExpressionErrorsPointIntoTheFile) {
  auto config = load(
      "        - id: typo\n"
      "          expression: starts_with(http.request.uri.pth, \"/x\")\n"
      "          action_parameters: {cache: false}\n");
  std::vector<Diagnostic> errors;
  auto module = build_cache_rules_module(*config, errors);
  EXPECT_EQ(module, nullptr);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 10);
  EXPECT_EQ(errors[0].column, 35);
  EXPECT_NE(errors[0].message.find("http.request.uri.path"), std::string::npos)
      << errors[0].message;
}

TEST(CacheRulesModule, CountsMatches) {
  auto config = load(kRules);
  auto module = build(*config);
  std::vector<rampart::pipeline::CounterSample> before;
  module->collect_counters(before);
  auto r = request(*config, "/admin");
  module->on_request(*r->ctx);
  std::vector<rampart::pipeline::CounterSample> after;
  module->collect_counters(after);
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < after.size(); ++i) {
    uint64_t delta = after[i].value - before[i].value;
    bool matched = after[i].label_value == "everything" || after[i].label_value == "admin";
    EXPECT_EQ(delta, matched ? 1u : 0u) << after[i].label_value;
  }
}

}  // namespace
