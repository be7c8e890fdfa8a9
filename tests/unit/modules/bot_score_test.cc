#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "modules/bot/behaviour.h"
#include "modules/bot/score.h"
#include "modules/bot/score_module.h"
#include "modules/bot/score_signals.h"
#include "rules/compiler.h"
#include "rules/evaluator.h"

namespace rampart::modules::bot {
namespace {

const char kChrome[] =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36";
const char kFirefox[] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const char kSafari[] =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15";

using Headers = std::vector<std::pair<std::string, std::string>>;

// Keeps the strings the head's views point into.
struct Head {
  explicit Head(Headers h) : owned(std::move(h)) {
    head.method = "GET";
    head.path = "/";
    for (const auto& [n, v] : owned) head.headers.push_back({n, v});
  }
  Headers owned;
  http::RequestHead head;
};

// What Chrome 131 sends for a page load over HTTPS, in its order.
Headers chrome_navigation() {
  return {{"Host", "shop.test"},
          {"sec-ch-ua", "\"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\""},
          {"sec-ch-ua-mobile", "?0"},
          {"sec-ch-ua-platform", "\"Linux\""},
          {"Upgrade-Insecure-Requests", "1"},
          {"User-Agent", kChrome},
          {"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"},
          {"Sec-Fetch-Site", "none"},
          {"Sec-Fetch-Mode", "navigate"},
          {"Sec-Fetch-User", "?1"},
          {"Sec-Fetch-Dest", "document"},
          {"Accept-Encoding", "gzip, deflate, br, zstd"},
          {"Accept-Language", "en-US,en;q=0.9"}};
}

Headers firefox_navigation() {
  return {{"Host", "shop.test"},
          {"User-Agent", kFirefox},
          {"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"},
          {"Accept-Language", "en-US,en;q=0.5"},
          {"Accept-Encoding", "gzip, deflate, br, zstd"},
          {"Sec-Fetch-Dest", "document"},
          {"Sec-Fetch-Mode", "navigate"},
          {"Sec-Fetch-Site", "none"},
          {"Sec-Fetch-User", "?1"}};
}

Headers without(Headers h, std::string_view name) {
  std::erase_if(h, [&](const auto& p) { return http::iequals(p.first, name); });
  return h;
}

Headers with(Headers h, std::string name, std::string value) {
  for (auto& p : h) {
    if (http::iequals(p.first, name)) {
      p.second = std::move(value);
      return h;
    }
  }
  h.emplace_back(std::move(name), std::move(value));
  return h;
}

TEST(BotScoreUa, ClassifiesBrowsersToolsAndOthers) {
  EXPECT_EQ(classify_user_agent(kChrome).kind, UaKind::kChromium);
  EXPECT_EQ(classify_user_agent(kChrome).major, 131);
  EXPECT_EQ(classify_user_agent(kFirefox).kind, UaKind::kFirefox);
  EXPECT_EQ(classify_user_agent(kFirefox).major, 128);
  EXPECT_EQ(classify_user_agent(kSafari).kind, UaKind::kSafari);
  EXPECT_EQ(classify_user_agent(kSafari).major, 17);
  UaInfo headless = classify_user_agent(
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "HeadlessChrome/156.0.0.0 Safari/537.36");
  EXPECT_EQ(headless.kind, UaKind::kChromium);
  EXPECT_TRUE(headless.headless);
  for (const char* tool :
       {"curl/8.5.0", "Wget/1.21.3", "python-requests/2.31.0", "Python-urllib/3.11",
        "Go-http-client/1.1", "okhttp/4.12.0",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"})
    EXPECT_EQ(classify_user_agent(tool).kind, UaKind::kAutomation) << tool;
  EXPECT_EQ(classify_user_agent("").kind, UaKind::kMissing);
  EXPECT_EQ(classify_user_agent("MyApp/2.0 (iOS)").kind, UaKind::kOther);
  // A browser token without the Mozilla/5.0 prefix every browser sends.
  EXPECT_EQ(classify_user_agent("Chrome/131.0").kind, UaKind::kOther);
}

TEST(BotScoreUa, ToolsScoreLowestBrowsersNeutral) {
  EXPECT_LT(ua_signal(classify_user_agent("curl/8.5.0")), ua_signal(classify_user_agent("")));
  EXPECT_LT(ua_signal(classify_user_agent("")), ua_signal(classify_user_agent("MyApp/2.0")));
  EXPECT_EQ(ua_signal(classify_user_agent(kChrome)), 0);
  EXPECT_LT(ua_signal(classify_user_agent("Mozilla/5.0 (X11) HeadlessChrome/156.0 Safari/537")), 0);
}

TEST(BotScoreHeaders, CompleteBrowserSetIsPositive) {
  UaInfo chrome = classify_user_agent(kChrome);
  EXPECT_EQ(header_signal(Head(chrome_navigation()).head, chrome, true), 35);
  EXPECT_EQ(header_signal(Head(firefox_navigation()).head, classify_user_agent(kFirefox), true),
            30);
}

TEST(BotScoreHeaders, EachMissingBasicHeaderCosts) {
  UaInfo chrome = classify_user_agent(kChrome);
  int full = header_signal(Head(chrome_navigation()).head, chrome, true);
  for (const char* name : {"accept", "accept-language", "accept-encoding"}) {
    int h = header_signal(Head(without(chrome_navigation(), name)).head, chrome, true);
    EXPECT_EQ(h, full - 35) << name;  // the +20 for the full set and 15 for this one
  }
}

TEST(BotScoreHeaders, ChromiumWithoutClientHintsOnHttpsOnly) {
  UaInfo chrome = classify_user_agent(kChrome);
  Headers no_hints = without(chrome_navigation(), "sec-ch-ua");
  int full = header_signal(Head(chrome_navigation()).head, chrome, true);
  EXPECT_EQ(header_signal(Head(no_hints).head, chrome, true), full - 20);
  // Plain HTTP: Chromium sends no client hints to non-secure origins.
  EXPECT_EQ(header_signal(Head(no_hints).head, chrome, false), full - 5);
  // Chromium 88 predates sec-ch-ua.
  UaInfo old = classify_user_agent(
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/88.0.4324.0 Safari/537.36");
  EXPECT_EQ(header_signal(Head(no_hints).head, old, true), full - 5);
  // Hints naming another version than the User-Agent.
  Headers other = with(chrome_navigation(), "sec-ch-ua", "\"Chromium\";v=\"120\"");
  EXPECT_EQ(header_signal(Head(other).head, chrome, true), full - 25);
}

TEST(BotScoreHeaders, ClientHintsFromFirefoxOrSafariAreIncoherent) {
  UaInfo firefox = classify_user_agent(kFirefox);
  int full = header_signal(Head(firefox_navigation()).head, firefox, true);
  Headers hinted = with(firefox_navigation(), "sec-ch-ua", "\"Chromium\";v=\"131\"");
  EXPECT_EQ(header_signal(Head(hinted).head, firefox, true), full - 20);
}

TEST(BotScoreHeaders, SecFetchCoherence) {
  UaInfo chrome = classify_user_agent(kChrome);
  int full = header_signal(Head(chrome_navigation()).head, chrome, true);
  // Partial metadata: browsers send Site, Mode and Dest together.
  EXPECT_EQ(header_signal(Head(without(chrome_navigation(), "sec-fetch-dest")).head, chrome, true),
            full - 20);
  // Values that do not exist or contradict each other.
  for (auto [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"Sec-Fetch-Mode", "browse"},
           {"Sec-Fetch-Dest", "image"},  // an image is never a navigation
           {"Sec-Fetch-User", "?0"},
           {"Sec-Fetch-Site", "elsewhere"}}) {
    EXPECT_EQ(header_signal(Head(with(chrome_navigation(), name, value)).head, chrome, true),
              full - 30)
        << name << ": " << value;
  }
  // None at all: expected on HTTPS from these versions, not on plain HTTP.
  Headers bare = chrome_navigation();
  for (const char* n : {"sec-fetch-site", "sec-fetch-mode", "sec-fetch-user", "sec-fetch-dest"})
    bare = without(bare, n);
  EXPECT_EQ(header_signal(Head(bare).head, chrome, true), full - 20);
  EXPECT_EQ(header_signal(Head(bare).head, chrome, false), full - 10);
}

TEST(BotScoreHeaders, NonBrowsersAreJudgedByTheirUaOnly) {
  EXPECT_EQ(header_signal(Head(Headers{{"User-Agent", "curl/8.5.0"}}).head,
                          classify_user_agent("curl/8.5.0"), true),
            0);
}

TEST(BotScoreOrder, TypicalOrderPerFamily) {
  UaInfo chrome = classify_user_agent(kChrome);
  UaInfo firefox = classify_user_agent(kFirefox);
  EXPECT_EQ(order_signal(Head(chrome_navigation()).head, chrome), 5);
  EXPECT_EQ(order_signal(Head(firefox_navigation()).head, firefox), 5);
  // Firefox's order under a Chrome UA, and Chrome's under a Firefox UA.
  Headers swapped = firefox_navigation();
  swapped[1].second = kChrome;
  EXPECT_EQ(order_signal(Head(swapped).head, chrome), -15);
  Headers ff_claim = chrome_navigation();
  ff_claim = without(ff_claim, "sec-ch-ua");
  for (auto& p : ff_claim) {
    if (p.first == "User-Agent") p.second = kFirefox;
  }
  EXPECT_EQ(order_signal(Head(ff_claim).head, firefox), -15);
  // Not judged without both Accept-Language and Accept-Encoding.
  EXPECT_EQ(order_signal(Head(without(chrome_navigation(), "accept-language")).head, chrome), 0);
}

TEST(BotScoreTls, Ja4Structure) {
  Ja4Shape s = parse_ja4("t13d1516h2_8daaf6152771_02713d6af862");
  ASSERT_TRUE(s.valid);
  EXPECT_EQ(s.protocol, 't');
  EXPECT_EQ(s.version, 13);
  EXPECT_EQ(s.ciphers, 15);
  EXPECT_EQ(s.extensions, 16);
  EXPECT_EQ(s.alpn, "h2");
  EXPECT_FALSE(parse_ja4("").valid);
  EXPECT_FALSE(parse_ja4("x13d1516h2_a_b").valid);
  EXPECT_FALSE(parse_ja4("t1xd1516h2_a_b").valid);
  EXPECT_FALSE(parse_ja4("t13d1516h2a_b").valid);
}

TEST(BotScoreTls, BrowserUaNeedsABrowserLikeStack) {
  UaInfo chrome = classify_user_agent(kChrome);
  EXPECT_EQ(tls_signal("t13d1516h2_8daaf6152771_02713d6af862", chrome), 10);
  EXPECT_EQ(tls_signal("t13d1715h2_5b57614c22b0_3d5424432f57", classify_user_agent(kFirefox)), 10);
  // A library's stack: no ALPN, the full OpenSSL cipher list, TLS 1.2 only, few extensions.
  EXPECT_EQ(tls_signal("t13d301100_1d37bd780c83_d339722ba4af", chrome), -30);
  EXPECT_EQ(tls_signal("t13d3112h2_1d37bd780c83_d339722ba4af", chrome), -30);
  EXPECT_EQ(tls_signal("t12d1516h2_8daaf6152771_02713d6af862", chrome), -30);
  EXPECT_EQ(tls_signal("t13d1508h2_8daaf6152771_02713d6af862", chrome), -30);
  // Not a browser claim, or no TLS: nothing to contradict.
  EXPECT_EQ(tls_signal("t13d301100_1d37bd780c83_d339722ba4af", classify_user_agent("curl/8")), 0);
  EXPECT_EQ(tls_signal("", chrome), 0);
}

TEST(BotScoreClearance, ProofOfWorkRaisesMost) {
  EXPECT_EQ(clearance_signal(pipeline::ClearanceLevel::kNone), 0);
  EXPECT_GT(clearance_signal(pipeline::ClearanceLevel::kLow), 0);
  EXPECT_GT(clearance_signal(pipeline::ClearanceLevel::kFull),
            clearance_signal(pipeline::ClearanceLevel::kLow));
}

core::IpAddress ip(const char* text) {
  return *core::IpAddress::parse(text);
}

TEST(BotScoreBehaviour, CountsPerClientAndWindow) {
  BehaviourTable table(64);
  auto a = ip("192.0.2.1"), b = ip("192.0.2.2");
  BehaviourSample s;
  for (int i = 0; i < 5; ++i) s = table.observe(a, "/p" + std::to_string(i), i == 0, 1000);
  EXPECT_EQ(s.requests, 5u);
  EXPECT_EQ(s.navigations, 1u);
  EXPECT_EQ(s.subresources, 4u);
  EXPECT_GE(s.distinct_paths, 4u);
  EXPECT_LE(s.distinct_paths, 6u);
  EXPECT_EQ(table.observe(b, "/", true, 1000).requests, 1u);
  // The window restarts after a minute.
  EXPECT_EQ(table.observe(a, "/", true, 1000 + BehaviourTable::kWindowSeconds).requests, 1u);
  // IPv6 clients count per /64.
  table.observe(ip("2001:db8::1"), "/", true, 2000);
  EXPECT_EQ(table.observe(ip("2001:db8::2"), "/", true, 2000).requests, 2u);
  EXPECT_EQ(table.observe(ip("2001:db8:0:1::2"), "/", true, 2000).requests, 1u);
}

TEST(BotScoreBehaviour, TableStaysBoundedAndEvictsTheStalest) {
  BehaviourTable table(4);  // one set of 4
  for (int i = 0; i < 4; ++i)
    table.observe(ip(("192.0.2." + std::to_string(i + 1)).c_str()), "/", true, 100 + i);
  table.observe(ip("198.51.100.9"), "/", true, 110);  // evicts 192.0.2.1, the stalest
  EXPECT_EQ(table.observe(ip("192.0.2.4"), "/", true, 111).requests, 2u);
  EXPECT_EQ(table.observe(ip("192.0.2.1"), "/", true, 112).requests, 1u);
}

TEST(BotScoreBehaviour, RateScrapingAndCrawlingCost) {
  EXPECT_EQ(behaviour_signal({5, 2, 3, 5}), 0);
  EXPECT_EQ(behaviour_signal({200, 20, 180, 5}), -10);
  EXPECT_EQ(behaviour_signal({700, 20, 680, 5}), -25);
  EXPECT_EQ(behaviour_signal({12, 12, 0, 12}), -15);   // pages, never their subresources
  EXPECT_EQ(behaviour_signal({60, 30, 30, 50}), -15);  // a crawl over many paths
}

TEST(BotScoreCombine, NeutralPlusPointsClampedToOneAndNinetyNine) {
  EXPECT_EQ(combine({}), 50);
  EXPECT_EQ(combine({.ua = -45}), 5);
  EXPECT_EQ(combine({.ua = -45, .behaviour = -25}), 1);  // never 0
  EXPECT_EQ(combine({.headers = 35, .order = 5, .tls = 10, .clearance = 40}), 99);
  EXPECT_EQ(format_signals({.ua = -45, .clearance = 15}),
            "ua=-45 headers=0 order=0 tls=0 behaviour=0 clearance=15");
}

ScoreInput input(const http::RequestHead& head, bool tls = false, std::string_view ja4 = {}) {
  ScoreInput in;
  in.head = &head;
  in.tls = tls;
  in.ja4 = ja4;
  in.client = ip("192.0.2.50");
  in.now = 5000;
  return in;
}

TEST(BotScoreCombine, ClientsEndUpInTheRightBands) {
  BehaviourTable table(64);
  auto score = [&](const Headers& h, bool tls = false, std::string_view ja4 = {}) {
    Head head(h);
    auto s = compute_signals(input(head.head, tls, ja4), table);
    EXPECT_TRUE(s.has_value());
    return s ? combine(*s) : 0;
  };
  EXPECT_LT(score({{"Host", "a"}, {"User-Agent", "curl/8.5.0"}, {"Accept", "*/*"}}), 30);
  EXPECT_LT(score({{"Host", "a"}}), 30);
  EXPECT_GE(score(chrome_navigation(), true, "t13d1516h2_8daaf6152771_02713d6af862"), 70);
  EXPECT_GE(score(firefox_navigation()), 70);
  // The right headers on a library's TLS stack: no longer clearly human.
  EXPECT_LT(score(chrome_navigation(), true, "t13d301100_1d37bd780c83_d339722ba4af"), 70);
  // A Chrome UA alone.
  EXPECT_LT(score({{"Host", "a"}, {"User-Agent", kChrome}}, true), 30);
}

TEST(BotScoreCombine, TooManyHeadersIsAFailureNotAScore) {
  BehaviourTable table(64);
  Headers many;
  for (size_t i = 0; i <= kMaxScoredHeaders; ++i) many.emplace_back("X-" + std::to_string(i), "v");
  Head head(many);
  EXPECT_FALSE(compute_signals(input(head.head), table).has_value());
  ScoreInput none;
  EXPECT_FALSE(compute_signals(none, table).has_value());
}

// The module: a failure leaves no score, sets the flag, and a rule on the score does
// not match.
struct ScoreModuleTest : ::testing::Test {
  void SetUp() override { register_score_fields(); }
  bool rule_matches(const pipeline::RequestContext& ctx, std::string_view text) {
    rules::Compiler compiler({});
    auto compiled = compiler.compile(text);
    EXPECT_TRUE(compiled.program) << text;
    rules::EvalState state(ctx.facts, compiler.slots());
    return rules::matches(*compiled.program, state);
  }
  config::Config config;
  std::vector<http::Header> upstream;
  std::vector<config::Diagnostic> errors;
};

TEST_F(ScoreModuleTest, SetsScoreSignalsAndFlag) {
  Head head({{"Host", "a"}, {"User-Agent", "curl/8.5.0"}, {"Accept", "*/*"}});
  pipeline::RequestContext ctx(config, head.head, upstream);
  ctx.facts.head = &head.head;
  ctx.client_ip = ip("192.0.2.77");
  auto module = build_score_module(config, errors);
  ASSERT_EQ(module->on_request(ctx), pipeline::Outcome::kContinue);
  ASSERT_TRUE(ctx.bot_score.has_value());
  EXPECT_LT(*ctx.bot_score, 30);
  EXPECT_TRUE(rule_matches(ctx, "cf.bot_management.score lt 30"));
  EXPECT_TRUE(rule_matches(ctx, "not rampart.bot.score_failed"));
  EXPECT_TRUE(rule_matches(ctx, "starts_with(rampart.bot.signals, \"ua=-45 \")"));
}

TEST_F(ScoreModuleTest, FailureLeavesTheScoreUnsetAndRulesDoNotMatch) {
  Headers many;
  for (size_t i = 0; i <= kMaxScoredHeaders; ++i) many.emplace_back("X-" + std::to_string(i), "v");
  Head head(many);
  pipeline::RequestContext ctx(config, head.head, upstream);
  ctx.facts.head = &head.head;
  auto module = build_score_module(config, errors);
  EXPECT_EQ(module->on_request(ctx), pipeline::Outcome::kError);
  EXPECT_FALSE(ctx.bot_score.has_value());
  EXPECT_TRUE(rule_matches(ctx, "rampart.bot.score_failed"));
  // Every comparison with the missing score is false, in both directions.
  EXPECT_FALSE(rule_matches(ctx, "cf.bot_management.score lt 30"));
  EXPECT_FALSE(rule_matches(ctx, "cf.bot_management.score ge 30"));
  EXPECT_FALSE(rule_matches(ctx, "cf.bot_management.score eq 0"));
}

}  // namespace
}  // namespace rampart::modules::bot
