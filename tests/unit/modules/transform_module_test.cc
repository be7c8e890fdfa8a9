// The transform module: header rules, redirects and the Location they build, and its
// registration among the built-in modules.

#include "modules/transform/transform_module.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "http/h1_parser.h"
#include "modules/builtin.h"
#include "pipeline/pipeline.h"

namespace {

using rampart::config::Config;
using rampart::config::Diagnostic;
using rampart::config::HeaderOp;
using rampart::config::HeaderRule;
using rampart::config::Redirect;
using rampart::config::Site;
using rampart::http::Header;
using rampart::modules::transform::apply_header_rules;
using rampart::modules::transform::build_transform_module;
using rampart::pipeline::Module;
using rampart::pipeline::Outcome;
using rampart::pipeline::Phase;
using rampart::pipeline::RequestContext;

std::string render(const std::vector<Header>& headers) {
  std::string out;
  for (const Header& h : headers) {
    out.append(h.name).append(": ").append(h.value).append("\n");
  }
  return out;
}

HeaderRule set(std::string name, std::string value) {
  return {HeaderOp::kSet, std::move(name), std::move(value)};
}
HeaderRule add(std::string name, std::string value) {
  return {HeaderOp::kAdd, std::move(name), std::move(value)};
}
HeaderRule remove(std::string name) {
  return {HeaderOp::kRemove, std::move(name), ""};
}

Redirect redirect(std::string from, std::string to, bool prefix = false, int status = 301,
                  bool keep_query = true) {
  Redirect r;
  r.from = std::move(from);
  r.to = std::move(to);
  r.prefix = prefix;
  r.status = status;
  r.keep_query = keep_query;
  return r;
}

// --- apply_header_rules -------------------------------------------------------------
// Rules are named variables: the edited headers view into the rules' strings, as they
// view into config strings in the server.

TEST(ApplyHeaderRules, SetReplacesEverySameNamedHeaderCaseInsensitively) {
  std::vector<Header> headers = {{"X-A", "1"}, {"Other", "o"}, {"x-a", "2"}, {"X-a-b", "keep"}};
  const std::vector<HeaderRule> rules = {set("x-A", "new")};
  apply_header_rules(rules, headers);
  EXPECT_EQ(render(headers), "Other: o\nX-a-b: keep\nx-A: new\n");
}

TEST(ApplyHeaderRules, SetAddsWhenAbsent) {
  std::vector<Header> headers = {{"Other", "o"}};
  const std::vector<HeaderRule> rules = {set("X-Edge", "rampart")};
  apply_header_rules(rules, headers);
  EXPECT_EQ(render(headers), "Other: o\nX-Edge: rampart\n");
}

TEST(ApplyHeaderRules, AddAppendsEvenWhenPresent) {
  std::vector<Header> headers = {{"X-A", "1"}, {"Other", "o"}};
  const std::vector<HeaderRule> rules = {add("x-a", "2")};
  apply_header_rules(rules, headers);
  EXPECT_EQ(render(headers), "X-A: 1\nOther: o\nx-a: 2\n");
}

TEST(ApplyHeaderRules, RemoveRemovesAllCaseInsensitively) {
  std::vector<Header> headers = {
      {"X-Debug", "1"}, {"Other", "o"}, {"x-debug", "2"}, {"X-DEBUG", "3"}, {"X-Debugger", "k"}};
  const std::vector<HeaderRule> rules = {remove("X-Debug")};
  apply_header_rules(rules, headers);
  EXPECT_EQ(render(headers), "Other: o\nX-Debugger: k\n");
}

TEST(ApplyHeaderRules, RemoveOfAbsentHeaderIsANoOp) {
  std::vector<Header> headers = {{"Other", "o"}};
  const std::vector<HeaderRule> rules = {remove("X-Nope")};
  apply_header_rules(rules, headers);
  EXPECT_EQ(render(headers), "Other: o\n");
}

TEST(ApplyHeaderRules, RulesApplyInOrder) {
  std::vector<Header> headers = {{"A", "0"}};
  const std::vector<HeaderRule> rules = {add("a", "1"), remove("A"), add("A", "2"), set("b", "x"),
                                         add("B", "y")};
  apply_header_rules(rules, headers);
  EXPECT_EQ(render(headers), "A: 2\nb: x\nB: y\n");

  std::vector<Header> second = {{"A", "0"}};
  const std::vector<HeaderRule> rules2 = {set("A", "1"), remove("a")};
  apply_header_rules(rules2, second);
  EXPECT_EQ(render(second), "");
}

// --- the module on a request ---------------------------------------------------------

class TransformTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Site site;
    site.name = "shop";
    site.hosts = {"shop.example"};
    config_.sites.push_back(std::move(site));
  }

  Site& site() { return config_.sites[0]; }

  std::unique_ptr<Module> build() {
    std::vector<Diagnostic> errors;
    auto module = build_transform_module(config_, errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_TRUE(module != nullptr);
    return module;
  }

  // Parses a GET for `target` and returns a context bound to the first site.
  RequestContext& request(std::string_view target, bool with_site = true) {
    text_ = "GET " + std::string(target) +
            " HTTP/1.1\r\nHost: shop.example\r\nX-Debug: 1\r\nAccept: */*\r\n\r\n";
    head_ = {};
    auto result = rampart::http::parse_request_head(text_, {}, head_);
    EXPECT_EQ(result.status, rampart::http::ParseStatus::kComplete) << text_;
    upstream_ = head_.headers;
    ctx_ = std::make_unique<RequestContext>(config_, head_, upstream_);
    if (with_site) ctx_->site = &config_.sites[0];
    return *ctx_;
  }

  static std::vector<std::string> verdicts(const RequestContext& ctx) {
    std::vector<std::string> out;
    for (const auto& v : ctx.verdicts()) {
      out.push_back(std::string(v.module) + "=" + std::string(v.verdict));
    }
    return out;
  }

  // The Location of the redirect `target` gets, or "continue" when none.
  std::string location_for(std::string_view target) {
    auto module = build();
    RequestContext& ctx = request(target);
    if (module->on_request(ctx) != Outcome::kRespond) return "continue";
    return ctx.local_response.location;
  }

  Config config_;
  std::string text_;
  rampart::http::RequestHead head_;
  std::vector<Header> upstream_;
  std::unique_ptr<RequestContext> ctx_;
};

