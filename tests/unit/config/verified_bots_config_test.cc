#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using testing::all_errors;
using testing::has_error_at;
using testing::load;
using testing::yaml;

TEST(VerifiedBotsConfig, ReadsBotsAndOptions) {
  auto r = load(std::string(testing::kMinimalYaml) + yaml(R"(
bot:
  verified_bots:
    - {name: googlebot, user_agent: Googlebot, ip_ranges: /feeds/g.json, reverse_dns: [GoogleBot.com., google.com]}
    - {name: signer, web_bot_auth_keys: /feeds/s.jwks}
  feed_limits: {max_bytes: 64KiB, max_entries: 500, max_change: 25%}
  reverse_dns: {resolver: "127.0.0.1:5353", timeout: 500ms, cache_size: 100}
  web_bot_auth: {max_skew: 30s}
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const VerifiedBotSettings& v = r.config->bot.verified;
  ASSERT_EQ(v.bots.size(), 2u);
  EXPECT_EQ(v.bots[0].reverse_dns, (std::vector<std::string>{"googlebot.com", "google.com"}));
  EXPECT_EQ(v.bots[0].ip_ranges, "/feeds/g.json");
  EXPECT_EQ(v.bots[1].web_bot_auth_keys, "/feeds/s.jwks");
  EXPECT_EQ(v.feed_limits.max_bytes, 65536u);
  EXPECT_EQ(v.feed_limits.max_entries, 500u);
  EXPECT_DOUBLE_EQ(v.feed_limits.max_change, 0.25);
  EXPECT_EQ(v.reverse_dns.resolver, "127.0.0.1:5353");
  EXPECT_EQ(v.reverse_dns.timeout.count(), 500);
  EXPECT_EQ(v.web_bot_auth.max_skew.count(), 30'000);
}

TEST(VerifiedBotsConfig, EveryMistakeAtItsLine) {
  auto r = load(std::string(testing::kMinimalYaml) + yaml(R"(
bot:
  verified_bots:
    - {name: Google Bot, user_agent: x, ip_ranges: a.json}
    - {name: a, reverse_dns: [googlebot.com]}
    - {name: b, user_agent: x}
    - {name: c, user_agent: x, reverse_dns: [com]}
  reverse_dns: {resolver: "dns.example:53"}
)"));
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_error_at(r, 10, 14, "expected a name of 1 to 64")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 11, 7, "user_agent")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 12, 7, "needs ip_ranges, reverse_dns or web_bot_auth_keys"))
      << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 13, 46, "at least two labels")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 14, 27, "expected the resolver as ip:port")) << all_errors(r);
  EXPECT_EQ(r.errors.size(), 5u) << all_errors(r);
}

}  // namespace
}  // namespace rampart::config