TEST_F(TransformTest, NameAndPhase) {
  auto module = build();
  EXPECT_EQ(module->name(), "transform");
  EXPECT_EQ(module->phase(), Phase::kTransform);
}

TEST_F(TransformTest, NoSiteContinuesWithoutChanges) {
  site().request_headers = {set("X-Edge", "rampart")};
  site().redirects = {redirect("/old", "/new")};
  auto module = build();
  RequestContext& ctx = request("/old", /*with_site=*/false);
  std::string before = render(upstream_);
  EXPECT_EQ(module->on_request(ctx), Outcome::kContinue);
  EXPECT_EQ(render(upstream_), before);
  EXPECT_EQ(ctx.local_response.status, 0);
  EXPECT_TRUE(ctx.verdicts().empty());
}

TEST_F(TransformTest, SiteWithoutRulesContinuesSilently) {
  auto module = build();
  RequestContext& ctx = request("/anything");
  std::string before = render(upstream_);
  EXPECT_EQ(module->on_request(ctx), Outcome::kContinue);
  EXPECT_EQ(render(upstream_), before);
  EXPECT_TRUE(ctx.verdicts().empty());
}

TEST_F(TransformTest, RequestHeaderRulesEditUpstreamHeaders) {
  site().request_headers = {set("X-Edge", "rampart"), remove("x-debug"), add("Accept", "text/x")};
  auto module = build();
  RequestContext& ctx = request("/p");
  EXPECT_EQ(module->on_request(ctx), Outcome::kContinue);
  EXPECT_EQ(render(upstream_),
            "Host: shop.example\nAccept: */*\nX-Edge: rampart\nAccept: text/x\n");
  EXPECT_EQ(verdicts(ctx), (std::vector<std::string>{"transform=request-headers"}));
  // The client's request itself is untouched.
  EXPECT_NE(head_.find("x-debug"), nullptr);
}

TEST_F(TransformTest, ExactRedirectKeepsQueryByDefault) {
  site().redirects = {redirect("/old-catalog", "/catalog")};
  EXPECT_EQ(location_for("/old-catalog"), "/catalog");
  EXPECT_EQ(location_for("/old-catalog?page=2&s=x"), "/catalog?page=2&s=x");
}

TEST_F(TransformTest, ExactRedirectMatchesOnlyTheWholePath) {
  site().redirects = {redirect("/old-catalog", "/catalog")};
  EXPECT_EQ(location_for("/old-catalog/"), "continue");
  EXPECT_EQ(location_for("/old-catalog/item"), "continue");
  EXPECT_EQ(location_for("/old"), "continue");
  EXPECT_EQ(location_for("/OLD-CATALOG"), "continue");  // paths are case-sensitive
}

TEST_F(TransformTest, ExactRedirectCanDropQuery) {
  site().redirects = {redirect("/old", "/new", false, 301, /*keep_query=*/false)};
  EXPECT_EQ(location_for("/old?x=1"), "/new");
}

TEST_F(TransformTest, QueryIsJoinedWithAmpersandWhenTargetHasOne) {
  site().redirects = {redirect("/old", "/new?from=old")};
  EXPECT_EQ(location_for("/old?x=1"), "/new?from=old&x=1");
  EXPECT_EQ(location_for("/old"), "/new?from=old");
}

TEST_F(TransformTest, PrefixRedirectBuildsLocationFromTheRest) {
  site().redirects = {redirect("/blog/", "https://blog.example/", true, 302)};
  EXPECT_EQ(location_for("/blog/a?x=1"), "https://blog.example/a?x=1");
  EXPECT_EQ(location_for("/blog/a/b/c"), "https://blog.example/a/b/c");
  EXPECT_EQ(location_for("/blog/"), "https://blog.example/");
  EXPECT_EQ(location_for("/blog"), "continue");
  EXPECT_EQ(location_for("/other/blog/a"), "continue");
}

TEST_F(TransformTest, PrefixRedirectDoesNotDoubleTheSlash) {
  site().redirects = {redirect("/blog", "https://blog.example/", true)};
  EXPECT_EQ(location_for("/blog/a?x=1"), "https://blog.example/a?x=1");
}

TEST_F(TransformTest, PrefixRedirectToPathWithoutTrailingSlash) {
  site().redirects = {redirect("/docs", "/manual", true)};
  EXPECT_EQ(location_for("/docs/intro"), "/manual/intro");
}

TEST_F(TransformTest, PrefixRedirectCanDropQuery) {
  site().redirects = {redirect("/blog/", "https://blog.example/", true, 308, false)};
  EXPECT_EQ(location_for("/blog/a?x=1"), "https://blog.example/a");
}

TEST_F(TransformTest, RedirectResponseCarriesStatusReasonAndVerdict) {
  for (int status : {301, 302, 303, 307, 308}) {
    site().redirects = {redirect("/old", "/new", false, status)};
    site().request_headers = {set("X-Edge", "rampart")};
    auto module = build();
    RequestContext& ctx = request("/old");
    ctx.local_response.body = "stale";
    ctx.local_response.content_type = "text/plain";
    std::string before = render(upstream_);
    ASSERT_EQ(module->on_request(ctx), Outcome::kRespond) << status;
    EXPECT_EQ(ctx.local_response.status, status);
    EXPECT_EQ(ctx.local_response.location, "/new");
    EXPECT_EQ(ctx.local_response.reason, "redirect");
    EXPECT_EQ(ctx.local_response.body, "");
    EXPECT_EQ(ctx.local_response.content_type, "");
    EXPECT_EQ(verdicts(ctx), (std::vector<std::string>{"transform=redirect"}));
    // A redirected request is never forwarded, so its header rules are not applied.
    EXPECT_EQ(render(upstream_), before);
  }
}

TEST_F(TransformTest, FirstMatchingRedirectWins) {
  site().redirects = {redirect("/a/", "/first/", true, 302),
                      redirect("/a/b", "/second", false, 301)};
  auto module = build();
  RequestContext& ctx = request("/a/b");
  ASSERT_EQ(module->on_request(ctx), Outcome::kRespond);
  EXPECT_EQ(ctx.local_response.location, "/first/b");
  EXPECT_EQ(ctx.local_response.status, 302);
}

TEST_F(TransformTest, RedirectsOfOtherSitesDoNotApply) {
  Site other;
  other.name = "other";
  other.redirects = {redirect("/x", "/y")};
  config_.sites.push_back(std::move(other));
  EXPECT_EQ(location_for("/x"), "continue");
}

// --- the response phase --------------------------------------------------------------

TEST_F(TransformTest, WantsResponseOnlyWhenSomeSiteHasResponseRules) {
  EXPECT_FALSE(build()->wants_response());
  site().request_headers = {set("A", "1")};
  EXPECT_FALSE(build()->wants_response());
  Site other;
  other.name = "other";
  other.response_headers = {remove("Server")};
  config_.sites.push_back(std::move(other));
  EXPECT_TRUE(build()->wants_response());
}

TEST_F(TransformTest, ResponseHeaderRulesApplyOnResponse) {
  site().response_headers = {add("X-Frame-Options", "SAMEORIGIN"), remove("x-powered-by"),
                             set("Cache-Control", "no-store")};
  auto module = build();
  ASSERT_TRUE(module->wants_response());
  RequestContext& ctx = request("/p");
  std::vector<Header> response = {{"Content-Type", "text/html"},
                                  {"X-Powered-By", "PHP"},
                                  {"cache-control", "max-age=60"},
                                  {"Content-Length", "5"}};
  ctx.response_status = 200;
  ctx.response_headers = &response;
  EXPECT_EQ(module->on_response(ctx), Outcome::kContinue);
  EXPECT_EQ(render(response),
            "Content-Type: text/html\nContent-Length: 5\nX-Frame-Options: SAMEORIGIN\n"
            "Cache-Control: no-store\n");
}

TEST_F(TransformTest, ResponseWithoutSiteOrHeadersIsLeftAlone) {
  site().response_headers = {add("X-Frame-Options", "SAMEORIGIN")};
  auto module = build();
  RequestContext& no_list = request("/p");
  EXPECT_EQ(module->on_response(no_list), Outcome::kContinue);  // response_headers null

  RequestContext& no_site = request("/p", false);
  std::vector<Header> response = {{"Server", "origin"}};
  no_site.response_headers = &response;
  EXPECT_EQ(module->on_response(no_site), Outcome::kContinue);
  EXPECT_EQ(render(response), "Server: origin\n");
}

// --- registration ----------------------------------------------------------------------

TEST(BuiltinModules, RegistersTransform) {
  rampart::pipeline::ModuleRegistry registry;
  rampart::modules::register_builtin_modules(registry);
  const auto& modules = registry.modules();
  int transforms = 0;
  for (const auto& d : modules) {
    if (d.name == "transform") {
      ++transforms;
      EXPECT_EQ(d.phase, Phase::kTransform);
      ASSERT_TRUE(static_cast<bool>(d.factory));
    }
  }
  EXPECT_EQ(transforms, 1);
}

TEST(BuiltinModules, TransformRunsThroughThePipelineAndHonoursItsKillSwitch) {
  Config config;
  Site site;
  site.name = "shop";
  site.redirects = {redirect("/old", "/new", false, 308)};
  config.sites.push_back(site);
  rampart::pipeline::ModuleRegistry registry;
  rampart::modules::register_builtin_modules(registry);

  std::vector<Diagnostic> errors;
  auto pipeline = rampart::pipeline::Pipeline::build(config, registry, errors);
  ASSERT_TRUE(errors.empty());
  ASSERT_EQ(pipeline->names(),
            (std::vector<std::string_view>{"firewall", "transform", "cache_rules"}));

  std::string_view text = "GET /old?q=1 HTTP/1.1\r\nHost: shop.example\r\n\r\n";
  rampart::http::RequestHead head;
  ASSERT_EQ(rampart::http::parse_request_head(text, {}, head).status,
            rampart::http::ParseStatus::kComplete);
  std::vector<Header> upstream;
  RequestContext ctx(config, head, upstream);
  ctx.site = &config.sites[0];
  EXPECT_EQ(pipeline->run_request(ctx), rampart::pipeline::RequestResult::kRespond);
  EXPECT_EQ(ctx.local_response.status, 308);
  EXPECT_EQ(ctx.local_response.location, "/new?q=1");

  config.modules["transform"].enabled = false;
  auto disabled = rampart::pipeline::Pipeline::build(config, registry, errors);
  EXPECT_EQ(disabled->names(), (std::vector<std::string_view>{"firewall", "cache_rules"}));
  RequestContext ctx2(config, head, upstream);
  ctx2.site = &config.sites[0];
  EXPECT_EQ(disabled->run_request(ctx2), rampart::pipeline::RequestResult::kForward);
}

}  // namespace
